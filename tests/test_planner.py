"""The planner, tried over many sessions: exact totals, minimums kept, breaks where allowed.

Property tests draw lengths, module selections, emphasis and start times; the shipped
curriculum's modules are the material, so the rules are tested on real content.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from packets.load.curriculum import Project, load_curriculum, module_needs
from packets.planning.planner import PlanningError, SessionRequest, plan_session, question_cap, segment_timing

ROOT = Path(__file__).resolve().parent.parent
CURRICULUM = load_curriculum(Project(ROOT))
TIMING = CURRICULUM.timing
MODULES = tuple(CURRICULUM.modules.values())

selections = st.lists(st.sampled_from(MODULES), min_size=1, max_size=len(MODULES), unique_by=lambda m: m.id).map(
    lambda chosen: tuple(m for m in MODULES if m in chosen)
)
requests = st.builds(
    lambda minutes, modules, emphasis, start, keeper: SessionRequest(
        minutes=minutes,
        modules=modules,
        timing=TIMING,
        emphasis=frozenset(m.id for m in modules if m.id in emphasis),
        start=start,
        knowledge_keeper_opening=keeper,
    ),
    st.integers(45, 360),
    selections,
    st.sets(st.sampled_from([m.id for m in MODULES]), max_size=3),
    st.one_of(st.none(), st.integers(7 * 60, 19 * 60)),
    st.booleans(),
)


def _floor_of(segment, minutes: int) -> int:
    if segment.kind == "break":
        return TIMING.break_minutes
    if segment.kind == "pause":
        return TIMING.pause_minutes
    if segment.module is None:
        return segment_timing(segment.kind, minutes, TIMING).minimum
    return segment.module.module.minimum_minutes


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests)
def test_a_plan_sums_exactly_keeps_minimums_and_puts_breaks_where_allowed(request):
    try:
        schedule = plan_session(request)
    except PlanningError as exc:
        # Refusals say what would work, and what they say does work.
        assert exc.least is None or exc.least != request.minutes
        if exc.least and exc.least > request.minutes and 45 <= exc.least <= 360:
            assert plan_session(SessionRequest(**{**request.__dict__, "minutes": exc.least})).total == exc.least
        return
    assert schedule.total == request.minutes
    assert [m.module for m in schedule.modules] == list(request.modules)
    offset = 0
    breaks = []
    for segment in schedule.segments:
        assert segment.minutes >= _floor_of(segment, request.minutes), segment
        if segment.kind == "break":
            breaks.append(offset)
        if segment.module is not None:
            planned = segment.module
            discussed = len(planned.questions)
            # Every question discussed has its minutes, every activity its stated time.
            moves = TIMING.regroup * sum(1 for a in planned.activities if a.groups)
            need = TIMING.module_introduction + TIMING.question * discussed + sum(a.minutes for a in planned.activities)
            need += moves
            assert planned.minutes >= need
            assert all(q in planned.questions for q in planned.module.discussion_questions if q.core)
            assert all(a in planned.activities for a in planned.module.activities if a.core)
        offset += segment.minutes
    expected = 2 if request.minutes > TIMING.second_break_after else int(request.minutes > TIMING.break_after)
    assert len(breaks) == expected
    # A room needs time to talk: optional questions stop at the session's question room.
    core = sum(1 for m in schedule.modules for q in m.module.discussion_questions if q.core)
    asked = sum(len(m.questions) for m in schedule.modules)
    assert asked <= max(core, question_cap(request.minutes, TIMING))
    # People need to stand up: a long session without a break has a pause.
    pauses = [s for s in schedule.segments if s.kind == "pause"]
    if request.minutes >= TIMING.pause_from:
        assert breaks or pauses
    assert all(p.minutes >= 5 for p in pauses) and len(pauses) <= 1
    for start in breaks:
        assert TIMING.break_margin <= start <= request.minutes - TIMING.break_margin - TIMING.break_minutes
    assert plan_session(request) == schedule  # deterministic


@settings(max_examples=100, deadline=None)
@given(requests)
def test_emphasised_modules_get_at_least_what_they_would_get_without_emphasis(request):
    if not request.emphasis:
        return
    plain = SessionRequest(**{**request.__dict__, "emphasis": frozenset()})
    try:
        with_emphasis, without = plan_session(request), plan_session(plain)
    except PlanningError:
        return
    # Emphasis promises time up to a module's ideal before anything else gets it.
    given_time = {m.module.id: min(m.minutes, m.module.ideal_minutes) for m in with_emphasis.modules}
    plain_time = {m.module.id: min(m.minutes, m.module.ideal_minutes) for m in without.modules}
    assert sum(given_time[m] for m in request.emphasis) >= sum(plain_time[m] for m in request.emphasis)


def test_declared_module_minutes_hold_their_content():
    for module in MODULES:
        least, full = module_needs(module, TIMING)
        assert module.minimum_minutes >= least, module.id
        assert module.ideal_minutes >= full, module.id
        assert any(q.core for q in module.discussion_questions), module.id


@pytest.mark.parametrize("minutes", [45, 60, 75, 90, 120, 150, 180, 240, 300, 360])
def test_every_common_length_plans_the_modules_chosen_for_it(minutes):
    from packets.load.model import Organization
    from packets.planning.plan import session_request

    org = Organization.model_validate({"name": "Test", "workshop": {"minutes": minutes, "start": "09:00"}})
    request = session_request(org, CURRICULUM)
    schedule = plan_session(request)
    assert schedule.total == minutes
    assert schedule.modules


def test_explicit_break_times_are_kept_exactly():
    request = SessionRequest(180, MODULES, TIMING, breaks=(75,), start=9 * 60)
    schedule = plan_session(request)
    offset = 0
    for segment in schedule.segments:
        if segment.kind == "break":
            assert offset == 75
        offset += segment.minutes
    assert schedule.total == 180


def test_no_breaks_when_asked_for_none():
    schedule = plan_session(SessionRequest(240, MODULES, TIMING, breaks="none"))
    assert all(s.kind != "break" for s in schedule.segments)


def test_a_session_too_short_says_the_shortest_that_fits():
    with pytest.raises(PlanningError) as caught:
        plan_session(SessionRequest(45, MODULES, TIMING))
    least = caught.value.least
    assert f"at least {least} needed" in str(caught.value)
    assert f"give minutes: {least}" in str(caught.value)
    assert plan_session(SessionRequest(least, MODULES, TIMING)).total == least
    with pytest.raises(PlanningError):
        plan_session(SessionRequest(least - 1, MODULES, TIMING))


def test_clock_marks_fall_on_five_minutes_where_the_plan_has_room():
    schedule = plan_session(SessionRequest(240, MODULES, TIMING, start=9 * 60))
    offset, marks = 0, 0
    for segment in schedule.segments:
        marks += offset % 5 == 0
        offset += segment.minutes
    assert marks >= len(schedule.segments) - 2


@pytest.mark.parametrize("minutes", [100, 120, 150])
def test_sessions_of_100_minutes_or_more_have_a_break_or_a_pause_of_five_minutes(minutes):
    from packets.load.model import Organization
    from packets.planning.plan import make_plan

    for workshop in (
        {"minutes": minutes},
        {"minutes": minutes, "breaks": "none"},
        {"minutes": minutes, "format": "standard"},
    ):
        org = Organization.model_validate({"name": "T", "workshop": workshop})
        plan = make_plan("t", org, CURRICULUM)
        gaps = [r for r in plan.run_of_show if r.kind in ("break", "pause")]
        assert gaps and all(r.minutes >= 5 for r in gaps), workshop
        assert plan.total_minutes == minutes


def test_the_opening_and_closing_grow_with_long_sessions():
    from packets.load.model import Organization
    from packets.planning.plan import make_plan

    def segment(minutes: int, kind: str) -> int:
        org = Organization.model_validate({"name": "T", "workshop": {"minutes": minutes}})
        return next(r.minutes for r in make_plan("t", org, CURRICULUM).run_of_show if r.kind == kind)

    assert segment(180, "opening") >= 15 > 10 <= segment(60, "opening")
    assert segment(180, "closing") >= 10 > 5 <= segment(60, "closing")


def test_moving_into_pairs_and_back_is_budgeted():
    from packets.load.model import Organization
    from packets.planning.plan import make_plan

    org = Organization.model_validate({"name": "T", "workshop": {"format": "half-day"}})
    plan = make_plan("t", org, CURRICULUM)
    grouped = [a for pm in plan.modules for a in pm.activities if a.groups]
    assert grouped
    for activity in grouped:
        row = next(r for r in plan.run_of_show if r.anchor == activity.id)
        assert row.minutes == activity.minutes + TIMING.regroup
        assert f"move into {activity.groups} and back" in row.title
