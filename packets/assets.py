"""Logos: the one file an organisation can point us at, so it is checked before anything renders.

A logo must be a real image of an allowed kind, small, inside the organisation's own
folder, and (for SVG) self-contained: an SVG can reference other files or URLs, and we
print nothing we did not check.
"""

from __future__ import annotations

import re
from pathlib import Path

from .errors import Problem

MAX_LOGO_BYTES = 2_000_000

_MAGIC = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
}

# A backslash is a CSS escape in <style> (`u\72l(`, `@\69mport`) that spells a reference
# the other patterns cannot see; exported logos never contain one.
_SVG_REFERENCE = re.compile(
    r"""(?:href\s*=\s*["']\s*(?!#)[^"'\s]|url\(\s*["']?\s*(?!#)[^)\s]|@import|<!ENTITY|<!DOCTYPE[^>]*\[|<script|<foreignObject|\\)""",
    re.IGNORECASE,
)

# XML character references (`@&#105;mport`, `&#117;rl(`) are decoded before CSS sees the text.
_CHARACTER_REFERENCE = re.compile(r"&#([xX][0-9a-fA-F]{1,8}|[0-9]{1,10});")


def _character(match: re.Match[str]) -> str:
    ref = match[1]
    code = int(ref[1:], 16) if ref[0] in "xX" else int(ref)
    return chr(code) if code <= 0x10FFFF else "\\"


def resolve_inside(folder: Path, relative: str) -> Path | None:
    """The real path of `relative` under `folder`, or None if it leads (via .. or links) outside."""
    if (
        not relative
        or "\x00" in relative
        or relative.startswith(("/", "\\"))
        or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", relative)
    ):
        return None
    base = folder.resolve()
    target = (base / relative).resolve()
    if target == base or base not in target.parents:
        return None
    return target


def check_logo(logo: str, folder: Path, shown: str, line: int) -> list[Problem]:
    target = resolve_inside(folder, logo)
    if target is None:
        return [
            Problem(
                shown,
                line,
                f"logo '{logo}' is outside the organisation folder",
                f"put the image in {folder.name}/ (or a subfolder) and give its relative path",
            )
        ]
    if not target.is_file():
        return [Problem(shown, line, f"logo file '{logo}' does not exist", f"the path is relative to {folder.name}/")]
    size = target.stat().st_size
    if size > MAX_LOGO_BYTES:
        return [
            Problem(
                shown,
                line,
                f"logo '{logo}' is {size:,} bytes; the limit is {MAX_LOGO_BYTES:,}",
                "export a smaller image (about 600 px wide is plenty)",
            )
        ]
    data = target.read_bytes()
    suffix = target.suffix.lower()
    if suffix in _MAGIC:
        if not data.startswith(_MAGIC[suffix]):
            return [
                Problem(
                    shown,
                    line,
                    f"logo '{logo}' is not a real {suffix[1:].upper()} image",
                    "export the logo again from an image editor",
                )
            ]
        return []
    if suffix == ".svg":
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return [Problem(shown, line, f"logo '{logo}' is not a readable SVG file", "save it as UTF-8 SVG")]
        if "<svg" not in text:
            return [Problem(shown, line, f"logo '{logo}' is not an SVG image", "export it again as SVG")]
        if _SVG_REFERENCE.search(_CHARACTER_REFERENCE.sub(_character, text)):
            return [
                Problem(
                    shown,
                    line,
                    f"logo '{logo}' refers to other files, links or scripts",
                    "export a self-contained SVG (embed or outline everything), or use PNG",
                )
            ]
        return []
    return [Problem(shown, line, f"logo '{logo}' must be PNG, JPEG or SVG")]
