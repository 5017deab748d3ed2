"""The planner: fit chosen modules to the minutes a team really has.

Pure functions over plain data, no I/O, so the same request always gives the same
schedule and property tests can try thousands of sessions. The rules, in order:

1. Every segment gets at least its minimum: the opening and closing their declared
   minimums, each module its `minimum_minutes` (introduction, core questions, core
   activities), each break its fixed length. A session too short for that is an error
   that says the shortest length that fits, never a silent squeeze.
2. Time above the minimums goes first to emphasised modules (their activities, optional
   questions, then discussion up to their ideal), then to other modules' activities (an
   activity runs at its stated minutes or not at all), then to the opening and closing up
   to their ideal, then to their optional questions (at least `timing.question` minutes
   each), then to discussion up to each module's ideal and beyond it, up to
   `timing.stretch` times the ideal, emphasised modules getting twice the share.
3. Breaks fall between segments: automatic ones near even divisions of the session and
   never in its first or last `timing.break_margin` minutes; explicit ones at the clock
   times given. A session with no break still gets a short pause (`timing.pause_minutes`)
   from `timing.pause_from` minutes on, and from `timing.pause_if_fits_from` where the
   modules leave room: people need to stand, drink water and step out.
   A room needs time per question: optional questions stop at one for every
   `timing.minutes_per_question` minutes of session; activities in pairs or groups carry
   the time to move there and back; long sessions get a longer opening and closing.
4. Segment boundaries move to five-minute clock marks where that keeps every segment
   within its bounds, so the total stays exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from itertools import combinations

from ..load.model import Activity, DiscussionQuestion, Module, SegmentTiming, Timing, activity_minutes


class PlanningError(ValueError):
    """The request cannot be planned; `least`/`most` say which lengths would work."""

    def __init__(self, message: str, least: int | None = None, most: int | None = None):
        super().__init__(message)
        self.least = least
        self.most = most


@dataclass(frozen=True)
class SessionRequest:
    minutes: int
    modules: tuple[Module, ...]
    timing: Timing
    emphasis: frozenset[str] = frozenset()
    breaks: str | tuple[int, ...] = "auto"  # "auto", "none", or break starts in minutes after the start
    knowledge_keeper_opening: bool = False
    knowledge_keeper_closing: bool = False
    start: int | None = None  # minutes after midnight, for five-minute clock marks


@dataclass(frozen=True)
class ScheduledModule:
    module: Module
    minutes: int
    activities: tuple[Activity, ...]
    questions: tuple[DiscussionQuestion, ...]
    emphasised: bool = False
    regroup: int = 0  # minutes to move into pairs or groups and back, per activity that does

    @property
    def discussion_minutes(self) -> int:
        return self.minutes - sum(a.minutes + (self.regroup if a.groups else 0) for a in self.activities)


@dataclass(frozen=True)
class ScheduledSegment:
    kind: str  # opening | knowledge-keeper-opening | module | break | pause | closing | knowledge-keeper-closing
    minutes: int
    module: ScheduledModule | None = None


@dataclass(frozen=True)
class Schedule:
    segments: tuple[ScheduledSegment, ...]

    @property
    def total(self) -> int:
        return sum(s.minutes for s in self.segments)

    @property
    def modules(self) -> tuple[ScheduledModule, ...]:
        return tuple(s.module for s in self.segments if s.module is not None)


# ---------------------------------------------------------------- one segment's budget


@dataclass
class _Slot:
    """A segment being planned: its floor rises as content is added, its minutes fill up."""

    kind: str
    floor: int  # the least minutes for what it holds now
    ideal: int
    cap: int
    module: Module | None = None
    emphasised: bool = False
    activities: list[Activity] = field(default_factory=list)
    questions: list[DiscussionQuestion] = field(default_factory=list)
    minutes: int = 0

    @property
    def rigid(self) -> bool:
        return self.kind in GAPS


GAPS = ("break", "pause")


def segment_timing(kind: str, minutes: int, timing: Timing) -> SegmentTiming:
    """The opening's or closing's bounds for a session of `minutes`: longer in long sessions."""
    long = minutes >= timing.long_session
    if kind == "opening":
        return timing.opening_long if long else timing.opening
    if kind == "closing":
        return timing.closing_long if long else timing.closing
    return getattr(timing, kind.replace("-", "_"))


def question_cap(minutes: int, timing: Timing) -> int:
    """The most discussion questions a session of `minutes` runs, when its core questions are fewer."""
    return minutes // timing.minutes_per_question


def _fixed_slot(kind: str, timing: SegmentTiming) -> _Slot:
    return _Slot(kind, timing.minimum, timing.ideal, timing.ideal, minutes=timing.minimum)


def _module_slot(module: Module, timing: Timing, emphasised: bool) -> _Slot:
    ideal = max(module.ideal_minutes, module.minimum_minutes)
    return _Slot(
        "module",
        module.minimum_minutes,
        ideal,
        int(ideal * timing.stretch),
        module=module,
        emphasised=emphasised,
        activities=[a for a in module.activities if a.core],
        questions=[q for q in module.discussion_questions if q.core],
        minutes=module.minimum_minutes,
    )


def _gap_slot(kind: str, minutes: int) -> _Slot:
    return _Slot(kind, minutes, minutes, minutes, minutes=minutes)


def _bounds(slots: Sequence[_Slot]) -> tuple[int, int]:
    return sum(s.floor for s in slots), sum(s.cap for s in slots)


# ---------------------------------------------------------------- filling one part


def _add_activities(slot: _Slot, spare: int, timing: Timing) -> int:
    assert slot.module is not None
    for activity in slot.module.activities:
        need = activity_minutes(activity, timing)
        if activity not in slot.activities and need <= spare:
            slot.activities.append(activity)
            slot.floor += need
            slot.minutes += need
            spare -= need
    slot.activities.sort(key=slot.module.activities.index)
    return spare


def _add_questions(slot: _Slot, spare: int, per_question: int, room: list[int]) -> int:
    """Add optional questions while minutes and the session's question room (`room[0]`) last."""
    assert slot.module is not None
    for question in slot.module.discussion_questions:
        if question not in slot.questions and per_question <= spare and room[0] > 0:
            slot.questions.append(question)
            slot.floor += per_question
            slot.minutes += per_question
            spare -= per_question
            room[0] -= 1
    slot.questions.sort(key=slot.module.discussion_questions.index)
    return spare


