"""pydyf, which writes WeasyPrint's PDFs, set up once per process to spend less time.

Two costs that show in a profile of the guide and that nobody reading a packet can see:

- **Compression.** pydyf compresses every content stream and embedded font at zlib level 9.
  On the example's guide that is a tenth of a second, four times what the default level 6
  takes, for a file 3% smaller (198 KB against 205 KB, measured on its own streams).
- **Page references.** The tagging asks `PDF.page_references` for each of its 4,200
  structure elements, and pydyf builds the tuple of every page's reference afresh each
  time: quadratic in pages. It is now built once per page count.

The same setting holds in every process, so the same inputs still give the same bytes.
"""

from __future__ import annotations

import zlib
from typing import Any

import pydyf

LEVEL = 6


class _Deflate:
    """What pydyf sees as `zlib`: the real module, except that a compressor asked for at
    any level works at LEVEL."""

    def __getattr__(self, name: str) -> Any:
        return getattr(zlib, name)

    @staticmethod
    def compressobj(level: int = LEVEL, *args: Any, **kwargs: Any) -> Any:
        return zlib.compressobj(LEVEL, *args, **kwargs)


def _page_references(pdf: Any) -> tuple[bytes, ...]:
    """pydyf's own expression, kept with the number of page entries it was built from (pages
    are only ever added, so a new count is the only way for it to change)."""
    kids = pdf.pages["Kids"]
    kept = pdf.__dict__.get("_page_references_kept")
    if kept is None or kept[0] != len(kids):
        kept = (len(kids), tuple(f"{number} 0 R".encode("ascii") for number in kids[::3]))
        pdf.__dict__["_page_references_kept"] = kept
    return kept[1]


def _same_as_pydyf(own: Any) -> bool:
    """Whether our kept references are what this pydyf's property gives, on a PDF of three
    pages: a pydyf that builds them another way keeps its own."""
    try:
        pdf = pydyf.PDF()
        for _ in range(3):
            pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
        return own.fget(pdf) == _page_references(pdf)
    except Exception:  # an API that is not the one we know
        return False


def set_up_pydyf() -> None:
    """Point pydyf at the default level and the kept page references (doing it twice changes nothing)."""
    if getattr(pydyf, "zlib", None) is zlib:
        pydyf.zlib = _Deflate()
    own = getattr(pydyf.PDF, "page_references", None)
    if isinstance(own, property) and own.fget is not _page_references and _same_as_pydyf(own):
        pydyf.PDF.page_references = property(_page_references)
