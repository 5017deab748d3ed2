"""Typesetting the words themselves: where a line may break, and which font sets a script.

Some breaks are wrong in print whatever the text: a Nation's name broken at its hyphen
("Tsleil-/Waututh"), a name's words on two lines, a range of years broken at its dash
("(1725–/1779)"), a web address broken right after "https://" or inside its host, an acronym in brackets
alone on the last line. And syllabics, set in the companion font, are drawn lighter than
Andika at the same size. These are decisions about the text (which words are names), so
they are made here, on the HTML's text, for every document; the stylesheets say how a
kept-together run and a syllabic run look (`.keep` and `.syllabics` in type.css).

Only text between tags in the body changes, by wrapping runs in spans: what a reader
copies out of the PDF is the same characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from markupsafe import escape

# A name longer than this may wrap at its spaces (it would not fit a line anyway at name size).
MAX_KEPT_NAME = 32
# The start of a web address kept on one line: 40 characters fit a line of every edition
# (a slide's at 30 pt, a booklet's, large print's, the cover's details).
MAX_KEPT_URL = 40
_SYLLABICS = re.compile(r"[\u1400-\u167f\u18b0-\u18ff]+")
# Words joined by hyphens, one of them capitalised (a name: Tsleil-Waututh, Huron-Wendat);
# a range of years or dates; an acronym in brackets with the word before it and its
# punctuation.
_LETTER = r"[^\W\d_]"
_WORD = r"[\w\u0300-\u036f’'ʼ]+"
_GENERIC = re.compile(
    rf"(?<![\w-])(?=[\w’'ʼ-]*[A-ZÀ-Þ])(?:{_WORD}(?:[-‐]{_WORD})+)(?![\w-])"
    r"|\(?\b\d{3,4}\s?[–-]\s?\d{2,4}\b\)?[.,;:]?"
    rf"|{_LETTER}[\w’'ʼ-]*\s\([A-Z]{{2,}}\)[.,;:]?"
)
# A web address in running text (escaped HTML: no < or >), less the punctuation after it.
_URL = re.compile(r"https?://[^\s<>\"]*[^\s<>\".,;:!?)’”'\]]")
# An e-mail address (a facilitator's contact): its part before the "@" may hold hyphens and dots.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")
_ADDRESS = re.compile(f"{_URL.pattern}|{_EMAIL.pattern}")
# Where an address may break: before a dot (the line then ends on a letter and the next
# starts with the dot, as style guides ask); a slash or a hyphen is a break of its own.
_URL_BREAK = "<wbr>"
_TAG = re.compile(r"(<[^>]*>)")


def _name_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    kept = sorted({n.strip() for n in names if n and n.strip() and len(n.strip()) <= MAX_KEPT_NAME}, key=len)
    if not kept:
        return None
    # As they appear in the HTML's text: escaped, longest first.
    alternatives = [re.escape(str(escape(n))) for n in reversed(kept)]
    return re.compile(rf"(?<![\w]){'|'.join(alternatives)}(?![\w])")


def _spans(text: str, names: re.Pattern[str] | None) -> list[tuple[int, int]]:
    """Non-overlapping runs of `text` to keep on one line: names first, then the generic cases."""
    found: list[tuple[int, int]] = []
    for pattern in (names, _GENERIC):
        if pattern is None:
            continue
        for m in pattern.finditer(text):
            # A run longer than a short name could be wider than the line: it may break as usual.
            if not 0 < m.end() - m.start() <= MAX_KEPT_NAME or any(m.start() < e and s < m.end() for s, e in found):
                continue
            found.append((m.start(), m.end()))
    return sorted(found)


def _syllabics(text: str) -> str:
    return _SYLLABICS.sub(lambda m: f'<span class="syllabics">{m[0]}</span>', text)


def _url(address: str) -> str:
    """A web address that breaks only where a reader expects it to: never inside its scheme
    ("https://" alone at a line's end reads as a broken link) nor its host's first part
    (the name that says whose site it is), and after that only at a slash, a dot or a
    hyphen, with no hyphen added.

    The scheme and the host whole, or the host's first part (with a "www."), are one kept
    run when it fits a line at any of our sizes; a break is offered before each later dot
    (`<wbr>`, drawn as nothing, copied as nothing: type.css); slashes and hyphens already
    are breaks. A first part longer than a line breaks inside it anyway, as it must, but
    never right after the scheme.
    """
    scheme, _, rest = address.partition("://")
    host = re.match(r"[\w.-]*", rest)[0]
    # The whole host when it fits, else its first part (with a "www." before it).
    head = host if len(scheme) + 3 + len(host) <= MAX_KEPT_URL else re.match(r"(?:www\.)?[^.]*", host)[0]
    head = f"{scheme}://{head}"
    cut = len(head) > MAX_KEPT_URL  # a first part longer than a line: it breaks after the kept run
    head = head[:MAX_KEPT_URL]
    parts = re.split(r"(?=\.)", address[len(head) :])
    return f'<span class="keep">{head}</span>' + (_URL_BREAK if cut else "") + _URL_BREAK.join(parts)


def _email(address: str) -> str:
    """An e-mail address that never breaks at a hyphen or a dot of its name ("elise.cote-/
    gagnon@…" reads as two addresses, and a hyphen at a line's end is taken for an added
    one): the part up to the "@" is one kept run when it fits a line, and the address may
    break only after the "@"; a domain too long for a line also before its dots, each label
    kept whole.
    """
    local, _, domain = address.rpartition("@")
    head = f"{local}@"
    kept = f'<span class="keep">{head}</span>' if len(head) <= MAX_KEPT_URL else head
    if len(domain) <= MAX_KEPT_URL:  # a domain that fits a line moves down whole, as a web host does
        return kept + _URL_BREAK + f'<span class="keep">{domain}</span>'
    labels = [f'<span class="keep">{part}</span>' if "-" in part else part for part in re.split(r"(?=\.)", domain)]
    return kept + _URL_BREAK + _URL_BREAK.join(labels)


def _typeset_text(text: str, names: re.Pattern[str] | None) -> str:
    """`text` with its web and e-mail addresses broken only where they may be, and its
    names, ranges and syllabics marked (`_runs`)."""
    out, at = [], 0
    for m in _ADDRESS.finditer(text):
        out.append(_runs(text[at : m.start()], names))
        out.append(_url(m[0]) if "://" in m[0] else _email(m[0]))
        at = m.end()
    out.append(_runs(text[at:], names))
    return "".join(out)


def _runs(text: str, names: re.Pattern[str] | None) -> str:
    out, at = [], 0
    for start, end in _spans(text, names):
        out.append(_syllabics(text[at:start]))
        out.append(f'<span class="keep">{_syllabics(text[start:end])}</span>')
        at = end
    out.append(_syllabics(text[at:]))
    return "".join(out)


def typeset(html: str, names: Iterable[str] = ()) -> str:
    """The document with kept-together runs and syllabic runs marked in its body's text.

    `names` are the Nations' and places' names (and their English names) of this
    organization: each is kept on one line where it is short enough to fit one.
    """
    start = html.find("<body")
    if start < 0:
        return html
    pattern = _name_pattern(names)
    parts = _TAG.split(html[start:])
    skip = 0  # inside <style>, <script>, <textarea> or <title>: left as written
    for index, part in enumerate(parts):
        if index % 2:
            tag = re.match(r"</?(\w+)", part)
            if tag and tag[1].lower() in ("style", "script", "textarea", "title"):
                skip += -1 if part.startswith("</") else 1
            continue
        if part and not skip and not part.isspace():
            parts[index] = _typeset_text(part, pattern)
    return html[:start] + "".join(parts)
