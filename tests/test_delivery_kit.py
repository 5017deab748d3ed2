"""The delivery kit, read back from the PDFs: slides to project, booklets to print, a handout to fill in."""

from __future__ import annotations

import ctypes
import json
import math
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from conftest import (
    FIXTURES,
    KIT,
    ROOT,
    flat,
    nfc,
    page_texts,
    pdf_text,
    pdfium_text,
    pdftotext,
    pypdf_text,
    rejoin_marks,
    run,
)
from pypdf import PdfReader, PdfWriter

from packets.load.curriculum import Project, load_curriculum
from packets.planning.organization import load_organization
from packets.planning.plan import make_plan
from packets.render.kit import saddle_stitch_order

SLIDE_NUMBER = re.compile(r"^\d+ / \d+$")


@pytest.fixture(scope="module")
def plans():
    project = Project(ROOT)
    curriculum = load_curriculum(project)
    found = {}
    for slug, path in (("example", ROOT / "content/orgs/example.yaml"), ("many", FIXTURES / "orgs/many-nations.yaml")):
        loaded = load_organization(path, path.stem, project, curriculum)
        found[slug] = make_plan(path.stem, loaded.org, curriculum)
    return found


def _page_runs(path: Path) -> list[list[tuple[float, str]]]:
    """(effective size in points, text) of each text run on each page, as test_print_quality measures them."""
    pages = []
    for page in PdfReader(str(path)).pages:
        runs: list[tuple[float, str]] = []

        def visit(text, cm, tm, font_dict, font_size, runs=runs):
            scale_y = math.hypot(tm[1] * cm[0] + tm[3] * cm[2], tm[1] * cm[1] + tm[3] * cm[3])
            if text.strip():
                runs.append((round(font_size * scale_y, 1), text.strip()))

        page.extract_text(visitor_text=visit)
        pages.append(runs)
    return pages


def _text_runs(path: Path) -> list[tuple[float, str]]:
    return [run for page in _page_runs(path) for run in page]


# ------------------------------------------------------------------ slides


@pytest.mark.parametrize("key", ["slides", "many-slides"])
def test_slides_are_16_by_9(kit, key):
    pages = PdfReader(str(kit[key])).pages
    assert len(pages) > 20
    for page in pages:
        assert float(page.mediabox.width) / float(page.mediabox.height) == pytest.approx(16 / 9, abs=0.005)


@pytest.mark.parametrize("key,slug", [("slides", "example"), ("many-slides", "many")])
def test_every_question_of_the_plan_is_on_a_slide_of_its_own(kit, plans, key, slug):
    slides = [flat(t) for t in page_texts(kit[key])]
    questions = [q for pm in plans[slug].modules for q in pm.questions]
    assert questions
    for q in questions:
        holding = [n for n, s in enumerate(slides) if flat(nfc(q.question)) in s]
        assert len(holding) == 1, q.question
        if q.scenario:
            # With the question, or (too long for one slide of 60 words) on the slide just before it.
            assert flat(nfc(q.scenario))[:80] in slides[holding[0]] + slides[holding[0] - 1], q.id
    # A question that the plan does not run is not projected.
    skipped = [q for pm in plans[slug].modules for q in pm.module.discussion_questions if q not in pm.questions]
    for q in skipped:
        assert not any(flat(nfc(q.question)) in s for s in slides), q.id


def _facilitator_only(plan) -> list[str]:
    """The guide's text for the facilitator alone, sentence by sentence, for the modules the plan runs."""
    fac = plan.curriculum.facilitation
    prose = [fac.content_notice.notes, fac.opening.notes, fac.closing.notes, fac.indigenous_participants.notes]
    lines: list[str] = []
    for pm in plan.modules:
        for q in pm.module.discussion_questions:
            lines += [*q.prompts, *q.listen_for, *q.warning_signs]
            prose.append(q.note)
        prose += [a.facilitator_notes for a in pm.activities]
        prose += [n.body for n in pm.module.facilitator_notes]
        if pm.module.say_aloud:
            lines.append(pm.module.say_aloud)
    for text in prose:
        plain = re.sub(r"[*_]|^\s*- ", "", text or "", flags=re.MULTILINE)
        lines += [s for s in re.split(r"(?<=[.!?])\s+", " ".join(plain.split())) if len(s.split()) >= 6]
    return [flat(nfc(line)) for line in lines]


