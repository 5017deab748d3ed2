"""The plan: what goes into one organization's packets, and when each part happens.

All arithmetic about the session lives here (minutes, clock times, which activities run),
so templates only lay out what the plan says and can never disagree with each other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..load.curriculum import Curriculum
from ..load.model import (
    MAX_SESSION,
    MIN_SESSION,
    Activity,
    DiscussionQuestion,
    Interface,
    Module,
    Nation,
    Organization,
    Place,
    WorkshopFormat,
    activity_minutes,
)
from .planner import (
    PlanningError,
    SessionRequest,
    least_and_most,
    plan_session,
    question_cap,
    segment_timing,
)
from .words import clock_text, count_text, fill_text, group_word, join_words, language_of
from .words import duration_text as _duration


@dataclass(frozen=True)
class PlannedModule:
    number: int
    module: Module
    minutes: int
    activities: tuple[Activity, ...]
    questions: tuple[DiscussionQuestion, ...]
    leads: tuple[str, ...] = ()
    regroup: int = 0  # minutes to move into pairs or groups and back, for each activity that does

    @property
    def discussion_minutes(self) -> int:
        return self.minutes - sum(self.activity_minutes(a) for a in self.activities)

    def activity_minutes(self, activity: Activity) -> int:
        """The activity's minutes in the room, moving into pairs or groups and back included."""
        return activity.minutes + (self.regroup if activity.groups else 0)

    @property
    def skipped_activities(self) -> tuple[Activity, ...]:
        return tuple(a for a in self.module.activities if a not in self.activities)

    def runs(self, question: DiscussionQuestion) -> bool:
        return question in self.questions


@dataclass(frozen=True)
class RunOfShowRow:
    kind: str  # opening | knowledge-keeper-opening | module | activity | break | pause | closing | ...
    title: str
    minutes: int
    clock: str | None
    materials: tuple[str, ...] = ()
    anchor: str | None = None
    leads: tuple[str, ...] = ()


@dataclass(frozen=True)
class SupportContact:
    """One support as the packet prints it: a help line or a local service."""

    name: str
    contact: str | None
    note: str | None = None
    chat: str | None = None  # the web address of an online chat, when the line has one
    local: bool = False  # from the organization's own file, not the curriculum


@dataclass(frozen=True)
class Supports:
    """Every support a packet prints, worked out once so every document lists the same ones.

    The curriculum's lines come first (they are there day and night, everywhere), then the
    organization's local supports that are not already listed, then employee assistance.
    """

    intro: str
    lines: tuple[SupportContact, ...]
    employee_assistance: str

    @property
    def national(self) -> tuple[SupportContact, ...]:
        return tuple(line for line in self.lines if not line.local)

    @property
    def local(self) -> tuple[SupportContact, ...]:
        return tuple(line for line in self.lines if line.local)


@dataclass(frozen=True)
class CardSet:
    """One activity's cards, for the guide's appendix: each card as many times as fit a sheet."""

    activity: Activity
    module_number: int
    title: str
    cards: tuple[str, ...]


@dataclass(frozen=True)
class Statement:
    paragraphs: tuple[str, ...]
    commitments_intro: str | None
    closing: str | None
    is_draft: bool
    # The composed draft as the slides show it: the Nations by their own names only, since the
    # slides just before show each with its other name. Its sentence then fits one slide with many
    # Nations instead of being cut at a comma. Empty: the slides show `paragraphs`.
    slide_paragraphs: tuple[str, ...] = ()


@dataclass(frozen=True)
class OtherName:
    """A Nation's or place's name in the edition's language, beside its own: "In English: Musqueam"."""

    label: str
    name: str
    say: str | None  # how to say it, when the organization's file gives it


