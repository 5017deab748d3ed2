"""The French curriculum: overlays in content/fr/ laid over the English, checked like any content."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, ROOT, run

from packets.errors import InputError
from packets.load.curriculum import Project, load_curriculum, overlay_files
from packets.load.overlay import OPTIONAL_KEYS, STRUCTURE_KEYS, Overlay
from packets.load.sources import read_yaml

OVERLAY = FIXTURES / "overlay"


def _overlay_problems(relative: str) -> tuple[dict, list[str]]:
    english = read_yaml(OVERLAY / "english" / relative, trusted=True)
    french = read_yaml(OVERLAY / "french" / relative, trusted=True)
    overlay = Overlay(english, french)
    merged = overlay.merged().data
    return merged, [f"{p.line}: {p.message} ({p.hint})" for p in overlay.problems]


def test_overlay_takes_the_french_text_and_the_english_structure():
    merged, _ = _overlay_problems("modules/01-sample.yaml")
    assert merged["id"] == "sample"
    assert merged["title"] == "Un module d’exemple"
    assert merged["minimum_minutes"] == 8  # the overlay's 10 is refused, the English kept
    assert merged["objectives"] == ["Dire une chose."]  # a list of texts is replaced whole
    first, second = merged["discussion_questions"]
    assert (first["id"], first["question"], first["core"]) == (
        "sample-first",
        "Quelle est la première question ?",
        True,
    )
    assert first["prompts"] == ["Une relance."]
    assert second["question"] == "Quelle est la deuxième question ?"
    assert merged["activities"][0]["groups"] == "pairs"


def test_overlay_names_every_mistake_with_its_line():
    _, problems = _overlay_problems("modules/01-sample.yaml")
    text = "\n".join(problems)
    assert "3: 'summary' should be text, not the number 3" in text
    assert "4: 'minimum_minutes' is not text: it comes from the English file" in text
    assert "change it in tests/fixtures/overlay/english/modules/01-sample.yaml:5 if it must change" in text
    assert "7: 'slide_points' is empty" in text
    assert "the items of 'discussion_questions' are not in the English order" in text
    assert "14: 'discussion_questions' has no item with the id 'sample-third'" in text
    assert "19: 'activities[sample-activity].groups' is structure, not text: it comes from the English file" in text
    assert "21: 'activities[sample-activity].materiel' is not in the English file" in text
    assert len(problems) == 7, text


def test_overlay_keeps_slots_and_counts_of_unnamed_items():
    merged, problems = _overlay_problems("formats.yaml")
    text = "\n".join(problems)
    assert "2: 'wording.pause' lacks {minutes} and has {minute}, which the English has not" in text
    assert "use the same slots as the English" in text
    assert "'wording.steps' lists 1 items; the English lists 2" in text
    assert merged["wording"]["regroup"] == "{minutes} min pour se mettre en {groups} et revenir"
    assert len(problems) == 2, text


def _write(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")


def _problems(project_root: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_curriculum(Project(project_root), "fr")
    return [str(p) for p in caught.value.problems]


def test_french_curriculum_is_the_english_structure_with_french_text(french_project):
    english = load_curriculum(Project(french_project))
    french = load_curriculum(Project(french_project), "fr")
    assert (english.language, french.language, french.meta.language) == ("en", "fr", "fr")
    assert french.all_ids() == english.all_ids()
    assert list(french.modules) == list(english.modules)
    for ident, module in french.modules.items():
        assert module.title == "Texte : " + english.modules[ident].title
        assert module.minimum_minutes == english.modules[ident].minimum_minutes
    assert french.priority == english.priority
    assert french.support.lines[0].contact == english.support.lines[0].contact
    # Support lines have no id: matched by position, each with its French name and note.
    assert [line.note for line in french.support.lines] == ["Texte : " + line.note for line in english.support.lines]
    assert french.wording.regroup.startswith("Texte : ")


def test_a_missing_french_text_is_named_with_file_and_line(french_project):
    path = french_project / "content/fr/modules/01-why-this-way.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["principles"][0]["explanation"]
    del data["slide_points"]
    _write(path, data)
    problems = _problems(french_project)
    where = "content/fr/modules/01-why-this-way.yaml"
    assert any(
        where in p and "no French text for 'principles[allyship-is-a-practice].explanation'" in p for p in problems
    ), problems
    assert any(where in p and "no French text for 'slide_points'" in p and "content/modules/" in p for p in problems)
    assert all(":0:" not in p for p in problems)


def test_a_structure_key_in_an_overlay_is_refused(french_project):
    path = french_project / "content/fr/formats.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "priority: [why-this-way]\n", encoding="utf-8")
    line = text.count("\n") + 1
    problems = _problems(french_project)
    assert (
        f"content/fr/formats.yaml:{line}: 'priority' is structure, not text: it comes from the English file (remove it"
        in "\n".join(problems)
    )


def test_a_missing_overlay_file_and_a_stray_one_are_named(french_project):
    (french_project / "content/fr/support.yaml").unlink()
    (french_project / "content/fr/modules/01-why-this-way.yaml").rename(
        french_project / "content/fr/modules/01-why-this-wy.yaml"
    )
    problems = "\n".join(_problems(french_project))
    assert "content/fr/support.yaml: this curriculum file has no French text yet" in problems
    assert "content/fr/modules/01-why-this-way.yaml: this curriculum file has no French text yet" in problems
    assert "there is no English file content/modules/01-why-this-wy.yaml" in problems
    assert "did you mean 'modules/01-why-this-way.yaml'?" in problems


def test_french_text_the_models_refuse_points_at_the_french_file(french_project):
    path = french_project / "content/fr/interface.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["cover_credit"] = "x" * 500
    _write(path, data)
    problems = "\n".join(_problems(french_project))
    assert "content/fr/interface.yaml:1: 'cover_credit' is too long (over 400 characters)" in problems


def test_english_problems_come_first(french_project):
    broken = french_project / "content/interface.yaml"
    broken.unlink()
    broken.write_text("cover_credit: [1, 2]\n", encoding="utf-8")
    problems = "\n".join(_problems(french_project))
    assert "content/interface.yaml" in problems
    assert "content/fr/" not in problems


def test_check_reads_the_french_curriculum_on_request(french_project):
    result = run("check", "--language", "fr")
    assert result.exit_code == 0, result.output
    path = french_project / "content/fr/handout.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "welcom: Bienvenue\n", encoding="utf-8")
    result = run("check", "--language", "fr")
    assert result.exit_code == 2
    assert "content/fr/handout.yaml" in result.output
    assert "'welcom' is not in the English file content/handout.yaml (did you mean 'welcome'?)" in result.output
    assert "Traceback" not in result.output


def test_an_unknown_curriculum_language_is_refused():
    with pytest.raises(InputError, match="no curriculum in the language 'de'"):
        load_curriculum(Project(ROOT), "de")


# Texts a French edition may print as the English does: titles and publishers of works
# published in English only, and the names of support lines.
SAME_IN_BOTH = {("resources", "title"), ("resources", "publisher"), ("resources", "edition"), ("support", "name")}


def _plain(value):
    if hasattr(value, "model_dump"):
        return value.model_dump()
    return {k: _plain(v) for k, v in value.items()} if isinstance(value, dict) else value


def untranslated_texts(english, french) -> list[str]:
    """Texts of more than four words the French curriculum gives exactly as the English does:
    a paragraph left in English passes the loader (it is text), not this."""
    found: list[str] = []

    def walk(en, fr, loc: tuple) -> None:
        if isinstance(en, str):
            exempt = (loc[0], loc[-1]) in SAME_IN_BOTH or loc[-1] in STRUCTURE_KEYS | OPTIONAL_KEYS
            if en == fr and len(en.split()) > 4 and not exempt:
                found.append(f"{'.'.join(map(str, loc))}: {en}")
        elif isinstance(en, dict) and isinstance(fr, dict):
            for key in en.keys() & fr.keys():
                walk(en[key], fr[key], (*loc, key))
        elif isinstance(en, list) and isinstance(fr, list):
            if all(isinstance(v, str) for v in en):
                found.extend(f"{'.'.join(map(str, loc))}: {t}" for t in fr if t in en and len(t.split()) > 4)
            else:
                for i, (a, b) in enumerate(zip(en, fr, strict=False)):
                    walk(a, b, (*loc, i))

    for part in dataclasses.fields(english):
        if part.name not in ("source_map", "nation_names", "language"):
            walk(_plain(getattr(english, part.name)), _plain(getattr(french, part.name)), (part.name,))
    return found


def test_english_left_in_the_french_curriculum_is_found(french_project):
    project = Project(french_project)
    english = load_curriculum(project)
    assert untranslated_texts(english, load_curriculum(project, "fr")) == []
    path = french_project / "content/fr/modules/02-privilege-and-power.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["summary"] = english.modules["privilege-and-power"].summary
    data["key_points"][1] = english.modules["privilege-and-power"].key_points[1]
    _write(path, data)
    found = untranslated_texts(english, load_curriculum(project, "fr"))
    assert sorted(f.split(":")[0] for f in found) == [
        "modules.privilege-and-power.key_points",
        "modules.privilege-and-power.summary",
    ]


def test_every_curriculum_text_has_both_languages():
    """The real content: every id, every text of every English file has its French."""
    project = Project(ROOT)
    if not overlay_files(project, "fr"):
        pytest.skip("content/fr/ has no French overlay files yet")
    french = load_curriculum(project, "fr")  # raises, naming every missing or extra text
    english = load_curriculum(project)
    assert french.all_ids() == english.all_ids()
    assert french.language == "fr"
    left = untranslated_texts(english, french)
    assert left == [], "texts still in English in content/fr/:\n" + "\n".join(left)


def test_an_overlay_may_give_a_french_page_and_keeps_the_english_one_otherwise():
    merged, problems = _overlay_problems("resources.yaml")
    calls, book, report = merged["resources"]
    assert (calls["title"], calls["url"]) == ("Appels à l’action", "https://example.org/appels")
    assert (book["url"], book["year"]) == ("https://example.org/livre", 2015)
    assert report["url"] == "https://example.org/report"
    assert problems == [
        "10: 'resources[a-report].year' is not text: it comes from the English file "
        "(remove it; change it in tests/fixtures/overlay/english/resources.yaml if it must change)"
    ]
