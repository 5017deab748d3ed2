"""What an SVG logo may contain, decided on the parsed drawing before WeasyPrint ever sees it.

An SVG is a program for drawing, and a small one can be very expensive: each level of nested
`<use>` copies everything below it (a 2 KB file can ask for millions of shapes), a marker is
drawn again at every point of its path, and a number such as `NaN`, `inf` or `scale(1e308)`
ends up as `nan` in the PDF, which viewers draw as a blank page. So the drawing is parsed
the way WeasyPrint parses it (Python's expat, from the same bytes) and measured with every
reference copied out: shapes, depth, coordinates drawn, and the scale everything is drawn at.
Text is refused: WeasyPrint would set it in whatever font the SVG names, which is not one of
the bundled fonts (the packet would change from machine to machine, or fail to build).
"""

from __future__ import annotations

import math
import re
from xml.etree import ElementTree

MAX_ELEMENTS = 10_000  # shapes and groups, with every <use> and reference copied out
MAX_DEPTH = 40  # levels of nesting, likewise
MAX_COORDINATES = 1_000_000  # numbers drawn, likewise
MAX_NUMBER = 1e6  # any one number, in any unit
MAX_SCALE = 1e6  # the product of the transforms and viewBox scalings an element is drawn at

_TEXT_ELEMENTS = {"text", "tspan", "textPath", "tref", "altGlyph", "font", "font-face", "glyph"}
# Attributes holding names or references rather than numbers.
_NAME_ATTRIBUTES = {
    "id",
    "class",
    "href",
    "font-family",
    "lang",
    "space",
    "preserveAspectRatio",
    "version",
    "baseProfile",
}
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_NOT_A_NUMBER = re.compile(r"(?<![A-Za-z_-])[-+]?(?:nan|inf(?:inity)?)(?![A-Za-z_-])", re.IGNORECASE)
_HASHED = re.compile(r"#[\w.:-]*")  # colours (#1e9999) and references (#id1e9), which are not numbers
_REFERENCE = re.compile(r"url\(\s*['\"]?#([^)'\"\s]+)")
_TRANSFORM = re.compile(r"(matrix|translate|scale|rotate|skewX|skewY)\s*\(([^)]*)\)")
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")


