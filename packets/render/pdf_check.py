"""Reading each PDF back before it replaces the old one: valid output or none.

WeasyPrint writes whatever numbers the layout produced. A logo with `NaN` or `scale(1e308)`
once put `nan` and `inf` into the page's drawing instructions; PDF has no such numbers, so
Poppler and PDFium drew a blank cover, and the build said it had succeeded. `check_pdf`
opens the finished file with pikepdf (the page tree, every page's content stream and every
form and pattern it draws), and reads each content stream as PDF syntax: only numbers
without exponents, strings, names, arrays and dictionaries, and the operators of the PDF
specification. Anything else (`nan`, `inf`, `1e+300`, a stray byte) refuses the document.
A stream is first matched whole against one pattern of the tokens a sound stream is made
of (numbers of at most nine digits before the point): what matches is sound, with no
more work. Only a stream that does not match goes through the passes that say what is
wrong (and decide about the long numbers, which may still be on the page). The one match
takes a third of the time of the passes, 0.06 s for a 60-page guide on a slow machine.
"""

from __future__ import annotations

import io
import re

MAX_COORDINATE = 1e9  # far beyond any page (a letter page is 612 x 792); larger means a runaway transform

# PDF 1.7, Annex A: every content-stream operator, and the three keywords operands may be.
OPERATORS = frozenset(
    b"b B b* B* BDC BI BMC BT BX c cm CS cs d d0 d1 Do DP EI EMC ET EX f F f* G g gs h i ID j J K k "
    b"l m M MP n q Q re RG rg ri s S SC sc SCN scn sh T* Tc Td TD Tf Tj TJ TL Tm Tr Ts Tw Tz v w W "
    b"W* y ' \" true false null".split()
)

_COMMENT = re.compile(rb"%[^\r\n]*")
_LITERAL = re.compile(rb"\((?:[^()\\]|\\.)*\)", re.DOTALL)  # innermost first; nested strings peel off in passes
# Read left to right, as a PDF reader does: `<<` and `>>` are a dictionary's brackets, so the
# empty dictionary `<<>>` is not taken for an empty string `<>` between two stray brackets.
_HEX = re.compile(rb"<<|>>|<[0-9A-Fa-f\s]*>")
_NAME = re.compile(rb"/[^\s/\[\]()<>{}%]*")
_NUMBER = re.compile(rb"(?<![\w.])[+-]?(?:\d+\.?\d*|\.\d+)(?![\w.])")
_LONG_NUMBER = re.compile(rb"(?<![\w.])[+-]?\d{10,}\.?\d*(?![\w.])")
_WORD = re.compile(rb"[A-Za-z'\"*][A-Za-z0-9'\"*]*")
_DELIMITERS = re.compile(rb"<<|>>|[\[\]\s]")
_OPERATOR = b"|".join(re.escape(op) for op in sorted(OPERATORS, key=len, reverse=True))
# Whitespace, numbers, names and operators first: they are most of a stream. Atomic and
# possessive, so the match never backtracks into a token it has taken.
_SOUND = re.compile(
    rb"(?>\s+|[+-]?(?:\d{1,9}(?:\.\d*)?|\.\d+)(?![\w.+-])|/[^\s/\[\]()<>{}%]*"
    rb"|(?=[A-Za-z'\"*])(?:" + _OPERATOR + rb")(?![\w.+\-'\"*])"
    rb"|<<|>>|[\[\]]|<[0-9A-Fa-f\s]*>|\((?:[^()\\]|\\.)*\)|%[^\r\n]*)*+",
    re.DOTALL,
)


class BrokenPdf(Exception):
    """The PDF WeasyPrint wrote is not one we will let anyone print."""


def _check_stream(data: bytes, where: str) -> None:
    if not _SOUND.fullmatch(data):
        _explain(data, where)


def _explain(data: bytes, where: str) -> None:
    """Raise BrokenPdf saying what in `data` is not PDF, if anything is (a long number may still be on the page)."""
    text = _COMMENT.sub(b" ", data)
    for _ in range(32):
        stripped = _LITERAL.sub(b" ", text)
        if stripped == text:
            break
        text = stripped
    text = _NAME.sub(b" ", _HEX.sub(b" ", text))
    # Only a number with ten or more digits before its point can pass MAX_COORDINATE.
    for number in _LONG_NUMBER.findall(text):
        if abs(float(number)) > MAX_COORDINATE:
            raise BrokenPdf(f"{where} draws at {number[:30].decode('ascii', 'replace')}, off any page")
    text = _NUMBER.sub(b" ", text)
    unknown = set(_WORD.findall(text)) - OPERATORS
    if unknown:
        shown = ", ".join(sorted(w.decode("latin-1")[:20] for w in unknown)[:5])
        raise BrokenPdf(f"{where} holds what is not PDF ({shown})")
    rest = _DELIMITERS.sub(b"", _WORD.sub(b"", text))
    if rest:
        raise BrokenPdf(f"{where} does not parse (unexpected {rest[:20]!r})")


def _resource_streams(resources: object, seen: set[tuple[int, int]]) -> list[tuple[object, str]]:
    """Forms (an SVG logo is drawn as one) and tiling patterns: they hold drawing instructions too."""
    import pikepdf

    found: list[tuple[object, str]] = []
    if not isinstance(resources, pikepdf.Dictionary):
        return found
    for kind in ("/XObject", "/Pattern"):
        group = resources.get(kind)
        if not isinstance(group, pikepdf.Dictionary):
            continue
        for name, obj in group.items():
            if not isinstance(obj, pikepdf.Stream):
                continue
            key = obj.objgen
            if key in seen:
                continue
            seen.add(key)
            if obj.get("/Subtype") == "/Form" or obj.get("/PatternType") == 1:
                found.append((obj, f"{kind[1:].lower()} {name}"))
                found += _resource_streams(obj.get("/Resources"), seen)
    return found


def check_pdf(pdf: bytes, pages: int) -> None:
    """Raise BrokenPdf unless `pdf` opens, has `pages` pages and every drawing in it parses.

    The file is opened with pikepdf (qpdf), without its repair of damaged files: a file that
    needs repairing, or that qpdf warns about while it is read, is broken. qpdf reads a
    guide's objects in a few milliseconds, where a pure-Python reader took most of a second.
    """
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(pdf), attempt_recovery=False) as document:
            if len(document.pages) != pages:
                raise BrokenPdf(f"it has {len(document.pages)} pages, not the {pages} laid out")
            seen: set[tuple[int, int]] = set()
            for number, page in enumerate(document.pages, start=1):
                box = [float(v) for v in page.mediabox]
                if len(box) != 4 or not all(abs(v) <= MAX_COORDINATE for v in box):
                    raise BrokenPdf(f"page {number} has no real size")
                contents = page.obj.get("/Contents")
                streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
                for stream in streams:
                    if isinstance(stream, pikepdf.Stream):
                        _check_stream(stream.read_bytes(), f"page {number}")
                    elif stream is not None:
                        raise BrokenPdf(f"page {number} has contents that are not a drawing")
                for obj, what in _resource_streams(page.obj.get("/Resources"), seen):
                    _check_stream(obj.read_bytes(), f"the {what} on page {number}")
            warnings = document.get_warnings()
            if warnings:
                raise BrokenPdf(f"it cannot be read back cleanly ({str(warnings[0])[:100]})")
    except BrokenPdf:
        raise
    except (pikepdf.PdfError, pikepdf.DataDecodingError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BrokenPdf(f"it cannot be read back ({type(exc).__name__}: {str(exc)[:100]})") from None
