"""Print quality and accessibility, measured from the PDFs themselves."""

from __future__ import annotations

import io
import math
import re
import shutil
from collections import Counter
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from conftest import (
    FIXTURES,
    ROOT,
    built_once,
    flat,
    page_texts,
    pdf_text,
    pdfium_text,
    pdftotext,
    pypdf_text,
    run,
    short_pages,
)
from pypdf import PdfReader

PACIFIC = FIXTURES / "orgs/pacific-coast.yaml"
LONG_TEXT = FIXTURES / "print/long-text.yaml"
OUR_FAMILIES = ("Packet-Sans", "Packet-Syllabics")


@pytest.fixture(scope="module")
def editions(fixture_org_builds) -> dict[str, Path]:
    """Built once for the session with the other fixture organizations (conftest.py)."""
    out = fixture_org_builds
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


def test_a_font_from_the_machine_stops_the_build():
    """WeasyPrint only logs when it takes a glyph from an installed font; we refuse the PDF."""
    from packets.render.pdf import ForeignFont, Renderer

    templates = ROOT / "templates"
    renderer = Renderer(templates, (templates,))
    page = '<html lang="en"><head><title>t</title></head><body><p{}>Sḵwx̱wú7mesh ᓀᐦᐃᔭᐤ</p></body></html>'
    assert renderer.render(page.format(""), templates).pages == 1
    with pytest.raises(ForeignFont, match="is not a bundled font"):
        renderer.render(page.format(' style="font-family: monospace"'), templates)


def test_syllabics_use_the_companion_font(editions):
    names = [f["name"] for f in _fonts(editions["syllabics"])]
    assert any("Packet-Syllabics" in n for n in names)


@pytest.mark.parametrize("key", ["guide", "handout", "large", "large-guide"])
def test_tagged_pdf_with_language_title_and_structure(editions, key):
    root = PdfReader(str(editions[key])).trailer["/Root"]
    assert root["/Lang"] == "en-CA"  # Canadian English (a French edition is fr-CA)
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    title = PdfReader(str(editions[key])).metadata.title
    assert title.startswith("Participant handout" if "guide" not in key else "Facilitator guide")
    assert ("(large print)" in title) == key.startswith("large"), title


def _alt_texts(path: Path) -> list[str]:
    reader = PdfReader(str(path))
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
    return alts


def test_logo_has_alt_text_in_the_structure_tree(editions):
    assert _alt_texts(editions["handout"]) == ["Salish Sea Community Health Cooperative logo"]


def test_logo_alt_text_defaults_to_the_organization_name(tmp_path):
    shutil.copytree(PACIFIC.parent / "logos", tmp_path / "logos")
    org = tmp_path / "no-alt.yaml"
    text = PACIFIC.read_text(encoding="utf-8")
    org.write_text(re.sub(r"(?m)^logo_alt:.*\n", "", text), encoding="utf-8")
    result = run("build", str(org), "--audience", "participant", "--out", str(tmp_path / "out"), "-j1")
    assert result.exit_code == 0, result.output
    alts = _alt_texts(tmp_path / "out/no-alt/no-alt-participant-handout.pdf")
    assert alts == ["Salish Sea Community Health Cooperative"]


def _structure(path: Path) -> list[str]:
    """The structure tree's element types (H1, P, Figure …) in document order."""
    from pypdf.generic import ArrayObject, DictionaryObject

    found: list[str] = []

    def walk(node, depth=0):
        node = node.get_object()
        if not isinstance(node, DictionaryObject) or depth > 80:
            return
        if "/S" in node:
            found.append(str(node["/S"]).lstrip("/"))
        kids = node.get("/K")
        for kid in kids if isinstance(kids, ArrayObject) else [kids] if kids is not None else []:
            if hasattr(kid, "get_object"):
                walk(kid, depth + 1)

    walk(PdfReader(str(path)).trailer["/Root"]["/StructTreeRoot"])
    return found


