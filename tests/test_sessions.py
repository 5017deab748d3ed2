"""Sessions of every length and format, read back from the PDFs as a facilitator would.

Five organizations (tests/fixtures/sessions/) cover the three presets, a 120-minute
session with no preset, and a team's own selection with emphasis; they are built once.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import SESSIONS, SOURCE, built_once, flat, named_destinations, page_texts, pdf_text, run, short_pages

from packets.load.curriculum import Project, load_curriculum
from packets.planning.organization import load_organization
from packets.planning.plan import make_plan

ROOT = Path(__file__).resolve().parent.parent
PROJECT = Project(ROOT)
CURRICULUM = load_curriculum(PROJECT)


@pytest.fixture(scope="session")
def texts(sessions) -> dict[tuple[str, str], str]:
    return {
        (slug, audience): flat(pdf_text(path)) for slug, docs in sessions.items() for audience, path in docs.items()
    }


def _run_of_show(path: Path) -> str:
    """The agenda's pages, from its heading to its total, as one text."""
    pages = page_texts(path)
    first = next(i for i, p in enumerate(pages) if re.search(r"Run of show\s+(?:Time|Minutes)", p))
    last = next(i for i in range(first, len(pages)) if "Total:" in pages[i])
    return flat(" ".join(pages[first : last + 1]))


def _plan(slug: str):
    loaded = load_organization(SESSIONS / f"{slug}.yaml", slug, PROJECT, CURRICULUM)
    assert loaded.org is not None, loaded.problems
    return make_plan(slug, loaded.org, CURRICULUM)


def _principles() -> dict[str, str]:
    return {p.id: p.explanation for m in CURRICULUM.modules.values() for p in m.principles}


def _said(text: str, prose: str) -> bool:
    """A passage is printed when its opening words are (Markdown marks and wrapping aside)."""
    words = flat(re.sub(r"[*_`]", "", prose)).split()[:12]
    return " ".join(words) in text


def test_every_idea_of_the_source_is_in_every_document_of_every_session(texts):
    principles = _principles()
    source_map = CURRICULUM.source_map
    assert source_map is not None
    for idea in source_map.ideas:
        carriers = [principles[i] for i in idea.taught_by if i in principles]
        assert carriers, f"idea at source line {idea.lines} has no principle, so short sessions could drop it"
        for (slug, audience), text in texts.items():
            assert any(_said(text, c) for c in carriers), f"{slug} {audience}: idea at lines {idea.lines} missing"


def test_the_hard_edges_are_said_in_every_session(texts):
    essentials = CURRICULUM.facilitation.essentials
    assert len(essentials) >= 7
    for (slug, audience), text in texts.items():
        for e in essentials:
            assert _said(text, e.text), f"{slug} {audience}: '{e.text}' missing"


def test_two_hours_from_one_oclock_ends_at_three_and_names_no_preset(sessions, texts):
    guide = sessions["two-hours"]["facilitator"]
    pages = page_texts(guide)
    cover = flat(pages[0])
    assert "2 h session" in cover
    for fmt in CURRICULUM.formats.values():
        assert fmt.name not in cover
    show = _run_of_show(guide)
    assert re.search(r"15:00 120 Total: 2 h\b", show), show
    assert "13:00" in show


def test_packets_plan_prints_the_table_the_guide_prints(texts):
    result = run("plan", str(SESSIONS / "two-hours.yaml"))
    assert result.exit_code == 0, result.output
    plan = _plan("two-hours")
    guide = texts[("two-hours", "facilitator")]
    for row in plan.run_of_show:
        assert re.search(rf"{row.clock}\s+{row.minutes}\s+(Activity: )?{re.escape(row.title)}", result.output), row
        assert flat(row.title) in guide
    assert "15:00  120  Total: 2 h" in result.output


def test_plan_tries_another_length_without_editing_the_file():
    result = run("plan", str(SESSIONS / "two-hours.yaml"), "--minutes", "75", "--start", "09:00")
    assert result.exit_code == 0, result.output
    assert "10:15   75  Total: 1 h 15 min" in result.output
    short = run("plan", "example", "--minutes", "30")
    assert short.exit_code == 2
    assert re.search(r"content/orgs/example\.yaml:\d+: 30 minutes cannot hold these \d+ modules", short.output)
    assert re.search(r"give minutes: \d+", short.output)


