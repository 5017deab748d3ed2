"""Organizations in French and in both languages: the file's keys, each edition's text, check's words."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, run

from packets.load.model import Organization
from packets.load.validation import read_model

EDITIONS = FIXTURES / "editions"


def _org(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "org.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _read(path: Path) -> Organization:
    org, _, problems = read_model(path, Organization)
    assert org is not None, [str(p) for p in problems]
    return org


def test_an_organization_names_its_editions():
    assert _read(EDITIONS / "bilingual.yaml").editions == ("en", "fr")
    assert _read(EDITIONS / "french.yaml").editions == ("fr",)
    assert _read(ROOT / "content/orgs/example.yaml").editions == ("en",)


def test_each_edition_prints_plain_text_in_its_language():
    org = _read(EDITIONS / "bilingual.yaml")
    french, english = org.edition("fr"), org.edition("en")
    assert (french.language, english.language) == ("fr", "en")
    assert (french.name, english.name) == ("Réseau de santé Horizon", "Horizon Health Network")
    assert french.workshop.title == "L’alliance en pratique"
    assert french.workshop.facilitators[0].role == "Responsable de l’équité"
    assert french.land_acknowledgement.commitments[0].startswith("Nous rémunérons")
    # A plain text is every edition's; a text in one language only is the other's fallback.
    assert french.land_acknowledgement.commitments[1] == english.land_acknowledgement.commitments[1]
    assert french.workshop.location == "Room 2, Fredericton"
    nation = french.land_acknowledgement.nations[0]
    assert (nation.name, nation.common_name("fr"), nation.common_name("en")) == (
        "Wolastoqiyik",
        "Malécites",
        "Maliseet",
    )
    assert french.land_acknowledgement.nations[1].name == "Miʼkmaq"  # U+02BC kept
    assert "TextByLanguage" not in repr(french) and "ProseByLanguage" not in repr(french)


def test_check_warns_where_an_edition_prints_the_other_language(french_project):
    result = run("check", str(EDITIONS / "bilingual.yaml"))
    out = result.output
    assert (
        "bilingual.yaml:10: warning: 'workshop.location' has no French text: the French edition prints it in English"
        in out
    )
    assert "(add fr: with the French text beside en:)" in out
    assert "bilingual.yaml:18: warning: no french_name is given for 'Wolastoq'" in out
    assert "french_name: Saint John River" in out
    # The plain commitment reads as English and prints in the French edition too.
    assert "bilingual.yaml:26: warning: 'land_acknowledgement.commitments' reads as English" in out
    assert "Miʼkmaq" not in out  # the same name in both: nothing to say
    assert result.exit_code == 0, out


def test_check_warns_about_an_english_sentence_in_a_french_organization(french_project):
    result = run("check", str(EDITIONS / "french.yaml"))
    out = result.output
    assert (
        "french.yaml:10: warning: 'land_acknowledgement.territory' reads as English, and the French edition prints it"
        in out
    )
    assert "write it in French, or give it as {en: ..., fr: ...}" in out
    assert "statement" not in out and "commitments" not in out
    assert "Traceback" not in out


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("name: X\nlanguage: de\n", 2, "'language' is 'de'; it must be one of 'en' or 'fr'"),
        ("name: X\nlanguages: [en, es]\n", 2, "'languages' is 'es'; it must be one of 'en' or 'fr'"),
        (
            "name: X\nlanguage: fr\nlanguages: [en, fr]\n",
            3,
            "give language (one edition) or languages (several), not both",
        ),
        ("name: X\nlanguages: [fr, fr]\n", 2, "languages lists a language twice; write languages: [fr]"),
        ("name: {en: X, de: Y}\n", 1, "'de' in 'name' is not a language packets are printed in"),
        ("name: X\nworkshop:\n  title: {}\n", 3, "give the text in at least one language"),
        ("name: X\nworkshop:\n  title: {fr: ''}\n", 3, "'workshop.title.fr' is empty"),
        ("name: {en: [A, B]}\n", 1, "'name.en' should be text, not a list"),
        (
            "name: X\nland_acknowledgement:\n  nations:\n    - {name: Y, french_name: 3}\n",
            4,
            "'land_acknowledgement.nations.french_name' should be text",
        ),
    ],
)
def test_a_wrong_language_key_is_a_clear_error(tmp_path, text, line, message):
    path = _org(tmp_path, text)
    result = run("check", str(path))
    assert result.exit_code == 2, result.output
    assert f"org.yaml:{line}: {message}" in result.output
    assert "Traceback" not in result.output and "ByLanguage" not in result.output and "constrained" not in result.output


def test_a_french_organization_has_the_french_curriculum_checked(french_project):
    orgs = french_project / "content/orgs"
    shutil.copy(EDITIONS / "french.yaml", orgs / "peninsule.yaml")
    result = run("check", "peninsule")
    assert result.exit_code == 0, result.output
    broken = french_project / "content/fr/support.yaml"
    broken.write_text(broken.read_text(encoding="utf-8").replace("intro:", "intr:", 1), encoding="utf-8")
    result = run("check", "peninsule")
    assert result.exit_code == 2
    assert "content/fr/support.yaml" in result.output and "no French text for 'intro'" in result.output
    # An English organization builds from the English curriculum only: the French is not its concern.
    (orgs / "peninsule.yaml").unlink()
    assert run("check").exit_code == 0


def test_the_schema_and_reference_show_per_language_text(tmp_path):
    assert run("schema", "-o", str(tmp_path / "schema.json")).exit_code == 0
    schema = json.loads((tmp_path / "schema.json").read_text(encoding="utf-8"))
    assert schema["properties"]["language"]["anyOf"][0]["enum"] == ["en", "fr"]
    name = json.dumps(schema["properties"]["name"])
    assert "TextByLanguage" in name
    assert set(schema["$defs"]["TextByLanguage"]["properties"]) == {"en", "fr"}
    assert "french_name" in schema["$defs"]["Nation"]["properties"]
    shipped = json.loads((ROOT / "content/orgs/org.schema.json").read_text(encoding="utf-8"))
    assert shipped == schema, (
        "content/orgs/org.schema.json is stale: run `packets schema -o content/orgs/org.schema.json`"
    )
    reference = run("reference").output
    assert "| `land_acknowledgement.statement` | text, or text per language `{en: …, fr: …}` |" in reference
    assert "| `languages` |" in reference and "`land_acknowledgement.nations[].french_name`" in reference


def test_planning_sees_one_edition_in_plain_text():
    from packets.load.curriculum import Project, load_curriculum
    from packets.planning.plan import make_plan

    curriculum = load_curriculum(Project(ROOT))
    org = _read(EDITIONS / "bilingual.yaml")
    first = make_plan("horizon", org, curriculum)
    assert (first.org.language, first.org.name) == ("en", "Horizon Health Network")
    french = make_plan("horizon", org.edition("fr"), curriculum)
    assert (french.org.language, french.org.name) == ("fr", "Réseau de santé Horizon")
    assert french.org.land_acknowledgement.statement.startswith("Nous nous réunissons")
    assert make_plan("peninsule", _read(EDITIONS / "french.yaml"), curriculum).org.language == "fr"
