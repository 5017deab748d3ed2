"""How wide a text is set in the bundled fonts, measured on their own advances.

What goes on a page is decided in Python and must fit where CSS puts it: the slides cut
their text by the lines it takes, and the large-print running head gives the organization's
whole name when it fits beside "Large print". Both measure here, on the fonts the PDF embeds,
so a French word (longer) or a syllabic name counts as it will print. Kerning is not
measured: callers leave a little room.
"""

from __future__ import annotations

import functools
from pathlib import Path

FONTS = Path(__file__).resolve().parent.parent.parent / "templates" / "fonts"
SYLLABICS_SCALE = 1.12  # templates/css/slides.css .syllabics: syllabics look smaller than Andika at one size


@functools.lru_cache(maxsize=8)
def advances(font: str) -> tuple[dict[int, int], int]:
    """Each character's advance in a bundled font, in font units, and its units per em."""
    from fontTools.ttLib import TTFont

    with TTFont(str(FONTS / font), lazy=True) as ttf:
        metrics = ttf["hmtx"].metrics
        return {code: metrics[glyph][0] for code, glyph in ttf.getBestCmap().items()}, ttf["head"].unitsPerEm


def text_width_pt(text: str, size: float, bold: bool = False, syllabics_scale: float = SYLLABICS_SCALE) -> float:
    """How wide `text` is set at `size` points in Andika (bold or regular), its syllabics in
    their companion font; a combining mark takes no width, a character neither font has an
    average one."""
    latin, latin_em = advances("Andika-Bold.ttf" if bold else "Andika-Regular.ttf")
    syllabics, syllabics_em = advances(
        "NotoSansCanadianAboriginal-Bold.ttf" if bold else "NotoSansCanadianAboriginal-Regular.ttf"
    )
    width = 0.0
    for char in text:
        if ord(char) in latin:
            width += latin[ord(char)] / latin_em
        elif ord(char) in syllabics:
            width += syllabics[ord(char)] / syllabics_em * syllabics_scale
        elif not "\u0300" <= char <= "\u036f":
            width += 0.6
    return width * size


def fitted_name(name: str, room_pt: float, size: float) -> str:
    """`name` whole when it fits `room_pt` at `size`, else its longest run of whole words that
    fits with an ellipsis after it (never a word cut, never a comma or dash before the ellipsis)."""
    # A little room to spare: kerning is not measured.
    room = room_pt * 0.97
    if text_width_pt(name, size) <= room:
        return name
    words = name.split()
    for count in range(len(words) - 1, 0, -1):
        shown = " ".join(words[:count]).rstrip(",;:–—- ") + "…"
        if text_width_pt(shown, size) <= room:
            return shown
    return words[0] + "…"
