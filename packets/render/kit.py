"""The delivery kit: projector slides, print-shop booklets and a fillable handout.

Each is made from the same plan as the guide and the handout, so all of them agree
about the session. The accessible one-page-per-sheet PDFs stay the files for screens;
these are for a projector, a print shop and an online session.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from ..output import edition_suffix
from ..planning.plan import Plan
from ..planning.words import fill_text
from .html import SPARE_LINES, document_context, document_title, environment, finish, place_names, render_html
from .slides import BUDGETS, SlideDoesNotFit, slides_for
from .typeset import typeset

if TYPE_CHECKING:
    from .pdf import Rendered, Renderer

# Each kind of the kit: which document it is made from, and the end of its file name.
KINDS = {
    "slides": ("slides", "slides"),
    "booklet-participant": ("participant", "participant-handout-booklet"),
    "booklet-facilitator": ("facilitator", "facilitator-guide-booklet"),
    "fillable": ("participant", "participant-handout-fillable"),
}
PRINT_SHEETS = ("page.css", "type.css", "blocks.css")
NOTES_LINES = 13  # writing lines on a padding notes page: one half page, with room for its heading


def kit_name(slug: str, kind: str, language: str = "en") -> str:
    """The file of one kind of the kit; a French edition's ends in `-fr` (`output.edition_suffix`)."""
    return f"{slug}-{KINDS[kind][1]}{edition_suffix(language)}.pdf"


def kit_audience(kind: str) -> str:
    return KINDS[kind][0]


def render_kit(
    kind: str, plan: Plan, templates: Path, created: dt.datetime, renderer: Renderer, base: Path
) -> Rendered:
    """The PDF of one kind of the kit, from the same plan as the guide and the handout."""
    if kind == "slides":
        return render_slides(plan, templates, created, renderer, base)
    if kind == "fillable":
        html = render_html(plan, "participant", templates, created, kit="fillable")
        return renderer.render(html, base, sheets=(*PRINT_SHEETS, "fillable.css"), forms=True)
    return render_booklet(plan, kit_audience(kind), templates, created, renderer, base)


_PROSE = re.compile(r'(<div class="prose[^"]*">)(.*?)(</div>)', re.S)


def _typeset_prose(html: str, names: list[str]) -> str:
    """The slides' prose typeset as the printed documents are: a Nation's name in a statement
    is never broken at its hyphen ("Nation0-/Hyphenated" on a projected slide), nor a range of
    years. Only the prose: the Nations' own lines keep their names whole already, and a kept
    run there made PDFium read a pronunciation's closing quote on a line of its own."""
    return _PROSE.sub(lambda m: m[1] + typeset(f"<body>{m[2]}", names).removeprefix("<body>") + m[3], html)


def render_slides(plan: Plan, templates: Path, created: dt.datetime, renderer: Renderer, base: Path) -> Rendered:
    """The slides, cut tighter and laid out again while any slide runs over its one page.

    Text on a slide never shrinks to fit (it must stay readable from the back of the room),
    so fitting is done by cutting: the layout itself says whether the cutting was right. A
    slide that runs over even at the tightest cut (a name or a web address longer than a
    line, a sentence with no end) raises SlideDoesNotFit: the deck is not written.
    """
    from .slides import TEXT_WIDTH_PT, name_width_pt

    template = environment(templates).get_template("slides.html.j2")
    over: list[int] = []
    for budget in BUDGETS:
        slides = slides_for(plan, budget)
        for slide in slides:
            # A word of a Nation's name is never broken, so one wider than the slide cannot fit at all.
            if any(name_width_pt(w.text) > TEXT_WIDTH_PT for n in slide.nations for w in n.words):
                raise SlideDoesNotFit(slide.title, slide.source)
        html = template.render(**document_context(plan, "slides", created), slides=slides)
        html = finish(_typeset_prose(html, place_names(plan)), plan)
        rendered = renderer.render(html, base, sheets=("type.css", "slides.css"))
        # Slide n starts on page n, or a slide before it ran over onto a second page.
        over = [
            n
            for n in range(1, len(slides) + 1)
            if rendered.anchors.get(f"slide-{n + 1}", rendered.pages + 1) - rendered.anchors.get(f"slide-{n}", 0) != 1
        ]
        if not over and rendered.pages == len(slides):
            return rendered
    culprit = slides[over[0] - 1] if over else slides[-1]
    raise SlideDoesNotFit(culprit.title or culprit.question, culprit.source)