def test_leads_have_their_own_column(sessions):
    show = _run_of_show(sessions["two-hours"]["facilitator"])
    assert "Leads" in show
    assert "Marie Desjarlais" in show and "Sam Whitford" in show
    assert "Elder Rose Cardinal" in show  # the opening they lead


def test_no_text_contradicts_a_custom_selection_with_emphasis(texts):
    plan = _plan("custom-emphasis")
    guide, handout = texts[("custom-emphasis", "facilitator")], texts[("custom-emphasis", "participant")]
    assert flat(plan.description) in guide
    planned = {pm.module.title for pm in plan.modules}
    reading = {m.title for m in plan.reading}
    assert (
        planned
        == {
            "Why we talk about allyship this way",
            "Trust takes time",
            "Land, colonization and local relationships",
            "Putting commitments into action",
        }
        or len(planned) == 4
    )
    sentence = re.search(r"given in the handout as reading for afterwards: ([^.]+)\.", guide)
    assert sentence, "the guide says what is left for reading"
    for title in planned:
        assert title not in sentence[1]
    for title in reading:
        assert title in sentence[1] or title.split(",")[0] in sentence[1]
    assert "More time goes to Land, colonization and local relationships" in guide
    assert "After the session, read" in handout
    for phrase in ("every module and every activity", "leaves out the modules", "half-day session", "standard session"):
        assert phrase not in guide.lower() and phrase not in handout.lower()


def test_emphasis_gives_the_emphasised_module_more_time():
    plan = _plan("custom-emphasis")
    minutes = {pm.module.id: pm.minutes for pm in plan.modules}
    others = [m for k, m in minutes.items() if k != "land-and-relationships"]
    assert minutes["land-and-relationships"] >= max(others) - 5


@pytest.mark.parametrize(
    "slug,time_of_day", [("short-morning", "morning"), ("standard-noon", "afternoon"), ("half-day-evening", "evening")]
)
def test_the_closing_fits_the_time_of_day(texts, slug, time_of_day):
    farewells = CURRICULUM.facilitation.farewells
    assert farewells is not None
    chosen = getattr(farewells, time_of_day)
    guide = texts[(slug, "facilitator")]
    assert flat(chosen) in guide
    for other in ("morning", "afternoon", "evening"):
        if other != time_of_day:
            assert flat(getattr(farewells, other)) not in guide
    assert "tonight" not in flat(CURRICULUM.facilitation.closing.say_aloud).lower()


def test_modules_not_run_are_reading_in_the_handout_and_named_in_the_guide(texts):
    plan = _plan("short-morning")
    assert plan.reading
    handout, guide = texts[("short-morning", "participant")], texts[("short-morning", "facilitator")]
    assert "After the session, read" in handout and "Not run in this session" in guide
    for module in plan.reading:
        assert _said(handout, module.summary) and _said(guide, module.summary)


def test_the_guide_marks_core_questions_and_those_to_drop_when_short(texts):
    guide = texts[("short-morning", "facilitator")]
    assert "Core question" in guide
    words = CURRICULUM.wording
    assert words.optional_question in guide or words.not_planned_question in guide


@pytest.mark.parametrize(
    "anchor",
    [
        "content-notice",
        "disclosure-protocol",
        "discomfort-and-harm",
        "harm-in-the-room",
        "indigenous-participants-present",
        "indigenous-participants-say-aloud",
        "knowledge-keeper-protocol",
        "support",
    ],
)
def test_safety_guidance_is_in_every_guide(sessions, anchor):
    for docs in sessions.values():
        assert anchor in named_destinations(docs["facilitator"]), anchor


def test_the_content_notice_names_where_support_is(texts):
    for (slug, audience), text in texts.items():
        assert "Hope for Wellness" in text and "1-855-242-3310" in text, (slug, audience)


def test_knowledge_keeper_opening_has_its_own_segment():
    plan = _plan("two-hours")
    opening = [r for r in plan.run_of_show if r.kind == "knowledge-keeper-opening"]
    assert opening and opening[0].minutes >= CURRICULUM.timing.knowledge_keeper_opening.minimum
    assert "Elder Rose Cardinal" in opening[0].title


BRITISH = re.compile(
    r"\b(?:(?:organis|recognis|realis|prioritis|apologis|emphasis|criticis|minimis|colonis|marginalis|mobilis|"
    r"normalis|summaris)(?:e|ed|es|ing|ation|ations|er|ers)|analys(?:e|ed|ing)|programmes?|whilst|amongst)\b",
    re.IGNORECASE,
)