def _share(slots: list[_Slot], spare: int, limit: str, weight_emphasis: bool) -> int:
    """Give `spare` minutes to slots up to `limit` (ideal or cap), by largest remainder."""
    while spare > 0:
        room = [(s, getattr(s, limit) - s.minutes) for s in slots]
        room = [(s, r) for s, r in room if r > 0]
        if not room:
            return spare
        weights = [(2 if weight_emphasis and s.emphasised else 1) * r for s, r in room]
        total_weight = sum(weights)
        given = 0
        shares = []
        for (s, r), w in zip(room, weights, strict=True):
            exact = spare * w / total_weight
            whole = min(int(exact), r)
            shares.append([s, whole, exact - whole, r])
            given += whole
        left = spare - given
        for entry in sorted(shares, key=lambda e: -e[2]):
            if left == 0:
                break
            if entry[1] < entry[3]:
                entry[1] += 1
                left -= 1
        progress = 0
        for s, whole, _, _ in shares:
            s.minutes += whole
            progress += whole
        spare -= progress
        if progress == 0:
            return spare
    return spare


def _fill(slots: list[_Slot], length: int, timing: Timing, room: list[int]) -> bool:
    """Fill one part (the segments between breaks) to exactly `length`; False if it cannot.

    `room` holds how many more optional questions the session may run, shared by its parts.
    """
    least, most = _bounds(slots)
    if not least <= length <= most:
        return False
    spare = length - least
    modules = [s for s in slots if s.module is not None]
    emphasised = [s for s in modules if s.emphasised]
    others = [s for s in modules if not s.emphasised]
    for slot in emphasised:
        spare = _add_activities(slot, spare, timing)
        spare = _add_questions(slot, spare, timing.question, room)
    spare = _share(emphasised, spare, "ideal", False)
    for slot in others:
        spare = _add_activities(slot, spare, timing)
    # The opening and closing reach their ideal before optional questions: a room needs
    # its welcome and its closing round more than one more question.
    fixed = [s for s in slots if s.module is None and not s.rigid]
    spare = _share(fixed, spare, "ideal", False)
    # Optional questions leave each module a little discussion time above its floor, so
    # the clock can still move to five-minute marks (rule 4).
    reserve = min(spare, 2 * len(modules))
    for slot in others:
        spare = reserve + _add_questions(slot, spare - reserve, timing.question, room)
    spare = _share(modules, spare, "ideal", True)
    spare = _share(modules, spare, "cap", True)
    # Content added above can leave caps tighter than the minutes; what remains cannot fit.
    return spare == 0


