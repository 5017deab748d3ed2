"""Reading each PDF back before it replaces the old one: valid output or none.

WeasyPrint writes whatever numbers the layout produced. A logo with `NaN` or `scale(1e308)`
once put `nan` and `inf` into the page's drawing instructions; PDF has no such numbers, so
Poppler and PDFium drew a blank cover, and the build said it had succeeded. `check_pdf`
opens the finished file with pypdf (the page tree, every page's content stream and every
form and pattern it draws), and reads each content stream as PDF syntax: only numbers
without exponents, strings, names, arrays and dictionaries, and the operators of the PDF
specification. Anything else (`nan`, `inf`, `1e+300`, a stray byte) refuses the document.
The scan is a handful of regular-expression passes per stream, so it costs little next to
rendering (about 0.1 s for a 40-page guide).
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
_HEX = re.compile(rb"<[0-9A-Fa-f\s]*>")
_NAME = re.compile(rb"/[^\s/\[\]()<>{}%]*")
_NUMBER = re.compile(rb"(?<![\w.])[+-]?(?:\d+\.?\d*|\.\d+)(?![\w.])")
_WORD = re.compile(rb"[A-Za-z'\"*][A-Za-z0-9'\"*]*")
_DELIMITERS = re.compile(rb"<<|>>|[\[\]\s]")


class BrokenPdf(Exception):
    """The PDF WeasyPrint wrote is not one we will let anyone print."""


def _check_stream(data: bytes, where: str) -> None:
    text = _COMMENT.sub(b" ", data)
    for _ in range(32):
        stripped = _LITERAL.sub(b" ", text)
        if stripped == text:
            break
        text = stripped
    text = _NAME.sub(b" ", _HEX.sub(b" ", text))
    for number in _NUMBER.findall(text):
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


def _resource_streams(resources: object, seen: set[int]) -> list[tuple[object, str]]:
    """Forms (an SVG logo is drawn as one) and tiling patterns: they hold drawing instructions too."""
    found = []
    if not hasattr(resources, "get"):
        return found
    for kind in ("/XObject", "/Pattern"):
        group = resources.get(kind)
        group = group.get_object() if group is not None else None
        if not hasattr(group, "items"):
            continue
        for name, ref in group.items():
            key = getattr(ref, "idnum", id(ref))
            if key in seen:
                continue
            seen.add(key)
            obj = ref.get_object()
            if obj.get("/Subtype") == "/Form" or obj.get("/PatternType") == 1:
                found.append((obj, f"{kind[1:].lower()} {name}"))
                inner = obj.get("/Resources")
                found += _resource_streams(inner.get_object() if inner is not None else None, seen)
    return found


def check_pdf(pdf: bytes, pages: int) -> None:
    """Raise BrokenPdf unless `pdf` opens, has `pages` pages and every drawing in it parses."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(pdf), strict=True)
        if len(reader.pages) != pages:
            raise BrokenPdf(f"it has {len(reader.pages)} pages, not the {pages} laid out")
        seen: set[int] = set()
        for number, page in enumerate(reader.pages, start=1):
            box = [float(v) for v in page.mediabox]
            if not all(abs(v) <= MAX_COORDINATE for v in box):
                raise BrokenPdf(f"page {number} has no real size")
            contents = page.get("/Contents")
            streams = contents.get_object() if contents is not None else []
            streams = streams if isinstance(streams, list) else [streams]
            for stream in streams:
                _check_stream(stream.get_object().get_data(), f"page {number}")
            resources = page.get("/Resources")
            for obj, what in _resource_streams(resources.get_object() if resources is not None else None, seen):
                _check_stream(obj.get_data(), f"the {what} on page {number}")
    except BrokenPdf:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise BrokenPdf(f"it cannot be read back ({type(exc).__name__}: {str(exc)[:100]})") from None
