"""Every character that will print must exist in the fonts we ship.

A missing glyph would print as a box in the middle of a Nation's name: that is a failure
of respect, so it is an input error caught before rendering, with the exact character.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..cache import cache_folder, digest_files, read_entry, write_entry
from ..errors import Problem
from .sources import LineDict, LineList, YamlDocument

FONT_DIR = Path(__file__).resolve().parent.parent.parent / "templates" / "fonts"

# Characters that never need a glyph of their own: line breaks and layout controls.
_NO_GLYPH_NEEDED = {"\n", "\t", "\r", "\u00ad", "\u200c", "\u200d"}


def font_files(font_dir: Path = FONT_DIR) -> list[Path]:
    return sorted(font_dir.glob("*.ttf")) + sorted(font_dir.glob("*.otf"))


@lru_cache(maxsize=4)
def fonts_digest(font_dir: Path = FONT_DIR) -> str:
    """A hash of the bundled fonts, read once per process (the glyph cache and kept.py key on it)."""
    h = hashlib.sha256()
    digest_files(h, font_dir, font_files(font_dir))
    return h.hexdigest()


@lru_cache(maxsize=4)
def covered(font_dir: Path = FONT_DIR) -> frozenset[int]:
    """Every character the bundled fonts have a glyph for.

    Reading the fonts' character maps is a third of what `check` takes, and the answer only
    changes with the fonts: it is kept in the cache (cache.py) under a hash of them. What is
    read back must be signed with this user's key (no one else's entry is taken) and name
    the digest of the very font files read now (one made for other fonts is not taken either).
    """
    digest = fonts_digest(font_dir)
    folder = cache_folder("glyphs")
    kept = folder / f"{digest}.json" if folder is not None else None
    if kept is not None:
        with contextlib.suppress(ValueError, TypeError):
            entry = json.loads(read_entry(kept, 2_000_000) or b"null")
            points = entry.get("points") if isinstance(entry, dict) and entry.get("fonts") == digest else None
            if isinstance(points, list) and points and all(type(p) is int and 0 <= p <= 0x10FFFF for p in points):
                return frozenset(points)
    from fontTools.ttLib import TTFont  # only when the cache has no answer: 30 ms of every command's start

    found: set[int] = set()
    for path in font_files(font_dir):
        with TTFont(path, lazy=True) as font:
            found.update(font.getBestCmap() or {})
    if kept is not None:
        with contextlib.suppress(OSError):
            write_entry(kept, json.dumps({"fonts": digest, "points": sorted(found)}).encode())
    return frozenset(found)


def _strings(node: Any, line: int, where: tuple[str, ...] = ()) -> Iterator[tuple[str, int, tuple[str, ...]]]:
    if isinstance(node, LineDict):
        for key, value in node.items():
            yield from _strings(value, node.key_lines.get(key, line), (*where, str(key)))
    elif isinstance(node, LineList):
        for value, item_line in zip(node, node.item_lines, strict=True):
            yield from _strings(value, item_line, where)
    elif isinstance(node, str):
        yield node, line, where


def missing(text: str, font_dir: Path = FONT_DIR) -> list[str]:
    have = covered(font_dir)
    return [ch for ch in dict.fromkeys(text) if ch not in _NO_GLYPH_NEEDED and ord(ch) not in have]


CSS_DIR = FONT_DIR.parent / "css"
_TEXT_TRANSFORM = re.compile(r"text-transform\s*:\s*(uppercase|capitalize|full-width)", re.IGNORECASE)


@lru_cache(maxsize=4)
def css_transforms(css_dir: Path = CSS_DIR) -> frozenset[str]:
    """The text-transform values our stylesheets use (other than `none`): what they do to a
    value must print too."""
    found: set[str] = set()
    for path in sorted(css_dir.glob("*.css")):
        found.update(m.lower() for m in _TEXT_TRANSFORM.findall(path.read_text(encoding="utf-8")))
    return frozenset(found)


# Values printed with their first letter made a capital. None today: the territory prints
# exactly as written; a template that capitalizes a value must list it here.
CAPITAL_FIRST: set[tuple[str, ...]] = set()


def case_forms(text: str, transforms: frozenset[str], capital_first: bool = False) -> str:
    """The characters `text` may print as after case mapping: with a capital first letter
    where the plan capitalizes it, and in capitals or with capital initials if a stylesheet
    transforms text so. `µ` becomes Greek `Μ` as a capital, which the fonts lack: without
    this, `check` would pass what `build` cannot set."""
    forms = text[:1].upper() if capital_first else ""
    if "uppercase" in transforms:
        forms += text.upper()
    if "capitalize" in transforms:
        forms += text.title()
    return forms


def check_document(doc: YamlDocument, font_dir: Path = FONT_DIR) -> list[Problem]:
    problems = []
    transforms = css_transforms()
    for text, line, where in _strings(doc.data, getattr(doc.data, "line", 1)):
        absent = missing(text, font_dir)
        for ch in absent:
            name = unicodedata.name(ch, "unnamed character").lower()
            problems.append(
                Problem(
                    doc.shown_path,
                    line,
                    f"'{ch}' (U+{ord(ch):04X}, {name}) is not covered by the bundled fonts",
                    "use another character, or add a font that has it to templates/fonts/",
                )
            )
        if absent:
            continue
        capitals = case_forms(text, transforms, where in CAPITAL_FIRST)
        for ch in dict.fromkeys(text):
            capital = ch.upper()
            lacking = [c for c in capital if c in capitals and c in missing(capital, font_dir)]
            if not lacking:
                continue
            name = unicodedata.name(lacking[0], "unnamed character").lower()
            problems.append(
                Problem(
                    doc.shown_path,
                    line,
                    f"'{ch}' (U+{ord(ch):04X}) becomes '{capital}' (U+{ord(lacking[0]):04X}, {name}) as a capital, "
                    "which the bundled fonts do not cover",
                    "use another character, e.g. 'micro' for µ",
                )
            )
    return problems