@pytest.mark.parametrize("key", ["guide", "handout", "large"])
def test_tagged_headings_start_at_h1_and_skip_no_level(editions, key):
    """What a screen reader navigates by: the PDF's own structure tree, not the HTML."""
    levels = [int(tag[1]) for tag in _structure(editions[key]) if re.fullmatch(r"H[1-6]", tag)]
    assert len(levels) > 10 and levels[0] == 1
    for before, after in zip(levels, levels[1:], strict=False):
        assert after <= before + 1, f"H{before} followed by H{after}"


def test_links_are_described_by_their_text(editions):
    """PDF/UA: a link's /Contents is what a screen reader says; WeasyPrint puts the target id there."""
    module_titles = set()
    described = []
    for page in PdfReader(str(editions["guide"])).pages:
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") == "/Link":
                contents = str(annotation.get("/Contents", ""))
                assert contents and contents != str(annotation.get("/Dest")), contents
                described.append(contents)
    for text in page_texts(editions["guide"])[1:3]:
        module_titles.update(t.strip() for t in re.findall(r"^\d\. [^\n.]+", text, re.MULTILINE))
    assert described and "How to use this guide" in described
    assert module_titles and module_titles <= set(described), module_titles - set(described)


def _text_runs(path: Path) -> list[tuple[float, str]]:
    """(effective size in points, text) of each text run (text matrix times CTM), read with pypdf."""
    runs: list[tuple[float, str]] = []

    def visit(text, cm, tm, font_dict, font_size):
        scale_y = math.hypot(tm[1] * cm[0] + tm[3] * cm[2], tm[1] * cm[1] + tm[3] * cm[3])
        if text.strip():
            runs.append((round(font_size * scale_y, 1), text.strip()))

    for page in PdfReader(str(path)).pages:
        page.extract_text(visitor_text=visit)
    return runs


def _font_sizes(path: Path) -> Counter:
    """Characters (not counting spaces) per effective font size in points."""
    sizes: Counter = Counter()
    for size, text in _text_runs(path):
        sizes[size] += len("".join(text.split()))
    return sizes


@pytest.mark.parametrize("key,minimum", [("handout", 12), ("guide", 12), ("large", 16), ("large-guide", 16)])
def test_body_text_is_large_enough(editions, key, minimum):
    sizes = _font_sizes(editions[key])
    body = sizes.most_common(1)[0][0]
    assert body >= minimum, f"body text is {body} pt"
    # Only labels, table headings, running heads and page numbers may be smaller, and never tiny:
    # no sentence is set small (a provenance note, a reference's description, the cover's credit).
    assert min(sizes) >= (9 if minimum == 12 else 13), sorted(sizes)
    small = {text for size, text in _text_runs(editions[key]) if size < minimum}
    assert small, "expected some labels below body size"
    long = sorted(text for text in small if len(text.split()) > 6 and not text.startswith("Page "))
    # The running head: the organization, and the document or the module (issue 29), on the page's first lines.
    running_heads = {line for text in page_texts(editions[key])[1:] for line in text.strip().splitlines()[:3]}
    heads = [text for text in long if text in running_heads or re.fullmatch(r"Module \d+: .*", text)]
    assert [text for text in long if text not in heads] == [], long


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


@pytest.mark.parametrize("reader", [pypdf_text, pdfium_text, pdftotext], ids=["pypdf", "pdfium", "poppler"])
def test_syllabics_copy_paste_exactly(editions, reader):
    reading = reader(editions["syllabics"])
    assert "ᓀᐦᐃᔭᐤ" in reading and "Denesųłiné" in reading


def test_pypdf_reads_the_names_in_order(editions):
    """pypdf ignores /ActualText; with its break before a raised mark undone, the letters are in order."""
    for name in NAMES:
        assert name in pdf_text(editions["handout"])


def _text_colours(path: Path) -> Counter:
    """How many printed characters each fill colour draws (PDFium's reading of the text runs)."""
    import ctypes

    import pypdfium2.raw as raw

    counts: Counter = Counter()
    channels = [ctypes.c_uint() for _ in range(4)]
    for page in pdfium.PdfDocument(str(path)):
        textpage = page.get_textpage()
        for i in range(textpage.count_chars()):
            if not chr(raw.FPDFText_GetUnicode(textpage, i)).isspace():
                assert raw.FPDFText_GetFillColor(textpage, i, *channels)
                counts["#{:02x}{:02x}{:02x}".format(*(c.value for c in channels[:3]))] += 1
    return counts


