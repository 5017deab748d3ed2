"""The font of the fillable handout's fields: Andika with the syllabics of Noto Sans Canadian
Aboriginal, in one file.

A form field names a single font for what is typed in it (its /DA), so a participant
writing ᓀᐦᐃᔭᐤ in a field set in Andika alone would see empty boxes. This merges the two
bundled fonts (both SIL OFL 1.1) into templates/fonts/PacketFields-Regular.ttf, under a
name of its own as the licence asks of a modified font. Run it again only when a bundled
font changes: `python -m packets.render.field_font`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

FONTS = Path(__file__).resolve().parent.parent.parent / "templates" / "fonts"
FAMILY = "Packet Fields"
FILE = "PacketFields-Regular.ttf"
# Tables the merge cannot combine, or that only the original fonts' own tools read.
DROPPED = ["vhea", "vmtx", "DSIG", "hdmx", "LTSH", "VDMX", "kern", "Feat", "Glat", "Gloc", "Silf", "Sill", "Silt"]
HINTING = ("fpgm", "prep", "cvt ", "gasp")


def build(folder: Path = FONTS) -> Path:
    """Write the merged font into `folder` and return its path."""
    from fontTools.merge import Merger, Options
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.scaleUpem import scale_upem

    latin = TTFont(folder / "Andika-Regular.ttf")
    syllabics = TTFont(folder / "NotoSansCanadianAboriginal-Regular.ttf")
    scale_upem(syllabics, latin["head"].unitsPerEm)  # the merge needs one grid
    with tempfile.TemporaryDirectory() as scratch:
        parts = []
        for name, font in (("latin.ttf", latin), ("syllabics.ttf", syllabics)):
            # The two fonts' hinting programs cannot be joined; unhinted outlines print the same.
            for table in HINTING:
                if table in font:
                    del font[table]
            for glyph in font["glyf"].glyphs.values():
                glyph.expand(font["glyf"])
                if hasattr(glyph, "program"):
                    glyph.program.fromBytecode(b"")
            path = Path(scratch) / name
            font.save(path)
            parts.append(str(path))
        merged = Merger(options=Options(drop_tables=DROPPED)).merge(parts)
    names = merged["name"]
    for record in list(names.names):
        if record.nameID in (1, 4, 16, 21):
            record.string = FAMILY if record.nameID != 4 else f"{FAMILY} Regular"
        elif record.nameID in (3, 6, 20):
            record.string = FAMILY.replace(" ", "") + "-Regular"
    out = folder / FILE
    merged.save(out)
    return out


if __name__ == "__main__":
    sys.stdout.write(f"{build()}\n")
