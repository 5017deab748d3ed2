"""Organizations: fixture orgs build with every name intact; acknowledgement review warns and teaches."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, ROOT, fixture_editions, flat, nfc, pdf_text, pdfium_text, pdfua_findings, pypdf_text, run
from pypdf import PdfReader

from packets.cli import main  # noqa: F401  (import check: the CLI module loads)

ORG_FIXTURES = sorted((FIXTURES / "orgs").glob("*.yaml"))
WARNINGS = FIXTURES / "warnings"


def _names(path: Path) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    ack = data.get("land_acknowledgement", {})
    return [nfc(n["name"]) for n in ack.get("nations", []) + ack.get("places", [])]


@pytest.fixture(scope="module")
def fixture_builds(fixture_org_builds) -> Path:
    return fixture_org_builds


def test_pdfua_finds_nothing_in_any_fixture_pdf(fixture_builds):
    """Guides, handouts and their large-print editions, for every fixture organization: no finding
    (the run of show's header cells carry /Scope, so its headers are tied to its cells)."""
    pdfs = sorted(fixture_builds.rglob("*.pdf"))
    assert len(pdfs) == 4 * sum(len(fixture_editions(org)) for org in ORG_FIXTURES)
    assert pdfua_findings(pdfs) == []


def test_there_are_at_least_four_varied_fixture_orgs():
    assert len(ORG_FIXTURES) >= 4
    text = "".join(p.read_text(encoding="utf-8") for p in ORG_FIXTURES)
    assert re.search(r"[\u1400-\u167F]", text), "no syllabics"
    assert re.search(r"[\u0300-\u036F]", nfc(text)) or "y̓" in text, "no combining marks"
    assert "paper: a4" in text and "Treaty" in text and "modules:" in text


@pytest.mark.parametrize("org", ORG_FIXTURES, ids=lambda p: p.stem)
def test_fixture_nation_names_read_back_exactly(fixture_builds, org):
    from packets.output import pdf_name

    for audience, language in itertools.product(("facilitator", "participant"), fixture_editions(org)):
        pdf = fixture_builds / org.stem / pdf_name(org.stem, audience, language=language)
        for reading in (pypdf_text(pdf), pdfium_text(pdf)):
            for name in _names(org):
                if audience == "participant" and name not in [nfc(n) for n in _nation_names_only(org)]:
                    continue  # places are practised in the guide only
                assert name in reading, f"{name!r} did not read back from {pdf.name}"


def _nation_names_only(path: Path) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [n["name"] for n in data.get("land_acknowledgement", {}).get("nations", [])]


def test_long_organization_name_wraps_on_the_cover(fixture_builds):
    org = FIXTURES / "orgs/many-nations.yaml"
    name = yaml.safe_load(org.read_text(encoding="utf-8"))["name"]
    first = PdfReader(str(fixture_builds / "many-nations/many-nations-participant-handout.pdf")).pages[0]
    assert flat(name) in flat(nfc(first.extract_text()))


def test_draft_statement_is_composed_in_present_tense_and_flagged(fixture_builds):
    guide = flat(pdf_text(fixture_builds / "treaty-six/treaty-six-facilitator-guide.pdf"))
    assert "Draft to review with the community" in guide
    assert "ᓀᐦᐃᔭᐤ" in guide and "Treaty 6 territory" in guide
    handout = flat(pdf_text(fixture_builds / "treaty-six/treaty-six-participant-handout.pdf"))
    assert "Draft to review" not in handout


def test_provenance_box_says_who_reviewed_and_when(fixture_builds):
    """Who reviewed and when stand on lines of their own, so the date cannot be read as part
    of the reviewer's words (say, as the day someone was paid), and each ends a sentence."""
    guide = flat(pdf_text(fixture_builds / "pacific-coast/pacific-coast-facilitator-guide.pdf"))
    assert "Reviewed by: The Nations' joint health committee." in guide
    assert re.search(r"Date of the last review: \w+day, September 15, 2026\.", guide)
    assert re.search(r"Based on: [^.]+\.", guide)


def test_unreviewed_acknowledgement_says_so_plainly(tmp_path):
    out = tmp_path / "out"
    result = run("build", str(WARNINGS / "not-reviewed.yaml"), "--audience", "facilitator", "--out", str(out), "-j1")
    assert result.exit_code == 0, result.output
    assert "Not reviewed yet" in flat(pdf_text(out / "not-reviewed/not-reviewed-facilitator-guide.pdf"))


def test_pronunciation_page_lists_every_name(fixture_builds):
    org = FIXTURES / "orgs/bilingual-nb.yaml"
    text = pdf_text(fixture_builds / "bilingual-nb/bilingual-nb-facilitator-guide.pdf")
    assert "Saying the names" in text
    for name in _names(org):
        assert name in text
    # The French edition's page lists them too, each name as written.
    french = pdf_text(fixture_builds / "bilingual-nb/bilingual-nb-facilitator-guide-fr.pdf")
    for name in _names(org):
        assert name in french


def test_local_resources_and_facilitators_appear(fixture_builds):
    guide = flat(pdf_text(fixture_builds / "pacific-coast/pacific-coast-facilitator-guide.pdf"))
    handout = flat(pdf_text(fixture_builds / "pacific-coast/pacific-coast-participant-handout.pdf"))
    assert "Hope for Wellness Help Line" in handout and "Hope for Wellness Help Line" in guide
    assert "Priya Raman" in guide and "priya.raman@example.org" in guide
    assert "priya.raman@example.org" not in handout


# ---------------------------------------------------------------- acknowledgement review

WARNING_CASES = {
    "no-nations": (r"no Nations are listed", 2),
    "example-text": (r"still the shipped example", 5),
    "past-tense": (r"past tense \(\"were the original\"\)", 5),
    "used-to-live": (r"past tense \(\"used to live\"\)", 5),
    "no-commitments": (r"lists no commitments", 2),
    "not-reviewed": (r"no one from the community is named", 2),
    "review-stale": (r"more than 12 months ago", 7),
    "no-pronunciation": (r"no pronunciation is given for 'Wendat'", 4),
    "english-only": (r"'Mohawk' looks like an English name", 4),
    "capitals": (r'10 words in a row are in capitals \("WE ACKNOWLEDGE THAT WE WORK ON …"\)', 5),
}


@pytest.mark.parametrize("case", sorted(WARNING_CASES))
def test_each_acknowledgement_warning_is_triggered_with_file_line_and_why(case):
    pattern, line = WARNING_CASES[case]
    result = run("check", str(WARNINGS / f"{case}.yaml"))
    assert result.exit_code == 0, result.output  # warnings alone do not fail
    match = re.search(rf"{case}\.yaml:(\d+): warning: [^\n]*?{pattern}[^\n]*\((.+)\)", result.output)
    assert match, result.output
    assert int(match[1]) == line
    assert len(match[2]) > 30, "the warning should say briefly why it matters"
    strict = run("check", "--strict", str(WARNINGS / f"{case}.yaml"))
    assert strict.exit_code == 2


def test_a_good_acknowledgement_has_no_warnings():
    result = run("check", "--strict", str(FIXTURES / "orgs/pacific-coast.yaml"))
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output.replace("0 warnings", "")


def test_names_and_acronyms_in_capitals_are_not_warned_about():
    """W̱SÁNEĆ and SENĆOŦEN are written in capitals by their Nation; IPAC and CISSS are acronyms."""
    result = run("check", str(WARNINGS / "capitals.yaml"))
    assert result.exit_code == 0, result.output
    assert result.output.count("words in a row are in capitals") == 1, result.output
    assert "capitals.yaml:7" not in result.output


def test_credentials_in_capitals_are_not_a_sentence(tmp_path):
    """A facilitator's credentials are a list of abbreviations; a sentence in capitals with
    one abbreviation in it is still a sentence in capitals."""
    text = (WARNINGS / "capitals.yaml").read_text(encoding="utf-8")
    org = tmp_path / "credentials.yaml"
    org.write_text(
        text.replace("WE ACKNOWLEDGE THAT WE WORK ON THE LAND OF THE W̱SÁNEĆ PEOPLE.", "We acknowledge the land.")
        + "workshop:\n  facilitators:\n"
        + "    - {name: Dr. Ana Lee, role: 'MD, FRCPC, CCFP, MPH, MSc'}\n"
        + "    - {name: Sam Roy, role: 'RN, BScN, CDE, IBCLC, CHPCN(C)'}\n"
        + "    - {name: Jo Kent, role: PLEASE BRING YOUR RN CARD}\n"
        + "    - {name: Lou Roy, role: RENCONTRE DE L'ÉTÉ PRÉVUE}\n",
        encoding="utf-8",
    )
    result = run("check", str(org))
    assert result.exit_code == 0, result.output
    assert result.output.count("words in a row are in capitals") == 2, result.output
    assert '4 words in a row are in capitals ("RENCONTRE DE L\'ÉTÉ PRÉVUE")' in result.output
    assert '4 words in a row are in capitals ("PLEASE BRING YOUR CARD")' in result.output


def test_names_nations_use_for_themselves_are_not_called_english(tmp_path):
    """Gitxsan, Nisga'a, Wet'suwet'en, Piikani, Haida: the Nations' own names in Latin letters."""
    text = (WARNINGS / "english-only.yaml").read_text(encoding="utf-8")
    own = "".join(
        f'    - {{name: {name}, pronunciation: "x"}}\n'
        for name in ("Gitxsan", "Nisga’a", "Wet’suwet’en", "Piikani", "Haida", "Tsleil-Waututh")
    )
    org = tmp_path / "own-names.yaml"
    org.write_text(text.replace('    - {name: Mohawk, pronunciation: "MO-hawk"}\n', own), encoding="utf-8")
    result = run("check", str(org))
    assert result.exit_code == 0, result.output
    assert "English name" not in result.output


def test_names_peoples_use_for_themselves_and_equal_names_are_not_called_english(tmp_path):
    """Dakota, Nakota, Métis: names these peoples use for themselves, alone or written twice
    (name and english_name), had a warning no one could answer on every check and build."""
    text = (WARNINGS / "english-only.yaml").read_text(encoding="utf-8")
    own = "".join(
        f'    - {{name: {name}, english_name: {english}, pronunciation: "x"}}\n'
        for name, english in (("Dakota", "Dakota"), ("Nakota", "Nakota"), ("Métis", "Métis"), ("Inuit", "Inuit"))
    ) + "".join(f'    - {{name: {name}, pronunciation: "x"}}\n' for name in ("Lakota", "Innu", "Dene", "Anishinaabe"))
    org = tmp_path / "own-names.yaml"
    org.write_text(text.replace('    - {name: Mohawk, pronunciation: "MO-hawk"}\n', own), encoding="utf-8")
    result = run("check", "--strict", str(org))
    assert result.exit_code == 0, result.output
    assert "English name" not in result.output


def test_an_organization_can_say_a_listed_name_is_the_nations_own_in_english(tmp_path):
    """Writing the name again as english_name is the file's way to say so; the warning says how."""
    text = (WARNINGS / "english-only.yaml").read_text(encoding="utf-8")
    warned = run("check", str(WARNINGS / "english-only.yaml"))
    assert "write it again as english_name: Mohawk" in warned.output
    org = tmp_path / "said-so.yaml"
    org.write_text(text.replace("{name: Mohawk,", "{name: Mohawk, english_name: Mohawk,"), encoding="utf-8")
    result = run("check", "--strict", str(org))
    assert result.exit_code == 0, result.output
    assert "English name" not in result.output


def test_review_age_is_measured_from_today():
    from packets.load.curriculum import Project
    from packets.load.model import Organization
    from packets.load.review import review_acknowledgement
    from packets.load.sources import read_yaml

    doc = read_yaml(WARNINGS / "review-stale.yaml")
    org = Organization.model_validate(doc.data)
    old = review_acknowledgement(org, doc, Project(ROOT), today=dt.date(2019, 6, 1))
    assert not any("12 months" in p.message for p in old)
    new = review_acknowledgement(org, doc, Project(ROOT), today=dt.date(2027, 1, 1))
    assert any("12 months" in p.message for p in new)


def test_accent_colour_with_low_contrast_is_an_error_with_ratio_and_suggestion(tmp_path):
    org = tmp_path / "pale.yaml"
    org.write_text('name: Pale Clinic\naccent_colour: "#ffcc00"\n', encoding="utf-8")
    result = run("check", str(org))
    assert result.exit_code == 2
    match = re.search(
        r"pale\.yaml:2: accent colour #ffcc00 has a contrast of (\d\.\d\d):1 .* try (#[0-9a-f]{6})", result.output
    )
    assert match, result.output
    from packets.load.colour import weakest_contrast

    assert float(match[1]) == pytest.approx(weakest_contrast("#ffcc00"), abs=0.01)
    assert weakest_contrast(match[2]) >= 4.5


def test_an_accent_that_reads_on_white_but_not_on_the_note_panels_is_an_error(tmp_path):
    """#767676 is 4.54:1 on white, but labels in the accent colour also sit on the pale panels."""
    from packets.load.colour import PANEL, contrast_on_white, weakest_contrast

    assert contrast_on_white("#767676") >= 4.5 > weakest_contrast("#767676")
    org = tmp_path / "grey.yaml"
    org.write_text('name: Grey Clinic\naccent_colour: "#767676"\n', encoding="utf-8")
    result = run("check", str(org))
    assert result.exit_code == 2
    assert "grey.yaml:2: accent colour #767676 has a contrast of 4.1" in result.output
    assert f"on the pale note panels ({PANEL})" in result.output


# ---------------------------------------------------------------- init and schema


def test_init_without_input_writes_a_file_that_builds(empty_project, tmp_path):
    project = empty_project
    args = [
        "init",
        "lakeside",
        "--no-input",
        "--name",
        "Lakeside Family Health Team",
        "--paper",
        "a4",
        "--format",
        "short",
        "--date",
        "2027-02-11",
        "--start",
        "10:00",
        "--facilitator",
        "Dana Fox|Nurse educator",
        "--nation",
        "Kanien’kehá:ka|Mohawk|ga-nyen-geh-HA-ga",
        "--territory",
        "Dish With One Spoon territory",
        "--commitment",
        "We co-design our diabetes program with the community health centre.",
        "--reviewed-by",
        "Community health centre board",
        "--reviewed-on",
        "2026-11-01",
    ]
    result = run(*args)
    assert result.exit_code == 0, result.output
    written = project / "content/orgs/lakeside.yaml"
    text = written.read_text(encoding="utf-8")
    assert "Kanien’kehá:ka" in text and text.startswith("# yaml-language-server: $schema=")
    again = run(*args)
    assert again.exit_code == 2 and "--force" in again.output
    assert run(*args, "--force").exit_code == 0
    out = tmp_path / "out"
    built = run("build", "lakeside", "--out", str(out), "-j1")
    assert built.exit_code == 0, built.output
    assert "Kanien’kehá:ka" in pdf_text(out / "lakeside/lakeside-participant-handout.pdf")


def _answers(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def test_init_asks_step_by_step(empty_project):
    project = empty_project
    answers = _answers(
        "",  # the documents' language: English, the default
        "Bayview Clinic",  # name
        "letter",  # paper
        "",  # accent colour
        "",  # logo
        "",  # workshop title
        "standard",  # format
        "",  # date
        "",  # start
        "",  # breaks
        "",  # location
        "",  # no Elder or knowledge keeper
        "Kim Lee|Lead",
        "",  # facilitators
        "",  # what Kim Lee leads
        "ᐃᓄᐃᑦ|Inuit|IN-oo-eet",
        "",  # nations
        "",  # places to practise
        "",  # territory
        "",  # statement
        "We hire Inuit patient navigators.",
        "",  # commitments
        "",  # reviewed by
        "",  # based on
        "",  # local supports
    )
    result = run("init", input=answers)
    assert result.exit_code == 0, result.output
    data = yaml.safe_load((project / "content/orgs/bayview-clinic.yaml").read_text(encoding="utf-8"))
    assert data["land_acknowledgement"]["nations"][0]["name"] == "ᐃᓄᐃᑦ"
    assert data["workshop"]["facilitators"][0] == {"name": "Kim Lee", "role": "Lead"}


def test_init_checks_each_answer_as_it_is_given_and_asks_again(empty_project):
    """A bad answer is refused at its own question with the model's message, then asked again."""
    answers = _answers(
        "",  # English
        "Prairie Roots",
        "legal",  # refused: letter or a4
        "a4",
        "#ffcc00",  # refused: too pale
        "#1f5f8b",
        "",  # no logo
        "Allyship in practice",
        "weekly",  # refused
        "90",  # the standard format, by its length
        "2027-02-30",  # refused: no such day
        "2027-02-11",
        "1:00 pm",  # refused
        "13:00",
        "",  # breaks: auto
        "Station 20 West, Saskatoon",
        "",  # no Elder or knowledge keeper
        "Kim Lee|Health equity lead|kim@example.org",
        "",
        "",  # what Kim Lee leads
        "ᓀᐦᐃᔭᐤ|Cree||neh-HIY-aw",  # the fourth part says the Nation's own name
        "Dakota|Dakota|da-KO-ta",
        "",
        "kisiskâciwani-sîpiy|Saskatchewan River||ki-SIS-kah-chi-wan-ee SEE-pee",
        "",
        "Treaty 6 territory and the homeland of the Métis",
        "We gather on Treaty 6 territory, the land of the nêhiyawak and the Dakota, and the homeland of the Métis.",
        "We fund a community-chosen Elder-in-residence.",
        "",
        "Elder Mary Bird",
        "2026-06-12",
        "A conversation with the Saskatoon Tribal Council",
        "Hope for Wellness Help Line|1-855-242-3310|Counselling, open 24 hours",
        "",
    )
    result = run("init", input=answers)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "'paper' is 'legal'; it must be one of 'letter' or 'a4'; please try again." in out
    assert "accent colour #ffcc00 has a contrast of 1.38:1" in out
    assert "short (60 min), standard (90 min), half-day (180 min)" in out
    assert "unknown format 'weekly'" in out
    assert "February 2027 has no 30th day; " not in out and "February 2027 has no 30th day" in out
    assert 'start time "1:00 pm" is not HH:MM' in out
    path = empty_project / "content/orgs/prairie-roots.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["paper"] == "a4" and data["accent_colour"] == "#1f5f8b"
    workshop = data["workshop"]
    assert workshop["title"] == "Allyship in practice" and workshop["format"] == "standard"
    assert workshop["date"] == dt.date(2027, 2, 11) and workshop["start"] == "13:00"
    assert workshop["facilitators"] == [{"name": "Kim Lee", "role": "Health equity lead", "contact": "kim@example.org"}]
    ack = data["land_acknowledgement"]
    assert [n["name"] for n in ack["nations"]] == ["ᓀᐦᐃᔭᐤ", "Dakota"]
    assert ack["nations"][0]["name_pronunciation"] == "neh-HIY-aw" and "pronunciation" not in ack["nations"][0]
    assert ack["places"][0]["english_name"] == "Saskatchewan River"
    assert ack["statement"].startswith("We gather on Treaty 6 territory") and ack["reviewed_by"] == "Elder Mary Bird"
    assert ack["reviewed_on"] == dt.date(2026, 6, 12) and ack["based_on"].startswith("A conversation")
    assert data["local_resources"][0]["contact"] == "1-855-242-3310"
    checked = run("check", "--strict", "prairie-roots")
    assert checked.exit_code == 0, checked.output


def test_init_checks_a_logo_as_the_build_will(empty_project):
    (empty_project / "content/orgs/logos").mkdir()
    (empty_project / "content/orgs/logos/mark.png").write_bytes(
        (ROOT / "tests/fixtures/orgs/logos")
        .joinpath(next(p.name for p in (ROOT / "tests/fixtures/orgs/logos").glob("*.png")))
        .read_bytes()
    )
    answers = _answers(
        "", "Logo Clinic", "letter", "", "logos/missing.png", "logos/mark.png", "A prairie crocus", *[""] * 20
    )
    result = run("init", input=answers)
    assert result.exit_code == 0, result.output
    assert "logo file 'logos/missing.png' does not exist" in result.output
    data = yaml.safe_load((empty_project / "content/orgs/logo-clinic.yaml").read_text(encoding="utf-8"))
    assert data["logo"] == "logos/mark.png" and data["logo_alt"] == "A prairie crocus"


def test_init_asks_again_for_a_refused_flag(empty_project):
    """Without --no-input, a flag the model refuses is reported and asked for, like an answer."""
    answers = _answers(*[""] * 11, "Kim Lee|Lead", "", "", *[""] * 8)
    result = run("init", "--name", "Flag Clinic", "--start", "1:00 pm", "--facilitator", "|Lead", input=answers)
    assert result.exit_code == 0, result.output
    assert 'start time "1:00 pm" is not HH:MM' in result.output
    assert "the first part is needed; please try again." in result.output
    data = yaml.safe_load((empty_project / "content/orgs/flag-clinic.yaml").read_text(encoding="utf-8"))
    assert "start" not in data["workshop"]
    assert data["workshop"]["facilitators"] == [{"name": "Kim Lee", "role": "Lead"}]


def test_init_with_a_bad_flag_and_no_input_writes_nothing(empty_project):
    result = run("init", "--no-input", "--name", "Prairie Roots", "--start", "1:00 pm")
    assert result.exit_code == 2
    assert 'init: --start: start time "1:00 pm" is not HH:MM' in result.output
    assert not (empty_project / "content/orgs/prairie-roots.yaml").exists()
    result = run("init", "--no-input", "--name", "Prairie Roots", "--reviewed-on", "2027-02-30")
    assert result.exit_code == 2 and "February 2027 has no 30th day" in result.output


def test_init_keeps_what_was_typed_when_a_problem_is_found_late(empty_project):
    """A character the fonts cannot print is found only once the file is read back: the file stays."""
    result = run("init", "--no-input", "--name", "Prairie Roots \U0001f33e", "prairie-roots")
    assert result.exit_code == 2, result.output
    path = empty_project / "content/orgs/prairie-roots.yaml"
    assert path.exists(), "the file with every answer must be kept"
    assert "Fix the 1 error above in" in result.output and "prairie-roots.yaml" in result.output
    assert "U+1F33E" in result.output or "🌾" in result.output


def test_init_stopped_half_way_keeps_the_answers_so_far(empty_project):
    """Kept in a file of their own (tests/test_coordinator.py shows init going on from them)."""
    result = run("init", input=_answers("", "Half Way Clinic", "a4", "", ""))
    assert result.exit_code != 0
    assert "Your answers so far are kept; run `packets init half-way-clinic`" in result.output
    assert not (empty_project / "content/orgs/half-way-clinic.yaml").exists()
    kept = json.loads((empty_project / "content/orgs/.init-half-way-clinic.json").read_text(encoding="utf-8"))
    assert kept["name"] == "Half Way Clinic" and kept["paper"] == "a4"


def test_init_example_review_date_is_not_in_the_future(empty_project):
    result = run("init", "--no-input", "--name", "Dateless Clinic")
    assert result.exit_code == 0, result.output
    text = (empty_project / "content/orgs/dateless-clinic.yaml").read_text(encoding="utf-8")
    match = re.search(r"^  # reviewed_on: (\d{4}-\d\d-\d\d)", text, re.MULTILINE)
    assert match, text
    assert dt.date.fromisoformat(match[1]) <= dt.date.today()
    for key in ("accent_colour", "logo", "logo_alt", "title", "places", "statement", "based_on", "local_resources"):
        assert re.search(rf"^\s*# {key}:", text, re.MULTILINE), f"no example for {key}"


def test_schema_is_generated_from_the_model(tmp_path):
    result = run("schema", "-o", str(tmp_path / "schema.json"))
    assert result.exit_code == 0
    schema = json.loads((tmp_path / "schema.json").read_text(encoding="utf-8"))
    assert schema["additionalProperties"] is False
    assert {"name", "land_acknowledgement", "workshop"} <= set(schema["properties"])
    assert (
        (ROOT / "content/orgs/example.yaml").read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=")
    )


def test_docs_org_reference_matches_the_model():
    from packets.reference import org_reference

    page = (ROOT / "docs/organization-file.md").read_text(encoding="utf-8")
    start = page.index("<!-- org-reference:start -->")
    end = page.index("<!-- org-reference:end -->")
    assert page[start:end].split("\n", 1)[1].strip() == org_reference().strip(), (
        "docs/organization-file.md's reference is out of date: run `packets reference --update-docs`"
    )


def test_custom_module_selection_is_run_in_the_given_order(fixture_builds):
    from packets.load.curriculum import Project, load_curriculum

    curriculum = load_curriculum(Project(ROOT))
    chosen = yaml.safe_load((FIXTURES / "orgs/many-nations.yaml").read_text(encoding="utf-8"))["workshop"]["modules"]
    text = flat(pdf_text(fixture_builds / "many-nations/many-nations-facilitator-guide.pdf"))
    positions = [text.find(f"{i}. {curriculum.modules[m].title}") for i, m in enumerate(chosen, start=1)]
    assert all(p >= 0 for p in positions), positions
    assert positions == sorted(positions)
    skipped = set(curriculum.modules) - set(chosen)
    assert not any(f"Module {n}" in text for n in range(len(chosen) + 1, 10)), skipped


def test_init_takes_any_session_length_in_minutes(tmp_path):
    target = ROOT / "content/orgs/zz-length-test.yaml"
    try:
        result = run("init", "zz-length-test", "--name", "Length Test", "--format", "150", "--no-input")
        assert result.exit_code == 0, result.output
        text = target.read_text(encoding="utf-8")
        assert "\n  minutes: 150" in text and "\n  format:" not in text
        assert run("check", "zz-length-test").exit_code == 0
    finally:
        target.unlink(missing_ok=True)