@pytest.mark.parametrize("key", ["guide", "handout", "large"])
def test_text_colours_have_high_contrast(editions, key):
    """Text at least 7:1 on the page and on the note panels; the organization's accent at least 4.5:1."""
    from packets.load.colour import weakest_contrast

    accent = "#" + re.search(r"accent_colour:\s*\"#([0-9a-fA-F]{6})\"", PACIFIC.read_text(encoding="utf-8"))[1].lower()
    colours = _text_colours(editions[key])
    assert accent in colours, "the accent colour is not used for any text: the test would not test it"
    for colour, count in colours.items():
        needed = 4.5 if colour == accent else 7
        assert weakest_contrast(colour) >= needed, f"{count} characters in {colour}"


def _words(path: Path) -> list[list[tuple[str, str]]]:
    """Each page's words in reading order, each with the name of the font its letters are in."""
    import ctypes

    import pypdfium2.raw as raw

    name, flags = ctypes.create_string_buffer(256), ctypes.c_int()
    pages = []
    for page in pdfium.PdfDocument(str(path)):
        textpage = page.get_textpage()
        words: list[tuple[str, str]] = []
        word, fonts = "", set()
        for i in range(textpage.count_chars()):
            ch = chr(raw.FPDFText_GetUnicode(textpage, i))
            if ch.isspace():
                if word:
                    words.append((word, " ".join(sorted(fonts))))
                word, fonts = "", set()
                continue
            raw.FPDFText_GetFontInfo(textpage, i, name, 256, flags)
            word += ch
            fonts.add(name.value.decode())
        if word:
            words.append((word, " ".join(sorted(fonts))))
        pages.append(words)
    return pages


def _longest_run(pages: list[list[tuple[str, str]]], keep) -> list[str]:
    longest: list[str] = []
    for words in pages:
        run: list[str] = []
        for word, font in words + [("", "")]:
            if word and keep(word, font):
                run.append(word)
            else:
                longest = max(longest, run, key=len)
                run = []
    return longest


@pytest.mark.parametrize("key", ["guide", "handout", "large"])
def test_italics_and_capitals_stay_within_a_phrase(editions, key):
    pages = _words(editions[key])
    if key == "large":  # Clear Print: no italics at all in large print, emphasis is by weight (issue 29)
        assert not any("Italic" in font for words in pages for _, font in words)
        return
    assert any("Italic" in font for words in pages for _, font in words), "no italics at all: nothing was tested"
    italic = _longest_run(pages, lambda _, font: "Italic" in font)
    assert len(italic) <= 20 and sum(w[-1] in ".!?" for w in italic[:-1]) == 0, " ".join(italic)

    def capitals(word: str, _font: str) -> bool:
        letters = "".join(ch for ch in word if ch.isalpha())
        return len(letters) >= 2 and letters.isupper()

    assert len(_longest_run(pages, capitals)) <= 3


@pytest.mark.parametrize("key,minimum", [("guide", 12), ("handout", 12), ("large", 16)])
def test_body_lines_are_spaced_at_least_1_4(editions, key, minimum):
    """Baseline to baseline within body paragraphs, measured on the page."""
    import ctypes

    import pypdfium2.raw as raw

    body_pt = _font_sizes(editions[key]).most_common(1)[0][0]
    assert body_pt >= minimum
    x, y = ctypes.c_double(), ctypes.c_double()
    ratios: list[tuple[float, float]] = []
    for page in pdfium.PdfDocument(str(editions[key])):
        textpage = page.get_textpage()
        lines: dict[float, Counter] = {}
        for i in range(textpage.count_chars()):
            if chr(raw.FPDFText_GetUnicode(textpage, i)).isspace():
                continue
            raw.FPDFText_GetCharOrigin(textpage, i, x, y)
            # PDFium's size is in text space units; the dominant one on a line identifies body lines.
            lines.setdefault(round(y.value, 1), Counter())[round(raw.FPDFText_GetFontSize(textpage, i), 1)] += 1
        baselines = sorted(((b, c.most_common(1)[0][0]) for b, c in lines.items()), reverse=True)
        ratios += [
            (size_a, (a - b) / body_pt)
            for (a, size_a), (b, size_b) in zip(baselines, baselines[1:], strict=False)
            if size_a == size_b
        ]
    body = Counter(size for size, _ in ratios).most_common(1)[0][0]
    close = [r for size, r in ratios if size == body and r < 2.2]  # lines of one paragraph or list
    assert len(close) > 50
    assert min(close) >= 1.4 - 0.01, sorted(close)[:5]