def _round_to_marks(slots: list[_Slot], origin: int) -> None:
    """Move inner boundaries to five-minute clock marks, keeping every slot within bounds.

    The minutes come from the next slot that has room to give or take them, so the
    part's total never changes; an emphasised module never gives up time it was promised
    (up to its ideal) for a rounder clock.
    """
    least = {id(s): max(s.floor, min(s.minutes, s.ideal)) if s.emphasised else s.floor for s in slots}

    def fits(slot: _Slot, minutes: int) -> bool:
        return least[id(slot)] <= minutes <= slot.cap

    offset = origin
    for i in range(len(slots) - 1):
        here = slots[i]
        offset += here.minutes
        if here.rigid:
            continue
        down = offset % 5
        for delta in sorted((-down, 5 - down) if down else (), key=abs):
            if not fits(here, here.minutes + delta):
                continue
            giver = next((s for s in slots[i + 1 :] if not s.rigid and fits(s, s.minutes - delta)), None)
            if giver is not None:
                here.minutes += delta
                giver.minutes -= delta
                offset += delta
                break


# ---------------------------------------------------------------- breaks and parts


def _break_count(minutes: int, timing: Timing) -> int:
    if minutes > timing.second_break_after:
        return 2
    return 1 if minutes > timing.break_after else 0


def _nearest(lo: int, hi: int, target: int, origin: int) -> int:
    """The offset in [lo, hi] closest to target, preferring five-minute clock marks."""
    marks = [m for m in range(lo, hi + 1) if (origin + m) % 5 == 0]
    pool = marks or list(range(lo, hi + 1))
    return min(pool, key=lambda m: (abs(m - target), m))


