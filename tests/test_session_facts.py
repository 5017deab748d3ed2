"""The handout shows the session as a participant lives it (issue 31, item 7).

Who opens (the Elder or knowledge keeper, once named), when the breaks come and when the
session ends are read back from the PDFs' covers; the guide's names-practice page gives the
places a heading of their own; and every hint about a place describes a place.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, built_once, flat, page_fill, page_texts, pdf_text, pdfua_findings, run
from pypdf import PdfReader

ORG = FIXTURES / "handout" / "wolastoq-valley.yaml"
SLUG = ORG.stem


@pytest.fixture(scope="session")
def facts_builds(tmp_path_factory, worker_id) -> dict[str, Path]:
    """The organization as written, and a variant with no start time, a longer session and an
    Elder not yet named; both documents of the first, the handout of the second."""
    with built_once(tmp_path_factory, worker_id, "session-facts") as (folder, build):
        out = folder / "out"
        variant = folder / "unnamed-elder.yaml"
        if build:
            text = ORG.read_text(encoding="utf-8")
            text = text.replace('  start: "09:00"\n', "").replace('  breaks: ["10:30"]\n', "")
            text = text.replace("minutes: 150", "minutes: 300").replace("    name: Elder Margaret Francis\n", "")
            variant.write_text(text, encoding="utf-8")
            result = run("build", str(ORG), "--out", str(out), "--jobs", "2")
            assert result.exit_code == 0, result.output
            result = run("build", str(variant), "--audience", "participant", "--out", str(out), "--jobs", "1")
            assert result.exit_code == 0, result.output
    return {
        "handout": out / SLUG / f"{SLUG}-participant-handout.pdf",
        "guide": out / SLUG / f"{SLUG}-facilitator-guide.pdf",
        "variant": out / "unnamed-elder" / "unnamed-elder-participant-handout.pdf",
    }


def test_the_handout_cover_names_the_elder_who_opens_the_break_and_the_end_time(facts_builds):
    cover = flat(page_texts(facts_builds["handout"])[0])
    assert "Thursday, February 18, 2027, 09:00 to 11:30" in cover
    assert "2 h 30 min session, with a break from 10:30 to 10:45" in cover
    assert "Opening Elder Margaret Francis" in cover
    assert re.search(r"Page 2 of \d+", page_texts(facts_builds["handout"])[1]), "the cover runs onto page 2"


def test_the_guide_cover_says_the_same_as_the_handout(facts_builds):
    cover = flat(page_texts(facts_builds["guide"])[0])
    for words in ("09:00 to 11:30", "with a break from 10:30 to 10:45", "Opening Elder Margaret Francis"):
        assert words in cover


def test_without_a_start_time_the_breaks_are_placed_by_length_and_an_unnamed_elder_is_not_announced(facts_builds):
    """An Elder not yet named may not have agreed: the cover says nothing of them until the file names them."""
    text = flat(pdf_text(facts_builds["variant"]))
    cover = flat(page_texts(facts_builds["variant"])[0])
    assert "5 h session, with 15 min breaks after " in cover
    assert re.search(r"with 15 min breaks after \d h( \d\d min)? and \d h( \d\d min)?", cover), cover
    assert "Opening" not in cover and "Elder or knowledge keeper" not in cover
    assert "09:00" not in text


def test_places_on_the_names_practice_page_have_their_own_heading(facts_builds):
    pages = page_texts(facts_builds["guide"])
    # The names with their pronunciations may run onto the next page.
    [start] = [n for n, p in enumerate(pages) if "Saying the names" in p]
    page = flat(" ".join(pages[start : start + 2]))
    # Each name, then how to say it, then its English name (partials of facilitator.html.j2).
    nations, places = page.index("Nations Wolastoqiyik"), page.index("Places Wolastoq ")
    assert nations < page.index("Peskotomuhkati") < places < page.index("Saint John River")
    assert page.count("Saint John River") == 1

    def titles(outline, depth=0):
        for item in outline:
            if isinstance(item, list):
                yield from titles(item, depth + 1)
            else:
                yield depth, item.title

    found = list(titles(PdfReader(str(facts_builds["guide"])).outline))
    saying = found.index((1, "Saying the names"))
    assert found[saying + 1 : saying + 3] == [(2, "Nations"), (2, "Places")]  # headings, in the bookmarks too
    assert pdfua_findings([facts_builds["guide"], facts_builds["handout"]]) == []  # the new headings nest well


def test_every_hint_about_a_place_describes_a_place_not_a_nation():
    from packets.load.model import Organization
    from packets.studio.form import form_spec

    schema = Organization.model_json_schema()
    place = schema["$defs"][schema["$defs"]["LandAcknowledgement"]["properties"]["places"]["items"]["$ref"][8:]]
    hints = {key: value["description"] for key, value in place["properties"].items()}
    hints["places"] = schema["$defs"]["LandAcknowledgement"]["properties"]["places"]["description"]
    shipped = json.loads((ROOT / "content/orgs/org.schema.json").read_text(encoding="utf-8"))
    assert shipped["$defs"]["Place"] == place, "content/orgs/org.schema.json is stale: run packets schema -o ..."

    def fields(spec):
        for group in spec:
            yield from _walk(group["fields"])

    studio = {
        f["path"]: f["hint"]
        for f in fields(form_spec())
        if f["path"].startswith("land_acknowledgement.places") and f["hint"]
    }
    reference = [
        line
        for line in (ROOT / "docs/organization-file.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("| `land_acknowledgement.places")
    ]
    texts = [*hints.values(), *studio.values(), *reference]
    # name, English name, French name, the two pronunciations, the list
    assert len(studio) == 6 and len(reference) == 6
    for text in texts:
        assert "Nation's name" not in text and "Musqueam" not in text and "MUS-kwee-um" not in text, text
    assert all("place" in text.lower() for text in [*hints.values(), *reference]), texts


def _walk(fields):
    for field in fields:
        yield field
        if field["kind"] == "list":
            yield from _walk([field["item"]])
        yield from _walk(field.get("fields", []))


def test_the_covers_name_who_closes_and_leave_out_who_does_not_open(tmp_path):
    """The plan decides what the covers say: an Elder named for the closing only is named for it."""
    from packets.load.curriculum import Project, load_curriculum
    from packets.planning.organization import load_organization
    from packets.planning.plan import make_plan

    text = ORG.read_text(encoding="utf-8").replace("    opening: true\n", "    opening: false\n    closing: true\n")
    path = tmp_path / "closing.yaml"
    path.write_text(text, encoding="utf-8")
    project = Project(ROOT)
    curriculum = load_curriculum(project)
    loaded = load_organization(path, "closing", project, curriculum)
    assert loaded.errors == []
    plan = make_plan("closing", loaded.org, curriculum)
    assert (plan.opened_by, plan.closed_by) == (None, "Elder Margaret Francis")
    assert plan.breaks_phrase == "a break from 10:30 to 10:45" and plan.end_clock == "11:30"


def test_the_names_to_practise_fill_their_page_and_go_on_overleaf_whole(facts_builds):
    """Issue 29: the list of names to practise fills the page it starts on and goes on overleaf
    (it once broke after its first Nation, 40% of the page left empty), each name with its
    pronunciation lines on its page, and the page overleaf not left near empty either."""
    path = facts_builds["guide"]
    pages = [flat(text) for text in page_texts(path)]
    [first] = [n for n, text in enumerate(pages) if "Saying the names" in text]
    said = "No pronunciation given yet"
    where = {
        name: [n for n in (first, first + 1) if f"{name} {said}" in pages[n]]
        for name in ("Wolastoqiyik", "Miʼkmaq", "Peskotomuhkati", "Wolastoq")
    }
    assert all(len(pages) == 1 for pages in where.values()), where
    assert sum(1 for pages in where.values() if pages == [first]) >= 2, where
    fills = page_fill(path)
    assert fills[first][0] > 0.65 and fills[first + 1][0] >= 0.3, (fills[first], fills[first + 1])
