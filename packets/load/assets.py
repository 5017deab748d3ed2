"""Logos: the one file an organization can point us at, so it is checked before anything renders.

A logo must be a real image of an allowed kind, small, inside the organization's own
folder, and (for SVG) self-contained: an SVG can reference other files or URLs, and we
print nothing we did not check.
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

from ..errors import Problem, shown_text
from ..files import FileRefused, read_limited
from . import svg_check

MAX_LOGO_BYTES = 2_000_000
MAX_LOGO_PIXELS = 25_000_000

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


def _raster_problem(data: bytes, suffix: str) -> str | None:
    """Why a PNG or JPEG will not be drawn, or None: the pixel count is read from the header
    before anything is decoded (a 57-byte PNG can declare 13,000 x 13,000 pixels, about
    0.9 GB once decoded), then the image is decoded once to be sure it is whole."""
    from PIL import Image, ImageFile

    expected = {".png": ("PNG",), ".jpg": ("JPEG", "MPO"), ".jpeg": ("JPEG", "MPO")}[suffix]
    # WeasyPrint, once imported, lets Pillow fill a cut-off image with grey (a process-wide
    # switch): here a cut-off image must be an error, so the switch is off while we look.
    tolerant, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            Image.init()  # registers every plugin (MPO is the JPEG of some cameras)
            with Image.open(io.BytesIO(data), formats=list(expected)) as image:
                width, height = image.size
                if image.format not in expected:
                    return f"is not a real {suffix[1:].upper()} image"
                if width * height > MAX_LOGO_PIXELS:
                    return (
                        f"is {width:,} x {height:,} pixels ({width * height / 1e6:,.0f} megapixels); "
                        f"the limit is {MAX_LOGO_PIXELS / 1e6:.0f} megapixels"
                    )
                if width < 1 or height < 1:
                    return "has no pixels"
                image.load()
    except Image.DecompressionBombError:
        return f"has too many pixels; the limit is {MAX_LOGO_PIXELS / 1e6:.0f} megapixels"
    except Exception:  # Pillow reports damage as OSError, SyntaxError, struct.error, IndexError...
        return "is damaged or cut short: it cannot be read to the end"
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = tolerant
    return None


def check_logo(logo: str, folder: Path, shown: str, line: int) -> list[Problem]:
    """Every reason a logo will not be drawn as it is, found before rendering."""
    quoted = shown_text(logo[:120])
    target = resolve_inside(folder, logo)
    if target is None:
        return [
            Problem(
                shown,
                line,
                f"logo '{quoted}' is outside the organization folder",
                f"put the image in {folder.name}/ (or a subfolder) and give its relative path",
            )
        ]
    if not target.exists():
        return [Problem(shown, line, f"logo file '{quoted}' does not exist", f"the path is relative to {folder.name}/")]
    try:
        data = read_limited(target, MAX_LOGO_BYTES)
    except FileRefused as exc:
        return [
            Problem(
                shown,
                line,
                f"logo '{quoted}' cannot be used: {exc}",
                "export a smaller image (about 600 px wide is plenty)",
            )
        ]
    suffix = target.suffix.lower()
    if suffix in _MAGIC:
        if not data.startswith(_MAGIC[suffix]):
            return [
                Problem(
                    shown,
                    line,
                    f"logo '{quoted}' is not a real {suffix[1:].upper()} image",
                    "export the logo again from an image editor",
                )
            ]
        problem = _raster_problem(data, suffix)
        if problem:
            return [Problem(shown, line, f"logo '{quoted}' {problem}", "export the logo again, about 600 px wide")]
        return []
    if suffix == ".svg":
        try:
            text = svg_check.decode(data)
        except svg_check.SvgRefused as exc:
            return [Problem(shown, line, f"logo '{quoted}' {exc}", "save it as UTF-8 SVG")]
        if "<svg" not in text:
            return [Problem(shown, line, f"logo '{quoted}' is not an SVG image", "export it again as SVG")]
        if _SVG_REFERENCE.search(_CHARACTER_REFERENCE.sub(_character, text)):
            return [
                Problem(
                    shown,
                    line,
                    f"logo '{quoted}' refers to other files, links or scripts",
                    "export a self-contained SVG (embed or outline everything), or use PNG",
                )
            ]
        try:
            svg_check.check_svg(data)
        except svg_check.SvgRefused as exc:
            hint = (
                "convert the text to outlines in the image editor, or use PNG"
                if "text" in str(exc)
                else "export the logo again as a plain SVG, or as PNG"
            )
            return [Problem(shown, line, f"logo '{quoted}' {exc}", hint)]
        return []
    return [Problem(shown, line, f"logo '{quoted}' must be PNG, JPEG or SVG")]