@pytest.mark.parametrize("key,pitch_mm", [("handout", 9), ("large", 11)])
def test_writing_lines_are_spaced_for_handwriting(editions, key, pitch_mm):
    import pypdfium2.raw as raw

    best: list[float] = []
    for page in pdfium.PdfDocument(str(editions[key])):
        rules: dict[tuple[int, int], list[float]] = {}
        for obj in page.get_objects(max_depth=5):
            if obj.type == raw.FPDF_PAGEOBJ_PATH:
                left, bottom, right, _top = obj.get_bounds()
                if right - left > 150:
                    rules.setdefault((round(left), round(right)), []).append(bottom)
        for bottoms in rules.values():
            if len(bottoms) > len(best):
                best = sorted(bottoms)
    assert len(best) >= 10, "no page of writing lines found"
    pitches = [b - a for a, b in zip(best, best[1:], strict=False)]
    assert min(pitches) >= pitch_mm * 72 / 25.4, pitches
    # Within a block the lines are evenly spaced; a larger step is the gap before the next block.
    assert all(p - min(pitches) < 0.5 or p > 1.5 * min(pitches) for p in pitches), pitches


def test_no_stylesheet_justifies_text_or_sets_tight_body_lines():
    for sheet in (ROOT / "templates/css").glob("*.css"):
        css = sheet.read_text(encoding="utf-8")
        # Justified text (the slides centre their content with flexbox's justify-content, which is not text).
        assert not re.search(r"text-align(-last)?\s*:\s*justify|text-justify", css), sheet.name
    assert re.search(r"html\s*{[^}]*line-height:\s*1\.(4|5)", (ROOT / "templates/css/type.css").read_text("utf-8"))


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


def _ink_outside_the_type_area(path: Path) -> list[str]:
    """Blank pages, and ink where nothing may print: the outer 10 mm of each side (the
    margins are 18 and 25 mm) and the top and bottom 8 mm (above the running head, below
    the page number)."""
    found = []
    for number, page in enumerate(pdfium.PdfDocument(str(path)), start=1):
        width_pt, _ = page.get_size()
        image = page.render(scale=0.5, grayscale=True).to_pil()
        w, h = image.size
        per_mm = w / (width_pt / 72 * 25.4)
        side, edge = round(10 * per_mm), round(8 * per_mm)
        if image.point(lambda v: 255 if v < 200 else 0).getbbox() is None:
            found.append(f"page {number} is blank")
        bands = {
            "left margin": (0, 0, side, h),
            "right margin": (w - side, 0, w, h),
            "top margin": (0, 0, w, edge),
            "bottom margin": (0, h - edge, w, h),
        }
        for where, box in bands.items():
            if image.crop(box).getextrema()[0] <= 200:
                found.append(f"page {number}: ink in the {where}")
    return found


@pytest.mark.parametrize("key", ["guide", "handout", "large"])
def test_no_blank_pages_and_no_ink_in_the_outer_margins(editions, key):
    assert _ink_outside_the_type_area(editions[key]) == []


