"""What an expert reviewer asked of the curriculum at every length (issue 28), read back
from the PDFs of the 60, 120 and 180-minute sessions and from `packets plan` and `check`.

The sessions are the fixtures in tests/fixtures/sessions/, built once for the whole run.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import SESSIONS, flat, named_destinations, page_texts, pdf_text, run

from packets.load.curriculum import Project, load_curriculum
from packets.load.model import Organization
from packets.planning.organization import load_organization
from packets.planning.plan import make_plan, supports_for

ROOT = Path(__file__).resolve().parent.parent
PROJECT = Project(ROOT)
CURRICULUM = load_curriculum(PROJECT)
LENGTHS = {60: "short-morning", 120: "two-hours", 180: "half-day-evening"}
SUPPORT_LINES = ("1-855-242-3310", "hopeforwellness.ca", "1-866-925-4419", "9-8-8")
MOMENTS = (
    "When someone repeats a common myth",
    "When strong emotions come up",
    "When someone makes a harmful remark",
    "When someone seeks praise or recognition",
    "When someone is hurt by a community’s anger",
)


@pytest.fixture(scope="module")
def texts(sessions) -> dict[tuple[str, str], str]:
    return {
        (slug, audience): flat(pdf_text(path)) for slug, docs in sessions.items() for audience, path in docs.items()
    }


def _plan(slug: str):
    loaded = load_organization(SESSIONS / f"{slug}.yaml", slug, PROJECT, CURRICULUM)
    assert loaded.org is not None, loaded.problems
    return make_plan(slug, loaded.org, CURRICULUM)


@pytest.mark.parametrize("minutes", sorted(LENGTHS))
def test_the_three_support_lines_are_in_every_guide_and_handout(texts, minutes):
    for audience in ("facilitator", "participant"):
        text = texts[(LENGTHS[minutes], audience)]
        assert "Hope for Wellness" in text and "National Indian Residential School Crisis Line" in text
        assert "Suicide Crisis Helpline" in text and "Call or text 9-8-8" in text
        for contact in SUPPORT_LINES:
            assert contact in text, (minutes, audience, contact)


@pytest.mark.parametrize("minutes", sorted(LENGTHS))
def test_the_handout_opens_with_a_content_notice_the_supports_and_the_ground_rules(sessions, minutes):
    first = flat(" ".join(page_texts(sessions[LENGTHS[minutes]]["participant"])[:3]))
    assert flat(CURRICULUM.handout.content_notice)[:80] in first
    assert "Where to find support" in first
    for contact in SUPPORT_LINES:
        assert contact in first, contact
    assert "Ground rules for a respectful room" in first
    for rule in CURRICULUM.facilitation.ground_rules:
        assert flat(rule) in first, rule


def test_hope_for_wellness_is_listed_once_when_the_organization_lists_it_too(example_build):
    """The example organization lists Hope for Wellness among its local supports."""
    org_file = (ROOT / "content/orgs/example.yaml").read_text(encoding="utf-8")
    assert "1-855-242-3310" in org_file.split("local_resources:")[1]
    handout = flat(pdf_text(example_build["participant"]))
    assert handout.count("1-855-242-3310") == 1
    assert handout.count("Hope for Wellness Help Line") == 1


def test_the_supports_are_one_list_made_in_planning_with_each_line_once():
    org = Organization.model_validate(
        {
            "name": "T",
            "local_resources": [
                {"name": "Hope for Wellness", "contact": "1 (855) 242-3310"},
                {"name": "Crisis chat", "contact": "https://www.hopeforwellness.ca/"},
                {"name": "Suicide line", "contact": "Call or text 988"},
                {"name": "Staff wellness", "contact": "wellness@example.org"},
                {"name": "Friendship Centre", "contact": "604-555-0199", "note": "Drop-in support"},
            ],
        }
    )
    supports = supports_for(org, CURRICULUM)
    assert [line.name for line in supports.national] == [line.name for line in CURRICULUM.support.lines]
    assert [line.name for line in supports.local] == ["Staff wellness", "Friendship Centre"]
    hope = supports.national[0]
    assert hope.contact == "1-855-242-3310" and hope.chat == "hopeforwellness.ca"


@pytest.mark.parametrize("minutes", sorted(LENGTHS))
def test_the_five_difficult_moments_are_in_every_guide_once(sessions, texts, minutes):
    guide = texts[(LENGTHS[minutes], "facilitator")]
    anchors = named_destinations(sessions[LENGTHS[minutes]]["facilitator"])
    for title in MOMENTS:
        assert guide.count(title) == 1, (minutes, title)
    for note in CURRICULUM.facilitation.difficult_moments:
        assert note.id in anchors
    # The myth note carries the facts, whatever modules run.
    assert "University is not free" in guide and "Section 87 of the Indian Act" in guide
    assert "Never ask Indigenous participants to comfort others" in guide


def test_no_session_without_a_break_speaks_of_one(texts):
    for slug in sorted({s for s, _ in texts}):
        plan = _plan(slug)
        if plan.has_break:
            continue
        for audience in ("facilitator", "participant"):
            text = texts[(slug, audience)].lower()
            for phrase in ("at the break", "next break", "at the next break"):
                assert phrase not in text, (slug, audience, phrase)


def test_the_safety_steps_say_what_to_do_without_a_break_and_alone(texts):
    for minutes, slug in LENGTHS.items():
        guide = texts[(slug, "facilitator")]
        assert "When there is no break, or you lead alone" in guide, minutes
        assert "Alone, do not leave the room to follow someone out" in guide


def _plan_rows(output: str) -> tuple[list[str], str]:
    lines = output.splitlines()
    rules = [i for i, line in enumerate(lines) if line.startswith("---")]
    return lines[rules[0] + 1 : rules[1]], output


def test_packets_plan_for_sixty_minutes_runs_four_modules_and_six_questions_at_most():
    for args in (
        [str(SESSIONS / "short-morning.yaml")],
        [str(SESSIONS / "two-hours.yaml"), "--minutes", "60"],
    ):
        result = run("plan", *args)
        assert result.exit_code == 0, result.output
        rows, output = _plan_rows(result.output)
        modules = [r for r in rows if re.match(r"\s*(\d\d:\d\d\s+)?\d+\s+\d+\. ", r)]
        assert 1 <= len(modules) <= 4, output
        questions = re.search(r"(\d+) discussion questions?", output)
        assert questions and int(questions[1]) <= 6, output
        assert "1 h" in output


@pytest.mark.parametrize("minutes", [100, 120, 150])
def test_packets_plan_shows_a_break_or_a_pause_from_one_hundred_minutes(minutes):
    result = run("plan", str(SESSIONS / "two-hours.yaml"), "--minutes", str(minutes))
    assert result.exit_code == 0, result.output
    rows, output = _plan_rows(result.output)
    gaps = [r for r in rows if re.search(r"\s(\d+)\s+(Break|Pause: )", r)]
    assert gaps, output
    assert all(int(re.search(r"\s(\d+)\s+(Break|Pause)", r)[1]) >= 5 for r in gaps)


def test_a_pause_is_a_row_of_the_run_of_show_in_the_guide(sessions):
    guide = flat(pdf_text(sessions["two-hours"]["facilitator"]))
    assert re.search(r"\d\d:\d\d 5 Pause: stand, stretch, water", guide), guide[:2000]
    assert "a 5-minute pause" in guide


def test_check_warns_when_a_nations_own_name_has_no_pronunciation(tmp_path):
    org = tmp_path / "own-name.yaml"
    org.write_text(
        "name: Own Name Clinic\n"
        "land_acknowledgement:\n"
        "  nations:\n"
        "    - name: ᓀᐦᐃᔭᐤ\n"
        "      english_name: Plains Cree\n"
        "      pronunciation: plainz KREE\n"
        "  commitments: [We fund a community-chosen patient navigator.]\n"
        "  reviewed_by: Health committee\n"
        "  reviewed_on: 2026-10-01\n",
        encoding="utf-8",
    )
    result = run("check", str(org))
    assert result.exit_code == 0, result.output
    assert re.search(
        r"own-name\.yaml:4: warning: no pronunciation is given for the Nation's own name 'ᓀᐦᐃᔭᐤ'.*"
        r"\(ask the Nation how it says its own name.*name_pronunciation\)",
        result.output,
    ), result.output
    org.write_text(
        org.read_text(encoding="utf-8").replace(
            "      pronunciation:", "      name_pronunciation: neh-HEE-yow\n      pronunciation:"
        ),
        encoding="utf-8",
    )
    result = run("check", "--strict", str(org))
    assert result.exit_code == 0, result.output
    assert "pronunciation" not in result.output


def test_the_own_name_is_said_under_it_and_the_english_name_under_that(tmp_path):
    org = tmp_path / "say.yaml"
    org.write_text(
        "name: Say It Clinic\n"
        "workshop: {format: short}\n"
        "land_acknowledgement:\n"
        "  nations:\n"
        "    - {name: ᓀᐦᐃᔭᐤ, english_name: Plains Cree, name_pronunciation: neh-HEE-yow, pronunciation: plainz KREE}\n"
        "  territory: unceded\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = run("build", str(org), "--out", str(out), "--jobs", "1")
    assert result.exit_code == 0, result.output
    for audience in ("facilitator-guide", "participant-handout"):
        text = flat(pdf_text(out / "say" / f"say-{audience}.pdf"))
        assert "ᓀᐦᐃᔭᐤ say “neh-HEE-yow” In English: Plains Cree · say “plainz KREE”" in text, audience
        assert "The land: This land is unceded." in text
    guide = flat(pdf_text(out / "say" / "say-facilitator-guide.pdf"))
    assert "Say “neh-HEE-yow” In English: Plains Cree · say “plainz KREE”" in guide


def test_cards_to_print_are_in_the_appendix_and_the_checklist_points_there(sessions, texts):
    guide = texts[("half-day-evening", "facilitator")]
    appendix = guide.rsplit("Cards to print and cut", 1)[1]
    for activity in ("act-just-listen", "act-after-the-mistake"):
        module = next(m for m in CURRICULUM.modules.values() if any(a.id == activity for a in m.activities))
        cards = next(a for a in module.activities if a.id == activity).cards
        assert cards
        for card in cards:
            assert flat(card) in appendix, card
    assert "Print and cut the activity cards at the back of this guide" in guide
    anchors = named_destinations(sessions["half-day-evening"]["facilitator"])
    assert {"cards", "cards-act-just-listen", "cards-act-after-the-mistake", "prep-cards"} <= anchors


def test_the_worksheets_activities_point_to_are_in_the_handout(texts):
    handout = texts[("half-day-evening", "participant")]
    for activity_id in ("act-privilege-inventory", "act-learning-plan"):
        activity = next(a for m in CURRICULUM.modules.values() for a in m.activities if a.id == activity_id)
        assert activity.worksheet and flat(activity.worksheet) in handout, activity_id
        assert any("page in the participant handout" in item for item in activity.materials)


def test_the_sixty_minute_handout_promises_only_what_runs(texts):
    plan = _plan("short-morning")
    handout = texts[("short-morning", "participant")]
    cover = handout.split("What we will cover", 1)[1].split("After the session, read", 1)[0]
    for pm in plan.modules:
        assert pm.module.title in cover
    for module in plan.reading:
        assert module.title not in cover
    welcome = handout.split("What we will cover", 1)[0]
    assert "We will look at" not in welcome


@pytest.mark.parametrize("minutes", sorted(LENGTHS))
def test_the_hard_words_are_said_aloud_at_every_length(texts, minutes):
    guide = texts[(LENGTHS[minutes], "facilitator")]
    essentials = guide.split("What the guidance asks of us", 2)[-1]
    assert "uncomfortable, challenged and hurt" in essentials
    closing = guide.rsplit("Closing the session", 1)[1]
    assert "Anyone may pass" in closing
    opening = guide.rsplit("Opening the session", 1)[1]
    order = [
        "Welcome and introductions",
        "Content notice",
        "Who this workshop is for",
        "Land acknowledgement",
        "What the guidance asks of us",
        "Ground rules for a respectful room",
    ]
    places = [opening.index(heading) for heading in order]
    assert places == sorted(places), "the opening follows the slides' order"
    assert "where you stand" in opening
    assert "Never ask an Indigenous colleague to lead or co-lead this session as unpaid extra work" in guide


def test_the_wording_keeps_the_strength_of_the_source():
    modules = CURRICULUM.modules
    privilege = flat(modules["privilege-and-power"].say_aloud or "")
    assert "colonization" in privilege and "accusation" not in privilege
    assert "in our role if nowhere else" not in privilege
    trust = flat(modules["trust-takes-time"].say_aloud or "")
    assert "some of it recent" not in trust and "still today" in trust
    assert "keep earning it" not in trust and "respect that answer" in trust
    land = modules["land-and-relationships"]
    assert not any("names Elders" in k for k in land.key_points)
    assert any("Elders, hereditary chiefs and youth" in p.explanation for p in land.principles)
    question = next(q for q in modules["doing-our-own-learning"].discussion_questions if q.id == "q-expected-to-teach")
    assert "feel" not in question.question and "manager" in question.question
    urls = [r.url for r in CURRICULUM.resources.resources if r.url]
    assert {re.match(r"https://([^/]+)/", u)[1] for u in urls} == {"ipacamic.ca"}
