"""Editions: an organization's documents in French (`language: fr`), or in English and French side
by side (`languages: [en, fr]`), each edition its own files, its own manifest entries and its own
key, so a second build makes nothing and a change to the French text remakes only French files.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from conftest import FIXTURES, flat, pdf_text, run

BILINGUAL = FIXTURES / "orgs" / "bilingual-nb.yaml"
FRENCH = FIXTURES / "orgs" / "francophone.yaml"


def _pdfs(folder: Path) -> set[str]:
    return {p.name for p in folder.glob("*.pdf")}


def _stamps(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.glob("*.pdf")}


def test_a_french_edition_s_file_names_end_in_fr_after_every_other_part():
    from packets.output import pdf_name
    from packets.render.kit import kit_name

    assert pdf_name("riverside", "facilitator") == "riverside-facilitator-guide.pdf"
    assert pdf_name("riverside", "facilitator", language="fr") == "riverside-facilitator-guide-fr.pdf"
    large_a4 = "riverside-participant-handout-large-print-a4-fr.pdf"
    assert pdf_name("riverside", "participant", True, "a4", "fr") == large_a4
    assert kit_name("riverside", "slides", "fr") == "riverside-slides-fr.pdf"
    assert kit_name("riverside", "booklet-participant", "fr") == "riverside-participant-handout-booklet-fr.pdf"
    assert kit_name("riverside", "fillable") == "riverside-participant-handout-fillable.pdf"


def test_the_manifest_reads_back_each_edition_s_document_id():
    from packets.write.batch import document_id, parse_document_id

    for document, paper in [
        (("facilitator", False, None, "en"), None),
        (("participant", True, None, "fr"), "a4"),
        (("slides", False, "slides", "fr"), None),
        (("participant", False, "booklet-participant", "en"), "letter"),
    ]:
        audience, large, kind, language = document
        recorded = document_id(audience, large, paper, kind, language)
        assert parse_document_id(recorded) == (document, paper)
    # An English document keeps the id older manifests recorded.
    assert document_id("facilitator", False, None) == "facilitator|regular|own-paper"


def test_a_french_organization_builds_only_french_documents(fixture_org_builds):
    assert _pdfs(fixture_org_builds / "francophone") == {
        "francophone-facilitator-guide-fr.pdf",
        "francophone-participant-handout-fr.pdf",
        "francophone-facilitator-guide-large-print-fr.pdf",
        "francophone-participant-handout-large-print-fr.pdf",
    }


def test_a_bilingual_organization_builds_both_editions_side_by_side(fixture_org_builds):
    folder = fixture_org_builds / "bilingual-nb"
    assert _pdfs(folder) == {
        f"bilingual-nb-{kind}{edition}.pdf"
        for kind in (
            "facilitator-guide",
            "participant-handout",
            "facilitator-guide-large-print",
            "participant-handout-large-print",
        )
        for edition in ("", "-fr")
    }
    english = flat(pdf_text(folder / "bilingual-nb-participant-handout.pdf"))
    french = flat(pdf_text(folder / "bilingual-nb-participant-handout-fr.pdf"))
    assert "Fredericton Community Health Partnership" in english
    assert "Partenariat de santé communautaire de Fredericton" not in english
    assert "Partenariat de santé communautaire de Fredericton" in french
    assert "Fredericton Community Health Partnership" not in french
    assert "Nous nous réunissons sur le territoire non cédé" in french
    for text in (english, french):
        # Read back exactly: the schwa of Wəlastəkwiyik, the modifier letter apostrophe (U+02BC) of Miʼkmaq.
        assert "Wəlastəkwiyik" in text and "Miʼkmaq" in text


def test_a_bilingual_organization_rebuilds_only_the_edition_its_change_reaches(tmp_path):
    orgs, out = tmp_path / "orgs", tmp_path / "out"
    orgs.mkdir()
    org = orgs / "bilingual-nb.yaml"
    shutil.copy(BILINGUAL, org)
    first = run("build", str(org), "--slides", "--out", str(out), "-j2")
    assert first.exit_code == 0, first.output
    folder = out / "bilingual-nb"
    assert _pdfs(folder) == {
        "bilingual-nb-facilitator-guide.pdf",
        "bilingual-nb-participant-handout.pdf",
        "bilingual-nb-slides.pdf",
        "bilingual-nb-facilitator-guide-fr.pdf",
        "bilingual-nb-participant-handout-fr.pdf",
        "bilingual-nb-slides-fr.pdf",
    }
    assert "(French)" in first.output  # the summary names the French documents it made

    again = run("build", str(org), "--slides", "--out", str(out), "-j2")
    assert again.exit_code == 0, again.output
    assert "0 built, 1 up to date" in again.output

    before = _stamps(folder)
    text = org.read_text(encoding="utf-8")
    changed = text.replace("et encore aujourd’hui.", "et qui le font encore aujourd’hui.")
    assert changed != text
    org.write_text(changed, encoding="utf-8")
    french_only = run("build", str(org), "--slides", "--out", str(out), "-j2")
    assert french_only.exit_code == 0, french_only.output
    after = _stamps(folder)
    remade = {name for name in after if after[name] != before[name]}
    assert remade == {
        "bilingual-nb-facilitator-guide-fr.pdf",
        "bilingual-nb-participant-handout-fr.pdf",
        "bilingual-nb-slides-fr.pdf",
    }
    assert "et qui le font encore aujourd’hui" in flat(pdf_text(folder / "bilingual-nb-participant-handout-fr.pdf"))


def test_language_option_builds_one_edition_and_refuses_one_the_organization_does_not_make(tmp_path):
    out = tmp_path / "out"
    result = run("build", str(BILINGUAL), "--language", "fr", "--audience", "participant", "--out", str(out), "-j1")
    assert result.exit_code == 0, result.output
    assert _pdfs(out / "bilingual-nb") == {"bilingual-nb-participant-handout-fr.pdf"}

    english_only = FIXTURES / "orgs" / "pacific-coast.yaml"
    refused = run("build", str(english_only), "--language", "fr", "--out", str(out), "-j1")
    assert refused.exit_code == 2
    assert re.search(r"pacific-coast\.yaml:1: .*no French edition: its file asks for English only", refused.output)
    assert "languages: [en, fr]" in refused.output and "Traceback" not in refused.output
    assert not (out / "pacific-coast").exists()


def test_an_edition_the_organization_no_longer_asks_for_is_removed(tmp_path):
    orgs, out = tmp_path / "orgs", tmp_path / "out"
    orgs.mkdir()
    org = orgs / "bilingual-nb.yaml"
    shutil.copy(BILINGUAL, org)
    first = run("build", str(org), "--audience", "participant", "--out", str(out), "-j2")
    assert first.exit_code == 0, first.output
    org.write_text(org.read_text(encoding="utf-8").replace("languages: [en, fr]", "language: fr"), encoding="utf-8")
    second = run("build", str(org), "--audience", "participant", "--out", str(out), "-j2")
    assert second.exit_code == 0, second.output
    assert _pdfs(out / "bilingual-nb") == {"bilingual-nb-participant-handout-fr.pdf"}
    assert "removed" in second.output and "bilingual-nb-participant-handout.pdf" in second.output


def test_plan_prints_a_french_organization_s_run_of_show_in_french():
    result = run("plan", str(FRENCH))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].endswith(": L’alliance en pratique")
    header = next(line for line in lines if line.startswith(("Heure", "Time")))
    assert header.split()[:2] == ["Heure", "Min"]
    assert re.search(r"^9 h ", result.output, flags=re.M)  # the first row starts at 9 h, the French way
    assert re.search(r"Total : ", result.output)
    assert not re.search(r"\b(Time|Materials|Leads|Activity)\b|\b9:00\b", result.output)


def test_plan_prints_each_edition_of_a_bilingual_organization_or_the_one_asked_for():
    both = run("plan", str(BILINGUAL))
    assert both.exit_code == 0, both.output
    assert "Fredericton Community Health Partnership" in both.output and "Allyship in our care" in both.output
    assert "Partenariat de santé communautaire de Fredericton" in both.output
    assert "L’alliance dans nos soins" in both.output and "Heure" in both.output and "Time" in both.output
    french = run("plan", str(BILINGUAL), "--language", "fr")
    assert french.exit_code == 0, french.output
    assert "Fredericton Community Health Partnership" not in french.output
    assert "13 h" in french.output and "Heure" in french.output
    refused = run("plan", str(FRENCH), "--language", "en")
    assert refused.exit_code == 2 and "no English edition" in refused.output


def test_init_asks_a_french_organization_in_french_and_writes_language_fr(empty_project):
    import yaml

    answers = [
        "fr",  # the documents' language, asked first
        "Clinique de la Baie",
        "légal",  # refused, in French
        "a4",
        "",  # accent colour
        "",  # logo
        "L’alliance en pratique",
        "standard",
        "",  # date
        "",  # start
        "aucune",  # breaks: none, as the French question offers it
        "",  # location
        "non",  # no Elder or knowledge keeper opens or closes
        "Anne Roy|Infirmière",
        "",
        "",  # what Anne Roy leads
        "W8banaki|Abénakis (Waban-Aki)|wa-ba-NA-ki",
        "",
        "",  # places
        "",  # territory
        "",  # statement: a draft
        "Nous rémunérons les membres du Grand Conseil pour leur temps.",
        "",
        *[""] * 6,
    ]
    result = run("init", input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Langue des documents" in out
    for question in ("Nom de l’organisation", "Format du papier", "Titre de l’atelier", "Ce que chaque personne"):
        assert question in out
    assert "veuillez réessayer" in out
    assert "Organization name" not in out and "Paper size" not in out and "Workshop title" not in out
    data = yaml.safe_load((empty_project / "content/orgs/clinique-de-la-baie.yaml").read_text(encoding="utf-8"))
    assert data["language"] == "fr" and "languages" not in data
    assert data["workshop"]["breaks"] == "none"
    nation = data["land_acknowledgement"]["nations"][0]
    assert nation == {"name": "W8banaki", "french_name": "Abénakis (Waban-Aki)", "name_pronunciation": "wa-ba-NA-ki"}


def test_init_for_both_languages_asks_the_french_of_each_text_and_writes_both(empty_project):
    import yaml

    answers = [
        "both",
        "Fredericton Health Partnership",
        "Partenariat de santé de Fredericton",  # the name in French
        "",  # paper
        "",  # accent colour
        "",  # logo
        "Allyship in our care",
        "L’alliance dans nos soins",
        "standard",
        "",  # date
        "",  # start
        "",  # breaks
        "Room 210",
        "",  # the same location in French
        "",  # no Elder or knowledge keeper
        "",  # facilitators
        "Wəlastəkwiyik|Wolastoqiyik (Maliseet)|Wolastoqiyik (Malécites)",
        "Miʼkmaq",
        "",
        *[""] * 10,
    ]
    result = run("init", input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "Organization name, in French" in result.output
    data = yaml.safe_load(
        (empty_project / "content/orgs/fredericton-health-partnership.yaml").read_text(encoding="utf-8")
    )
    assert data["languages"] == ["en", "fr"]
    assert data["name"] == {"en": "Fredericton Health Partnership", "fr": "Partenariat de santé de Fredericton"}
    assert data["workshop"]["title"] == {"en": "Allyship in our care", "fr": "L’alliance dans nos soins"}
    assert data["workshop"]["location"] == "Room 210"  # one text serves both editions
    first, second = data["land_acknowledgement"]["nations"]
    assert first == {
        "name": "Wəlastəkwiyik",
        "english_name": "Wolastoqiyik (Maliseet)",
        "french_name": "Wolastoqiyik (Malécites)",
    }
    assert second == {"name": "Miʼkmaq"}


def test_every_question_of_init_has_its_french():
    """content/interview.yaml and its French overlay: every question in both, the same {slots}."""
    from conftest import ROOT

    from packets.interview import InterviewWords, interview_words
    from packets.load.curriculum import Project

    project = Project(ROOT)
    english, french = interview_words(project), interview_words(project, "fr")
    for key in InterviewWords.model_fields:
        said, dit = getattr(english, key), getattr(french, key)
        assert re.findall(r"\{\w+\}", said) == re.findall(r"\{\w+\}", dit), key
        if key not in ("format_choice",):  # "{id} ({minutes} min)" reads the same in both
            assert said != dit, f"{key} is not in French"