@pytest.fixture(scope="session")
def long_text(tmp_path_factory, worker_id) -> dict[str, Path]:
    with built_once(tmp_path_factory, worker_id, "long-text-out") as (out, build):
        if build:
            result = run("build", str(LONG_TEXT), "--large-print", "--out", str(out), "--jobs", "2")
            assert result.exit_code == 0, result.output
            assert "warning" not in result.output, result.output
    return {p.stem.removeprefix("long-text-"): p for p in (out / "long-text").glob("*.pdf")}


def test_long_names_and_addresses_stay_inside_the_page(long_text):
    """Unbroken e-mail and web addresses, very long names, and unbroken words in the cover's
    place and facilitator lines break rather than run off the page; a long organization
    name shortens in the running head instead of wrapping into the top margin (large print
    sets the head bigger, so it shortens more)."""
    assert len(long_text) == 4
    for name, path in long_text.items():
        assert _ink_outside_the_type_area(path) == [], name
    reading = flat(pdfium_text(long_text["participant-handout-large-print"]))
    assert "Ts’msyen Sm’algyax Language and Health…" in reading
    assert "averyverylongdomainname.example.org" in reading
    cover = flat(pdfium.PdfDocument(str(long_text["participant-handout"]))[0].get_textpage().get_text_range())
    assert "ExtremelyLongStreetName" in cover and "Wiiseeksbaxaxhlxwsgiiluuxwhlgadaaxw" in cover


def test_a_long_cover_is_laid_out_tighter_to_fit_one_page(long_text, editions):
    for name, path in [*long_text.items(), *editions.items()]:
        second = pdfium.PdfDocument(str(path))[1].get_textpage().get_text_range()
        assert re.search(r"Page 2 of \d+", second), f"the cover of the {name} runs onto page 2"


def test_a_cover_that_cannot_fit_one_page_is_reported(tmp_path):
    text = LONG_TEXT.read_text(encoding="utf-8")
    many = "".join(f"    - {{name: Facilitator Number {n}, role: Community health educator}}\n" for n in range(14))
    org = tmp_path / "crowded.yaml"
    org.write_text(text.replace("  facilitators:\n", "  facilitators:\n" + many), encoding="utf-8")
    result = run("build", str(org), "--audience", "participant", "--out", str(tmp_path / "out"), "--jobs", "1")
    assert result.exit_code == 0, result.output
    line = text.splitlines().index("workshop:") + 1
    assert f"crowded.yaml:{line}: warning: the cover of crowded-participant-handout.pdf runs over 2 pages" in flat(
        result.output
    )


@pytest.mark.parametrize("key", ["guide", "large-guide"])
def test_the_agenda_total_is_printed_once_with_the_last_segment(editions, key):
    """A total repeated at the foot of each page of a long agenda reads as its end; and the
    last page of the agenda must not hold the total alone."""
    pages = page_texts(editions[key])
    agenda = [i for i, text in enumerate(pages) if re.search(r"Minutes\s+Segment", text)]
    totals = [i for i, text in enumerate(pages) if re.search(r"Total: \d", text)]
    assert totals == agenda[-1:], (agenda, totals)
    last = flat(pages[totals[0]])
    assert re.search(r"\d\d:\d\d \d+ Closing", last), last
    # The agenda runs over two pages only when it cannot fit one (issue 29: never split when it fits).


@pytest.mark.parametrize("key", ["guide", "large-guide"])
def test_the_acknowledgement_source_is_never_alone_on_a_page(editions, key):
    """The box saying who reviewed the acknowledgement travels with the statement's last words."""
    pages = page_texts(editions[key])
    [page] = [text for text in pages if "Where this acknowledgement comes from" in text]
    assert flat("with the Nations' health departments.") in flat(page)


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


def test_headings_are_in_order_without_skipped_levels(fixture_org_builds):
    pages = sorted(fixture_org_builds.rglob("*.html"))
    assert len(pages) == len(list(fixture_org_builds.rglob("*.pdf")))
    for html in pages:
        levels = [int(m) for m in re.findall(r"<h([1-6])\b", html.read_text(encoding="utf-8"))]
        assert levels and levels[0] == 1, html.name
        for before, after in zip(levels, levels[1:], strict=False):
            assert after <= before + 1, f"{html.name}: h{before} followed by h{after}"