@dataclass(frozen=True)
class Plan:
    slug: str
    org: Organization
    curriculum: Curriculum
    paper: str
    title: str
    format: WorkshopFormat | None  # the preset the session comes from, if any
    modules: tuple[PlannedModule, ...]
    reading: tuple[Module, ...]  # modules not run in the session: given as reading
    run_of_show: tuple[RunOfShowRow, ...]
    total_minutes: int
    end_clock: str | None
    statement: Statement
    accent: str
    description: str
    farewell: str
    supports: Supports
    territory_sentence: str | None  # the territory as a sentence, e.g. "This land is unceded."
    card_sets: tuple[CardSet, ...] = ()
    logo_uri: str | None = None
    large_print: bool = False

    @property
    def running_name(self) -> str:
        """The organization's name for a regular edition's running head, shortened at a word
        so it fits one line at 9.5 pt. (Large print measures its own: render/html.py
        running_name.) The stylesheet still clips with an ellipsis if unusually wide letters
        make even this too long.
        """
        name = self.org.name
        if len(name) <= RUNNING_NAME_CHARS:
            return name
        return name[:RUNNING_NAME_CHARS].rsplit(" ", 1)[0].rstrip(",;:–—- ") + "…"

    @property
    def language(self) -> str:
        """The edition's language, "en" or "fr": every printed word follows it."""
        return language_of(self.curriculum)

    @property
    def words(self) -> Interface:
        """The edition's printed words around the curriculum (content/interface.yaml, or its overlay)."""
        return self.curriculum.interface

    def other_name(self, n: Nation | Place) -> OtherName | None:
        """The name printed beside a Nation's or place's own name in this edition: the French
        name in a French edition that has one, else the English name; None when there is none
        (or it is the own name). Its pronunciation only when it is the English name's."""
        name = n.common_name(self.language)
        if not name or name == n.name:
            return None
        french = self.language == "fr" and name == n.french_name
        label = self.words.french_name_label if french else self.words.english_name_label
        return OtherName(label, name, None if french else n.pronunciation)

    def clock(self, clock: str | None) -> str:
        """A clock time of the plan ("13:15") as this edition prints it ("13 h 15" in French)."""
        return clock_text(clock, self.words)

    def duration(self, minutes: int) -> str:
        """A length as this edition prints it ("1 h 30 min"; "1 h 30")."""
        return _duration(minutes, self.words)

    def module_clock(self, planned: PlannedModule) -> str:
        """When a module runs, for the guide's outer margin beside it: its clock times (when
        the session has a start) over its length, one to a line."""
        start = next((row.clock for row in self.run_of_show if row.anchor == planned.module.id), None)
        length = self.duration(planned.minutes)
        if start is None:
            return length
        end = _clock(_minutes_of(start), planned.minutes)
        return f"{self.clock(start)}–{self.clock(end)}\n{length}"

    @property
    def custom_selection(self) -> bool:
        return self.org.workshop.modules is not None

    @property
    def has_leads(self) -> bool:
        return any(row.leads for row in self.run_of_show)

    @property
    def opened_by(self) -> str | None:
        """The Elder or knowledge keeper who opens, for the covers: only once named (named means they agreed)."""
        keeper = self.org.workshop.knowledge_keeper
        return keeper.name if keeper and keeper.opening and keeper.name else None

    @property
    def closed_by(self) -> str | None:
        """The Elder or knowledge keeper who closes, for the covers, on the same terms as `opened_by`."""
        keeper = self.org.workshop.knowledge_keeper
        return keeper.name if keeper and keeper.closing and keeper.name else None

    @property
    def breaks_phrase(self) -> str | None:
        """The breaks as the covers' length line ends, so a participant knows when they come:
        "a break from 10:30 to 10:45", "breaks from 10:30 to 10:45 and 13:00 to 13:15", or,
        without a start time, "a 15 min break after 1 h 15 min"."""
        words = self.words
        clocks, offsets, offset, minutes = [], [], 0, 0
        for row in self.run_of_show:
            if row.kind == "break":
                minutes = row.minutes
                offsets.append(self.duration(offset))
                if row.clock:
                    end = self.clock(_clock(_minutes_of(row.clock), row.minutes))
                    clocks.append(fill_text(words.clock_range, start=self.clock(row.clock), end=end))
            offset += row.minutes
        if not offsets:
            return None
        if clocks:
            phrasing = words.break_from if len(clocks) == 1 else words.breaks_from
            return fill_text(phrasing, clocks=join_words(clocks, words))
        phrasing = words.break_after if len(offsets) == 1 else words.breaks_after
        return fill_text(phrasing, length=self.duration(minutes), offsets=join_words(offsets, words))

    @property
    def has_break(self) -> bool:
        return any(row.kind == "break" for row in self.run_of_show)

    @property
    def has_pause(self) -> bool:
        return any(row.kind == "pause" for row in self.run_of_show)


DEFAULT_ACCENT = "#1d5c57"
RUNNING_NAME_CHARS = 60


