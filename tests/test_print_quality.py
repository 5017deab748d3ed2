"""Print quality and accessibility, measured from the PDFs themselves."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from conftest import FIXTURES, flat, pdf_text, pdfium_text, pdftotext, run
from pypdf import PdfReader

PACIFIC = FIXTURES / "orgs/pacific-coast.yaml"
OUR_FAMILIES = ("Packet-Sans", "Packet-Syllabics")


@pytest.fixture(scope="module")
def editions(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("print-out")
    result = run(
        "build", str(PACIFIC), str(FIXTURES / "orgs/treaty-six.yaml"), "--large-print", "--out", str(out), "--jobs", "2"
    )
    assert result.exit_code == 0, result.output
    folder = out / "pacific-coast"
    return {
        "guide": folder / "pacific-coast-facilitator-guide.pdf",
        "handout": folder / "pacific-coast-participant-handout.pdf",
        "large": folder / "pacific-coast-participant-handout-large-print.pdf",
        "large-guide": folder / "pacific-coast-facilitator-guide-large-print.pdf",
        "syllabics": out / "treaty-six/treaty-six-participant-handout.pdf",
    }


def _fonts(path: Path) -> list[dict]:
    found = {}
    for page in PdfReader(str(path)).pages:
        fonts = page["/Resources"].get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            found[font["/BaseFont"]] = (
                target.get("/FontDescriptor", {}).get_object() if target.get("/FontDescriptor") else {}
            )
    return [{"name": str(k), "descriptor": v} for k, v in found.items()]


@pytest.mark.parametrize("key", ["guide", "handout", "syllabics"])
def test_only_our_fonts_are_embedded_and_subset(editions, key):
    fonts = _fonts(editions[key])
    assert fonts
    for font in fonts:
        tag, _, family = font["name"].lstrip("/").partition("+")
        assert len(tag) == 6 and tag.isupper(), f"{font['name']} is not a subset"
        assert family.startswith(OUR_FAMILIES), f"{font['name']} is not one of the bundled fonts"
        assert any(k in font["descriptor"] for k in ("/FontFile", "/FontFile2", "/FontFile3")), "not embedded"


def test_syllabics_use_the_companion_font(editions):
    names = [f["name"] for f in _fonts(editions["syllabics"])]
    assert any("Packet-Syllabics" in n for n in names)


@pytest.mark.parametrize("key", ["guide", "handout", "large"])
def test_tagged_pdf_with_language_title_and_structure(editions, key):
    root = PdfReader(str(editions[key])).trailer["/Root"]
    assert root["/Lang"] == "en"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])


def test_logo_has_alt_text_in_the_structure_tree(editions):
    data = editions["handout"].read_bytes()
    reader = PdfReader(str(editions["handout"]))
    alts = []

    def walk(node, depth=0):
        node = node.get_object()
        if "/Alt" in node:
            alts.append(str(node["/Alt"]))
        kids = node.get("/K")
        if kids is None or depth > 60:
            return
        for kid in kids if isinstance(kids, list) else [kids]:
            kid = kid.get_object() if hasattr(kid, "get_object") else kid
            if isinstance(kid, dict):
                walk(kid, depth + 1)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    assert "Salish Sea Community Health Cooperative logo" in alts, data[:0]


def _font_sizes(path: Path) -> Counter:
    """Characters per effective font size in points (text matrix times CTM), read with pypdf."""
    sizes: Counter = Counter()

    def visit(text, cm, tm, font_dict, font_size):
        scale_y = math.hypot(tm[1] * cm[0] + tm[3] * cm[2], tm[1] * cm[1] + tm[3] * cm[3])
        chars = len("".join(text.split()))
        if chars:
            sizes[round(font_size * scale_y, 1)] += chars

    for page in PdfReader(str(path)).pages:
        page.extract_text(visitor_text=visit)
    return sizes


@pytest.mark.parametrize("key,minimum", [("handout", 12), ("guide", 12), ("large", 16), ("large-guide", 16)])
def test_body_text_is_large_enough(editions, key, minimum):
    sizes = _font_sizes(editions[key])
    body = sizes.most_common(1)[0][0]
    assert body >= minimum, f"body text is {body} pt"
    # Only small print (labels, running heads, notes) may be smaller, and never tiny.
    assert min(sizes) >= (9 if minimum == 12 else 13), sorted(sizes)
    share_small = sum(n for s, n in sizes.items() if s < minimum) / sum(sizes.values())
    assert share_small < 0.2, f"{share_small:.0%} of the text is smaller than {minimum} pt"


def test_large_print_edition_is_written_next_to_the_normal_one(editions):
    assert editions["large"].parent == editions["handout"].parent
    assert len(PdfReader(str(editions["large"])).pages) > len(PdfReader(str(editions["handout"])).pages)


def test_same_inputs_give_byte_identical_pdfs(tmp_path):
    for name in ("one", "two"):
        result = run("build", str(PACIFIC), "--audience", "participant", "--out", str(tmp_path / name), "-j1")
        assert result.exit_code == 0, result.output
    a = (tmp_path / "one/pacific-coast/pacific-coast-participant-handout.pdf").read_bytes()
    b = (tmp_path / "two/pacific-coast/pacific-coast-participant-handout.pdf").read_bytes()
    assert a == b


def test_source_date_epoch_sets_the_creation_date(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    result = run("build", str(PACIFIC), "--audience", "participant", "--out", str(tmp_path), "-j1")
    assert result.exit_code == 0, result.output
    meta = PdfReader(str(tmp_path / "pacific-coast/pacific-coast-participant-handout.pdf")).metadata
    assert meta.creation_date.year == 2027


NAMES = ("xʷməθkʷəy̓əm", "Sḵwx̱wú7mesh", "səl̓ilw̓ətaʔɬ")


@pytest.mark.parametrize("key", ["guide", "handout", "large"])
@pytest.mark.parametrize("reader", [pdftotext, pdfium_text], ids=["poppler", "pdfium"])
def test_names_copy_paste_exactly_from_viewers(editions, key, reader):
    """What Evince/Okular (poppler) and Chrome (PDFium) copy: no rejoining, no tolerance."""
    reading = reader(editions[key])
    for name in NAMES:
        assert name in reading, f"{name} does not copy out of the {key}"
    assert "səl̓ilw̓ətaʔɬ Nations" in flat(reading)


@pytest.mark.parametrize("reader", [pdf_text, pdfium_text, pdftotext], ids=["pypdf", "pdfium", "poppler"])
def test_syllabics_copy_paste_exactly(editions, reader):
    reading = reader(editions["syllabics"])
    assert "ᓀᐦᐃᔭᐤ" in reading and "Denesųłiné" in reading


def test_pypdf_reads_the_names_in_order(editions):
    """pypdf ignores /ActualText; with its break before a raised mark undone, the letters are in order."""
    for name in NAMES:
        assert name in pdf_text(editions["handout"])


def test_uncovered_character_is_an_error_with_its_code_point(tmp_path):
    org = tmp_path / "glyph.yaml"
    org.write_text(
        'name: Glyph Test\nland_acknowledgement:\n  nations:\n    - name: "Test \U0001f600 Nation"\n', encoding="utf-8"
    )
    result = run("check", str(org))
    assert result.exit_code == 2
    assert "glyph.yaml:4: '\U0001f600' (U+1F600" in result.output
    assert "not covered by the bundled fonts" in result.output


def test_text_is_normalised_to_nfc_on_load(tmp_path):
    decomposed = "Sḵwx̱wú7mesh".replace("ú", "u\u0301")
    org = tmp_path / "nfd.yaml"
    org.write_text(f"name: NFD Test\nland_acknowledgement:\n  nations:\n    - name: {decomposed}\n", encoding="utf-8")
    result = run("build", str(org), "--audience", "participant", "--out", str(tmp_path / "out"), "-j1")
    assert result.exit_code == 0, result.output
    assert "Sḵwx̱wú7mesh" in pdf_text(tmp_path / "out/nfd/nfd-participant-handout.pdf")


# ---------------------------------------------------------------- looking at the pages


def _render(path: Path, scale: float = 0.5):
    pdf = pdfium.PdfDocument(str(path))
    for page in pdf:
        yield page.get_size(), page.render(scale=scale, grayscale=True).to_pil()


@pytest.mark.parametrize("key", ["guide", "handout", "large"])
def test_no_blank_pages_and_no_ink_in_the_outer_margins(editions, key):
    for number, (_size, image) in enumerate(_render(editions[key]), start=1):
        pixels = image.load()
        w, h = image.size
        ink = sum(1 for x in range(0, w, 2) for y in range(0, h, 2) if pixels[x, y] < 200)
        assert ink > 50, f"page {number} is blank"
        band = int(w * (10 / 215.9))  # 10 mm, inside the 18 mm outer margin
        for x in list(range(band)) + list(range(w - band, w)):
            column = [pixels[x, y] for y in range(h)]
            assert min(column) > 200, f"page {number}: ink at x={x} px, in the outer margin band"


def test_the_cover_has_the_logo(editions):
    pdf = pdfium.PdfDocument(str(editions["handout"]))
    image = pdf[0].render(scale=1).to_pil().convert("RGB")
    teal = sum(
        1
        for px in image.get_flattened_data()
        if abs(px[0] - 0x1D) < 20 and abs(px[1] - 0x5C) < 20 and abs(px[2] - 0x57) < 20
    )
    assert teal > 500, "the logo's colour is not on the cover"
    assert flat("Salish Sea") in flat(pdf_text(editions["handout"]))


def test_headings_are_in_order_without_skipped_levels(tmp_path):
    result = run("build", str(PACIFIC), "--html", "--out", str(tmp_path), "-j1")
    assert result.exit_code == 0, result.output
    import re

    for html in tmp_path.rglob("*.html"):
        levels = [int(m) for m in re.findall(r"<h([1-6])\b", html.read_text(encoding="utf-8"))]
        assert levels and levels[0] == 1, html.name
        for before, after in zip(levels, levels[1:], strict=False):
            assert after <= before + 1, f"{html.name}: h{before} followed by h{after}"
