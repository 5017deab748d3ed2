"""The projected slides: the session's plan cut into one idea per slide.

Slides follow the run of show (opening, modules with their questions and activities,
breaks, closing), so they can never disagree with the guide. They carry only what
participants may see: what is said aloud to the room and what the handout prints,
never prompts, things to listen for, warning signs or facilitator notes.

A slide has a fixed size and text does not shrink, so long text is cut here, at
sentence ends and between list items, by an estimate of the lines it takes. The
renderer then checks that every slide came out as exactly one page.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..load.model import Nation
from ..planning.plan import Plan, PlannedModule, RunOfShowRow, duration_text

# What fits on a 16:9 slide (13.33 in by 7.5 in) below its title, measured on the
# bundled font: characters on a line and lines on a slide, for body and statement text.
BODY_LINE_CHARS = 74
STATEMENT_LINE_CHARS = 60
KEY_POINTS = 2  # "one or two key points" per module


@dataclass(frozen=True)
class Budget:
    """How much one slide is given; a tighter budget is tried when a slide ran over its page."""

    lines: int = 12
    statement_lines: int = 9
    nations: int = 3

    def tighter(self) -> Budget:
        return Budget(self.lines - 2, self.statement_lines - 2, max(1, self.nations - 1))


BUDGETS = (Budget(), Budget().tighter(), Budget().tighter().tighter())

_SENTENCE_END = re.compile(r"(?<=[.!?…])['’\"”)]*\s+(?=[\"“‘(]?[A-Z0-9À-Ý])")


@dataclass(frozen=True)
class Slide:
    """One projected page. `kind` chooses its layout in templates/slides.html.j2."""

    kind: str  # title | section | nations | prose | list | question | activity | break | credit
    title: str = ""
    kicker: str = ""
    paragraphs: tuple[str, ...] = ()  # Markdown prose, in order
    items: tuple[str, ...] = ()  # list items
    ordered: bool = False
    start: int = 1  # number of the first item of an ordered list continued from the slide before
    nations: tuple[Nation, ...] = ()
    territory: str = ""
    question: str = ""


def sentences(text: str) -> list[str]:
    """A paragraph cut at its sentence ends (a full stop followed by a capital)."""
    return [s for s in _SENTENCE_END.split(" ".join(text.split())) if s]


def _lines(text: str, chars: int) -> float:
    """Lines a paragraph or list item takes, with a little space after it."""
    return math.ceil(len(text) / chars) + 0.35


def fit(pieces: list[str], chars: int, lines: int) -> list[list[str]]:
    """Pieces grouped in order so that each group fits one slide; a piece too long is cut at sentences."""
    cut: list[str] = []
    for piece in pieces:
        if _lines(piece, chars) <= lines:
            cut.append(piece)
            continue
        # At sentence ends; a sentence that alone is longer than a slide, between words.
        units = [u for s in sentences(piece) for u in ([s] if _lines(s, chars) <= lines else s.split())]
        part = ""
        for unit in units:
            joined = f"{part} {unit}".strip()
            if part and _lines(joined, chars) > lines:
                cut.append(part)
                joined = unit
            part = joined
        if part:
            cut.append(part)
    groups = _greedy(cut, chars, lines)
    if len(groups) < 2:
        return groups
    # Balanced: the same number of slides, each about as full, so no slide holds one last step alone.
    total = sum(_lines(piece, chars) for piece in cut)
    for target in range(math.ceil(total / len(groups)), lines):
        balanced = _greedy(cut, chars, target)
        if len(balanced) == len(groups):
            return balanced
    return groups


def _greedy(pieces: list[str], chars: int, lines: float) -> list[list[str]]:
    groups: list[list[str]] = [[]]
    used = 0.0
    for piece in pieces:
        need = _lines(piece, chars)
        if groups[-1] and used + need > lines:
            groups.append([])
            used = 0.0
        groups[-1].append(piece)
        used += need
    return [g for g in groups if g]


TITLE_LINE_CHARS = 40  # a title longer than this takes two lines at 40 pt


def _room(lines: int, title: str, kicker: str = "") -> int:
    """Body lines left under a title (and the small line above it, if any)."""
    return lines - (1 if kicker else 0) - (2 if len(title) > TITLE_LINE_CHARS else 0)


def _prose_slides(title: str, text: str, lines: int, chars: int = BODY_LINE_CHARS) -> list[Slide]:
    # A paragraph too long for one slide runs on to the next at a sentence end (see fit).
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
    groups = fit(paragraphs, chars, _room(lines, title))
    return [Slide("prose", title, paragraphs=tuple(g)) for g in groups]


def _list_slides(
    title: str, items: list[str], lines: int, ordered: bool = False, intro: str = "", kicker: str = ""
) -> list[Slide]:
    pieces = ([intro] if intro else []) + items
    slides = []
    number = 1
    for i, group in enumerate(fit(pieces, BODY_LINE_CHARS, _room(lines, title, kicker))):
        paragraphs = (group[0],) if i == 0 and intro else ()
        listed = tuple(group[len(paragraphs) :])
        slides.append(
            Slide(
                "list",
                title,
                kicker=kicker,
                paragraphs=paragraphs,
                items=listed,
                ordered=ordered,
                start=number,
            )
        )
        number += len(listed)
    return slides


def _acknowledgement(plan: Plan, b: Budget) -> list[Slide]:
    ack = plan.org.land_acknowledgement
    title = "Land acknowledgement"
    slides: list[Slide] = []
    nations = list(ack.nations)
    for i in range(0, len(nations), b.nations):
        last = i + b.nations >= len(nations)
        slides.append(
            Slide(
                "nations",
                title,
                nations=tuple(nations[i : i + b.nations]),
                territory=(ack.territory or "") if last else "",
            )
        )
    if not nations and ack.territory:
        slides.append(Slide("nations", title, territory=ack.territory))
    statement = plan.statement
    text = "\n\n".join([*statement.paragraphs, *([statement.closing] if statement.closing else [])])
    if text:
        # A statement the packet composed is said to be a draft where the room can see it.
        kicker = plan.curriculum.interface.draft_mark_short if statement.is_draft else ""
        slides += [
            Slide("statement", title, kicker=kicker, paragraphs=s.paragraphs)
            for s in _prose_slides(title, text, b.statement_lines, STATEMENT_LINE_CHARS)
        ]
    if ack.commitments:
        slides += _list_slides(title, list(ack.commitments), b.lines, intro=statement.commitments_intro or "")
    return slides


def _opening(plan: Plan, b: Budget) -> list[Slide]:
    fac = plan.curriculum.facilitation
    slides = _prose_slides("Content notice", fac.content_notice.say_aloud, b.lines)
    slides += _prose_slides("Who this workshop is for", fac.indigenous_participants.say_aloud, b.lines)
    slides += _acknowledgement(plan, b)
    slides += _list_slides("What the guidance asks of us", [e.text for e in fac.essentials], b.lines)
    slides += _list_slides("Ground rules for a respectful room", list(fac.ground_rules), b.lines, ordered=True)
    return slides


def _module(pm: PlannedModule, b: Budget) -> list[Slide]:
    m = pm.module
    slides = [Slide("section", m.title, kicker=f"Module {pm.number}")]
    points = list(m.key_points[:KEY_POINTS]) or list(m.objectives[:KEY_POINTS])
    slides += _list_slides(m.title, points, b.lines, kicker=f"Module {pm.number}")
    for q in pm.questions:
        scenario = [" ".join(p.split()) for p in re.split(r"\n\s*\n", q.scenario or "") if p.strip()]
        slides.append(Slide("question", question=q.question, paragraphs=tuple(scenario)))
    return slides


def _activity(pm: PlannedModule, activity_id: str, b: Budget) -> list[Slide]:
    activity = next(a for a in pm.activities if a.id == activity_id)
    slides = _list_slides(
        f"Activity: {activity.name}",
        list(activity.instructions),
        b.lines,
        ordered=True,
        kicker=duration_text(activity.minutes),
    )
    return [Slide(**{**s.__dict__, "kind": "activity"}) for s in slides]


def _break(row: RunOfShowRow, plan: Plan) -> Slide:
    until = ""
    if row.clock:
        hours, minutes = (int(x) for x in row.clock.split(":"))
        end = (hours * 60 + minutes + row.minutes) % (24 * 60)
        until = f"Back at {end // 60:02d}:{end % 60:02d}"
    return Slide("break", row.title, kicker=duration_text(row.minutes), paragraphs=(until,) if until else ())


def _closing(plan: Plan, b: Budget) -> list[Slide]:
    content = plan.curriculum
    stems = [s.text for s in content.handout.commitments.stems]
    slides = _list_slides("My commitments", stems, b.lines)
    closing = " ".join([content.facilitation.closing.say_aloud.strip(), plan.farewell]).strip()
    slides += _prose_slides(content.wording.closing, closing, b.lines)
    support = [f"**{line.name}**: {line.contact}" for line in content.support.lines]
    slides += _list_slides("Where to find support", support, b.lines)
    slides.append(
        Slide("credit", "Attribution", paragraphs=(content.interface.cover_credit, content.resources.attribution))
    )
    return slides


def slides_for(plan: Plan, b: Budget = BUDGETS[0]) -> list[Slide]:
    """Every slide of the session, in the order of its run of show."""
    slides = [Slide("title", plan.title, kicker=plan.org.name)]
    modules = {pm.module.id: pm for pm in plan.modules}
    current: PlannedModule | None = None
    for row in plan.run_of_show:
        if row.kind == "opening":
            slides += _opening(plan, b)
        elif row.kind == "module" and row.anchor in modules:
            current = modules[row.anchor]
            slides += _module(current, b)
        elif row.kind == "activity" and current is not None and row.anchor:
            slides += _activity(current, row.anchor, b)
        elif row.kind == "break":
            slides.append(_break(row, plan))
        elif row.kind == "closing":
            slides += _closing(plan, b)
        elif row.kind.startswith("knowledge-keeper"):
            slides.append(Slide("section", row.title))
    return slides
