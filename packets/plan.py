"""The plan: what goes into one organisation's packets, and when each part happens.

All arithmetic about the session lives here (minutes, clock times, which activities run),
so templates only lay out what the plan says and can never disagree with each other.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from .curriculum import Curriculum
from .model import Activity, Module, Nation, Organisation, Segment, WorkshopFormat


@dataclass(frozen=True)
class PlannedModule:
    number: int
    module: Module
    minutes: int
    activities: tuple[Activity, ...]

    @property
    def discussion_minutes(self) -> int:
        return self.minutes - sum(a.minutes for a in self.activities)


@dataclass(frozen=True)
class RunOfShowRow:
    kind: str  # opening | module | activity | break | closing
    title: str
    minutes: int
    clock: str | None
    materials: tuple[str, ...] = ()
    anchor: str | None = None


@dataclass(frozen=True)
class Statement:
    paragraphs: tuple[str, ...]
    commitments_intro: str | None
    closing: str | None
    is_draft: bool


@dataclass(frozen=True)
class Plan:
    slug: str
    org: Organisation
    curriculum: Curriculum
    paper: str
    title: str
    format: WorkshopFormat
    modules: tuple[PlannedModule, ...]
    run_of_show: tuple[RunOfShowRow, ...]
    total_minutes: int
    end_clock: str | None
    statement: Statement
    accent: str
    logo_uri: str | None = None
    large_print: bool = False

    @property
    def running_name(self) -> str:
        """The organisation's name for the running head, shortened at a word so it fits one line.

        Large print sets the running head bigger, so fewer characters fit. The stylesheet
        still clips with an ellipsis if unusually wide letters make even this too long.
        """
        name = self.org.name
        limit = RUNNING_NAME_CHARS_LARGE if self.large_print else RUNNING_NAME_CHARS
        if len(name) <= limit:
            return name
        return name[:limit].rsplit(" ", 1)[0].rstrip(",;:–—- ") + "…"

    @property
    def territory_line(self) -> str | None:
        territory = self.org.land_acknowledgement.territory
        if not territory:
            return None
        phrase = territory_phrase(territory)
        return phrase[0].upper() + phrase[1:]

    @property
    def custom_selection(self) -> bool:
        return self.org.workshop.modules is not None


DEFAULT_ACCENT = "#1d5c57"
RUNNING_NAME_CHARS = 60
RUNNING_NAME_CHARS_LARGE = 42


def _clock(start: dt.datetime | None, offset: int) -> str | None:
    if start is None:
        return None
    return (start + dt.timedelta(minutes=offset)).strftime("%H:%M")


def _segments(org: Organisation, fmt: WorkshopFormat, curriculum: Curriculum) -> list[Segment]:
    """The format's segments, or the organisation's own module order fitted between them."""
    chosen = org.workshop.modules
    if chosen is None:
        return list(fmt.segments)
    in_format = {s.module: s for s in fmt.segments if s.kind == "module"}
    module_segments = [
        in_format.get(m) or Segment(kind="module", module=m, minutes=curriculum.modules[m].minutes) for m in chosen
    ]
    # Keep the format's opening, breaks and closing where they were, counted in modules passed.
    result: list[Segment] = []
    passed = 0
    pending = iter(module_segments)
    for seg in fmt.segments:
        if seg.kind == "module":
            nxt = next(pending, None)
            if nxt is not None:
                result.append(nxt)
                passed += 1
        elif seg.kind == "closing":
            result.extend(pending)
            result.append(seg)
        else:
            result.append(seg)
    result.extend(pending)
    # A break with no module after it is not a break; drop trailing ones before the closing.
    while len(result) > 1 and result[-2].kind == "break" and result[-1].kind == "closing":
        del result[-2]
    return result


def make_plan(
    slug: str,
    org: Organisation,
    curriculum: Curriculum,
    paper: str | None = None,
    large_print: bool = False,
    logo: Path | None = None,
) -> Plan:
    fmt = curriculum.formats[org.workshop.format]
    start = (
        dt.datetime.combine(dt.date(2000, 1, 1), dt.time.fromisoformat(org.workshop.start))
        if org.workshop.start
        else None
    )
    rows: list[RunOfShowRow] = []
    modules: list[PlannedModule] = []
    offset = 0
    labels = {
        "opening": "Welcome, land acknowledgement and ground rules",
        "break": "Break",
        "closing": "Closing and commitments",
    }
    for seg in _segments(org, fmt, curriculum):
        if seg.kind != "module":
            rows.append(
                RunOfShowRow(
                    seg.kind,
                    labels[seg.kind],
                    seg.minutes,
                    _clock(start, offset),
                    anchor={"opening": "opening", "closing": "closing"}.get(seg.kind),
                )
            )
            offset += seg.minutes
            continue
        module = curriculum.modules[seg.module or ""]
        wanted = seg.activities if seg.activities is not None else [a.id for a in module.activities]
        activities = tuple(a for a in module.activities if a.id in wanted)
        planned = PlannedModule(len(modules) + 1, module, seg.minutes, activities)
        modules.append(planned)
        rows.append(
            RunOfShowRow(
                "module",
                f"{planned.number}. {module.title}",
                planned.discussion_minutes,
                _clock(start, offset),
                anchor=module.id,
            )
        )
        offset += planned.discussion_minutes
        for activity in activities:
            rows.append(
                RunOfShowRow(
                    "activity",
                    activity.name,
                    activity.minutes,
                    _clock(start, offset),
                    tuple(activity.materials),
                    anchor=activity.id,
                )
            )
            offset += activity.minutes
    return Plan(
        slug=slug,
        org=org,
        curriculum=curriculum,
        paper=paper or org.paper,
        title=org.workshop.title or curriculum.meta.default_title,
        format=fmt,
        modules=tuple(modules),
        run_of_show=tuple(rows),
        total_minutes=offset,
        end_clock=_clock(start, offset),
        statement=compose_statement(org, curriculum),
        accent=org.accent_colour or DEFAULT_ACCENT,
        logo_uri=logo.as_uri() if logo else None,
        large_print=large_print,
    )


def nation_list(nations: list[Nation]) -> str:
    names = [f"{n.name} ({n.english_name})" if n.english_name else n.name for n in nations]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def territory_phrase(territory: str) -> str:
    if re.search(r"\b(territory|territories|land|lands)\s*$", territory, re.IGNORECASE):
        return territory
    return f"{territory} territory"


def _fill(phrasing: str, values: dict[str, str]) -> str:
    """Substitute only the three known names: phrasing comes from our content, values are plain text."""
    return re.sub(r"\{(organisation|nations|territory)\}", lambda m: values[m[1]], phrasing)


def compose_statement(org: Organisation, curriculum: Curriculum) -> Statement:
    ack = org.land_acknowledgement
    draft = curriculum.acknowledgement.draft_statement
    values = {
        "organisation": org.name,
        "nations": nation_list(ack.nations),
        "territory": territory_phrase(ack.territory or ""),
    }
    commitments_intro = _fill(draft.commitments_intro, values) if ack.commitments else None
    if ack.statement:
        paragraphs = tuple(" ".join(p.split()) for p in re.split(r"\n\s*\n", ack.statement) if p.strip())
        return Statement(paragraphs, commitments_intro, None, is_draft=False)
    if not ack.nations:
        return Statement((), commitments_intro, None, is_draft=True)
    paragraphs = [_fill(draft.opening, values)]
    if ack.territory:
        paragraphs.append(_fill(draft.territory, values))
    return Statement((" ".join(paragraphs),), commitments_intro, _fill(draft.closing, values), is_draft=True)
