"""Print-shop craft (issue 29), measured in the PDFs of the example's whole kit (Letter and
A4) and of the fixture organizations: the measure, page flow, names, large print, booklets
and the fillable handout."""

from __future__ import annotations

import ctypes
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
import yaml
from conftest import (
    FIXTURES,
    PAPERS,
    ROOT,
    fixture_editions,
    flat,
    page_fill,
    page_texts,
    pdf_text,
    pdftotext,
    run,
    text_area_ink,
)

from packets.load.curriculum import Project, load_curriculum

FRENCH_WORDS = load_curriculum(Project(ROOT), "fr").interface
ORGS = ("pacific-coast", "treaty-six", "many-nations", "francophone")


def _fixture(builds: Path, org: str, kind: str) -> Path:
    """A fixture organization's document in its first edition (the French fixture's end in -fr)."""
    from packets.output import edition_suffix

    language = fixture_editions(FIXTURES / "orgs" / f"{org}.yaml")[0]
    return builds / org / f"{org}-{kind}{edition_suffix(language)}.pdf"


def _documents(whole_kit, builds, kinds) -> list[Path]:
    paths = [whole_kit[f"{paper}:{kind}"] for paper in PAPERS for kind in kinds]
    return paths + [_fixture(builds, org, kind) for org in ORGS for kind in kinds]


# ---------------------------------------------------------------- the measure


def _line_lengths(path: Path, size: float) -> list[int]:
    """Characters on each printed line set mostly at `size` points (PDFium gives sizes in
    CSS pixels for WeasyPrint's pages, which draw at 0.75 pt a pixel)."""
    lengths = []
    origin_x, origin_y = ctypes.c_double(), ctypes.c_double()
    for page in pdfium.PdfDocument(str(path)):
        text = page.get_textpage()
        rows: dict[int, list[tuple[float, str]]] = {}
        for i in range(text.count_chars()):
            char = text.get_text_range(i, 1)
            if char in "\r\n":
                continue
            points = pdfium_c.FPDFText_GetFontSize(text.raw, i) * 0.75
            pdfium_c.FPDFText_GetCharOrigin(text.raw, i, origin_x, origin_y)
            rows.setdefault(round(origin_y.value), []).append((points, char))
        for chars in rows.values():
            body = sum(1 for points, _ in chars if abs(points - size) < 0.3)
            if len(chars) > 3 and body >= 0.8 * len(chars):
                lengths.append(len("".join(char for _, char in chars).strip()))
    return lengths


@pytest.mark.parametrize("kind", ["facilitator-guide", "participant-handout"])
def test_lines_at_12_pt_are_60_to_75_characters(whole_kit, fixture_org_builds, kind):
    """The 90th percentile of line lengths at 12 pt is at most 75 characters (the text column
    is about 140 mm wide), and the column is not so narrow that lines fall under 55."""
    for path in _documents(whole_kit, fixture_org_builds, [kind]):
        lengths = sorted(_line_lengths(path, 12))
        assert len(lengths) > 200, path.name
        p90 = lengths[int(0.9 * len(lengths))]
        assert 55 <= p90 <= 75, f"{path.name}: 90th percentile {p90} characters"


def test_small_text_is_at_most_3_percent_of_a_regular_edition(whole_kit, fixture_org_builds):
    """Table headings and the margin's clock times are small; a regular edition's reading
    text is not: at most 3% of the characters of the page's text area (running heads and
    page numbers aside) under 10.5 pt."""
    for path in _documents(whole_kit, fixture_org_builds, ["facilitator-guide", "participant-handout"]):
        sizes: Counter = Counter()
        for page in pdfium.PdfDocument(str(path)):
            text = page.get_textpage()
            height = page.get_size()[1]
            top, bottom = height - 20 / 25.4 * 72, 22 / 25.4 * 72
            for i in range(text.count_chars()):
                box = text.get_charbox(i)
                if text.get_text_range(i, 1).strip() and bottom < box[1] and box[3] < top:
                    sizes[pdfium_c.FPDFText_GetFontSize(text.raw, i) * 0.75 < 10.5] += 1
        share = sizes[True] / (sizes[True] + sizes[False])
        assert share <= 0.03, f"{path.name}: {share:.1%} of the text under 10.5 pt"


def test_module_pages_name_the_module_and_give_its_clock_time_in_the_margin(whole_kit):
    from packets.load.curriculum import Project, load_curriculum
    from packets.planning.organization import load_organization
    from packets.planning.plan import make_plan

    project = Project(ROOT)
    curriculum = load_curriculum(project)
    path = ROOT / "content/orgs/example.yaml"
    plan = make_plan("example", load_organization(path, "example", project, curriculum).org, curriculum)
    pages = [flat(text) for text in page_texts(whole_kit["letter:facilitator-guide"])]
    for pm in plan.modules:
        head = f"Module {pm.number}: {pm.module.title}"
        first = next(i for i, text in enumerate(pages) if f"Module {pm.number} ·" in text and pm.module.title in text)
        start, _, length = plan.module_clock(pm).partition("\n")
        assert re.match(r"\d\d:\d\d–\d\d:\d\d$", start) and length, plan.module_clock(pm)
        assert start in pages[first] and length in pages[first], pages[first][:300]
        # The running head of the module's next page names it (shortened only if it cannot fit).
        assert head[:40] in pages[first + 1], pages[first + 1][:200]


