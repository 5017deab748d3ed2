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
from packets.planning.planner import PlanningError, SessionRequest, plan_session

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


def _floor_of(segment) -> int:
    timing = {
        "opening": TIMING.opening,
        "closing": TIMING.closing,
        "knowledge-keeper-opening": TIMING.knowledge_keeper_opening,
        "knowledge-keeper-closing": TIMING.knowledge_keeper_closing,
    }
    if segment.kind == "break":
        return TIMING.break_minutes
    if segment.module is None:
        return timing[segment.kind].minimum
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
        assert segment.minutes >= _floor_of(segment), segment
        if segment.kind == "break":
            breaks.append(offset)
        if segment.module is not None:
            planned = segment.module
            discussed = len(planned.questions)
            # Every question discussed has its minutes, every activity its stated time.
            need = TIMING.module_introduction + TIMING.question * discussed + sum(a.minutes for a in planned.activities)
            assert planned.minutes >= need
            assert all(q in planned.questions for q in planned.module.discussion_questions if q.core)
            assert all(a in planned.activities for a in planned.module.activities if a.core)
        offset += segment.minutes
    expected = 2 if request.minutes > TIMING.second_break_after else int(request.minutes > TIMING.break_after)
    assert len(breaks) == expected
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