def test_slides_hold_none_of_the_guide_s_facilitator_only_text(kit, plans):
    private = _facilitator_only(plans["example"])
    assert len(private) > 100
    guide = flat(pdf_text(kit["guide-booklet"]))
    slides = flat(pdftotext(kit["slides"]))
    # The guide prints them (so this reading can find them), and the slides never do.
    found_in_guide = [t for t in private if t in guide]
    assert len(found_in_guide) > 0.9 * len(private)
    assert [t for t in found_in_guide if t in slides] == []
    assert "Listen for" not in slides and "Facilitator note" not in slides and "Prompts" not in slides


@pytest.mark.parametrize("reader", [pypdf_text, pdftotext, pdfium_text], ids=["pypdf", "poppler", "pdfium"])
@pytest.mark.parametrize("key,slug", [("slides", "example"), ("many-slides", "many")])
def test_nation_names_read_back_exactly_from_the_slides(kit, plans, key, slug, reader):
    reading = reader(kit[key])
    nations = plans[slug].org.land_acknowledgement.nations
    assert nations
    for nation in nations:
        assert nfc(nation.name) in reading, nation.name
        if nation.pronunciation:
            assert f"say “{nation.pronunciation}”" in reading


def test_nation_names_are_large_with_their_pronunciation_beneath(kit, plans):
    # The slides that name the Nations one by one (the statement names them again, in its sentences).
    runs = [run for page in _page_runs(kit["many-slides"]) if any("say “" in t for _, t in page) for run in page]
    for nation in plans["many"].org.land_acknowledgement.nations:
        sizes = {size for size, text in runs if nfc(rejoin_marks(text)) == nfc(nation.name)}
        assert sizes and min(sizes) >= 40, (nation.name, sizes)
        below = [size for size, text in runs if nation.pronunciation in text]
        assert below and min(below) >= 24


@pytest.mark.parametrize("key,slug", [("slides", "example"), ("many-slides", "many")])
def test_slide_text_is_large_enough_to_read_from_the_back_of_the_room(kit, plans, key, slug):
    runs = _text_runs(kit[key])
    large = sum(size >= 18 for size, _ in runs)
    assert large >= 0.85 * len(runs), (large, len(runs))
    body = [(size, text) for size, text in runs if not SLIDE_NUMBER.match(text)]
    assert [(size, text) for size, text in body if size < 28] == []
    titles = {size for size, text in runs if text.startswith(("Ground rules", "Content notice", "What the guidance"))}
    assert titles and all(36 <= size <= 44 for size in titles), titles
    # Questions are the largest text after the title slide's title: 44 to 54 pt.
    asked = [flat(nfc(q.question)) for pm in plans[slug].modules for q in pm.questions]
    questions = {size for size, text in runs if len(text) > 12 and any(flat(nfc(text)) in q for q in asked)}
    assert questions and all(44 <= size <= 54 for size in questions), questions
    # Every slide is numbered but the title slide.
    numbers = [text for size, text in runs if SLIDE_NUMBER.match(text)]
    pages = len(PdfReader(str(kit[key])).pages)
    assert numbers[0] == f"2 / {pages}" and len(numbers) == pages - 1


def test_slides_follow_the_plan(kit, plans):
    """Title, content notice, acknowledgement, essentials, ground rules, each module in order, stems,
    closing, credit, and the supports last."""
    plan = plans["example"]
    deck = plan.curriculum.deck
    text = flat(pdftotext(kit["slides"]))
    order = [
        plan.title,
        deck.content_notice.title,
        deck.who_for.title,
        deck.acknowledgement_title,
        deck.essentials_title,
        deck.ground_rules.title,
        *[f"Module {pm.number} {pm.module.title}" for pm in plan.modules],
        *[s.text for s in plan.curriculum.handout.commitments.stems],
        plan.farewell,
        "Indigenous Physicians Association of Canada (IPAC)",
        deck.support.title,
    ]
    positions = [text.find(flat(nfc(item))) for item in order]
    assert -1 not in positions, [o for o, p in zip(order, positions, strict=True) if p == -1]
    assert positions == sorted(positions)
    for rule in deck.ground_rules.points:
        assert flat(nfc(rule)) in text
    # The credit is given once, not twice over.
    assert text.count("Indigenous Physicians Association of Canada") == 1
    for pm in plan.modules:
        for activity in pm.activities:
            assert f"{activity.minutes} min Activity: {activity.name}" in text
            for number, step in enumerate(activity.slide_steps, start=1):
                assert f"{number}. {flat(nfc(step))}" in text


def test_a_long_statement_is_split_across_slides_at_sentence_ends(plans):
    from packets.planning.plan import Statement
    from packets.render.slides import slides_for

    sentences = [f"We thank the Nation for teaching us of the river, season {i}, and all it asks." for i in range(30)]
    plan = replace(plans["example"], statement=Statement((" ".join(sentences),), None, None, is_draft=False))
    parts = [p for s in slides_for(plan) if s.kind == "statement" for p in s.paragraphs]
    assert len(parts) > 2
    assert all(p.endswith("all it asks.") for p in parts)
    assert " ".join(parts) == " ".join(sentences)


