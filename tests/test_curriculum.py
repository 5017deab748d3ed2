"""The curriculum: every idea of the source taught, in our own words, plainly, and in every format."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import textstat
import yaml
from conftest import ROOT, SOURCE, flat, named_destinations, pdf_text, run

from packets.load.curriculum import Project, load_curriculum

CURRICULUM = load_curriculum(Project(ROOT))
CONTENT_FILES = sorted(p for p in (ROOT / "content").rglob("*.yaml") if "orgs" not in p.parts)

# Titles may be quoted whole; nothing else of the source may be.
ALLOWED_RUNS = ["indigenous physician and medical learner engagement guidelines"]

pytestmark = pytest.mark.skipif(not SOURCE.is_file(), reason="needs ../shared/source/allyship-guidance.txt")


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("\u2019", "'"))


def _source_lines() -> dict[int, str]:
    return {i: line for i, line in enumerate(SOURCE.read_text(encoding="utf-8").splitlines(), start=1) if line.strip()}


def test_no_eight_word_run_of_the_source_is_copied():
    source = _words(SOURCE.read_text(encoding="utf-8"))
    grams = {" ".join(source[i : i + 8]) for i in range(len(source) - 7)}
    copied = []
    for path in CONTENT_FILES:
        text = " ".join(_words(path.read_text(encoding="utf-8")))
        for gram in grams:
            if gram in text and not any(gram in allowed for allowed in ALLOWED_RUNS):
                copied.append(f"{path.name}: {gram}")
    assert not copied, "copied from the source:\n" + "\n".join(sorted(copied))


def test_every_source_line_is_mapped_once():
    mapped: dict[int, int] = {}
    for idea in CURRICULUM.source_map.ideas:
        for line in idea.lines:
            mapped[line] = mapped.get(line, 0) + 1
    lines = _source_lines()
    assert sorted(set(lines) - set(mapped)) == [], "source lines not mapped"
    assert [n for n, count in mapped.items() if count > 1] == [], "source lines mapped twice"
    assert sorted(set(mapped) - set(lines)) == [], "map names lines that are blank or beyond the source"


def test_every_mapped_id_exists():
    known = CURRICULUM.all_ids()
    missing = [i for idea in CURRICULUM.source_map.ideas for i in idea.taught_by if i not in known]
    assert missing == []


@pytest.fixture(scope="module")
def half_day(sessions) -> dict[str, Path]:
    """Every module is in the half-day format, so every mapped id must reach a PDF there (the
    half-day session fixture, built once for the run with the other sessions)."""
    return sessions["half-day-evening"]


def test_every_mapped_id_is_rendered_into_a_pdf(half_day):
    """Activities run only when the plan has time for them; everything else is always printed."""
    anchors = set()
    for path in half_day.values():
        anchors |= named_destinations(path)
    activities = {a.id for m in CURRICULUM.modules.values() for a in m.activities}
    mapped = {i for idea in CURRICULUM.source_map.ideas for i in idea.taught_by}
    assert sorted(mapped - anchors - activities) == []


def test_half_day_runs_every_module(half_day):
    text = flat(pdf_text(half_day["facilitator"]))
    for module in CURRICULUM.modules.values():
        assert flat(module.title) in text


@pytest.mark.parametrize("format_id,minutes", [("short", 60), ("standard", 90), ("half-day", 180)])
def test_each_format_plans_exactly_its_minutes(format_id, minutes):
    from packets.load.model import Organization
    from packets.planning.plan import make_plan

    fmt = CURRICULUM.formats[format_id]
    assert fmt.minutes == minutes
    plan = make_plan("t", Organization.model_validate({"name": "T", "workshop": {"format": format_id}}), CURRICULUM)
    assert plan.total_minutes == minutes == sum(r.minutes for r in plan.run_of_show)
    for pm in plan.modules:
        assert pm.discussion_minutes >= CURRICULUM.timing.module_introduction + CURRICULUM.timing.question * len(
            pm.questions
        )


def test_half_day_has_a_break():
    from packets.load.model import Organization
    from packets.planning.plan import make_plan

    plan = make_plan("t", Organization.model_validate({"name": "T", "workshop": {"format": "half-day"}}), CURRICULUM)
    assert any(r.kind == "break" for r in plan.run_of_show)
    assert not plan.reading, "the half-day session runs every module"


def test_modules_are_complete():
    assert 6 <= len(CURRICULUM.modules) <= 9
    for m in CURRICULUM.modules.values():
        assert 2 <= len(m.objectives) <= 4, m.id
        assert 3 <= len(m.discussion_questions) <= 5, m.id
        assert any(q.scenario for q in m.discussion_questions), f"{m.id} has no scenario question"
        assert all(q.prompts and q.listen_for for q in m.discussion_questions), m.id
        assert m.activities and all(a.minutes > 0 and a.instructions for a in m.activities), m.id
        assert m.principles and m.facilitator_notes, m.id


def test_difficult_moments_are_all_covered():
    notes = [n for m in CURRICULUM.modules.values() for n in m.facilitator_notes]
    notes += CURRICULUM.facilitation.difficult_moments
    text = " ".join(f"{n.title} {n.body}" for n in notes).lower()
    for topic in ("defensive", "guilt", "praise", "teach", "emotion", "myth", "harmful remark", "anger"):
        assert topic in text, f"no facilitator note on {topic}"


def test_the_moments_of_every_session_are_not_tied_to_a_module():
    """A myth, strong emotions, a harmful remark, praise-seeking and hurt at a community's
    anger come up whatever modules run: their notes are the session's, printed once."""
    moments = {n.id for n in CURRICULUM.facilitation.difficult_moments}
    assert {
        "note-common-myths",
        "note-strong-emotions",
        "note-mistake-in-the-room",
        "note-seeking-praise",
        "note-hurt-by-rejection",
    } <= moments
    in_modules = {n.id for m in CURRICULUM.modules.values() for n in m.facilitator_notes}
    assert not moments & in_modules