def _notes_pages(count: int, plan: Plan) -> str:
    """Padding pages for notes, in the edition's words (its typography too: they go into its HTML)."""
    from markupsafe import escape

    words = plan.curriculum.interface
    intro, heading, space = (
        str(escape(t)) for t in (plan.curriculum.handout.notes_intro, words.notes, words.space_to_write)
    )
    lines = "".join('<span class="write-line"></span>' for _ in range(NOTES_LINES))
    lines += '<span class="write-line spare"></span>' * SPARE_LINES
    page = (
        f'<section class="major notes booklet-notes"><h1>{heading}</h1>'
        f'<p>{intro}</p><div class="write-lines notes-lines" aria-label="{space}">{lines}</div></section>'
    )
    return finish(f"<body>{page}", plan).removeprefix("<body>") * count


MAX_SHEETS = 16  # office saddle staplers hold about this many folded sheets
CREEP_PER_SHEET_MM = 0.1  # the thickness of a sheet of 75 g/m² office paper


def split_volumes(pages: int, starts: list[int], most: int = 4 * MAX_SHEETS) -> list[tuple[int, int]]:
    """The first and last page of each volume of a booklet of `pages` pages, split where
    a section starts (`starts`, page numbers) so that no volume needs more than `most`
    pages with its own cover (after the first), back cover and padding; as even as the
    sections allow. One volume when it fits.
    """

    def size(first: int, last: int) -> int:
        own = last - first + 1 + (first > 1) + 1  # a volume cover after the first, a back cover
        return own + -own % 4

    for count in range(1, pages + 1):
        target = pages / count
        volumes, first = [], 1
        for number in range(1, count):
            fits = [s for s in starts if first < s <= pages and size(first, s - 1) <= most]
            if not fits:
                break
            goal = 1 + round(target * number)
            cut = min(fits, key=lambda s: (abs(s - goal), s))
            volumes.append((first, cut - 1))
            first = cut
        else:
            if size(first, pages) <= most:
                return [*volumes, (first, pages)]
    return [(1, pages)]


def _run_of_show_turns_a_page(anchors: dict[str, int], sections: dict[str, str]) -> bool:
    """Whether the run of show starts on a right-hand page (odd: the cover is page 1) and
    goes on overleaf, where a reader would have to turn the page in the middle of it."""
    start = anchors.get("run-of-show")
    if start is None:
        return False
    after = min((page for ident, page in anchors.items() if ident in sections and page > start), default=start + 1)
    return start % 2 == 1 and after - start >= 2


def render_booklet(
    plan: Plan, audience: str, templates: Path, created: dt.datetime, renderer: Renderer, base: Path
) -> Rendered:
    """Typeset on the half page, split into volumes a stapler holds, each padded with notes
    pages to whole sheets and closed by a designed back cover, then imposed two-up."""

    from .pageflow import section_ids
    from .pdf import Rendered

    html = render_html(plan, audience, templates, created, kit="booklet")
    # Laid out once with three spare notes pages: a volume takes as many as fill its last sheet.
    notes = _notes_pages(3, plan)
    sheets = (*PRINT_SHEETS, "booklet.css")
    rendered = renderer.render(html.replace("</body>", notes + "</body>", 1), base, sheets=sheets)
    sections = section_ids(html)
    if _run_of_show_turns_a_page(rendered.anchors, sections):
        # A run of show over two pages is read on a spread: it starts on a left-hand page,
        # after a notes page.
        marker = '<section class="major" id="run-of-show">'
        html = html.replace(marker, _notes_pages(1, plan) + marker, 1)
        rendered = renderer.render(html.replace("</body>", notes + "</body>", 1), base, sheets=sheets)
    content = rendered.pages - 3
    starts = sorted({page for ident, page in rendered.anchors.items() if ident in sections})
    volumes = split_volumes(content, starts)
    ends_html = (
        environment(templates)
        .get_template("booklet-ends.html.j2")
        .render(**document_context(plan, audience, created, "booklet"), volumes=len(volumes))
    )
    ends_html = finish(ends_html, plan)
    # Split, the first volume's cover is the document's own, saying "Volume 1 of 2": one
    # cover a volume, then one back cover a volume.
    covers = len(volumes) if len(volumes) > 1 else 0
    ends = renderer.render(ends_html, base, sheets=sheets)
    if ends.pages != covers + len(volumes) and covers:
        # A cover too full for its page is laid out tighter, as the document's own (pdf.py).
        ends = renderer.render(ends_html, base, sheets=(*sheets, "cover-compact.css"))
    if ends.pages != covers + len(volumes):
        raise RuntimeError(f"the booklet's covers and back covers take {ends.pages} pages, not one each")
    # Each volume: (document, page index) of its pages in reading order.
    order: list[list[tuple[int, int]]] = []
    for number, (first, last) in enumerate(volumes):
        pages = [(1, number)] if covers else []
        own_cover = 1 if covers else 0  # the document's cover page, left out when the volume has its own
        pages += [(0, index) for index in range(max(first - 1, own_cover), last)]
        pages += [(0, content + k) for k in range(-(len(pages) + 1) % 4)]
        pages.append((1, covers + number))
        order.append(pages)
    words = plan.curriculum.interface
    title = fill_text(
        words.booklet_title, document=document_title(plan, audience), title=plan.title, organization=plan.org.name
    )
    if len(volumes) > 1:
        title = fill_text(words.booklet_volumes, title=title, volumes=len(volumes))
    imposed, sides = impose([rendered.pdf, ends.pdf], order, title)
    return Rendered(imposed, sides, rendered.cover_pages)


