"""Property-based fuzzing: whatever an organization file holds, the tool answers cleanly.

Every input gives either success or a clean exit-2 report; never a traceback, never exit 1.
The curriculum is read once for the whole module (it is not what is being fuzzed), so
each `check` costs milliseconds and hypothesis can try many inputs.
"""

from __future__ import annotations

import functools
import re
import tempfile
from pathlib import Path

import pytest
import yaml
from conftest import run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KEYS = [
    "name",
    "paper",
    "accent_colour",
    "logo",
    "logo_alt",
    "workshop",
    "land_acknowledgement",
    "nations",
    "format",
    "start",
    "date",
    "modules",
    "statement",
    "commitments",
    "territory",
    "local_resources",
    "facilitators",
    "x",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.sampled_from(
        ["letter", "a4", "short", "#1f5f8b", "#fff", "09:30", "2027-03-14", "2027-02-30", "NO", "9:30", "logo.png"]
    ),
)
structures = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.sampled_from(KEYS), children, max_size=5)
    ),
    max_leaves=20,
)
documents = st.dictionaries(st.sampled_from(KEYS), structures, max_size=6).map(
    lambda d: {"name": "Fuzz Clinic", **d} if d.get("name") is None else d
)

# Pieces of YAML syntax, so that random text is often almost-valid YAML: tags, anchors,
# aliases, merge keys, flow collections, escapes, directives, document markers.
TOKENS = [
    "name: ",
    "workshop:\n  ",
    "start: ",
    "nations:\n  - ",
    "- ",
    ": ",
    "\n",
    "  ",
    "\t",
    "[",
    "]",
    "{",
    "}",
    ", ",
    '"',
    "'",
    "|\n  ",
    ">-\n  ",
    "#",
    "!!int ",
    "!!float ",
    "!!bool ",
    "!!str ",
    "!!seq ",
    "!!map ",
    "!!null ",
    "!!binary ",
    "!!timestamp ",
    "!!python/object:os.system ",
    "!local ",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "<<: ",
    "? ",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "%TAG ! tag:yaml.org,2002:\n",
    '"\\ud83c"',
    '"\\ud83c\\udf3f"',
    '"\\x00"',
    '"\\u202e"',
    '"\\U0010ffff"',
    "9:30",
    "1:2:3",
    "01234",
    "0x1F",
    "0o17",
    "1e3",
    "1_000",
    ".inf",
    "9" * 120,
    "yes",
    "~",
    "2027-02-30",
    "Clinic",
    "xʷməθkʷəy̓əm",
    "\u202e",
    "\ufeff",
    "\x85",
]
yamlish = st.lists(st.sampled_from(TOKENS), max_size=30).map("".join)


@pytest.fixture(scope="module", autouse=True)
def curriculum_once():
    import packets.load.curriculum

    original = packets.load.curriculum.load_curriculum
    packets.load.curriculum.load_curriculum = functools.lru_cache(maxsize=None)(original)
    yield
    packets.load.curriculum.load_curriculum = original


def _check(text: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.yaml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
        result = run("check", str(path))
    assert "Traceback" not in result.output, result.output
    assert result.exit_code in (0, 2), result.output
    problems = [row for row in result.output.splitlines() if "fuzz.yaml" in row]
    for row in problems:
        assert re.search(r"fuzz\.yaml:\d+: ", row), f"a problem without a line: {row}"
    if result.exit_code == 2:
        assert problems, result.output


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_arbitrary_yaml_structures_never_crash(document):
    _check(yaml.safe_dump(document, allow_unicode=True))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yamlish)
def test_almost_yaml_never_crashes(text):
    _check(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes(text):
    _check(text.encode("utf-8", errors="surrogatepass"))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_crash(data):
    _check(data)


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(
    name=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30),
    nation=st.text(min_size=1, max_size=20),
)
def test_arbitrary_names_build_or_fail_cleanly(name, nation):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzzbuild.yaml"
        path.write_text(
            yaml.safe_dump({"name": name, "land_acknowledgement": {"nations": [{"name": nation}]}}, allow_unicode=True),
            encoding="utf-8",
        )
        out = Path(tmp) / "out"
        result = run("build", str(path), "--out", str(out), "-j1", "--audience", "participant")
        assert "Traceback" not in result.output
        assert result.exit_code in (0, 2), result.output
        pdfs = list(out.rglob("*.pdf")) if out.exists() else []
        assert len(pdfs) == (1 if result.exit_code == 0 else 0), result.output


# ------------------------------------------------------------------ logos: SVG and PNG

SVG_NUMBERS = st.one_of(
    st.integers(-2000, 2000).map(str),
    st.floats(allow_nan=True, allow_infinity=True, width=64).map(repr),
    st.sampled_from(["NaN", "nan", "inf", "-Infinity", "1e308", "1e-308", "0", "-0", "1e6", "100%", "2em", ".5", "1e"]),
)


GENTLE_NUMBERS = st.one_of(st.integers(1, 400).map(str), st.sampled_from(["0.5", "12.25", "100%"]))