def test_the_myth_facts_are_carefully_worded():
    myths = next(n.body for n in CURRICULUM.facilitation.difficult_moments if n.id == "note-common-myths")
    text = flat(myths)
    assert "Section 87" in text and "registered under the Act" in text and "on a reserve" in text
    assert "Inuit and Métis people are not covered" in text
    assert "inherent" in text and "recognizes and affirms" in text
    assert "come from treaties and the Constitution" not in text
    assert "University is not free" in text and "limited" in text


def _participant_text() -> str:
    parts = [
        CURRICULUM.handout.welcome,
        CURRICULUM.handout.purpose,
        CURRICULUM.handout.commitments.intro,
        CURRICULUM.acknowledgement.participant_summary,
    ]
    for m in CURRICULUM.modules.values():
        parts += [m.summary, *m.key_points, *m.objectives]
        parts += [p.explanation for p in m.principles]
        parts += [q.question for q in m.discussion_questions]
        parts += [q.scenario for q in m.discussion_questions if q.scenario]
    return "\n".join(re.sub(r"[*_]", "", p) for p in parts)


def test_participant_text_reads_at_about_grade_eight_to_ten():
    grade = textstat.flesch_kincaid_grade(_participant_text())
    assert grade <= 10.5, f"participant text reads at grade {grade:.1f}; aim for 8-10"
    assert grade >= 5, f"participant text reads at grade {grade:.1f}: suspiciously simple"


PLACEHOLDERS = re.compile(r"\b(TODO|TBD|FIXME|XXX|lorem ipsum|lorem)\b", re.IGNORECASE)


def test_no_placeholder_text_in_content_or_pdfs(half_day, example_build):
    for path in CONTENT_FILES:
        assert not PLACEHOLDERS.search(path.read_text(encoding="utf-8")), path.name
    for path in [*half_day.values(), example_build["facilitator"], example_build["participant"]]:
        assert not PLACEHOLDERS.search(pdf_text(path)), path.name


def test_no_empty_headings_in_the_html(example_build):
    htmls = list(example_build["out"].rglob("*.html"))
    assert len(htmls) == 2
    for html in htmls:
        assert not re.search(r"<h[1-6][^>]*>\s*</h[1-6]>", html.read_text(encoding="utf-8")), html.name


def test_no_certificates_badges_or_praise(example_build):
    """Allies don't expect recognition, so the packets never hand any out (they may say so)."""
    text = " ".join(path.read_text(encoding="utf-8") for path in CONTENT_FILES).lower()
    text += flat(pdf_text(example_build["participant"])).lower()
    for phrase in (
        "certificate of",
        "certified",
        "congratulations",
        "well done",
        "great job",
        "you are now an ally",
        "proud of you",
        "awarded to",
    ):
        assert phrase not in text, phrase


def test_resources_include_the_ipac_guidelines():
    titles = [r.title for r in CURRICULUM.resources.resources]
    assert "Indigenous Physician and Medical Learner Engagement Guidelines" in titles


def test_the_three_action_statements_become_the_worksheet():
    stems = [s.text for s in CURRICULUM.handout.commitments.stems]
    assert len(stems) == 3
    assert stems[0].startswith("I am showing support for")
    assert stems[1].startswith("I am committed to ending")
    assert stems[2].startswith("I am using my privilege to help")


def test_content_files_have_no_duplicate_keys_or_unknown_fields():
    result = run("check")
    assert result.exit_code == 0, result.output
    for path in CONTENT_FILES:
        yaml.safe_load(path.read_text(encoding="utf-8"))