def saddle_stitch_order(pages: int) -> list[tuple[int, int]]:
    """(left, right) page numbers on each side of each sheet, front then back, for folding in half.

    For 8 pages: 8|1, 2|7 on the first sheet, 6|3, 4|5 on the second.
    """
    if pages % 4:
        raise ValueError("a saddle-stitched booklet needs a multiple of four pages")
    order = []
    for sheet in range(pages // 4):
        order.append((pages - 2 * sheet, 1 + 2 * sheet))
        order.append((2 + 2 * sheet, pages - 1 - 2 * sheet))
    return order


def impose(pdfs: list[bytes], volumes: list[list[tuple[int, int]]], title: str) -> tuple[bytes, int]:
    """Two half pages side by side on each landscape sheet, at full size: text and rules stay vectors.

    `volumes` lists each stapled volume's pages in reading order, as (which of `pdfs`, page
    index); the volumes' sheets follow one another in the file. Each half page becomes a
    form XObject (its content stream as written, with its resources) drawn once on its
    sheet, so nothing is rasterized, the type keeps its printed size, and no content stream
    has to be parsed (pypdf's page merging parses every operator, several seconds for a
    guide). Inner sheets are drawn a little towards the fold (creep): folded, they push out
    at the fore-edge by about a sheet's thickness each.
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    readers = [PdfReader(io.BytesIO(pdf)) for pdf in pdfs]
    first = readers[0].pages[0]
    width = float(first.mediabox.width)
    height = float(first.mediabox.height)
    writer = PdfWriter()
    forms: dict[tuple[int, int], object] = {}
    creep = CREEP_PER_SHEET_MM / 25.4 * 72
    for pages in volumes:
        for side, (left, right) in enumerate(saddle_stitch_order(len(pages))):
            shift = creep * (side // 2)  # the outermost sheet is not moved
            sheet = writer.add_blank_page(2 * width, height)
            drawn = []
            for slot, number in (("/L", left), ("/R", right)):
                source = pages[number - 1]
                if source not in forms:
                    forms[source] = _form_xobject(writer, readers[source[0]].pages[source[1]])
                drawn.append((slot, forms[source]))
            sheet[NameObject("/Resources")] = DictionaryObject(
                {NameObject("/XObject"): DictionaryObject({NameObject(slot): ref for slot, ref in drawn})}
            )
            content = DecodedStreamObject()
            content.set_data(f"q 1 0 0 1 {shift:.4f} 0 cm /L Do Q q 1 0 0 1 {width - shift:.4f} 0 cm /R Do Q".encode())
            sheet[NameObject("/Contents")] = writer._add_object(content.flate_encode())
    reader = readers[0]
    language = reader.trailer["/Root"].get("/Lang")
    if language:
        from pypdf.generic import TextStringObject

        writer._root_object[NameObject("/Lang")] = TextStringObject(str(language))
    metadata = reader.metadata or {}
    writer.add_metadata(
        {
            "/Title": title,
            **{k: metadata[k] for k in ("/Author", "/Creator", "/CreationDate", "/ModDate") if k in metadata},
        }
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), len(writer.pages)


def _form_xobject(writer, page):
    """A page as a form XObject in `writer`: its drawing, its resources, its box."""
    from pypdf.generic import ArrayObject, DecodedStreamObject, FloatObject, NameObject

    contents = page["/Contents"].get_object()
    parts = contents if isinstance(contents, ArrayObject) else [contents]
    form = DecodedStreamObject()
    form.set_data(b"\n".join(part.get_object().get_data() for part in parts))
    form[NameObject("/Type")] = NameObject("/XObject")
    form[NameObject("/Subtype")] = NameObject("/Form")
    form[NameObject("/BBox")] = ArrayObject(FloatObject(v) for v in page.mediabox)
    form[NameObject("/Resources")] = page["/Resources"].clone(writer)
    return writer._add_object(form.flate_encode())