def test_a_composed_statement_is_a_draft_in_the_handout_and_never_projected(kit, plans):
    """The packet composes a statement when the organization gave none; the reader of the handout
    is told it is a draft, not yet reviewed with the Nations. The room hears the statement, so the
    slides show it without the notice, and an organization's own statement carries no such mark."""
    from packets.render.slides import slides_for

    interface = plans["many"].curriculum.interface
    assert plans["many"].statement.is_draft and not plans["example"].statement.is_draft
    assert all(s.kicker != interface.draft_mark_short for s in slides_for(plans["many"]))
    many_slides = flat(pdf_text(kit["many-slides"]))
    statement_words = flat(plans["many"].statement.paragraphs[0])[:40]
    assert statement_words in many_slides
    assert flat(interface.draft_mark_short) not in many_slides
    assert "draft" not in many_slides.lower()
    mark = flat(interface.draft_mark.replace("{organization}", plans["many"].org.name))
    handout = flat(pdf_text(kit["out"] / "many-nations/many-nations-participant-handout.pdf"))
    assert f"{mark} {statement_words}" in handout  # just above the statement
    assert "A draft:" not in flat(pdf_text(kit["handout"]))


def test_slides_are_tagged_with_language_and_title(kit):
    reader = PdfReader(str(kit["slides"]))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-CA"
    assert bool(root["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in root
    assert reader.metadata.title == "Slides: Allyship in practice — Riverside Community Health Centre (example)"
    fonts = {str(f["/BaseFont"]).split("+")[-1] for page in reader.pages for f in page["/Resources"]["/Font"].values()}
    assert fonts and all(name.startswith("Packet-") for name in fonts), fonts


# ------------------------------------------------------------------ booklets


def _halves(path: Path) -> list[tuple[str, str]]:
    """The text on the left and on the right half of each printed side, in sheet order, as PDFium reads it.

    (pypdf's text visitor does not place text drawn inside a form XObject, which is how
    each half page is drawn on its sheet.)
    """
    sides = []
    for page in pdfium.PdfDocument(str(path)):
        width, height = page.get_size()
        text = page.get_textpage()
        left = text.get_text_bounded(0, 0, width / 2, height)
        sides.append((nfc(left), nfc(text.get_text_bounded(width / 2, 0, width, height))))
    return sides


def _printed_sizes(path: Path) -> Counter:
    """Characters per font size in points as printed: PDFium's size of each character times its matrix."""
    sizes: Counter = Counter()
    matrix = pdfium_c.FS_MATRIX()
    for page in pdfium.PdfDocument(str(path)):
        text = page.get_textpage()
        for i in range(text.count_chars()):
            if chr(pdfium_c.FPDFText_GetUnicode(text.raw, i)).strip():
                pdfium_c.FPDFText_GetMatrix(text.raw, i, ctypes.byref(matrix))
                size = pdfium_c.FPDFText_GetFontSize(text.raw, i) * math.hypot(matrix.c, matrix.d)
                sizes[round(size, 1)] += 1
    return sizes


def _printed_number(text: str) -> int:
    """The page number printed at the foot of a half page; the cover has none, and is page 1."""
    match = re.search(r"Page (\d+)", text)
    if match:
        return int(match[1])
    assert "Participant handout" in text or "Facilitator guide" in text, text[:200]
    return 1


def test_saddle_stitch_order_for_eight_pages():
    assert saddle_stitch_order(8) == [(8, 1), (2, 7), (6, 3), (4, 5)]
    with pytest.raises(ValueError):
        saddle_stitch_order(6)


def _reading_order(path: Path) -> list[list[str]]:
    """Each stapled volume's half pages in reading order, undoing the saddle-stitch imposition.
    A volume begins on the side that carries its back cover (left) and front cover (right)."""
    volumes: list[list[tuple[str, str]]] = []
    for left, right in _halves(path):
        if "Made with allyship-packets" in left and "Where to find support" in left:
            volumes.append([])
        volumes[-1].append((left, right))
    ordered = []
    for sides in volumes:
        total = 2 * len(sides)
        pages = [""] * total
        for (left, right), (a, b) in zip(sides, saddle_stitch_order(total), strict=True):
            pages[a - 1], pages[b - 1] = left, right
        ordered.append(pages)
    return ordered


@pytest.mark.parametrize("key", ["booklet", "guide-booklet", "many-booklet"])
def test_booklet_sheets_are_whole_and_in_saddle_stitch_order(kit, key):
    """Read in saddle-stitch order, each volume is its cover, its pages in their printed order
    (numbers running on from volume to volume), notes pages, and its back cover; no half
    page is blank (issue 29: a designed back cover, volumes of at most 16 sheets)."""
    volumes = _reading_order(kit[key])
    numbers: list[int] = []
    for pages in volumes:
        assert len(pages) % 4 == 0 and len(pages) <= 64
        assert "Participant handout" in pages[0] or "Facilitator guide" in pages[0]
        assert "Made with allyship-packets" in pages[-1] and not re.search(r"Page \d", pages[-1])
        for page in pages:
            assert len(re.sub(r"Page \d+|Participant handout|Facilitator guide", "", page).strip()) > 20
            match = re.search(r"Page (\d+)", page)
            if match:
                numbers.append(int(match[1]))
    # In order, from 2 (the cover is 1); a notes page put before the run of show, so that it
    # falls on a spread, carries no number and leaves a gap of one.
    assert numbers[0] == 2 and all(0 < b - a <= 2 for a, b in zip(numbers, numbers[1:], strict=False)), numbers


@pytest.mark.parametrize("key", ["booklet", "guide-booklet"])
def test_booklet_is_imposed_on_landscape_letter_with_vector_text(kit, key):
    reader = PdfReader(str(kit[key]))
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx((792, 612))
    # Each half page is drawn from a form XObject holding its own vector text and fonts: no image.
    for page in reader.pages[:4]:
        forms = [x.get_object() for x in page["/Resources"]["/XObject"].values()]
        assert len(forms) == 2 and all(x["/Subtype"] == "/Form" for x in forms)
        fonts = {str(f["/BaseFont"]).split("+")[-1] for x in forms for f in x["/Resources"]["/Font"].values()}
        assert fonts and all(name.startswith("Packet-") for name in fonts)
    assert reader.metadata.title.startswith(("Participant handout (booklet", "Facilitator guide (booklet"))


def test_padding_pages_are_notes_pages(kit):
    """Pages added to fill a volume's last sheet are notes pages, before its back cover."""
    for pages in _reading_order(kit["guide-booklet"]):
        numbered = [n for n, page in enumerate(pages) if re.search(r"Page \d", page)]
        padding = pages[numbered[-1] + 1 : -1]
        assert len(padding) <= 3
        for page in padding:
            assert "Notes" in page and "Use this page for notes" in page


@pytest.mark.parametrize("key", ["booklet", "guide-booklet"])
def test_booklet_body_text_is_12_pt_at_its_printed_size(kit, key):
    sizes = _printed_sizes(kit[key])
    assert sum(sizes.values()) > 20000
    assert sizes.most_common(1)[0][0] >= 12, sizes.most_common(3)
    assert min(sizes) >= 9, sorted(sizes)


def test_booklet_on_a4_is_a5_pages_on_landscape_a4(whole_kit):
    """The whole kit's A4 booklet, built with `--paper a4 --booklet handout` (conftest.py)."""
    page = PdfReader(str(whole_kit["a4:participant-handout-booklet"])).pages[0]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx((841.89, 595.28), abs=0.1)


# ------------------------------------------------------------------ fillable handout


def test_fillable_handout_has_a_named_field_for_every_question_stem_and_the_name(kit, plans):
    plan = plans["example"]
    reader = PdfReader(str(kit["fillable"]))
    fields = reader.get_fields()
    questions = [q for pm in plan.modules for q in pm.questions]
    stems = plan.curriculum.handout.commitments.stems
    assert len(fields) == len(questions) + len(stems) + 2  # and the name line, and the notes page
    for q in questions:
        assert fields[q.id]["/FT"] == "/Tx" and fields[q.id]["/TU"] == q.question
        assert int(fields[q.id]["/Ff"]) & (1 << 12), "multi-line"
    for stem in stems:
        assert fields[stem.id]["/TU"] == stem.text
    assert fields["my-name"]["/TU"] == "My name"
    # Tab order follows the structure (reading) order on every page with fields.
    for page in reader.pages:
        if page.get("/Annots"):
            assert page["/Tabs"] == "/S"


def test_fillable_fields_are_in_reading_order(kit, plans):
    reader = PdfReader(str(kit["fillable"]))
    names = [str(f.get_object()["/T"]) for f in reader.trailer["/Root"]["/AcroForm"]["/Fields"]]
    plan = plans["example"]
    expected = ["my-name", *[q.id for pm in plan.modules for q in pm.questions]]
    expected += [s.id for s in plan.curriculum.handout.commitments.stems] + ["notes"]
    assert names == expected


def _pdfium_field_values(path: Path) -> dict[str, str]:
    """Each form field's value as PDFium (Chrome's viewer) reads it from the saved file."""

    def wide(function, *args) -> str:
        size = function(*args, None, 0)
        buffer = ctypes.create_string_buffer(size)
        function(*args, ctypes.cast(buffer, ctypes.POINTER(pdfium_c.FPDF_WCHAR)), size)
        return buffer.raw[:size].decode("utf-16-le").rstrip("\x00")

    pdf = pdfium.PdfDocument(str(path))
    pdf.init_forms()
    values = {}
    for page in pdf:
        for i in range(pdfium_c.FPDFPage_GetAnnotCount(page.raw)):
            annot = pdfium_c.FPDFPage_GetAnnot(page.raw, i)
            if pdfium_c.FPDFAnnot_GetSubtype(annot) == pdfium_c.FPDF_ANNOT_WIDGET:
                name = wide(pdfium_c.FPDFAnnot_GetFormFieldName, pdf.formenv.raw, annot)
                values[name] = wide(pdfium_c.FPDFAnnot_GetFormFieldValue, pdf.formenv.raw, annot)
            pdfium_c.FPDFPage_CloseAnnot(annot)
    return values


def test_a_filled_form_saves_and_reads_back(kit, tmp_path, plans):
    question = plans["example"].modules[0].questions[0]
    writer = PdfWriter(clone_from=str(kit["fillable"]))
    answer = "Learn the names first: səl̓ilw̓ətaʔɬ, Sḵwx̱wú7mesh.\nThen ask who is missing."
    writer.update_page_form_field_values(None, {question.id: answer, "my-name": "Jo"}, auto_regenerate=False)
    saved = tmp_path / "filled.pdf"
    writer.write(saved)
    values = PdfReader(str(saved)).get_form_text_fields()
    assert values[question.id] == answer and values["my-name"] == "Jo"
    seen = _pdfium_field_values(saved)
    assert seen[question.id] == answer and seen["my-name"] == "Jo"
    assert {name for name, value in seen.items() if value} == {question.id, "my-name"}


@pytest.mark.parametrize("reader", [pdftotext, pdfium_text], ids=["poppler", "pdfium"])
def test_fillable_handout_reads_exactly_as_the_handout(kit, reader):
    """The fields' font is embedded whole; its text must still copy and read aloud as printed (no ligature
    turned into a stray character)."""
    assert flat(reader(kit["fillable"])) == flat(reader(kit["handout"]))


# ------------------------------------------------------------------ batch and manifest


def test_each_kind_has_its_own_file_and_manifest_entry_and_a_second_build_is_up_to_date(kit):
    manifest = json.loads((kit["out"] / ".packets-manifest.json").read_text(encoding="utf-8"))
    documents = manifest["example"]["documents"]
    assert len(documents) == 5  # one entry per document, each kind its own
    assert {d["pdf"] for d in documents.values()} == {
        "example-participant-handout.pdf",
        "example-slides.pdf",
        "example-participant-handout-booklet.pdf",
        "example-facilitator-guide-booklet.pdf",
        "example-participant-handout-fillable.pdf",
    }
    again = run("build", "example", "--audience", "participant", *KIT, "--out", str(kit["out"]), "-j1")
    assert again.exit_code == 0 and "example: up to date" in again.output, again.output


def test_booklet_asks_for_a_known_document(tmp_path):
    result = run("build", "example", "--booklet", "handbook", "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "'handbook' is not one of 'handout', 'guide'" in result.output


def test_a_name_too_long_for_any_slide_stops_the_build_with_the_slide_and_the_line(tmp_path):
    """As the README promises: the build fails with the slide's title and the line of the org file, and
    writes nothing (tests/test_slides.py has the web-address case)."""
    name = "Wiiseeksbaxaxhlxwsgiiluuxwhlgadaaxw " * 8
    org = tmp_path / "long-name.yaml"
    org.write_text(
        "name: Long Name Clinic\nworkshop:\n  format: short\nland_acknowledgement:\n"
        f"  nations:\n    - {{name: {name.strip()}, pronunciation: {'wee-SEEKS-bax ' * 20}}}\n",
        encoding="utf-8",
    )
    result = run("build", str(org), "--audience", "participant", "--slides", "--out", str(tmp_path / "out"), "-j1")
    assert result.exit_code == 2, result.output
    assert "long-name.yaml:6:" in result.output
    assert "the slide 'Land acknowledgement' cannot fit" in result.output and "nothing was written" in result.output
    assert not list((tmp_path / "out").rglob("*.pdf"))