class SvgRefused(Exception):
    """Why the SVG is refused, in words for the person who made the logo."""


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def decode(data: bytes) -> str:
    """The SVG's text, or SvgRefused: UTF-8 only, so what is checked is what is drawn.

    A file in UTF-16 without a byte-order mark is valid UTF-8 (a NUL after every letter) to a
    naive check, while the XML parser reads it as UTF-16: the check would see nonsense and
    pass it. Any declared encoding other than UTF-8, and any NUL byte, is refused.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")):
        raise SvgRefused("is saved as UTF-16 or UTF-32")
    if b"\x00" in data:
        raise SvgRefused("holds NUL bytes (is it saved as UTF-16?)")
    declared = _ENCODING.match(data.removeprefix(b"\xef\xbb\xbf"))
    if declared and declared[1].decode("ascii", "replace").lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise SvgRefused(f"declares the encoding '{declared[1].decode('ascii', 'replace')[:40]}'")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise SvgRefused("is not valid UTF-8") from None


def _numbers(name: str, value: str) -> list[float]:
    if _local(name) in _NAME_ATTRIBUTES:
        return []
    text = _HASHED.sub(" ", value)
    if _NOT_A_NUMBER.search(text):
        raise SvgRefused(f"has '{value.strip()[:40]}' in {_local(name)}: not a number")
    found = [float(m) for m in _NUMBER.findall(text)]
    for number in found:
        if not math.isfinite(number) or abs(number) > MAX_NUMBER:
            raise SvgRefused(f"has the number {number:g} in {_local(name)} (the limit is {MAX_NUMBER:g})")
    return found


def _transform_scale(value: str) -> float:
    """How much a `transform` list can enlarge what it draws (the largest matrix entry)."""
    scale = 1.0
    for kind, args in _TRANSFORM.findall(value):
        numbers = [float(n) for n in _NUMBER.findall(args)]
        if kind == "matrix" and len(numbers) >= 4:
            factor = max(abs(n) for n in numbers[:4])
        elif kind == "scale" and numbers:
            factor = max(abs(n) for n in numbers[:2])
        elif kind in ("skewX", "skewY") and numbers:
            factor = 1 + abs(math.tan(math.radians(numbers[0])))
        else:
            factor = 1.0
        scale *= max(factor, 1.0)
    return scale


def _viewbox_scale(node: ElementTree.Element) -> float:
    box = node.get("viewBox")
    if box is None:
        return 1.0
    numbers = [float(n) for n in _NUMBER.findall(box)]
    if len(numbers) != 4 or numbers[2] <= 0 or numbers[3] <= 0:
        raise SvgRefused(f"has a viewBox of '{box[:40]}' (it needs a width and height above 0)")
    sizes = [float(n[0]) for n in (_NUMBER.findall(node.get(k) or "1000") for k in ("width", "height")) if n]
    return max([1.0, *(s / min(numbers[2:]) for s in sizes)])


def check_svg(data: bytes) -> None:
    """Raise SvgRefused if the drawing is not one we will render; return quietly if it is."""
    decode(data)
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise SvgRefused(f"is not well-formed XML ({exc})") from None
    except RecursionError:
        raise SvgRefused(f"nests elements more than {MAX_DEPTH} levels deep") from None
    if _local(root.tag) != "svg":
        raise SvgRefused("does not start with an <svg> element")
    for size in ("width", "height"):
        value = root.get(size)
        if value is not None:
            numbers = _numbers(size, value)
            if numbers and numbers[0] <= 0:
                raise SvgRefused(f"has a {size} of '{value[:40]}' (it must be above 0)")

    ids: dict[str, ElementTree.Element] = {}
    own: dict[int, tuple[int, float, list[str], bool]] = {}  # coordinates, scale, references, is a marker user

    def survey(node: ElementTree.Element, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise SvgRefused(f"nests elements more than {MAX_DEPTH} levels deep")
        tag = _local(node.tag)
        if tag in _TEXT_ELEMENTS:
            raise SvgRefused(f"has text in it (<{tag}>)")
        coordinates, references, marks = 0, [], False
        for name, value in node.attrib.items():
            coordinates += len(_numbers(name, value))
            references += _REFERENCE.findall(value)
            if _local(name) == "href" and value.strip().startswith("#"):
                references.append(value.strip()[1:])
            marks = marks or _local(name).startswith("marker") or "marker" in value
        if tag == "style" and node.text:
            _numbers("style", node.text)
        scale = _transform_scale(node.get("transform", "")) * (_viewbox_scale(node) if tag in ("svg", "symbol") else 1)
        if node.get("id"):
            ids.setdefault(node.get("id", ""), node)
        own[id(node)] = (coordinates, scale, references, marks)
        for child in node:
            survey(child, depth + 1)

    try:
        survey(root, 1)
        _expand(root, own, ids)
    except RecursionError:
        raise SvgRefused(f"nests elements more than {MAX_DEPTH} levels deep once its <use> copies are made") from None


def _expand(
    root: ElementTree.Element,
    own: dict[int, tuple[int, float, list[str], bool]],
    ids: dict[str, ElementTree.Element],
) -> None:
    memo: dict[int, tuple[int, int, int, float]] = {}
    visiting: set[int] = set()

    def expanded(node: ElementTree.Element) -> tuple[int, int, int, float]:
        """Elements, depth, coordinates and largest scale of `node` with its references copied out."""
        key = id(node)
        if key in memo:
            return memo[key]
        if key in visiting:
            raise SvgRefused("refers to itself (a <use> or url(#...) loop)")
        visiting.add(key)
        coordinates, scale, references, marks = own[key]
        elements, depth, drawn, largest = 1, 0, coordinates, 1.0
        parts = list(node)
        for ref in references:
            if ref not in ids:
                continue
            target = ids[ref]
            e, d, c, s = expanded(target)
            repeat = max(1, coordinates // 2) if marks and _local(target.tag) == "marker" else 1
            elements, depth, drawn, largest = elements + e * repeat, max(depth, d), drawn + c * repeat, max(largest, s)
        for child in parts:
            e, d, c, s = expanded(child)
            elements, depth, drawn, largest = elements + e, max(depth, d), drawn + c, max(largest, s)
        visiting.discard(key)
        result = (elements, depth + 1, drawn, scale * largest)
        if elements > MAX_ELEMENTS:
            raise SvgRefused(f"draws over {MAX_ELEMENTS:,} shapes once its <use> copies are made")
        if depth + 1 > MAX_DEPTH:
            raise SvgRefused(f"nests elements more than {MAX_DEPTH} levels deep once its <use> copies are made")
        if drawn > MAX_COORDINATES:
            raise SvgRefused(f"draws over {MAX_COORDINATES:,} coordinates once its copies are made")
        if scale * largest > MAX_SCALE:
            raise SvgRefused(f"enlarges shapes over {MAX_SCALE:g} times (its transforms or viewBox)")
        memo[key] = result
        return result

    expanded(root)