@st.composite
def svg_documents(draw, numbers=SVG_NUMBERS, encodings=("utf-8", "utf-8", "utf-8", "utf-16-le", "utf-16")) -> bytes:
    """Small SVGs built from the parts that once hung or broke builds: nested <use>, markers,
    transforms with extreme numbers, viewBoxes, text, references and loops."""
    ids = [f"e{i}" for i in range(4)]

    def number() -> str:
        return draw(numbers)

    def element(depth: int) -> str:
        kinds = ["rect", "circle", "path", "g", "use", "marker", "symbol", "svg"]
        kind = draw(st.sampled_from([*kinds, "text"] if numbers is SVG_NUMBERS else kinds))
        attrs = []
        if draw(st.booleans()):
            attrs.append(f'id="{draw(st.sampled_from(ids))}"')
        if kind == "rect":
            attrs += [f'width="{number()}"', f'height="{number()}"', f'x="{number()}"']
        elif kind == "circle":
            attrs += [f'r="{number()}"', f'cx="{number()}"']
        elif kind == "path":
            attrs.append(f'd="M {number()} {number()} L {number()} {number()} Z"')
            if draw(st.booleans()):
                attrs.append(f'marker-mid="url(#{draw(st.sampled_from(ids))})"')
        elif kind == "use":
            attrs.append(f'href="#{draw(st.sampled_from(ids))}"')
        elif kind in ("svg", "symbol"):
            attrs.append(f'viewBox="0 0 {number()} {number()}"')
        if draw(st.booleans()):
            transform = draw(st.sampled_from(["scale", "translate", "rotate", "skewX", "matrix"]))
            args = " ".join(number() for _ in range(6 if transform == "matrix" else 1))
            attrs.append(f'transform="{transform}({args})"')
        children = ""
        if kind in ("g", "marker", "symbol", "svg") and depth < 4:
            children = "".join(element(depth + 1) for _ in range(draw(st.integers(0, 3))))
        if kind == "text":
            children = "Clinic"
        return f"<{kind} {' '.join(attrs)}>{children}</{kind}>"

    body = "".join(element(0) for _ in range(draw(st.integers(1, 4))))
    root = f'<svg xmlns="http://www.w3.org/2000/svg" width="{number()}" height="{number()}">{body}</svg>'
    encoding = draw(st.sampled_from(encodings))
    return root.encode(encoding)


def _png(width: int, height: int) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 140)).save(buffer, "PNG")
    return buffer.getvalue()


@st.composite
def png_files(draw, actions=("flip", "cut", "resize", "as-is")) -> bytes:
    """A real small PNG with bytes flipped, cut, or its declared size changed."""
    import struct
    import zlib

    data = bytearray(_png(draw(st.integers(1, 40)), draw(st.integers(1, 40))))
    action = draw(st.sampled_from(actions))
    if action == "flip":
        for _ in range(draw(st.integers(1, 4))):
            data[draw(st.integers(8, len(data) - 1))] = draw(st.integers(0, 255))
    elif action == "cut":
        data = data[: draw(st.integers(8, len(data) - 1))]
    elif action == "resize":
        width, height = draw(st.integers(1, 70_000)), draw(st.integers(1, 70_000))
        ihdr = b"IHDR" + struct.pack(">II", width, height) + bytes(data[24:29])
        data[16:29] = ihdr[4:]
        data[29:33] = struct.pack(">I", zlib.crc32(ihdr) & 0xFFFFFFFF)
    return bytes(data)


def _check_logo(name: str, data: bytes) -> list:
    from packets.load.assets import check_logo

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / name).write_bytes(data)
        return check_logo(name, Path(tmp), "fuzz.yaml", 2)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(svg_documents())
def test_any_svg_logo_is_judged_without_crashing(data):
    problems = _check_logo("logo.svg", data)
    assert all(p.line == 2 and p.message.startswith("logo 'logo.svg' ") for p in problems)
    if b"\x00" in data or b"<text" in data or b"nan" in data.lower() or b"inf" in data.lower():
        assert problems


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(png_files())
def test_any_png_logo_is_judged_without_crashing(data):
    problems = _check_logo("logo.png", data)
    assert all(p.line == 2 and p.message.startswith("logo 'logo.png' ") for p in problems)


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        svg_documents(GENTLE_NUMBERS, ("utf-8",)).map(lambda d: ("logo.svg", d)),
        png_files(("as-is", "flip")).map(lambda d: ("logo.png", d)),
    )
)
def test_a_logo_check_passes_is_a_logo_build_draws(logo):
    """The property, for logos: whatever `check` accepts, `build` draws into a PDF that reads back whole.

    The drawings here are mostly plausible (modest numbers, UTF-8), so most pass `check` and are built.
    """
    from pypdf import PdfReader

    from packets.render.pdf_check import check_pdf

    name, data = logo
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / name).write_bytes(data)
        path = Path(tmp) / "fuzzlogo.yaml"
        path.write_text(f"name: Fuzz Logo Clinic\nworkshop: {{format: short}}\nlogo: {name}\n", encoding="utf-8")
        checked = run("check", str(path))
        assert checked.exit_code in (0, 2) and "Traceback" not in checked.output, checked.output
        if checked.exit_code:
            return
        out = Path(tmp) / "out"
        built = run("build", str(path), "--out", str(out), "-j1", "--audience", "participant")
        assert built.exit_code == 0, built.output
        pdf = out / "fuzzlogo" / "fuzzlogo-participant-handout.pdf"
        check_pdf(pdf.read_bytes(), len(PdfReader(str(pdf)).pages))
