"""French typography on the rendered text: the spaces that keep punctuation with its word.

French sets a space before the colon, the semicolon, the question and exclamation marks
and inside « guillemets ». An ordinary space there would let the mark start the next line,
away from the word it belongs to, so every such space becomes a no-break one: U+00A0
before ":" and inside « », the narrow U+202F before ";", "?" and "!" (Andika, the body
font, has both). Writers type ordinary spaces, or none; this pass makes them right.

Only text changes, never markup: attributes, URLs, e-mail addresses, clock times written
"13:15" and character references (`&amp;`) are left exactly as they are. It runs on the
HTML after typesetting, for French editions only.
"""

from __future__ import annotations

import re

NBSP = "\u00a0"
NNBSP = "\u202f"  # narrow no-break space

# Runs that are not prose and keep every character: web and e-mail addresses, a clock
# time or a ratio written with a colon, character references.
_PROTECTED = re.compile(
    r"(?:https?://|www\.)[^\s<>«»]*[^\s<>«».,;:!?)»]"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|\d:\d"
    r"|&(?:#\d+|#x[0-9a-fA-F]+|\w+);"
)
_SPACES = "[ \t\r\n\u00a0\u202f\u2009]"
# A colon that punctuates, with any spaces before it: one after a space, or one followed by
# a space or the end (not one inside "a:b"; "13:15" is _PROTECTED).
_COLON = re.compile(rf"{_SPACES}+:|:(?=[ \t\r\n]|$|[«\"“)\]])")
_HIGH = re.compile(rf"{_SPACES}*([;?!]+)")
# A number and its unit, and the parts of a French time or length ("13 h 15", "1 h 30",
# "45 min"), held together: a line never ends on a bare number.
_UNIT = re.compile(r"(?<=\d) (?=(?:h|min|%)(?!\w))|(?<=\d h) (?=\d)")
_OPEN = re.compile(rf"«{_SPACES}*")
_CLOSE = re.compile(rf"{_SPACES}*»")


def _prose(text: str, at_start: bool) -> str:
    """The spacing rules on a run of plain text. `at_start`: the run begins right after a tag
    or a protected run, where a mark must still not begin a line."""

    def colon(m: re.Match[str]) -> str:
        return NBSP + ":" if m.start() > 0 or at_start else ":"

    def high(m: re.Match[str]) -> str:
        return NNBSP + m[1] if m.start() > 0 or at_start else m[1]

    text = _UNIT.sub(NBSP, text)
    text = _OPEN.sub("«" + NBSP, text)
    text = _CLOSE.sub(lambda m: NBSP + "»" if m.start() > 0 or at_start else "»", text)
    text = _COLON.sub(colon, text)
    return _HIGH.sub(high, text)


def french_spacing(text: str, after_word: bool = False) -> str:
    """One run of text with French punctuation spacing.

    `after_word`: the text before this run (in an element just closed) ends in a word, so a
    mark at the very start of this run also takes its no-break space ("<b>988</b>: ...").
    """
    out, at = [], 0
    for m in _PROTECTED.finditer(text):
        out.append(_prose(text[at : m.start()], after_word if at == 0 else True))
        out.append(m[0])
        at = m.end()
    out.append(_prose(text[at:], after_word if at == 0 else True))
    return "".join(out)


_TAG = re.compile(r"(<[^>]*>)")
# Attributes whose text prints (the running heads, through CSS string-set): spaced like the text.
_PRINTED_ATTRIBUTE = re.compile(r'(\sdata-(?:head|running)=")([^"]*)(")')
_VERBATIM = ("style", "script", "textarea", "title", "code")


def french_typography(html: str) -> str:
    """The document with French spacing in the text of its body (and the running heads'
    attributes, which print); other markup and attributes untouched."""
    start = html.find("<body")
    if start < 0:
        return html
    parts = _TAG.split(html[start:])
    skip = 0
    ends_in_word = False
    for index, part in enumerate(parts):
        if index % 2:
            tag = re.match(r"</?(\w+)", part)
            name = tag[1].lower() if tag else ""
            parts[index] = _PRINTED_ATTRIBUTE.sub(lambda m: m[1] + french_spacing(m[2]) + m[3], part)
            if name in _VERBATIM:
                skip += -1 if part.startswith("</") else 1
            elif name in ("p", "li", "div", "section", "td", "th", "dt", "dd", "br", "h1", "h2", "h3", "ul", "ol"):
                ends_in_word = False  # a new block: nothing before it on the line
            continue
        if not part or skip:
            continue
        parts[index] = french_spacing(part, ends_in_word)
        if not part.isspace():
            ends_in_word = not part[-1].isspace()
    return html[:start] + "".join(parts)