def test_discussion_questions_are_numbered_within_their_module(whole_kit):
    text = flat(pdftotext(whole_kit["letter:participant-handout"]))
    assert re.search(r"Discussion questions 1\. \S", text), text[:2000]
    assert re.search(r"\b2\. [A-Z][^.?]*\?", text)


# ---------------------------------------------------------------- page flow


def _agenda_height(page) -> float:
    """How tall the run of show is on a page, in points: from its header row to its last text."""
    text = page.get_textpage()
    found = text.search("Minutes", match_case=True).get_next()
    assert found is not None
    header = text.get_charbox(found[0])[3]
    lowest = min(
        text.get_charbox(i)[1] for i in range(found[0], text.count_chars()) if text.get_text_range(i, 1).strip()
    )
    footer = 22 / 25.4 * 72 + 20  # the page number, under the text area
    return header - max(lowest, footer)


def test_the_run_of_show_is_on_one_page_when_it_fits_one(whole_kit, fixture_org_builds):
    """The agenda is read as one table: its header, every row and the total on one page,
    unless it is taller than a page's text area (a long day, or large print)."""
    guides = _documents(whole_kit, fixture_org_builds, ["facilitator-guide"])
    for path in guides:
        pages = page_texts(path)
        agenda = [i for i, text in enumerate(pages) if re.search(r"Minutes\s+Segment", text)]
        totals = [i for i, text in enumerate(pages) if re.search(r"(Total|Durée totale)\s*:", text)]
        assert totals == agenda[-1:], (path.name, agenda, totals)
        if len(agenda) > 1:
            pdf = pdfium.PdfDocument(str(path))
            area = pdf[agenda[0]].get_size()[1] - (20 + 22) / 25.4 * 72
            # Split only when its parts, less the repeated header, could not share one page.
            assert sum(_agenda_height(pdf[i]) for i in agenda) - 20 * (len(agenda) - 1) > 0.85 * area, path.name
    assert sum(1 for path in guides if len([t for t in page_texts(path) if "Minutes" in t]) == 1) >= len(guides) - 1


def test_a_short_run_of_show_in_large_print_is_on_one_page(whole_kit):
    """The example's 90-minute agenda fits a large-print page once its materials column has
    room at 16 pt (in 22% of the width a materials list stood five lines tall and pushed the
    last three rows overleaf, two thirds of that page left empty)."""
    for paper in PAPERS:
        pages = page_texts(whole_kit[f"{paper}:facilitator-guide-large-print"])
        agenda = [i for i, text in enumerate(pages) if re.search(r"Minutes\s+Segment", text)]
        assert len(agenda) == 1 and re.search(r"Total\s*:", pages[agenda[0]]), (paper, agenda)


def test_the_large_print_contents_of_a_seven_module_guide_fit_one_page(whole_kit):
    """With 2.5 mm between entries at 16 pt the last eight entries ran onto a page of their
    own, two thirds empty; the entries keep their leading but not that extra space."""
    for paper in PAPERS:
        pages = page_texts(whole_kit[f"{paper}:facilitator-guide-large-print"])
        contents = [i for i, text in enumerate(pages) if re.search(r"\.{5,}\s*\d+", text)]
        assert len(contents) == 1 and re.search(r"Attribution\s*\.{5,}", pages[contents[0]]), (paper, contents)


def test_the_ground_rules_are_printed_whole_on_one_page(whole_kit):
    """The large-print guide left its first rule alone at a page's foot, the rest overleaf."""
    rules = yaml.safe_load((ROOT / "content/facilitation.yaml").read_text(encoding="utf-8"))["ground_rules"]
    first, last = (" ".join(str(rule).split()[:4]) for rule in (rules[0], rules[-1]))
    for paper in PAPERS:
        for kind in ("facilitator-guide", "facilitator-guide-large-print"):
            pages = [flat(text) for text in page_texts(whole_kit[f"{paper}:{kind}"])]
            found = [i for i, text in enumerate(pages) if first in text]
            assert found and last in pages[found[0]], (paper, kind, found)


def test_no_page_but_the_cover_and_the_last_ends_in_its_top_30_percent(whole_kit, fixture_org_builds):
    kinds = [
        "facilitator-guide",
        "participant-handout",
        "facilitator-guide-large-print",
        "participant-handout-large-print",
    ]
    for path in _documents(whole_kit, fixture_org_builds, kinds):
        fills = page_fill(path)
        short = [(n + 1, round(fill, 2)) for n, (fill, _) in enumerate(fills) if 0 < n < len(fills) - 1 and fill < 0.3]
        assert short == [], path.name