@pytest.mark.parametrize("key", ["guide", "handout", "large", "large-guide", "syllabics"])
def test_no_page_continues_a_section_with_less_than_a_third_of_a_page(editions, key):
    """A section's last lines alone on a page (a facilitator list, one name, one reference)
    look like a printing mistake; covers, a section's first page and writing pages may be short."""
    assert short_pages(editions[key]) == []


def _leader_pdf(renderer, monkeypatch, joined: bool) -> bytes:
    """A contents list like the guide's (dot leaders to page numbers), rendered by the renderer."""
    import packets.render.pdf as pdf_module

    if not joined:
        monkeypatch.setattr(pdf_module, "join_leader_dots", lambda document: 0)
    entries = ["How to use this guide", "Land, colonization and local relationships and what they ask of us", "Ends"]
    items = "".join(f'<li><a href="#s{i}">{title}</a></li>' for i, title in enumerate(entries))
    sections = "".join(f'<section class="major" id="s{i}"><h2>{t}</h2></section>' for i, t in enumerate(entries))
    html = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title></head><body>'
        f'<nav class="contents" id="contents"><ol class="toc">{items}</ol></nav>{sections}</body></html>'
    )
    pdf = renderer.render(html, ROOT / "templates").pdf
    monkeypatch.undo()
    return pdf


def test_contents_leaders_are_drawn_in_runs_with_every_dot_where_it_was(monkeypatch):
    """The dots of a leader are joined into runs (render/leaders.py): the same characters
    come out of the page at the same places, from far fewer text objects."""
    from packets.render.pdf import Renderer

    templates = ROOT / "templates"
    renderer = Renderer(templates, (templates,))
    pages = {}
    for joined in (False, True):
        pdf = pdfium.PdfDocument(_leader_pdf(renderer, monkeypatch, joined))
        text = pdf[0].get_textpage()
        chars = [(text.get_text_range(i, 1), text.get_charbox(i)) for i in range(text.count_chars())]
        shown = sum(1 for obj in pdf[0].get_objects() if obj.type == pdfium.raw.FPDF_PAGEOBJ_TEXT)
        pages[joined] = ([c for c in chars if c[0].strip()], shown)
    (before, shown_before), (after, shown_after) = pages[False], pages[True]
    dots = [box for char, box in before if char == "."]
    assert len(dots) > 100 and [c for c, _ in before] == [c for c, _ in after]
    for (_, a), (_, b) in zip(before, after, strict=True):
        assert max(abs(x - y) for x, y in zip(a, b, strict=True)) < 0.15  # points
    assert shown_after < shown_before / 4


def test_pydyf_is_set_up_to_write_the_same_pdf_in_less_time(monkeypatch):
    """render/writer.py: page references kept per page count give the bytes pydyf's own
    property gives, and streams are compressed at zlib's default level (6), not at 9."""
    import zlib

    import pikepdf
    import pydyf

    from packets.render.pdf import Renderer

    templates = ROOT / "templates"
    renderer = Renderer(templates, (templates,))
    sections = "".join(f'<section class="major" id="s{i}"><h2>Part {i}</h2><p>Words.</p></section>' for i in range(6))
    html = f'<!DOCTYPE html><html lang="en"><head><title>t</title></head><body>{sections}</body></html>'
    kept = renderer.render(html, templates)
    assert kept.pages == 6

    def pydyf_own(pdf):
        return tuple(f"{number} 0 R".encode("ascii") for number in pdf.pages["Kids"][::3])

    with monkeypatch.context() as patch:
        patch.setattr(pydyf.PDF, "page_references", property(pydyf_own))
        assert renderer.render(html, templates).pdf == kept.pdf

    document = pikepdf.open(io.BytesIO(kept.pdf))
    contents = document.pages[0].obj["/Contents"]
    raw, stored = contents.read_bytes(), contents.read_raw_bytes()
    level6 = zlib.compressobj(6)
    level9 = zlib.compressobj(9)
    assert stored == level6.compress(raw) + level6.flush()
    assert stored != level9.compress(raw) + level9.flush()