def test_no_british_only_spelling_in_any_document(texts):
    for (slug, audience), text in texts.items():
        found = sorted({m[0] for m in BRITISH.finditer(text)})
        assert not found, f"{slug} {audience}: {found}"


def test_no_eight_word_run_of_the_source_in_any_document(texts):
    def words(t: str) -> list[str]:
        return re.findall(r"[a-z0-9']+", t.lower().replace("\u2019", "'"))

    source = words(SOURCE.read_text(encoding="utf-8"))
    grams = {" ".join(source[i : i + 8]) for i in range(len(source) - 7)}
    # The title of IPAC's guidelines is cited as it is.
    allowed = "indigenous physician and medical learner engagement guidelines second edition pdf"
    for (slug, audience), text in texts.items():
        joined = " ".join(words(text))
        copied = [g for g in grams if g in joined and g not in allowed]
        assert not copied, f"{slug} {audience}: {copied[:3]}"


def test_no_page_of_any_session_continues_a_section_with_less_than_a_third_of_a_page(sessions):
    for slug, docs in sessions.items():
        for audience, path in docs.items():
            assert short_pages(path) == [], (slug, audience)


def test_the_sessions_page_shows_what_packets_plan_prints():
    result = run("plan", "tests/fixtures/sessions/two-hours.yaml")
    assert result.exit_code == 0
    page = (ROOT / "docs/sessions.md").read_text(encoding="utf-8")
    table = "\n".join(line for line in result.output.splitlines() if not line.startswith("tests/"))
    assert table.strip() in page


@pytest.fixture(scope="session")
def lengths(tmp_path_factory, worker_id) -> dict[int, Path]:
    """The same organization at 45, 75, 150 and 240 minutes, guides only."""
    with built_once(tmp_path_factory, worker_id, "lengths") as (folder, build):
        out = folder / "out"
        if build:
            base = (SESSIONS / "two-hours.yaml").read_text(encoding="utf-8")
            files = []
            for minutes in (45, 75, 150, 240):
                path = folder / f"length-{minutes}.yaml"
                text = base.replace("minutes: 120", f"minutes: {minutes}").replace('start: "13:00"', 'start: "09:00"')
                path.write_text(text, encoding="utf-8")
                files.append(str(path))
            result = run("build", *files, "--audience", "facilitator", "--out", str(out), "--jobs", "2")
            assert result.exit_code == 0, result.output
    return {m: out / f"length-{m}" / f"length-{m}-facilitator-guide.pdf" for m in (45, 75, 150, 240)}


@pytest.mark.parametrize("minutes", [45, 75, 150, 240])
def test_sessions_of_common_lengths_build_with_exact_totals_and_breaks(lengths, minutes):
    show = _run_of_show(lengths[minutes])
    end = 9 * 60 + minutes
    assert re.search(rf"{end // 60:02d}:{end % 60:02d} {minutes} Total:", show), show
    rows = re.findall(r"(\d\d:\d\d) (\d+) (Break|\S)", show)
    breaks = [clock for clock, _, what in rows if what == "Break"]
    assert len(breaks) == (1 if 150 < minutes <= 270 else 0)
    for clock in breaks:
        offset = int(clock[:2]) * 60 + int(clock[3:]) - 9 * 60
        assert 30 <= offset <= minutes - 45
    total = sum(int(m) for clock, m, _ in rows[:-1])
    assert total == minutes


def test_a_session_too_short_for_its_modules_fails_check_at_its_line(tmp_path):
    org = tmp_path / "short.yaml"
    org.write_text("name: Short Org\nworkshop:\n  format: standard\n  minutes: 30\n", encoding="utf-8")
    result = run("check", str(org))
    assert result.exit_code == 2
    assert re.search(r"short\.yaml:4: 30 minutes cannot hold these 7 modules \(at least \d+ needed", result.output)
    assert "Traceback" not in result.output


def test_the_opening_is_never_squeezed():
    timing = CURRICULUM.timing
    assert timing.opening.minimum >= 10
    assert timing.knowledge_keeper_opening.minimum >= 15
    for row in _plan("short-morning").run_of_show:
        if row.kind == "opening":
            assert row.minutes >= 10