def _lowest_ink_is_a_rule(page) -> tuple[bool, float]:
    """Whether the lowest ink of a page's text area is a ruled line, and how far down the
    area it is (0 to 1)."""
    area = text_area_ink(page)
    box = area.getbbox()
    if box is None:
        return False, 0.0
    row = area.crop((0, box[3] - 1, area.width, box[3]))
    return sum(1 for v in row.get_flattened_data() if v) > 0.4 * area.width, box[3] / area.height


def test_writing_lines_that_end_a_page_fill_it(whole_kit, fixture_org_builds):
    """As the exam class's fill-with-lines: a page whose last ink is a writing line has
    lines down to within a line or so of its foot, never five lines and a blank third."""
    paths = _documents(whole_kit, fixture_org_builds, ["participant-handout", "participant-handout-large-print"])
    ruled = 0
    for path in paths:
        for number, page in enumerate(pdfium.PdfDocument(str(path)), start=1):
            is_rule, reach = _lowest_ink_is_a_rule(page)
            if is_rule:
                ruled += 1
                assert reach > 0.8, f"{path.name} page {number}: lines end at {reach:.0%} of the page"
    assert ruled > 10


def test_a_writing_page_is_filled_to_its_foot(whole_kit, fixture_org_builds):
    """A page with writing lines reaches the foot of its text area, also when a short passage
    follows its last lines: the A4 large-print handout's last commitment had four lines and
    the closing words, then 55% of the page empty."""
    paths = _documents(whole_kit, fixture_org_builds, ["participant-handout", "participant-handout-large-print"])
    short = []
    for path in paths:
        fills = page_fill(path)
        short += [(path.name, n, round(f, 2)) for n, (f, writing) in enumerate(fills, start=1) if writing and f < 0.8]
    assert short == []


