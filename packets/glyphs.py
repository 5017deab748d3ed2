"""Every character that will print must exist in the fonts we ship.

A missing glyph would print as a box in the middle of a Nation's name: that is a failure
of respect, so it is an input error caught before rendering, with the exact character.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont

from .errors import Problem
from .sources import LineDict, LineList, YamlDocument

FONT_DIR = Path(__file__).resolve().parent.parent / "templates" / "fonts"

# Characters that never need a glyph of their own: line breaks and layout controls.
_NO_GLYPH_NEEDED = {"\n", "\t", "\r", "\u00ad", "\u200c", "\u200d"}


@lru_cache(maxsize=4)
def covered(font_dir: Path = FONT_DIR) -> frozenset[int]:
    points: set[int] = set()
    for path in sorted(font_dir.glob("*.ttf")) + sorted(font_dir.glob("*.otf")):
        with TTFont(path, lazy=True) as font:
            points.update(font.getBestCmap() or {})
    return frozenset(points)


def _strings(node: Any, line: int) -> Iterator[tuple[str, int]]:
    if isinstance(node, LineDict):
        for key, value in node.items():
            yield from _strings(value, node.key_lines.get(key, line))
    elif isinstance(node, LineList):
        for value, item_line in zip(node, node.item_lines, strict=True):
            yield from _strings(value, item_line)
    elif isinstance(node, str):
        yield node, line


def missing(text: str, font_dir: Path = FONT_DIR) -> list[str]:
    have = covered(font_dir)
    return [ch for ch in dict.fromkeys(text) if ch not in _NO_GLYPH_NEEDED and ord(ch) not in have]


def check_document(doc: YamlDocument, font_dir: Path = FONT_DIR) -> list[Problem]:
    problems = []
    for text, line in _strings(doc.data, getattr(doc.data, "line", 1)):
        for ch in missing(text, font_dir):
            name = unicodedata.name(ch, "unnamed character").lower()
            problems.append(
                Problem(
                    doc.shown_path,
                    line,
                    f"'{ch}' (U+{ord(ch):04X}, {name}) is not covered by the bundled fonts",
                    "use another character, or add a font that has it to templates/fonts/",
                )
            )
    return problems