def test_the_reworked_activities_are_safe():
    listen = next(a for m in CURRICULUM.modules.values() for a in m.activities if a.id == "act-just-listen")
    steps = " ".join(listen.instructions).lower()
    assert "unheard" not in steps and "observ" in steps and "choose" in steps
    mistake = next(a for m in CURRICULUM.modules.values() for a in m.activities if a.id == "act-after-the-mistake")
    text = (" ".join(mistake.instructions) + " " + (mistake.facilitator_notes or "")).lower()
    assert "keep it light" not in text and "card" in text and "observ" in text
    assert "métis colleague" not in text


def test_emphasis_or_a_lead_on_a_module_not_run_is_pointed_out(tmp_path):
    org = tmp_path / "e.yaml"
    org.write_text(
        "name: E Org\nworkshop:\n  format: short\n  emphasis: [trust-takes-time]\n  facilitators:\n"
        "    - name: Ana\n      leads: [spotlight-and-credit, opening]\n",
        encoding="utf-8",
    )
    result = run("check", str(org))
    assert "e.yaml:4: warning: 'trust-takes-time' is emphasised but not run in this session" in result.output
    assert "e.yaml:7: warning: Ana leads 'spotlight-and-credit', which is not run in this session" in result.output


@pytest.mark.parametrize(
    "territory",
    [
        "Treaty 6 territory and the homeland of the Métis",
        "unceded",
        "the traditional territory of the Lheidli T’enneh",
        "Treaty 4 lands",
    ],
)
def test_territory_prints_exactly_as_written(territory):
    import datetime as dt

    from packets.load.model import Organization
    from packets.render.html import render_html

    org = Organization.model_validate(
        {"name": "T", "land_acknowledgement": {"nations": [{"name": "Dakota"}], "territory": territory}}
    )
    plan = make_plan("t", org, CURRICULUM)
    # Plural lands are where we are: "This land is Treaty 4 lands" would not be a sentence.
    sentence = f"We are on {territory}." if territory.endswith("lands") else f"This land is {territory}."
    assert plan.territory_sentence == sentence
    for audience in ("facilitator", "participant"):
        html = render_html(plan, audience, ROOT / "templates", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        # Printed as a labelled sentence, never a bare fragment such as "unceded".
        labelled = f'<p class="territory"><span class="label">The land:</span> {sentence}</p>'
        assert labelled in html.replace("&#39;", "'")
        assert f'<p class="territory">{territory}</p>' not in html.replace("&#39;", "'")
        assert f"{territory} territory" not in html


def test_a_composed_statement_for_many_nations_is_a_sentence():
    """The designer's "This land is the lands of many Nations": plural lands are where we are."""
    from packets.load.model import Organization

    territory = "the lands of many Nations, across several treaties and unceded territories"
    org = Organization.model_validate(
        {"name": "T", "land_acknowledgement": {"nations": [{"name": "Dakota"}], "territory": territory}}
    )
    plan = make_plan("t", org, CURRICULUM)
    assert plan.territory_sentence == f"We are on {territory}."
    assert "This land is the lands" not in " ".join(plan.statement.paragraphs)
    assert f"We are on {territory}." in " ".join(plan.statement.paragraphs)


def test_territory_with_the_homeland_of_the_metis_reads_back_from_the_pdf(texts):
    handout = texts[("standard-noon", "participant")]
    assert "Treaty 6 territory and the homeland of the Métis" in handout
    assert "homeland of the Métis territory" not in handout


def test_a_name_equal_to_its_english_name_prints_once(texts):
    for audience in ("facilitator", "participant"):
        text = texts[("two-hours", audience)]
        assert "Dakota" in text
        assert "Dakota Dakota" not in text and "Dakota / Dakota" not in text and "Dakota · Dakota" not in text


def test_local_supports_are_a_section_of_their_own_in_both_documents(example_build):
    guide, handout = (flat(pdf_text(example_build[a])) for a in ("facilitator", "participant"))
    contents = guide.split("How to use this guide", 2)[1]
    assert "Where to find support" in contents.split("Attribution")[0]
    for text in (guide, handout):
        support = text.rindex("Where to find support")
        reading = text.rindex("Further reading")
        local = text.index("Local supports and contacts")
        assert support < local < reading, "local supports sit in the support section, not under further reading"


def test_materials_read_as_a_list_not_as_sentences():
    for module in CURRICULUM.modules.values():
        for activity in module.activities:
            for item in activity.materials[1:]:
                assert not item.startswith("The "), (activity.id, item)