def test_a_split_box_ends_at_its_content_not_at_the_page_foot(tmp_path):
    """A tinted note whose next block moves overleaf paints no empty tint down the page."""
    from packets.render.pdf import Renderer

    templates = ROOT / "templates"
    renderer = Renderer(templates, (templates,))
    html = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title>'
        "<style>:root { --tint: #e0e0e0; --accent: #1d5c57; } .tall { height: 225mm; break-inside: avoid; }"
        ".facilitator-note { break-inside: auto; }</style></head><body>"
        '<section class="major" id="s"><h1>Part</h1><div class="facilitator-note"><p class="label">Facilitator note</p>'
        '<p>A short first paragraph.</p><div class="tall"><p>A block too tall for what is left of the page.</p></div>'
        "</div></section></body></html>"
    )
    page = pdfium.PdfDocument(renderer.render(html, templates).pdf)[0]
    image = page.render(scale=1).to_pil().convert("RGB")
    width, height = image.size
    foot = image.crop((width // 3, height - 140, 2 * width // 3, height - 90))  # the lowest 30 mm of the text area
    tinted = sum(1 for px in foot.get_flattened_data() if px != (255, 255, 255))
    assert tinted == 0, "the note's tint runs to the foot of the page"
    assert len(pdfium.PdfDocument(renderer.render(html, templates).pdf)) == 2


# A statement longer than what is left of the acknowledgement's page under seven Nations in
# two columns, with commitments that give web addresses whose host is over 24 characters.
LONG_STATEMENT = """\
  statement: |
    We gather today on the lands of the Anishinaabeg, the Haudenosaunee, the Wendat, the
    Kanien’kehá:ka, the Wolastoqiyik, the Innu and the Inuit, who have cared for these lands and
    waters since long before any of our sites were built, and who care for them still.

    Our network reaches across several treaties and across territories that were never ceded. We
    name this because the history of our services is part of the history of colonization:
    clinics that turned people away, records that separated families, and programs designed
    without the people they were meant to serve.

    We are not here to say that this history is finished. It continues in the gaps in health and
    in the trust we have not yet earned. Naming it is a beginning and not an end, and we hold
    ourselves to what we do next rather than to what we say today.

    We commit to listening first, to paying the Elders and knowledge keepers who guide us for
    their time, to sharing decisions about programs with the communities they serve, and to
    reporting what we have done each year so that others can hold us to it.

    We thank the Nations whose lands we live and work on, and we ask everyone here to learn
    whose land they are on at home and what their own part in this relationship is.
"""
ADDRESS = "https://www.riverside-health-centre.example.org/reports/partnership-circle/annual-report-2027.html"
HEAD = "https://www.riverside-health-centre"  # the scheme and the host's first part, never broken


@pytest.fixture(scope="module")
def long_acknowledgement(tmp_path_factory) -> dict[str, Path]:
    """many-nations with a long statement and addresses in its commitments: the guide, the
    handout and their large print."""
    text = (FIXTURES / "orgs/many-nations.yaml").read_text(encoding="utf-8")
    lead = ["Our yearly report is at", "Read what each site did this year at", "Read it at", "Each report is at"]
    commitments = "".join(f"    - {words} {ADDRESS} and on paper.\n" for words in lead)
    text = text.replace("  commitments:\n", LONG_STATEMENT + "  commitments:\n" + commitments)
    out = tmp_path_factory.mktemp("long-ack")
    org = out / "long-ack.yaml"
    org.write_text(text, encoding="utf-8")
    result = run("build", str(org), "--large-print", "--out", str(out), "-j1")
    assert result.exit_code == 0, result.output
    return {p.stem.removeprefix("long-ack-"): p for p in (out / "long-ack").glob("*.pdf")}


def test_a_long_statement_starts_under_the_nations_and_goes_on_overleaf(long_acknowledgement):
    """The statement is read with the names: it starts on their page and, too long for what
    is left of it, goes on overleaf between lines, three at least on each side, with where
    it comes from after its last words."""
    for kind in ("facilitator-guide", "facilitator-guide-large-print"):
        path = long_acknowledgement[kind]
        pages = [flat(text) for text in page_texts(path)]
        [first] = [n for n, text in enumerate(pages) if re.match(r"Land acknowledgement Anishinaabeg", text)]
        assert "Anishinaabeg" in pages[first] and "We gather today on the lands" in pages[first], (kind, pages[first])
        assert "to what their own part in this relationship is" not in pages[first]
        rest = " ".join(pages[first + 1 : first + 4])
        assert "own part in this relationship is" in rest and "Where this acknowledgement comes from" in rest, kind
        # Three lines at least on the names' page (orphans) and overleaf (widows).
        lines = [line.strip() for line in pdftotext(path).split("\f")[first].splitlines() if line.strip()]
        start = next(n for n, line in enumerate(lines) if line.startswith("We gather today"))
        assert len(lines) - start >= 3, (kind, lines[start:])
        assert page_fill(path)[first][0] > 0.7, (kind, "the names' page is left half empty")


def _address_breaks(text: str) -> list[tuple[int, str]]:
    """Where each printed copy of ADDRESS ends a line: its index in the address and the
    line's end. PDFium reads a hyphen that ends a line as U+FFFE."""
    lines = [line.strip().replace("\ufffe", "-") for line in text.replace("\r", "").splitlines()]
    found = []
    for n, line in enumerate(lines):
        at = line.find("https://")
        if at < 0:
            continue
        address, more = line[at:], n + 1
        if not (ADDRESS.startswith(address) or address.startswith(ADDRESS)):
            continue  # another address
        while not address.startswith(ADDRESS) and more < len(lines) and ADDRESS.startswith(address):
            found.append((len(address), address[-12:]))
            address += lines[more].split(" ")[0]
            more += 1
        assert address.startswith(ADDRESS), (address, lines[n : n + 4])
    return found


def test_a_web_address_breaks_only_after_its_host_at_a_slash_a_dot_or_a_hyphen(long_acknowledgement):
    """Never inside "https://" or the host's first part; after it, only after a slash or a
    hyphen of the address, or before a dot; no hyphen added."""
    breaks = []
    for path in long_acknowledgement.values():
        for at, end in _address_breaks(pdf_text(path)):
            assert at >= len(HEAD), f"{path.name}: the address breaks inside its start: {end!r}"
            assert ADDRESS[at - 1] in "/-" or ADDRESS[at] == ".", f"{path.name}: broken at {end!r}|{ADDRESS[at:][:8]}"
            breaks.append(at)
    assert len(breaks) >= 4, breaks  # enough copies end a line for the rule to be seen


# ---------------------------------------------------------------- names


def _broken_lines(text: str) -> list[str]:
    lines = [line.strip() for line in text.splitlines()]
    return [f"{a} / {b}" for a, b in zip(lines, lines[1:], strict=False) if re.search(r"\w[-–]$", a) and b]


def test_no_name_year_range_or_address_is_broken_at_a_hyphen_or_a_slash(whole_kit, fixture_org_builds):
    names = ["Tsleil-Waututh", "Huron-Wendat"]
    kinds = ["facilitator-guide", "participant-handout", "facilitator-guide-large-print"]
    for path in _documents(whole_kit, fixture_org_builds, kinds):
        text = pdftotext(path)
        lines = [line.strip() for line in text.splitlines()]
        for name in names:
            head = name.split("-")[0] + "-"
            assert not [line for line in lines if line.endswith(head)], (path.name, name)
        assert not [line for line in lines if line.endswith(("https://", "http://"))], path.name
    # Every Nation name of the fixtures reads back whole on a line of its own acknowledgement page.
    text = pdftotext(_fixture(fixture_org_builds, "francophone", "participant-handout"))
    assert "Hurons-Wendat" in text  # its French name, in the French edition


def test_a_range_of_years_and_a_hyphenated_name_stay_whole_in_a_long_territory(tmp_path):
    text = (FIXTURES / "orgs/pacific-coast.yaml").read_text(encoding="utf-8")
    long = (
        "  territory: >-\n    The land covered by the Peace and Friendship Treaties (1725–1779) with the "
        "Wolastoqiyik and the Huron-Wendat, and the Tsleil-Waututh, Kanien’kehá:ka and Anishinaabe homelands, "
        "here and there and everywhere the rivers run (1725–1779) and (1760–1761).\n"
    )
    org = tmp_path / "territory.yaml"
    text = re.sub(r"^logo.*\n", "", re.sub(r"  territory:.*\n", long, text, count=1), flags=re.M)
    org.write_text(text, encoding="utf-8")
    for paper in PAPERS:
        result = run("build", str(org), "--paper", paper, "--large-print", "--out", str(tmp_path / paper), "-j1")
        assert result.exit_code == 0, result.output
        for path in (tmp_path / paper / "territory").glob("*.pdf"):
            reading = pdftotext(path)
            assert "(1725–1779)" in reading and "Tsleil-Waututh" in reading and "Huron-Wendat" in reading
            assert _broken_lines(reading) == [], (path.name, _broken_lines(reading))


def _address_lines(text: str, address: str) -> list[str]:
    """The lines `address` is printed on: one when it is whole, else its parts in order."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if address in line:
            return [address]
        for k in range(len(line)):
            if address.startswith(line[k:]) and len(line) - k >= 3:
                parts, joined = [line[k:]], line[k:]
                for following in lines[i + 1 : i + 4]:
                    piece = following[: len(address) - len(joined)]
                    if not address.startswith(joined + piece):
                        break
                    parts.append(piece)
                    joined += piece
                    if joined == address:
                        return parts
                break
    return []


def test_an_email_address_breaks_only_after_its_at_or_before_a_dot(fixture_org_builds, tmp_path):
    """A contact broken at its hyphen ("elise.cote-/gagnon@…") reads as two addresses with a
    hyphen added: an address stays whole, or breaks after its "@" or before a dot."""
    cover = pdftotext(_fixture(fixture_org_builds, "francophone", "facilitator-guide")).split("\f")[0]
    assert "elise.cote-gagnon@exemple.qc.ca" in [line.strip() for line in cover.splitlines()], cover
    # Long hyphenated addresses in the narrowest columns: the cover's details, a booklet's supports.
    long = "community-wellness.program-leads@riverside-community-health-centre.example"
    text = (ROOT / "content/orgs/example.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "{name: Jordan Lee, role: Health equity lead}",
        f"{{name: Jordan Lee, role: Health equity lead, contact: {long}}}",
    )
    text = text.replace('contact: "wellness@riverside.example"', f'contact: "{long}"')
    org = tmp_path / "mail.yaml"
    org.write_text(text, encoding="utf-8")
    result = run("build", str(org), "--audience", "facilitator", "--booklet", "guide", "--out", str(tmp_path), "-j1")
    assert result.exit_code == 0, result.output
    for path in (tmp_path / "mail").glob("*.pdf"):
        reading = pdftotext(path)
        parts = _address_lines(reading, long)
        assert parts, path.name
        for before, after in zip(parts, parts[1:], strict=False):
            assert before.endswith("@") or after.startswith("."), (path.name, parts)


def test_the_cover_credit_never_leaves_its_acronym_alone(whole_kit, fixture_org_builds):
    for path in _documents(whole_kit, fixture_org_builds, ["facilitator-guide", "participant-handout"]):
        cover = pdftotext(path).split("\f")[0]
        assert not [line for line in cover.splitlines() if re.fullmatch(r"\s*\([A-Z]+\)\.?\s*", line)], path.name


def test_syllabics_are_set_a_little_larger_than_the_latin_beside_them(fixture_org_builds):
    path = _fixture(fixture_org_builds, "treaty-six", "participant-handout")
    sizes: dict[str, set[float]] = {"syllabics": set(), "latin": set()}
    for page in list(pdfium.PdfDocument(str(path)))[:6]:
        text = page.get_textpage()
        for i in range(text.count_chars()):
            char = text.get_text_range(i, 1)
            size = round(pdfium_c.FPDFText_GetFontSize(text.raw, i) * 0.75, 1)
            if "\u1400" <= char <= "\u167f":
                sizes["syllabics"].add(size)
            elif char.isalpha():
                sizes["latin"].add(size)
    assert 13.0 in sizes["syllabics"] and 12.0 in sizes["latin"], sizes  # 12 pt body, syllabics at 1.08 em


# ---------------------------------------------------------------- large print


def test_large_print_follows_clear_print(whole_kit, fixture_org_builds):
    """No text under 14 pt, no italic, "Large print" on the cover and in the running head."""
    kinds = ["facilitator-guide-large-print", "participant-handout-large-print"]
    paths = _documents(whole_kit, fixture_org_builds, kinds)
    for path in paths:
        small, italic = Counter(), Counter()
        pdf = pdfium.PdfDocument(str(path))
        for page in pdf:
            text = page.get_textpage()
            for i in range(text.count_chars()):
                char = text.get_text_range(i, 1)
                if not char.strip():
                    continue
                points = round(pdfium_c.FPDFText_GetFontSize(text.raw, i) * 0.75, 1)
                if points < 14:
                    small[points] += 1
        with pikepdf.open(path) as doc:
            for page in doc.pages:
                for font in page.Resources.get("/Font", {}).values():
                    if "Italic" in str(font.BaseFont):
                        italic[str(font.BaseFont)] += 1
        assert not small, (path.name, small)
        assert not italic, (path.name, italic)
        pages = page_texts(path)
        mark = FRENCH_WORDS.large_print if path.stem.endswith("-fr") else "Large print"  # the edition's words
        assert mark in flat(pages[0]), path.name
        assert all(mark in flat(text) for text in pages[1:]), path.name


def test_the_large_print_guide_gives_the_facilitators_contacts_before_the_preparation(fixture_org_builds):
    """The large-print cover has no room for them (it would run to two pages): they close the
    "how to use" pages, in large print, before the preparation starts; the contents stay whole."""
    regular = flat(page_texts(_fixture(fixture_org_builds, "pacific-coast", "facilitator-guide"))[0])
    assert "priya.raman@example.org" in regular
    path = _fixture(fixture_org_builds, "pacific-coast", "facilitator-guide-large-print")
    pages = [flat(text) for text in page_texts(path)]
    assert "priya.raman@example.org" not in pages[0] and re.search(r"Page 2 of \d+", pages[1])
    assert "Contents" in pages[1] and "Attribution" in pages[1]  # the contents whole on their page
    preparation = next(i for i, page in enumerate(pages) if i > 1 and "Checklist" in page)
    at = next(
        i
        for i in range(2, preparation)
        if "Facilitators Priya Raman, Clinical educator priya.raman@example.org" in pages[i]
    )
    text = pdfium.PdfDocument(str(path))[at].get_textpage()
    found = text.search("priya.raman@example.org", match_case=True).get_next()
    assert found is not None
    sizes = {round(pdfium_c.FPDFText_GetFontSize(text.raw, i) * 0.75) for i in range(found[0], found[0] + found[1])}
    assert min(sizes) >= 16, sizes


# ---------------------------------------------------------------- booklets


def _sides(path: Path) -> list[tuple[str, str]]:
    sides = []
    for page in pdfium.PdfDocument(str(path)):
        width, height = page.get_size()
        text = page.get_textpage()
        left = text.get_text_bounded(0, 0, width / 2, height)
        sides.append((left, text.get_text_bounded(width / 2, 0, width, height)))
    return sides


def _volumes(path: Path) -> list[list[tuple[str, str]]]:
    """The booklet's sides, volume by volume: each volume's first side carries its back
    cover (left) and its front cover (right)."""
    volumes: list[list[tuple[str, str]]] = []
    for side in _sides(path):
        if "Made with allyship-packets" in side[0] and "Where to find support" in side[0]:
            volumes.append([])
        assert volumes, "the first side of a booklet is its back and front cover"
        volumes[-1].append(side)
    return volumes


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("kind", ["participant-handout-booklet", "facilitator-guide-booklet"])
def test_no_booklet_volume_is_over_16_sheets_and_each_ends_with_a_designed_back_cover(whole_kit, paper, kind):
    volumes = _volumes(whole_kit[f"{paper}:{kind}"])
    for number, sides in enumerate(volumes, start=1):
        assert len(sides) % 2 == 0 and len(sides) // 2 <= 16, (kind, number, len(sides) // 2)
        back = sides[0][0]
        assert "Where to find support" in back and "Made with allyship-packets" in back
        assert "Notes" not in back and not re.search(r"Page \d", back)
        assert "Hope for Wellness" in back
        if len(volumes) > 1:
            # Both covers say which volume it is: the back and the front, the first's too.
            assert f"volume {number} of {len(volumes)}" in flat(back)
            front = flat(sides[0][1])
            assert f"Volume {number} of {len(volumes)}" in front, front[:200]
            assert (number == 1) == ("Date" in front)  # the first is the document's own cover, with its details
    if kind == "facilitator-guide-booklet":
        assert len(volumes) == 2, "the example's guide is split into two volumes"


def test_the_booklet_run_of_show_is_on_a_spread(whole_kit):
    """In the guide booklet the run of show starts on a left-hand page: both its pages face."""
    for paper in PAPERS:
        for left, _ in _sides(whole_kit[f"{paper}:facilitator-guide-booklet"]):
            if re.match(r"\s*(Facilitator guide\s+)?Run of show\b", left):
                number = re.search(r"Page (\d+)", left)
                assert number and int(number[1]) % 2 == 0
                break
        else:
            pytest.fail("no left half page starts the run of show")


def test_inner_sheets_are_drawn_towards_the_fold(whole_kit):
    """Creep: the content of the innermost sheet of a volume sits closer to the fold than
    that of the outermost one."""
    with pikepdf.open(whole_kit["letter:participant-handout-booklet"]) as pdf:
        shifts = [float(pdf.pages[n].Contents.read_bytes().split()[5]) for n in range(len(pdf.pages))]
    assert shifts[0] == 0 and shifts[-1] > 0 and shifts == sorted(shifts)


# ---------------------------------------------------------------- fillable


def test_every_fillable_field_has_an_appearance_stream_and_a_font_for_every_name(whole_kit):
    from fontTools.ttLib import TTFont

    for paper in PAPERS:
        with pikepdf.open(whole_kit[f"{paper}:participant-handout-fillable"]) as pdf:
            form = pdf.Root.AcroForm
            fields = list(form.Fields)
            assert len(fields) > 10
            assert all("/AP" in f and "/N" in f.AP for f in fields)
            assert not bool(form.get("/NeedAppearances", False))
            fonts = {re.search(rb"/(\S+) [\d.]+ Tf", bytes(str(f.DA), "latin-1"))[1] for f in fields}
            assert len(fonts) == 1
            font = form.DR.Font["/" + fonts.pop().decode()]
            assert str(font.BaseFont).endswith("Packet-Fields")
            program = font.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes()
            import io

            cmap = TTFont(io.BytesIO(program)).getBestCmap()
            for name in ("ᓀᐦᐃᔭᐤ", "Sḵwx̱wú7mesh", "səl̓ilw̓ətaʔɬ", "Miʼkmaq"):
                assert all(ord(c) in cmap for c in name), name


def test_field_font_is_made_from_the_bundled_fonts(tmp_path):
    """templates/fonts/PacketFields-Regular.ttf is what packets/render/field_font.py makes."""
    from fontTools.ttLib import TTFont

    from packets.render import field_font

    fonts = tmp_path / "fonts"
    fonts.mkdir()
    for name in ("Andika-Regular.ttf", "NotoSansCanadianAboriginal-Regular.ttf"):
        (fonts / name).write_bytes((ROOT / "templates/fonts" / name).read_bytes())
    made = TTFont(field_font.build(fonts))
    shipped = TTFont(ROOT / "templates/fonts" / field_font.FILE)
    assert made.getBestCmap() == shipped.getBestCmap()
    assert made["name"].getDebugName(1) == "Packet Fields"


def test_contents_leaders_end_evenly(whole_kit):
    """The dots of every contents line end at the same place, whatever its page number's digits."""
    for kind in ("facilitator-guide", "facilitator-guide-large-print"):
        page = pdfium.PdfDocument(str(whole_kit[f"letter:{kind}"]))[1]
        text = page.get_textpage()
        chars = [(text.get_text_range(i, 1), text.get_charbox(i)) for i in range(text.count_chars())]
        ends, numbers = [], set()
        for index, (char, box) in enumerate(chars):
            following = chars[index + 1][0] if index + 1 < len(chars) else ""
            if char == "." and following != "." and index and chars[index - 1][0] == ".":
                ends.append(round(box[2]))
                numbers.add(len("".join(c for c, _ in chars[index + 1 : index + 6]).split()[0]))
        assert len(ends) > 10 and max(ends) - min(ends) <= 1, (kind, sorted(set(ends)))
        assert numbers >= {1, 2} or kind.endswith("print"), numbers


def _heads(path: Path) -> list[tuple[str, str, float, bool]]:
    """Each page's running head but the cover's: (the name on the left as it reads, the
    edition's mark on the right, both without spaces; the room between them in points;
    whether the stylesheet clipped the name: a clipped name draws its ellipsis with the
    rest of the name as its ActualText, which PDFium reads all in the ellipsis's one box)."""
    heads = []
    for page in list(pdfium.PdfDocument(str(path)))[1:]:
        text = page.get_textpage()
        width, height = page.get_size()
        chars = []
        for i in range(text.count_chars()):
            box = text.get_charbox(i)
            char = text.get_text_range(i, 1)
            if box[1] > height - 20 / 25.4 * 72 and char.strip():
                chars.append((char, box))
        # The name and the mark are apart by the widest gap on the line.
        gaps = [(b[0] - a[2], i) for i, ((_, a), (_, b)) in enumerate(zip(chars, chars[1:], strict=False), start=1)]
        cut = max(gaps)[1] if gaps else len(chars)
        left, right = chars[:cut], chars[cut:]
        clipped = any(b == a for (_, a), (_, b) in zip(left, left[1:], strict=False))
        room = (min(b[0] for _, b in right) - max(b[2] for _, b in left)) if left and right else 0.0
        shown = unicodedata.normalize("NFC", "".join(c for c, _ in left))
        heads.append((shown, "".join(c for c, _ in right), room, clipped))
    return heads


def _check_heads(path: Path, name: str, mark: str) -> None:
    """The whole name when it fits; else whole words with an ellipsis, and then the next word
    would not have fitted in the room left before the mark (less the 8 mm kept between)."""
    words = unicodedata.normalize("NFC", name).split()
    heads = _heads(path)
    assert heads, path.name
    for number, (shown, right, room, clipped) in enumerate(heads, start=2):
        assert right == "".join(mark.split()), (path.name, number, right)
        assert not clipped, (path.name, number, "the stylesheet clipped the name", shown)
        if shown == "".join(words):
            continue
        assert shown.endswith("…"), (path.name, number, shown)
        kept = [k for k in range(1, len(words)) if "".join(words[:k]).rstrip(",;:–—-") == shown[:-1]]
        assert kept, (path.name, number, shown)  # whole words only
        following = words[kept[-1]]
        per_char = 16 * 0.5  # Andika's average advance at 16 pt is about half an em
        assert room - 8 / 25.4 * 72 < per_char * (len(following) + 1) + 6, (path.name, number, shown, round(room))


HOSTILE_HEAD = "Little Pic River Health Clinic and Wellness Circle"  # 50 characters: fits a Letter head, not an A4 one


def test_large_print_running_head_has_the_full_name_when_it_fits(whole_kit, fixture_org_builds, tmp_path):
    """On every page but the cover, module pages too (they cut the name at 40% of the width
    with the rest of the line empty): "Large print" (the French edition's own word) on the
    right, the organization's whole name on the left when it fits, else as many whole words
    as fit with an ellipsis. Letter and A4, English and French, long names and many Nations."""
    from packets.load.model import Organization
    from packets.load.sources import read_yaml
    from packets.output import edition_suffix

    for paper in PAPERS:
        for kind in ("facilitator-guide-large-print", "participant-handout-large-print"):
            _check_heads(whole_kit[f"{paper}:{kind}"], "Riverside Community Health Centre (example)", "Large print")
    pages = page_texts(whole_kit["letter:participant-handout-large-print"])
    assert "Riverside Community Health Centre (example)" in pages[1], pages[1][:200]
    for org in (*ORGS, "bilingual-nb"):
        model = Organization.model_validate(read_yaml(FIXTURES / "orgs" / f"{org}.yaml").data)
        for language in fixture_editions(FIXTURES / "orgs" / f"{org}.yaml"):
            mark = FRENCH_WORDS.large_print if language == "fr" else "Large print"
            for kind in ("facilitator-guide-large-print", "participant-handout-large-print"):
                path = fixture_org_builds / org / f"{org}-{kind}{edition_suffix(language)}.pdf"
                _check_heads(path, model.edition(language).name, mark)
    # A name of 50 characters (over the 48 a count of characters allowed), in English and
    # French, on both papers: whole where it fits, cut at a word where it does not.
    text = (ROOT / "content/orgs/example.yaml").read_text(encoding="utf-8")
    named = f"name: {HOSTILE_HEAD}\nlanguages: [en, fr]"
    text = text.replace("name: Riverside Community Health Centre (example)", named)
    org = tmp_path / "long-head.yaml"
    org.write_text(text, encoding="utf-8")
    for paper in PAPERS:
        out = tmp_path / paper
        args = ("--audience", "participant", "--large-print", "--paper", paper, "--out", str(out), "-j1")
        result = run("build", str(org), *args)
        assert result.exit_code == 0, result.output
        found = sorted((out / "long-head").glob("*large-print*.pdf"))
        assert len(found) == 2, found
        for path in found:
            mark = FRENCH_WORDS.large_print if path.stem.endswith("-fr") else "Large print"
            _check_heads(path, HOSTILE_HEAD, mark)
            if paper == "letter" and not path.stem.endswith("-fr"):
                assert {shown for shown, *_ in _heads(path)} == {"".join(HOSTILE_HEAD.split())}, path.name


@pytest.mark.parametrize("paper", PAPERS)
def test_every_writing_area_of_the_fillable_handout_is_a_drawn_field(tmp_path, paper):
    """Each block of writing lines of the printed handout (the notes page's too) is a field of
    the fillable one, with its own appearance and the field font; the notes page's field takes
    most of its page. English and French, Letter and A4."""
    orgs = (ROOT / "content/orgs/example.yaml", FIXTURES / "orgs/francophone.yaml")
    args = ("--audience", "participant", "--fillable", "--html", "--paper", paper, "--out", str(tmp_path), "-j1")
    result = run("build", *map(str, orgs), *args)
    assert result.exit_code == 0, result.output
    for slug in ("example", "francophone"):
        folder = tmp_path / slug
        fillable = next(folder.glob(f"{slug}-participant-handout-fillable*.pdf"))
        printed = next(p for p in folder.glob(f"{slug}-participant-handout*.html") if "fillable" not in p.name)
        html = printed.read_text(encoding="utf-8")
        areas = len(re.findall(r'class="write-lines', html)) + len(re.findall(r'class="name-line"', html))
        notes_word = FRENCH_WORDS.notes if slug == "francophone" else "Notes"
        with pikepdf.open(fillable) as pdf:
            fields = list(pdf.Root.AcroForm.Fields)
            assert len(fields) == areas, (slug, len(fields), areas)
            for field in fields:
                assert "/AP" in field and "/N" in field.AP, (slug, str(field.get("/T")))
                font = re.search(r"(/\S+) [\d.]+ Tf", str(field.DA))
                assert font and str(pdf.Root.AcroForm.DR.Font[font[1]].BaseFont).endswith("Packet-Fields")
            last = pdf.pages[len(pdf.pages) - 1]
            widgets = [a for a in last.get("/Annots", []) if a.get("/Subtype") == "/Widget"]
            assert [str(w.T) for w in widgets] == ["notes"], (slug, [str(w.T) for w in widgets])
            height = float(last.MediaBox[3])
            x1, y1, x2, y2 = (float(v) for v in widgets[0].Rect)
            assert abs(y2 - y1) > 0.45 * height, (slug, abs(y2 - y1) / height)
        assert page_texts(fillable)[-1].lstrip().startswith(notes_word), slug