def _parts(request: SessionRequest, cuts: tuple[int, ...]) -> list[list[_Slot]]:
    timing, n = request.timing, request.minutes
    slots = [_module_slot(m, timing, m.id in request.emphasis) for m in request.modules]
    bounds = (0, *cuts, len(slots))
    parts = [slots[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    head = [_fixed_slot("opening", segment_timing("opening", n, timing))]
    if request.knowledge_keeper_opening:
        head.insert(0, _fixed_slot("knowledge-keeper-opening", timing.knowledge_keeper_opening))
    tail = [_fixed_slot("closing", segment_timing("closing", n, timing))]
    if request.knowledge_keeper_closing:
        tail.append(_fixed_slot("knowledge-keeper-closing", timing.knowledge_keeper_closing))
    parts[0] = head + parts[0]
    parts[-1] = parts[-1] + tail
    return parts


def _break_starts(request: SessionRequest, parts: list[list[_Slot]], count: int, gap: int) -> list[tuple[int, ...]]:
    """Candidate starts (offsets) for automatic breaks or a pause; none when this split cannot take them."""
    n, timing = request.minutes, request.timing
    window = (timing.break_margin, n - timing.break_margin - gap)
    bounds = [_bounds(p) for p in parts]
    # Backward: where each break may start and still leave every later part fillable.
    feasible: list[tuple[int, int]] = [(0, 0)] * count
    for k in reversed(range(count)):
        lo_part, hi_part = bounds[k + 1]
        if k == count - 1:
            lo, hi = n - gap - hi_part, n - gap - lo_part
        else:
            after_lo, after_hi = feasible[k + 1]
            lo, hi = after_lo - gap - hi_part, after_hi - gap - lo_part
        lo, hi = max(lo, window[0]), min(hi, window[1])
        if lo > hi:
            return []
        feasible[k] = (lo, hi)
    origin = request.start or 0
    # What each part would like: its activities, then its activities and optional questions.
    wants = [[sum(_full_length(slot, timing, q) for slot in part) for q in (False, True)] for part in parts]
    found: list[tuple[int, ...]] = []

    def place(k: int, previous_end: int, starts: tuple[int, ...]) -> None:
        if k == count:
            found.append(starts)
            return
        lo_part, hi_part = bounds[k]
        lo = max(feasible[k][0], previous_end + lo_part)
        hi = min(feasible[k][1], previous_end + hi_part)
        if lo > hi:
            return
        # Candidates: an even division of the session, and the end of this part's content
        # (so a break never costs an activity when moving it a little would keep it).
        candidates = [_nearest(lo, hi, round(n * (k + 1) / (count + 1)), origin)]
        for want in wants[k]:
            end = previous_end + want
            candidates.append(_nearest(max(lo, min(end, hi)), hi, end, origin))
        for start in dict.fromkeys(candidates):
            place(k + 1, start + gap, (*starts, start))

    place(0, 0, ())
    return found


def _full_length(slot: _Slot, timing: Timing, questions: bool) -> int:
    """A slot's minutes with its activities (and optional questions): what it would like."""
    if slot.module is None:
        return slot.floor
    extra = sum(activity_minutes(a, timing) for a in slot.module.activities if not a.core)
    if questions:
        extra += timing.question * sum(1 for q in slot.module.discussion_questions if not q.core)
    return slot.floor + extra


def _lengths(n: int, starts: tuple[int, ...], gap: int) -> list[int]:
    edges = [0]
    for s in starts:
        edges += [s, s + gap]
    edges.append(n)
    return [edges[i + 1] - edges[i] for i in range(0, len(edges), 2)]


@dataclass(frozen=True)
class _Gaps:
    """One way to put gaps in the session: breaks (or a pause), how many, how long, and where."""

    kind: str  # break | pause
    count: int
    minutes: int
    starts: tuple[int, ...] | None = None  # fixed starts, or None to place them


def _gap_options(request: SessionRequest) -> list[_Gaps]:
    """The ways to break up the session, most wanted first; the first that can be planned is used."""
    n, timing = request.minutes, request.timing
    if isinstance(request.breaks, tuple) and request.breaks:
        return [_Gaps("break", len(request.breaks), timing.break_minutes, tuple(request.breaks))]
    if request.breaks == "auto" and _break_count(n, timing):
        return [_Gaps("break", _break_count(n, timing), timing.break_minutes)]
    pause = _Gaps("pause", 1, timing.pause_minutes)
    none = _Gaps("break", 0, 0, ())
    if n >= timing.pause_from:
        return [pause]
    if n >= timing.pause_if_fits_from:
        return [pause, none]
    return [none]


def _try(request: SessionRequest) -> list[_Slot] | None:
    """The best schedule for the request, or None when none fits."""
    for gaps in _gap_options(request):
        plans = [(cuts, gaps.starts) for cuts in _cut_choices(len(request.modules), gaps.count)]
        best: tuple[tuple[int, ...], list[_Slot]] | None = None
        for cuts, starts in plans:
            candidates = (
                [starts]
                if starts is not None
                else _break_starts(request, _parts(request, cuts), len(cuts), gaps.minutes)
            )
            for chosen in candidates:
                result = _schedule_with(request, cuts, chosen, gaps, fixed_breaks=starts is not None)
                if result is not None and (best is None or result[0] < best[0]):
                    best = result
        if best:
            return best[1]
    return None


def _schedule_with(
    request: SessionRequest, cuts: tuple[int, ...], chosen: tuple[int, ...], gaps: _Gaps, fixed_breaks: bool
) -> tuple[tuple[int, ...], list[_Slot]] | None:
    """Fill every part between breaks at `chosen`; the schedule with its score, or None."""
    n, timing = request.minutes, request.timing
    parts = _parts(request, cuts)
    lengths = _lengths(n, chosen, gaps.minutes)
    if any(length < 0 for length in lengths):
        return None
    core = sum(1 for part in parts for s in part if s.module is not None for _ in s.questions)
    room = [max(0, question_cap(n, timing) - core)]
    if not all(_fill(part, length, timing, room) for part, length in zip(parts, lengths, strict=True)):
        return None
    origin = request.start or 0
    slots: list[_Slot] = []
    offset = 0
    for i, (part, length) in enumerate(zip(parts, lengths, strict=True)):
        _round_to_marks(part, origin + offset)
        slots += part
        offset += length
        if i < len(chosen):
            slots.append(_gap_slot(gaps.kind, gaps.minutes))
            offset += gaps.minutes
    targets = [round(n * (k + 1) / (len(chosen) + 1)) for k in range(len(chosen))]
    drift = 0 if fixed_breaks else sum(abs(s - t) for s, t in zip(chosen, targets, strict=True))
    # Emphasised modules come first (up to their ideal), then activities, then breaks near
    # even divisions (a break near the middle matters more to a room than one more optional
    # question), then questions, then parts near their ideal.
    emphasised = sum(min(s.minutes, s.ideal) for s in slots if s.emphasised)
    activities, questions = _left_out(slots)
    return (-emphasised, activities, drift, questions, _imbalance(parts, lengths)), slots


def _cut_choices(modules: int, count: int) -> list[tuple[int, ...]]:
    """Where `count` breaks may fall among the modules: never two breaks back to back."""
    if count == 0:
        return [()]
    return [c for c in combinations(range(modules + 1), count) if len(set(c)) == count]


def _left_out(slots: list[_Slot]) -> tuple[int, int]:
    """Minutes of activities, then the number of questions, a schedule leaves out.

    Compared first, so where a break falls never costs content that another place keeps.
    """
    activities = questions = 0
    for s in slots:
        if s.module is not None:
            activities += sum(a.minutes for a in s.module.activities if a not in s.activities)
            questions += sum(1 for q in s.module.discussion_questions if q not in s.questions)
    return activities, questions


def _imbalance(parts: list[list[_Slot]], lengths: list[int]) -> int:
    """How far each part's length is from what its content would like: smaller is better."""
    return sum(abs(length - sum(s.ideal for s in part)) for part, length in zip(parts, lengths, strict=True))


# ---------------------------------------------------------------- the public face


def least_and_most(request: SessionRequest) -> tuple[int | None, int | None]:
    """The shortest and longest sessions (up to a day) these modules can be planned in."""
    day = 24 * 60
    low, high = _quick_bounds(request)
    least = next((n for n in range(max(1, low), day + 1) if _feasible_length(request, n)), None)
    if least is None:
        return None, None
    most = next(
        (
            n
            for n in range(min(high + 2 * request.timing.break_minutes, day), least - 1, -1)
            if _feasible_length(request, n)
        ),
        least,
    )
    return least, most


def _feasible_length(request: SessionRequest, n: int) -> bool:
    probe = replace(request, minutes=n)
    least, most = _quick_bounds(probe)
    return least <= n <= most and _try(probe) is not None


def _quick_bounds(request: SessionRequest) -> tuple[int, int]:
    """Bounds from the segments alone, before breaks are placed: a cheap first test."""
    least, most = _bounds([slot for part in _parts(request, ()) for slot in part])
    totals = [g.count * g.minutes for g in _gap_options(request)]
    return least + min(totals), most + max(totals)


def plan_session(request: SessionRequest) -> Schedule:
    """A schedule that sums exactly to `request.minutes`, or PlanningError saying what fits."""
    slots = _try(request) if request.modules else None
    if slots is None:
        raise _explain(request)
    segments = []
    for s in slots:
        module = None
        if s.module is not None:
            module = ScheduledModule(
                s.module, s.minutes, tuple(s.activities), tuple(s.questions), s.emphasised, request.timing.regroup
            )
        segments.append(ScheduledSegment(s.kind, s.minutes, module))
    schedule = Schedule(tuple(segments))
    assert schedule.total == request.minutes
    return schedule


def _explain(request: SessionRequest) -> PlanningError:
    n = request.minutes
    count = len(request.modules)
    these = f"{'this module' if count == 1 else f'these {count} modules'}"
    if not count:
        return PlanningError("a session needs at least one module")
    least, most = least_and_most(request)
    if least is None or most is None:
        if isinstance(request.breaks, tuple):
            return PlanningError(f"breaks at these times leave no way to fit {these} into {n} minutes")
        return PlanningError(f"{these} cannot be planned in any length of session")
    if n < least:
        return PlanningError(
            f"{n} minutes cannot hold {these} (at least {least} needed): choose fewer modules or give minutes: {least}",
            least,
            most,
        )
    if n > most:
        return PlanningError(
            f"{n} minutes is more than {these} can use (at most {most}): add modules or give minutes: {most}",
            least,
            most,
        )
    if isinstance(request.breaks, tuple):
        return PlanningError(
            f"breaks at these times leave no way to fit {these} into {n} minutes: move the breaks or "
            'give breaks: "auto"',
            least,
            most,
        )
    return PlanningError(
        f"{n} minutes cannot be planned for {these} with breaks where they are allowed: "
        f'try {least} or {most} minutes, or breaks: "none"',
        least,
        most,
    )
