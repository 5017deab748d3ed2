"""Names with combining marks copy out as written: each such word gets an /ActualText span.

Andika sets the comma above (U+0313) to the right of a tall letter, as Salishan writing
does (l̓, k̓, t̓), and HarfBuzz places that comma with a vertical offset, which WeasyPrint
draws with a text rise (`Ts`). Other marks are placed with a horizontal offset inside the
line (w̓). Poppler-based viewers (Evince, Okular, pdftotext) take a glyph on another
baseline for another word, and a mark pulled back over its letter for the end of the
word: səl̓ilw̓ətaʔɬ came out as "səlilw̓", a stray comma and "ətaʔɬ". The PDF standard's
answer is a marked-content span whose /ActualText says what the glyphs spell; every
conforming reader copies that, and the page looks exactly the same.

This runs as WeasyPrint's `finisher`, on the content streams before they are written.
Within each run of text-showing operators (`TJ` and the `Ts` WeasyPrint puts around a
raised glyph), a word that holds a combining mark is wrapped, and nothing else changes:
splitting a TJ array in two draws the same glyphs in the same places.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_FONT = re.compile(rb"^/(\S+) [-\d.]+ Tf$")
_RISE = re.compile(rb"^-?[\d.]+ Ts$")
_SHOW = re.compile(rb"^\[(.*)\] TJ$", re.DOTALL)
_PIECES = re.compile(rb"<([0-9a-fA-F]*)>|(-?[\d.]+)")

# A run is a list of tokens: ("glyph", id), ("move", b"-102") inside a TJ array, or ("op", b"4.28 Ts").
Token = tuple[str, Any]


def _is_mark(text: str) -> bool:
    return bool(text) and all(unicodedata.category(ch) in ("Mn", "Me") for ch in text)


def _tokens(item: bytes, width: int) -> list[Token] | None:
    """A TJ item as glyph and move tokens, or None if it is not one we can read."""
    show = _SHOW.match(item)
    if show is None or _PIECES.sub(b"", show[1]).strip():
        return None
    tokens: list[Token] = []
    for match in _PIECES.finditer(show[1]):
        if match[1] is None:
            tokens.append(("move", match[2]))
        elif len(match[1]) % width:
            return None
        else:
            tokens += [("glyph", int(match[1][i : i + width], 16)) for i in range(0, len(match[1]), width)]
    return tokens


def _emit(tokens: list[Token], width: int) -> list[bytes]:
    """Tokens back into content-stream items: glyphs and moves gathered into TJ arrays."""
    items: list[bytes] = []
    array = b""
    for kind, value in tokens:
        if kind == "op":
            if array:
                items.append(b"[" + array + b"] TJ")
                array = b""
            items.append(value)
        elif kind == "glyph":
            array += b"<" + f"{value:0{width}x}".encode() + b">"
        else:
            array += (b" " if array[-1:].isdigit() or array.endswith(b".") else b"") + value
    if array:
        items.append(b"[" + array + b"] TJ")
    return items


def _utf16_hex(text: str) -> bytes:
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


def _wrap_words(tokens: list[Token], to_unicode: dict[int, str], width: int) -> list[bytes] | None:
    """The run with every word that holds a mark in an /ActualText span, or None if there is none."""
    glyphs = [i for i, (kind, _) in enumerate(tokens) if kind == "glyph"]
    if not any(_is_mark(to_unicode.get(tokens[i][1], "")) for i in glyphs):
        return None
    if not all(tokens[i][1] in to_unicode for i in glyphs):
        return None  # a glyph we cannot spell: leave the run as it is
    words: list[list[int]] = [[]]
    for i in glyphs:
        if to_unicode[tokens[i][1]].isspace():
            words.append([])
        else:
            words[-1].append(i)
    items: list[bytes] = []
    done = 0
    for word in words:
        if not word or not any(_is_mark(to_unicode[tokens[i][1]]) for i in word):
            continue
        first, last = word[0], word[-1]
        text = "".join(to_unicode[tokens[i][1]] for i in word)
        items += _emit(tokens[done:first], width)
        items.append(b"/Span <</ActualText " + _utf16_hex(text) + b">> BDC")
        items += _emit(tokens[first : last + 1], width)
        items.append(b"EMC")
        done = last + 1
    return items + _emit(tokens[done:], width)


def _rewrite(items: list[Any], fonts: dict[str, Any]) -> list[Any] | None:
    """The content stream with marked words wrapped, or None if nothing changed."""
    out: list[Any] = []
    font: Any = None
    changed = False
    run: list[Token] = []
    run_items: list[Any] = []

    def close_run() -> None:
        nonlocal changed
        wrapped = None
        if run and font is not None:
            width = 2 if getattr(font, "bitmap", False) else 4
            wrapped = _wrap_words(run, getattr(font, "to_unicode", {}), width)
        if wrapped is None:
            out.extend(run_items)
        else:
            out.extend(wrapped)
            changed = True
        run.clear()
        run_items.clear()

    width = 4
    for item in items:
        if isinstance(item, bytes):
            if font is not None:
                width = 2 if getattr(font, "bitmap", False) else 4
            tokens = _tokens(item, width)
            if tokens is not None:
                run.extend(tokens)
                run_items.append(item)
                continue
            if _RISE.match(item):
                run.append(("op", item))
                run_items.append(item)
                continue
        close_run()
        out.append(item)
        if isinstance(item, bytes) and (match := _FONT.match(item)):
            font = fonts.get(match[1].decode())
    close_run()
    return out if changed else None


def mark_words_with_marks(document: Any, pdf: Any) -> None:
    """WeasyPrint finisher: give every word that holds a combining mark an /ActualText span."""
    fonts = {font.hash: font for font in document.fonts.values()}
    # Most pages hold no mark at all: look for the marks' glyph ids in a stream's bytes before
    # reading it operator by operator (a false match only costs that reading).
    needles = {
        f"{glyph:0{2 if getattr(font, 'bitmap', False) else 4}x}".encode()
        for font in fonts.values()
        for glyph, text in getattr(font, "to_unicode", {}).items()
        if _is_mark(text)
    }
    if not needles:
        return
    for obj in pdf.objects:
        items = getattr(obj, "stream", None)
        if not isinstance(items, list):
            continue
        data = b"\n".join(x for x in items if isinstance(x, bytes))
        if b" TJ" in data and any(needle in data for needle in needles):
            rewritten = _rewrite(items, fonts)
            if rewritten is not None:
                obj.stream = rewritten