def _clock(start: int | None, offset: int) -> str | None:
    if start is None:
        return None
    minutes = (start + offset) % (24 * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes_of(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def chosen_modules(org: Organization, curriculum: Curriculum) -> tuple[tuple[Module, ...], WorkshopFormat | None]:
    """The modules the session runs, in curriculum order, and the preset they come from.

    An explicit `workshop.modules` wins; then a named format's selection; a session that
    gives only its minutes takes modules in the curriculum's priority order while their
    minimums and half their activities fit, so the session has room to run some of them.
    """
    workshop = org.workshop
    fmt = curriculum.formats.get(workshop.format or "") if workshop.format else None
    if fmt is None and workshop.minutes is None:
        fmt = curriculum.formats.get("standard")
    order = list(curriculum.modules)
    if workshop.modules is not None:
        return tuple(curriculum.modules[m] for m in workshop.modules), fmt
    if fmt is not None:
        ids = fmt.modules if fmt.modules is not None else order
        return tuple(curriculum.modules[m] for m in ids), fmt
    minutes = workshop.minutes or 0
    timing = curriculum.timing
    keeper = workshop.knowledge_keeper
    room = minutes - segment_timing("opening", minutes, timing).minimum
    room -= segment_timing("closing", minutes, timing).minimum
    breaks = 2 if minutes > timing.second_break_after else int(minutes > timing.break_after)
    room -= timing.break_minutes * breaks
    if not breaks and minutes >= timing.pause_from:
        room -= timing.pause_minutes
    if keeper and keeper.opening:
        room -= timing.knowledge_keeper_opening.minimum
    if keeper and keeper.closing:
        room -= timing.knowledge_keeper_closing.minimum
    chosen: list[str] = []
    used = 0.0
    questions = 0
    for module_id in curriculum.priority:
        module = curriculum.modules[module_id]
        # A module counts its minimum and half its activities, so the session keeps room to run some.
        need = module.minimum_minutes + sum(activity_minutes(a, timing) for a in module.activities if not a.core) / 2
        # Its core questions always run: a session takes no more than the room can discuss.
        core = sum(1 for q in module.discussion_questions if q.core)
        if chosen and (used + need > room or questions + core > question_cap(minutes, timing)):
            break
        chosen.append(module_id)
        used += need
        questions += core
    return tuple(curriculum.modules[m] for m in order if m in chosen), None


def session_request(org: Organization, curriculum: Curriculum) -> SessionRequest:
    """What the planner is asked for this organization (raises PlanningError when it cannot be)."""
    workshop = org.workshop
    modules, fmt = chosen_modules(org, curriculum)
    minutes = workshop.minutes or (fmt.minutes if fmt else 0)
    if minutes < MIN_SESSION:
        least, _ = least_and_most(SessionRequest(MIN_SESSION, modules, curriculum.timing))
        need = max(least or MIN_SESSION, MIN_SESSION)
        count = f"these {len(modules)} modules" if len(modules) != 1 else "this module"
        raise PlanningError(
            f"{minutes} minutes cannot hold {count} (at least {need} needed, and no session is shorter than "
            f"{MIN_SESSION}): choose fewer modules or give minutes: {need}",
            need,
        )
    if minutes > MAX_SESSION:
        raise PlanningError(
            f"{minutes} minutes is longer than the planner fits ({MAX_SESSION} at most): give minutes: {MAX_SESSION} "
            "or less, or plan two sessions"
        )
    start = _minutes_of(workshop.start) if workshop.start else None
    breaks: str | tuple[int, ...]
    if isinstance(workshop.breaks, list):
        if start is None:
            raise PlanningError('break times need a start time: give start: "HH:MM", or breaks: "auto"')
        breaks = tuple((_minutes_of(b) - start) % (24 * 60) for b in workshop.breaks)
        last = minutes - curriculum.timing.break_minutes
        outside = [b for b, off in zip(workshop.breaks, breaks, strict=True) if off > last]
        if outside:
            raise PlanningError(
                f"a break at {outside[0]} falls outside the session ({workshop.start} to {_clock(start, minutes)})"
            )
    else:
        breaks = workshop.breaks
    emphasis = frozenset(workshop.emphasis) | frozenset(fmt.emphasis if fmt else ())
    keeper = workshop.knowledge_keeper
    return SessionRequest(
        minutes=minutes,
        modules=modules,
        timing=curriculum.timing,
        emphasis=emphasis,
        breaks=breaks,
        knowledge_keeper_opening=bool(keeper and keeper.opening),
        knowledge_keeper_closing=bool(keeper and keeper.closing),
        start=start,
    )


def make_plan(
    slug: str,
    org: Organization,
    curriculum: Curriculum,
    paper: str | None = None,
    large_print: bool = False,
    logo: Path | None = None,
) -> Plan:
    # Planning sees one edition's plain text: an organization not yet resolved (its text
    # may be per language) is planned as its first edition.
    org = org.edition(org.language or org.editions[0])
    request = session_request(org, curriculum)
    schedule = plan_session(request)
    _, fmt = chosen_modules(org, curriculum)
    wording = curriculum.wording
    leads = _leads(org)
    keeper = org.workshop.knowledge_keeper
    keeper_name = keeper.name if keeper and keeper.name else wording.knowledge_keeper
    labels = {
        "opening": wording.opening,
        "knowledge-keeper-opening": fill_text(wording.knowledge_keeper_opening, name=keeper_name),
        "break": wording.break_row,
        "pause": wording.pause_row,
        "closing": wording.closing,
        "knowledge-keeper-closing": fill_text(wording.knowledge_keeper_closing, name=keeper_name),
    }
    anchors = {"opening": "opening", "closing": "closing", "knowledge-keeper-opening": "knowledge-keeper"}
    rows: list[RunOfShowRow] = []
    modules: list[PlannedModule] = []
    offset = 0
    start = request.start
    for seg in schedule.segments:
        if seg.module is None:
            lead_key = {"knowledge-keeper-opening": None, "knowledge-keeper-closing": None}.get(seg.kind, seg.kind)
            rows.append(
                RunOfShowRow(
                    seg.kind,
                    labels[seg.kind],
                    seg.minutes,
                    _clock(start, offset),
                    anchor=anchors.get(seg.kind),
                    leads=(keeper_name,) if lead_key is None else leads.get(seg.kind, ()),
                )
            )
            offset += seg.minutes
            continue
        sm = seg.module
        planned = PlannedModule(
            len(modules) + 1,
            sm.module,
            sm.minutes,
            sm.activities,
            sm.questions,
            leads.get(sm.module.id, ()),
            curriculum.timing.regroup,
        )
        modules.append(planned)
        rows.append(
            RunOfShowRow(
                "module",
                fill_text(curriculum.interface.module_row, number=planned.number, title=sm.module.title),
                planned.discussion_minutes,
                _clock(start, offset),
                anchor=sm.module.id,
                leads=planned.leads,
            )
        )
        offset += planned.discussion_minutes
        for activity in sm.activities:
            rows.append(
                RunOfShowRow(
                    "activity",
                    activity_title(activity, planned, wording.regroup, curriculum.interface),
                    planned.activity_minutes(activity),
                    _clock(start, offset),
                    tuple(activity.materials),
                    anchor=activity.id,
                )
            )
            offset += planned.activity_minutes(activity)
    run = {pm.module.id for pm in modules}
    reading = tuple(m for m in curriculum.modules.values() if m.id not in run)
    end_clock = _clock(start, offset)
    return Plan(
        slug=slug,
        org=org,
        curriculum=curriculum,
        paper=paper or org.paper,
        title=org.workshop.title or curriculum.meta.default_title,
        format=fmt,
        modules=tuple(modules),
        reading=reading,
        run_of_show=tuple(rows),
        total_minutes=offset,
        end_clock=end_clock,
        statement=compose_statement(org, curriculum),
        accent=org.accent_colour or DEFAULT_ACCENT,
        description=describe(tuple(modules), reading, rows, offset, org, curriculum),
        farewell=farewell(end_clock, curriculum),
        supports=supports_for(org, curriculum),
        territory_sentence=territory_sentence(org, curriculum),
        card_sets=card_sets(tuple(modules), curriculum),
        logo_uri=logo.as_uri() if logo else None,
        large_print=large_print,
    )


def activity_title(activity: Activity, planned: PlannedModule, regroup: str, words: Interface) -> str:
    """The activity's name, with the time to move into pairs or groups and back when it has some."""
    if not activity.groups or not planned.regroup:
        return activity.name
    groups = group_word(activity.groups, words)
    return f"{activity.name} ({fill_text(regroup, minutes=planned.regroup, groups=groups)})"


def _leads(org: Organization) -> dict[str, tuple[str, ...]]:
    """Who leads each segment (module id, opening, closing, break), from the facilitators' `leads`."""
    leads: dict[str, list[str]] = {}
    for person in org.workshop.facilitators:
        for key in person.leads:
            leads.setdefault(key, []).append(person.name)
    return {key: tuple(names) for key, names in leads.items()}


def duration_text(minutes: int, words: Interface | None = None) -> str:
    """A length as people say it in print: "45 min", "2 h", "1 h 30 min" (words.duration_text)."""
    return _duration(minutes, words)


def describe(
    modules: tuple[PlannedModule, ...],
    reading: tuple[Module, ...],
    rows: list[RunOfShowRow],
    total: int,
    org: Organization,
    curriculum: Curriculum,
) -> str:
    """What the session runs, in words generated from the plan itself, so it cannot contradict it."""
    wording, words, language = curriculum.wording, curriculum.interface, language_of(curriculum)
    activities = sum(len(pm.activities) for pm in modules)
    questions = sum(len(pm.questions) for pm in modules)
    breaks = sum(1 for r in rows if r.kind == "break")
    pauses = [r for r in rows if r.kind == "pause"]
    if breaks:
        gaps = count_text(breaks, words.count_break, words.count_breaks, language)
    elif pauses:
        gaps = fill_text(wording.pause, minutes=pauses[0].minutes)
    else:
        gaps = wording.no_break
    all_modules = len(curriculum.modules)
    parts = [
        fill_text(
            wording.runs_all if not reading else wording.runs_some,
            length=_duration(total, words),
            run=len(modules),
            all=all_modules,
            activities=count_text(activities, words.count_activity, words.count_activities, language),
            questions=count_text(questions, words.count_question, words.count_questions, language),
            breaks=gaps,
        )
    ]
    if org.workshop.modules is not None:
        parts.append(fill_text(wording.chosen_by, organization=org.name))
    if org.workshop.emphasis:
        titles = [curriculum.modules[m].title for m in org.workshop.emphasis if m in curriculum.modules]
        parts.append(fill_text(wording.emphasis, titles=join_words(titles, words)))
    if reading:
        parts.append(fill_text(wording.reading, titles=join_words([m.title for m in reading], words)))
    skipped = [a.name for pm in modules for a in pm.skipped_activities]
    if skipped:
        parts.append(fill_text(wording.skipped_activities, names=join_words(skipped, words)))
    return " ".join(parts)


def farewell(end_clock: str | None, curriculum: Curriculum) -> str:
    """The closing's last sentence, for the time of day the session ends."""
    farewells = curriculum.facilitation.farewells
    if end_clock is None:
        return farewells.any_time
    hour = _minutes_of(end_clock) // 60
    if hour < 12:
        return farewells.morning
    return farewells.afternoon if hour < 17 else farewells.evening


def nation_list(nations: list[Nation], words: Interface | None = None, language: str = "en") -> str:
    """The Nations as the composed statement names them: each own name, its other name in brackets
    (the French one in a French edition that has it)."""
    names = []
    for n in nations:
        other = n.common_name(language)
        names.append(f"{n.name} ({other})" if other and other != n.name else n.name)
    return join_words(names, words)


def _fill(phrasing: str, values: dict[str, str]) -> str:
    """Substitute only the three known names: phrasing comes from our content, values are plain text."""
    return re.sub(r"\{(organization|nations|territory)\}", lambda m: values[m[1]], phrasing)


def compose_statement(org: Organization, curriculum: Curriculum) -> Statement:
    ack = org.land_acknowledgement
    draft = curriculum.acknowledgement.draft_statement
    values = {
        "organization": org.name,
        "nations": nation_list(ack.nations, curriculum.interface, language_of(curriculum)),
        "territory": ack.territory or "",
    }
    commitments_intro = _fill(draft.commitments_intro, values) if ack.commitments else None
    if ack.statement:
        paragraphs = tuple(" ".join(p.split()) for p in re.split(r"\n\s*\n", ack.statement) if p.strip())
        return Statement(paragraphs, commitments_intro, None, is_draft=False)
    if not ack.nations:
        return Statement((), commitments_intro, None, is_draft=True)
    sentence = territory_sentence(org, curriculum)
    shown = []
    for nations in (values["nations"], join_words([n.name for n in ack.nations], curriculum.interface)):
        paragraphs = [_fill(draft.opening, {**values, "nations": nations}), *([sentence] if sentence else [])]
        shown.append(" ".join(paragraphs))
    closing = _fill(draft.closing, values)
    return Statement((shown[0],), commitments_intro, closing, is_draft=True, slide_paragraphs=(shown[1],))


# Cards are printed this many to a sheet: a set of fewer cards is repeated to fill it.
CARDS_PER_SHEET = 4


def card_sets(modules: tuple[PlannedModule, ...], curriculum: Curriculum) -> tuple[CardSet, ...]:
    """The cards of every activity the session runs, for the guide's pages to print and cut."""
    sets = []
    for pm in modules:
        for activity in pm.activities:
            if not activity.cards:
                continue
            copies = max(1, CARDS_PER_SHEET // len(activity.cards))
            title = fill_text(curriculum.interface.cards_for, activity=activity.name, number=pm.number)
            sets.append(CardSet(activity, pm.number, title, tuple(activity.cards) * copies))
    return tuple(sets)


_PHONE = re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?(\d{3})\)?[\s.-]?(\d{3})[\s.-]?(\d{4})(?!\d)")
# Three-digit lines: 9-8-8 and the N-1-1 numbers (2-1-1, 8-1-1).
_SHORT_LINE = re.compile(r"(?<![\d-])([2-9])-?([18])-?(\2)(?![\d-])")
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?:https?://)?(?:www\.)?([\w-]+(?:\.[\w-]+)+)(/[^\s]*)?")


def contact_keys(*values: str | None) -> set[str]:
    """What makes two supports the same: a phone number's digits, a web or email address.

    "1-855-242-3310", "(855) 242-3310" and "855.242.3310" are one line; so are
    "hopeforwellness.ca" and "https://www.hopeforwellness.ca/"; "9-8-8" and "988" too.
    """
    keys = set()
    for value in values:
        if not value:
            continue
        found = {"".join(m.groups()) for m in _PHONE.finditer(value)}
        rest = _PHONE.sub(" ", value)
        found |= {"".join(m.groups()) for m in _SHORT_LINE.finditer(rest)}
        for m in _ADDRESS.finditer(rest.lower()):
            found.add(m.group(0) if "@" in m.group(0) else (m.group(1) + (m.group(2) or "")).rstrip("/"))
        keys |= found or {" ".join(value.lower().split())}
    return keys


def _name_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()


def supports_for(org: Organization, curriculum: Curriculum) -> Supports:
    """The supports a packet prints: the curriculum's lines, then the organization's own.

    A local support with the same number, address or name as one already listed is the
    same support, so it is printed once (Hope for Wellness, which many organizations also
    list, never appears twice). Every document and the slides use this one list.
    """
    support = curriculum.support
    lines: list[SupportContact] = []
    seen_contacts: set[str] = set()
    seen_names: set[str] = set()
    for line in support.lines:
        lines.append(SupportContact(line.name, line.contact, line.note, line.chat))
        seen_contacts |= contact_keys(line.contact, line.chat)
        seen_names.add(_name_key(line.name))
    for resource in org.local_resources:
        keys = contact_keys(resource.contact)
        name = _name_key(resource.name)
        if keys & seen_contacts or name in seen_names:
            continue
        lines.append(SupportContact(resource.name, resource.contact, resource.note, local=True))
        seen_contacts |= keys
        seen_names.add(name)
    return Supports(support.intro, tuple(lines), support.employee_assistance)


def territory_sentence(org: Organization, curriculum: Curriculum) -> str | None:
    """The territory as a whole sentence, so "unceded" never stands alone on the page.

    An organization that wrote a sentence of its own keeps it; a phrase ("unceded",
    "Treaty 6 territory") goes into the curriculum's sentence ("This land is unceded.").
    """
    territory = org.land_acknowledgement.territory
    if not territory:
        return None
    if territory.endswith((".", "!")) and len(territory.split()) > 3:
        return territory
    phrase = territory.rstrip(". ")
    if not phrase:
        return None
    values = {"territory": phrase, "organization": org.name, "nations": ""}
    draft = curriculum.acknowledgement.draft_statement
    # "unceded", "Treaty 6 territory", "the traditional territory of..." say what this land
    # is; "the lands of many Nations", "Treaty 4 lands" are plural, and "This land is the
    # lands..." would not be a sentence: those are where we are.
    # In French: "les terres de...", "les territoires de..." likewise.
    head = re.split(r" of | de | des | du ", phrase)[0]
    plural = re.search(r"\b(lands|territories|terres|territoires)\b", head, re.IGNORECASE) is not None
    return _fill(draft.territory_place if plural else draft.territory, values)
