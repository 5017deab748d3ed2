"""Render a plan into HTML for one audience with Jinja2.

Templates are ours and trusted; everything else (curriculum prose, organization text)
only ever arrives as *data*: autoescaped, never compiled as a template, and prose goes
through a Markdown renderer with raw HTML switched off. `{{ 7*7 }}` in a name prints as
typed.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markdown_it import MarkdownIt
from markupsafe import Markup

from .. import __version__
from ..load.colour import PANEL
from ..planning.plan import Plan
from ..planning.words import (
    clock_text,
    date_text,
    duration_text,
    fill_text,
    group_word,
    html_lang,
    join_words,
    number_text,
)
from .french import french_typography
from .measure import fitted_name, text_width_pt
from .typeset import typeset

# The English names, for callers outside an edition; a document prints its edition's (document_title).
DOCUMENT_TITLES = {"facilitator": "Facilitator guide", "participant": "Participant handout", "slides": "Slides"}
# The half page a booklet is typeset on, for each paper size: folded from one sheet.
BOOKLET_PAGES = {"letter": "5.5in 8.5in", "a4": "148.5mm 210mm"}  # A5, exactly half an A4 sheet
# Large print's running head (templates/css/large-print.css): the text width between 25 mm and
# 18 mm side margins, the head at 16 pt, the edition's "Large print" in bold at the right and
# at least 8 mm between the two.
PAPER_WIDTH_MM = {"letter": 215.9, "a4": 210.0}
LARGE_PRINT_HEAD_PT = 16.0

_md = MarkdownIt("commonmark", {"html": False, "typographer": False}).disable(
    ["heading", "lheading", "code", "fence", "blockquote", "hr", "html_block", "html_inline", "image", "table"],
    ignoreInvalid=True,
)


def markdown(text: str | None) -> Markup:
    return Markup(_md.render(text or ""))


def markdown_inline(text: str | None) -> Markup:
    return Markup(_md.renderInline(text or ""))


def sentence(text: str) -> str:
    """Organization text ending a printed sentence: add a full stop unless it has its own."""
    text = text.rstrip()
    return text if re.search(r"[.!?…]['’\"”)]*$", text) else text + "."


def long_date(value: dt.date | None, language: str = "en") -> str:
    """A date in full, in the edition's language: "Thursday, April 22, 2027"; "jeudi 22 avril 2027"."""
    return date_text(value, language)


# The filters that print a date, a time, a length or a number take the edition from the
# template's context (its `language` and its curriculum's words): one filter per thing,
# so no template can print a French time the English way.
@pass_context
def _date_filter(context: Context, value: dt.date | None) -> str:
    return date_text(value, context["language"])


@pass_context
def _clock_filter(context: Context, value: str | None) -> str:
    return clock_text(value, context["content"].interface)


@pass_context
def _duration_filter(context: Context, minutes: int) -> str:
    return duration_text(minutes, context["content"].interface)


@pass_context
def _number_filter(context: Context, value: int) -> str:
    return number_text(value, context["language"])


@pass_context
def _join_filter(context: Context, items: list[str]) -> str:
    return join_words(list(items), context["content"].interface)


@pass_context
def _group_filter(context: Context, groups: str | None) -> str:
    return group_word(groups, context["content"].interface)


def document_title(plan: Plan, audience: str) -> str:
    """The document's name in the plan's edition: "Facilitator guide", "Guide d’animation"."""
    words = plan.curriculum.interface
    return {"facilitator": words.doc_facilitator, "participant": words.doc_participant, "slides": words.doc_slides}[
        audience
    ]


def finish(html: str, plan: Plan) -> str:
    """The edition's typography on a rendered document: French spacing for French editions."""
    return french_typography(html) if plan.language == "fr" else html


@lru_cache(maxsize=4)
def environment(templates: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(
        md=markdown,
        md_inline=markdown_inline,
        long_date=_date_filter,
        clock=_clock_filter,
        duration=_duration_filter,
        number=_number_filter,
        join_words=_join_filter,
        group_word=_group_filter,
        fill=fill_text,
        sentence=sentence,
    )
    return env


def render_html(plan: Plan, audience: str, templates: Path, created: dt.datetime, kit: str | None = None) -> str:
    """The complete HTML document for one audience; the same string goes to WeasyPrint and to --html.

    `kit` is None for the printed documents, or "booklet" (typeset on the half page) or
    "fillable" (writing areas become form fields) for the delivery kit's editions.
    """
    template = environment(templates).get_template(f"{audience}.html.j2")
    html = template.render(**document_context(plan, audience, created, kit))
    return spare_lines(finish(typeset(html, place_names(plan)), plan))


def document_context(plan: Plan, audience: str, created: dt.datetime, kit: str | None = None) -> dict[str, Any]:
    """What every template of a document is given: one place, so a booklet's covers (kit.py)
    are told the same as the pages between them."""
    return {
        "plan": plan,
        "org": plan.org,
        "content": plan.curriculum,
        "ui": plan.curriculum.interface,
        "language": plan.language,
        "lang": html_lang(plan.language),
        "audience": audience,
        "panel_colour": PANEL,
        "doc_title": document_title(plan, audience),
        "version": __version__,
        "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "page_size": BOOKLET_PAGES[plan.paper] if kit == "booklet" else "A4" if plan.paper == "a4" else "letter",
        "kit": kit,
        "running_name": running_name(plan, kit),
    }


def running_name(plan: Plan, kit: str | None = None) -> str:
    """The organization's name in the running head.

    In large print it is the whole name whenever it fits beside "Large print" (in the
    edition's words, measured in bold) at 16 pt on the paper's width, and otherwise its
    longest run of whole words that fits, with an ellipsis: a count of characters cut
    names short that had room, and a French "Gros caractères" takes more of the line than
    "Large print". Regular editions keep planning's shortening (the head is small there).
    """
    if not plan.large_print or kit == "booklet":
        return plan.running_name
    width = (PAPER_WIDTH_MM.get(plan.paper, PAPER_WIDTH_MM["a4"]) - 25 - 18) / 25.4 * 72
    mark = text_width_pt(plan.words.large_print, LARGE_PRINT_HEAD_PT, bold=True)
    return fitted_name(plan.org.name, width - mark - 8 / 25.4 * 72, LARGE_PRINT_HEAD_PT)


# A page's worth of writing lines at the smallest pitch (A4, 9 mm): hidden until page flow
# shows some where lines end a page with room under them (pageflow.fill_rules).
SPARE_LINES = 28
_WRITE_LINES = re.compile(r'(<div class="write-lines[^"]*"[^>]*>(?:<span class="write-line"></span>)+)(?=</div>)')


def spare_lines(html: str) -> str:
    """Each block of writing lines with spare lines after its own, hidden (blocks.css)."""
    spares = '<span class="write-line spare"></span>' * SPARE_LINES
    return _WRITE_LINES.sub(lambda m: m[1] + spares, html)


def place_names(plan: Plan) -> list[str]:
    """The Nations' and places' names of the acknowledgement, as printed, to keep whole on a line."""
    ack = plan.org.land_acknowledgement
    return [name for n in (*ack.nations, *ack.places) for name in (n.name, n.english_name, n.french_name) if name]
