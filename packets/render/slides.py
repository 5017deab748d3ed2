"""The projected slides: a deck for the room, built from the session's plan.

Slides follow the run of show (opening, modules with their questions and activities,
breaks, closing), so they can never disagree with the guide. They carry only what
participants may see, and only what a room can read from the back: each module's
`slide_points` and each activity's `slide_steps`, chosen on purpose in the content, and the
key lines of the opening and closing (content/slides.yaml); the whole scripts stay in the
guide. Never prompts, things to listen for, warning signs or facilitator notes.

A slide has a fixed size and its text does not shrink to fit, so what cannot be chosen
ahead (the organization's statement, commitments and supports) is cut here, at sentence
ends and between list items, by the lines and words it takes: at most 60 words and about
six lines a slide. Lines are measured on the bundled font (French runs about a fifth longer
than English), so a list that fits one slide stays whole in either language, and a lead-in
is never left on a slide without its list. The acknowledgement's statement is cut only
between sentences: one sentence longer than a slide's lines is set at 28 pt (the smallest
a room reads) rather than cut. The renderer then checks that every slide came out as
exactly one page; one that cannot, even cut as short as it can be, stops the build with
the slide's title and the line of the organization file it comes from.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..load.model import Interface, Nation, Organization
from ..planning.plan import Plan, PlannedModule, RunOfShowRow
from ..planning.words import date_text, fill_text
from .measure import SYLLABICS_SCALE, text_width_pt
from .measure import advances as _advances

# What fits on a 16:9 slide (960 by 540 pt, 5% safe margins) at the body size of 30 pt,
# measured on the bundled font: characters on a line (the title slide's names and the
# supports' table, estimated by characters).
BODY_LINE_CHARS = 56
MAX_WORDS = 60  # a slide read from the back of a room holds no more
NAME_SIZE_PT = 48  # the Nations' names
BODY_SIZE_PT = 30  # templates/css/slides.css --slide-body
TEXT_WIDTH_PT = 960 - 2 * 48  # the slide's width inside its safe margins (templates/css/slides.css)
LIST_WIDTH_PT = TEXT_WIDTH_PT - 12 / 25.4 * 72  # a list's items, inside its 12 mm indent

Source = tuple[str | int, ...]  # where in the organization file a slide's text comes from ("" for the curriculum)


@dataclass(frozen=True)
class Budget:
    """How much one slide is given; a tighter budget is tried when a slide ran over its page."""

    lines: int = 10  # estimated lines with the space after each item: what 30 pt holds (60 words bind first)
    statement_lines: int = 8
    nations: int = 3
    merge: bool = True  # a few Nations and a short statement on one slide

    def tighter(self) -> Budget:
        return Budget(self.lines - 1, self.statement_lines - 1, max(1, self.nations - 1), merge=False)


BUDGETS = (Budget(), Budget().tighter(), Budget().tighter().tighter())

_SENTENCE_END = re.compile(r"(?<=[.!?…])['’\"”)]*\s+(?=[\"“‘(]?[A-Z0-9À-Ý])")
_WORD = re.compile(r"\S*[^\W_]\S*")
_SYLLABICS = re.compile(r"[\u1400-\u167f\u18b0-\u18ff]")


class SlideDoesNotFit(Exception):
    """A slide runs over its page even cut as short as it can be: the build stops and says which."""

    def __init__(self, title: str, source: Source):
        super().__init__(f"the slide '{title}' cannot fit on one slide")
        self.title = title
        self.source = source


@dataclass(frozen=True)
class NameWord:
    """One word of a Nation's name, kept on one line (never broken at its hyphen)."""

    text: str
    syllabic: bool  # set a little larger: the syllabics font looks smaller than Andika at one size


@dataclass(frozen=True)
class NationLine:
    """A Nation as the acknowledgement slide shows it: the name large, how to say it beneath."""

    name: str
    words: tuple[NameWord, ...]
    one_line: bool  # the whole name fits one line, so it is never wrapped
    details: tuple[str, ...]  # the own name's pronunciation, then the English name with its own


@dataclass(frozen=True)
class SupportEntry:
    """One support on a slide: its name in bold, then its contact, kept on one line (a number never breaks)."""

    name: str
    contact: str = ""

    @property
    def text(self) -> str:
        return f"{self.name}: {self.contact}" if self.contact else self.name


@dataclass(frozen=True)
class Slide:
    """One projected page. `kind` chooses its layout in templates/slides.html.j2."""

    # title | section | notice | nations | statement | prose | list | question | scenario
    # | activity | break | credit | support
    kind: str
    title: str = ""
    kicker: str = ""
    paragraphs: tuple[str, ...] = ()  # Markdown prose, in order
    dense: bool = False  # one sentence longer than the slide's lines at body size: set smaller, never cut
    items: tuple[str, ...] = ()  # list items (inline Markdown)
    ordered: bool = False
    start: int = 1  # number of the first item of an ordered list continued from the slide before
    nations: tuple[NationLine, ...] = ()
    territory: str = ""
    question: str = ""
    heading: str = ""  # a small heading above the supports (the content notice)
    supports: tuple[SupportEntry, ...] = ()
    people: tuple[str, ...] = ()  # the title slide's facilitators
    details: tuple[str, ...] = ()  # the title slide's date and place
    closing: str = ""  # a last line under a list (the farewell)
    source: Source = ()  # the organization file's key this slide's text comes from, if any
    words: int = field(default=0, compare=False)


def count_words(text: str) -> int:
    """Words as a reader counts them: runs with a letter or digit (a dash or bullet is none)."""
    return len(_WORD.findall(re.sub(r"[*_]", "", text)))


def slide_words(slide: Slide) -> int:
    """Every word a slide shows, but its number."""
    parts = [slide.title, slide.kicker, *slide.paragraphs, *slide.items, slide.territory, slide.question]
    parts += [slide.heading, *(e.text for e in slide.supports), *slide.people, *slide.details, slide.closing]
    parts += [t for n in slide.nations for t in (n.name, *n.details)]
    return sum(count_words(p) for p in parts)


def sentences(text: str) -> list[str]:
    """A paragraph cut at its sentence ends (a full stop followed by a capital)."""
    return [s for s in _SENTENCE_END.split(" ".join(text.split())) if s]


_NO_BREAK = re.compile(r"[ \t\n]+(?=[:;?!»])|(?<=«)[ \t\n]+")


@functools.lru_cache(maxsize=8192)
def text_lines(text: str, width: float = LIST_WIDTH_PT, size: float = BODY_SIZE_PT) -> int:
    """Lines a paragraph takes set at `size` in `width` points, wrapped at spaces as the slides
    are (no hyphenation): measured on the bundled fonts' advances, bold where Markdown makes it
    bold, so a French line, with longer words, counts as it will print. The spaces the French
    typography pass makes unbreakable (before a high mark, inside « ») do not break here either."""
    regular, regular_em = _advances("Andika-Regular.ttf")
    bold, bold_em = _advances("Andika-Bold.ttf")
    syllabics, syllabics_em = _advances("NotoSansCanadianAboriginal-Regular.ttf")

    def advance(char: str, strong: bool) -> float:
        font, em = (bold, bold_em) if strong else (regular, regular_em)
        if ord(char) in font:
            return font[ord(char)] / em
        if ord(char) in syllabics:
            return syllabics[ord(char)] / syllabics_em * SYLLABICS_SCALE
        return 0.0 if "\u0300" <= char <= "\u036f" else 0.6

    words: list[float] = []
    for n, run in enumerate(_NO_BREAK.sub("\u00a0", text.strip()).split("**")):
        for i, word in enumerate(re.split(r"[ \t\n]+", run.replace("_", ""))):
            wide = sum(advance(c, n % 2 == 1) for c in word) * size
            if i == 0 and words and run[:1] not in " \t\n":
                words[-1] += wide  # the bold run starts inside a word
            elif word or i == 0:
                words.append(wide)
    space = regular[32] / regular_em * size
    lines, used = 1, 0.0
    for wide in words:
        if used and used + space + wide > width:
            lines, used = lines + 1, 0.0
        used += (space if used else 0.0) + wide
        while used > width:  # a word longer than the line breaks where it must
            lines, used = lines + 1, used - width
    return lines


def _lines(text: str, width: float) -> float:
    """Lines a paragraph or list item takes in `width` points, with a little space after it."""
    return text_lines(text, width) + 0.25


def _cut(piece: str, width: float, lines: float, words: int, whole_sentences: bool = False) -> list[str]:
    """A piece too long for one slide, cut at sentence ends; a sentence longer than a slide, between words.

    With `whole_sentences` (the acknowledgement's statement) a sentence within a slide's words is
    never cut, however many lines it takes: its slide sets it smaller (`Slide.dense`)."""

    def fits(text: str) -> bool:
        return _lines(text, width) <= lines and count_words(text) <= words

    if fits(piece):
        return [piece]
    units = []
    for sentence in sentences(piece):
        if fits(sentence) or (whole_sentences and count_words(sentence) <= words):
            units.append(sentence)
            continue
        # A sentence longer than a slide: at its commas and semicolons, and a clause still too long, between words.
        for clause in re.split(r"(?<=[,;:])\s+", sentence):
            units += [clause] if fits(clause) else clause.split()
    out: list[str] = []
    part = ""
    for unit in units:
        joined = f"{part} {unit}".strip()
        if part and not fits(joined):
            out.append(part)
            joined = unit
        part = joined
    if part:
        out.append(part)
    return out


def fit(pieces: list[str], width: float, lines: float, words: int, whole_sentences: bool = False) -> list[list[str]]:
    """Pieces grouped in order so that each group fits one slide (lines and words).

    All of them stay together when they fit one slide; otherwise the fewest slides are
    used, each about as full, so a list is never split 4+3 when one slide holds seven, and
    no slide holds one last item alone.
    """
    cut = [part for piece in pieces for part in _cut(piece, width, lines, words, whole_sentences)]
    groups = _greedy(cut, width, lines, words)
    if len(groups) < 2:
        return groups
    # Balanced: the same number of slides, each about as full.
    total_lines = sum(_lines(piece, width) for piece in cut)
    total_words = sum(count_words(piece) for piece in cut)
    share = max(total_lines / lines, total_words / words)
    for step in range(0, 40):
        scale = min(1.0, share / len(groups) + step * 0.025)
        balanced = _greedy(cut, width, lines * scale, words * scale)
        if len(balanced) == len(groups):
            return balanced
        if scale == 1.0:
            break
    return groups


def _greedy(
    pieces: list[str], width: float, lines: float, words: float, lines_of: Callable[[str], float] | None = None
) -> list[list[str]]:
    groups: list[list[str]] = [[]]
    used_lines, used_words = 0.0, 0
    for piece in pieces:
        need_lines = lines_of(piece) if lines_of else _lines(piece, width)
        need_words = count_words(piece)
        if groups[-1] and (used_lines + need_lines > lines or used_words + need_words > words):
            groups.append([])
            used_lines, used_words = 0.0, 0
        groups[-1].append(piece)
        used_lines += need_lines
        used_words += need_words
    return [g for g in groups if g]


TITLE_LINE_CHARS = 38  # a title longer than this takes two lines at 40 pt


def _room(lines: int, title: str, kicker: str = "") -> int:
    """Body lines left under a title (and the small line above it, if any)."""
    return lines - (1 if kicker else 0) - (1 if len(title) > TITLE_LINE_CHARS else 0)


def _words_left(*texts: str) -> int:
    return MAX_WORDS - sum(count_words(t) for t in texts)


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text or "") if p.strip()]


def _prose_slides(
    kind: str, title: str, paragraphs: list[str], lines: int, source: Source = (), whole_sentences: bool = False
) -> list[Slide]:
    # A paragraph too long for one slide runs on to the next at a sentence end (see fit).
    room = _room(lines, title)
    groups = fit(paragraphs, TEXT_WIDTH_PT, room, _words_left(title), whole_sentences)
    return [
        Slide(
            kind,
            title,
            paragraphs=tuple(g),
            source=source,
            dense=sum(_lines(p, TEXT_WIDTH_PT) for p in g) > room,
        )
        for g in groups
    ]


def _list_slides(
    title: str,
    items: list[str],
    lines: int,
    ordered: bool = False,
    intro: str = "",
    kicker: str = "",
    kind: str = "list",
    source: Source = (),
) -> list[Slide]:
    pieces = ([intro] if intro else []) + items
    groups = fit(pieces, LIST_WIDTH_PT, _room(lines, title, kicker), _words_left(title, kicker))
    if intro and len(groups) > 1 and len(groups[0]) == 1:
        # A lead-in ends on a colon: it never closes a slide without the start of its list.
        groups = [[intro, groups[1][0]], *([groups[1][1:]] if groups[1][1:] else []), *groups[2:]]
    slides = []
    number = 1
    for i, group in enumerate(groups):
        paragraphs = (group[0],) if i == 0 and intro else ()
        listed = tuple(group[len(paragraphs) :])
        slides.append(
            Slide(
                kind,
                title,
                kicker=kicker,
                paragraphs=paragraphs,
                items=listed,
                ordered=ordered,
                start=number,
                source=source,
            )
        )
        number += len(listed)
    return slides


# ---------------------------------------------------------------- the Nations' names


def name_width_pt(text: str, size: float = NAME_SIZE_PT) -> float:
    """How wide a name is set in bold at `size`, from the fonts' own advances (syllabics from their font)."""
    return text_width_pt(text, size, bold=True)


def nation_line(nation: Nation, words: Interface | None = None, language: str = "en") -> NationLine:
    """A Nation's name in words kept whole, and the lines that say how to say it (in the
    edition's `words`; the English ones without)."""
    say = words.say_name_after if words else "say “{pronunciation}”"
    say_english = words.name_english if words else "{english} · say “{pronunciation}”"
    words = tuple(NameWord(w, len(_SYLLABICS.findall(w)) * 2 > len(w)) for w in nation.name.split())
    own = nation.name_pronunciation  # the own name's pronunciation, when the file gives it
    english = nation.english_name if nation.english_name and nation.english_name != nation.name else None
    # The name beside the own one: the French one in a French edition that has it (said as written).
    other = nation.common_name(language)
    other = other if other and other != nation.name else None
    french = other is not None and other != english
    details: list[str] = []
    if own:
        details.append(fill_text(say, pronunciation=own))
    if other and nation.pronunciation and not french:
        details.append(fill_text(say_english, english=other, pronunciation=nation.pronunciation))
    elif other:
        details.append(other)
    elif nation.pronunciation:
        details.append(fill_text(say, pronunciation=nation.pronunciation))
    # A little room to spare: kerning and marks are not measured.
    return NationLine(nation.name, words, name_width_pt(nation.name) <= 0.95 * TEXT_WIDTH_PT, tuple(details))


def territory_sentence(plan: Plan) -> str:
    """The territory as a sentence ("This land is unceded."), never a bare word under the names:
    planning's own (`planning.plan.territory_sentence`), the one the guide and handout print."""
    return plan.territory_sentence or ""


def _nation_lines(nation: NationLine) -> float:
    """Body lines a Nation takes on its slide: the name at 48 pt is about one and a half."""
    details = sum(text_lines(d, TEXT_WIDTH_PT) for d in nation.details)
    return 1.6 * math.ceil(name_width_pt(nation.name) / TEXT_WIDTH_PT) + details + 0.5


def _acknowledgement(plan: Plan, b: Budget) -> list[Slide]:
    """The Nations' names, the statement and the organization's commitments.

    A few Nations and a short statement share one slide, so the names are in view while the
    statement is read; more are given slides of their own, the statement after them.
    """
    ack = plan.org.land_acknowledgement
    deck = plan.curriculum.deck
    title = deck.acknowledgement_title
    slides: list[Slide] = []
    nations = [nation_line(n, plan.words, plan.language) for n in ack.nations]
    territory = territory_sentence(plan)
    statement = plan.statement
    shown = statement.slide_paragraphs or statement.paragraphs
    paragraphs = [*shown, *([statement.closing] if statement.closing else [])]
    # A composed statement is marked as a draft in the guide and the handout, never on
    # the screen: the room hears the statement, the facilitator knows its status.
    where: Source = ("land_acknowledgement", "statement" if ack.statement else "nations")
    together = Slide("nations", title, nations=tuple(nations), territory=territory, paragraphs=tuple(paragraphs))
    need = sum(_nation_lines(n) for n in nations) + (1.25 if territory else 0)
    need += sum(_lines(p, TEXT_WIDTH_PT) for p in paragraphs)
    if b.merge and nations and paragraphs and slide_words(together) <= MAX_WORDS and need <= _room(b.lines, title):
        slides.append(Slide(**{**together.__dict__, "source": where}))
    else:
        # At most b.nations a slide, and never more than a slide's words.
        def holds(shown: list[NationLine]) -> bool:
            words = slide_words(Slide("nations", title, nations=tuple(shown)))
            lines = sum(_nation_lines(n) for n in shown)
            return len(shown) <= b.nations and words <= MAX_WORDS and lines <= _room(b.lines, title)

        groups: list[list[int]] = []
        for i in range(len(nations)):
            group = groups[-1] if groups else []
            if not groups or not holds([nations[j] for j in [*group, i]]):
                groups.append([i])
            else:
                group.append(i)
        # As many slides, as evenly filled as they can be (3, 2 and 2 Nations rather than 3,
        # 3 and 1): no Nation stands alone on a last slide when the others could make room.
        even = [len(nations) // len(groups) + (k < len(nations) % len(groups)) for k in range(len(groups))]
        starts = [sum(even[:k]) for k in range(len(groups))]
        balanced = [list(range(start, start + size)) for start, size in zip(starts, even, strict=True)]
        if all(holds([nations[j] for j in group]) for group in balanced):
            groups = balanced
        for group in groups:
            slides.append(
                Slide(
                    "nations",
                    title,
                    nations=tuple(nations[j] for j in group),
                    source=("land_acknowledgement", "nations", group[0]),
                )
            )
        if territory:
            # The territory's sentence under the last Nations, or alone when they have no room for it.
            last = Slide(**{**slides[-1].__dict__, "territory": territory}) if slides else None
            if last is not None and slide_words(last) <= MAX_WORDS:
                slides[-1] = last
            else:
                alone = Slide("nations", title, territory=territory, source=("land_acknowledgement", "territory"))
                slides.append(alone)
        if paragraphs:
            slides += _prose_slides("statement", title, paragraphs, b.statement_lines, where, whole_sentences=True)
    if ack.commitments:
        slides += _list_slides(
            deck.actions_title,
            list(ack.commitments),
            b.lines,
            intro=deck.actions_intro,
            source=("land_acknowledgement", "commitments"),
        )
    return slides


# ---------------------------------------------------------------- supports


def supports(plan: Plan) -> list[tuple[str, str, Source]]:
    """Every support, the curriculum's first, then the organization's own, each once: (name,
    contact, source), from the one list planning makes (`plan.supports`, `supports_for`).

    `source` points a local support back at its entry in the organization's file, so a slide
    that cannot fit names the line to shorten.
    """
    local = {r.name: i for i, r in reversed(list(enumerate(plan.org.local_resources)))}
    found: list[tuple[str, str, Source]] = []
    words = plan.words
    for s in plan.supports.lines:
        contact = s.contact or ""
        if s.chat:
            phrasing = words.or_online_chat if contact else words.online_chat_at
            contact = fill_text(phrasing, contact=contact, chat=s.chat)
        source: Source = ("local_resources", local[s.name]) if s.local and s.name in local else ()
        found.append((s.name, contact, source))
    return found


SUPPORT_NAME_CHARS = 38  # the name column of the content notice's table of numbers (templates/css/slides.css)


def _support_lines(entry: SupportEntry) -> float:
    """Lines a support takes in the content notice's table: its name wraps in its column; a long
    contact (a number and a chat address) takes its share of the line from the name."""
    if not entry.contact:
        return _lines(entry.name, TEXT_WIDTH_PT)
    together = math.ceil((len(entry.name) + len(entry.contact) + 4) / BODY_LINE_CHARS)
    return max(math.ceil(len(entry.name) / SUPPORT_NAME_CHARS), together) + 0.2


def _support_slides(plan: Plan, b: Budget) -> list[Slide]:
    """The last slides: every support, the curriculum's first, then the organization's and employee assistance."""
    deck = plan.curriculum.deck
    entries = [SupportEntry(name, contact) for name, contact, _ in supports(plan)]
    entries.append(SupportEntry(deck.employee_assistance))
    title = deck.support.title
    # Set a little closer than other lists (templates/css/slides.css .support-list): a line more fits.
    room, words = _room(b.lines, title) + 1, _words_left(title)
    groups = _greedy([e.text for e in entries], TEXT_WIDTH_PT, room, words, lambda t: _lines(t, TEXT_WIDTH_PT))
    if len(groups) > 1:  # as many on each slide, so the last does not hold one line alone
        each = math.ceil(len(entries) / len(groups))
        groups = [[e.text for e in entries[i : i + each]] for i in range(0, len(entries), each)]
    slides, taken = [], 0
    for group in groups:
        shown = tuple(entries[taken : taken + len(group)])
        slides.append(Slide("support", title, supports=shown, source=("local_resources",)))
        taken += len(group)
    return slides


# ---------------------------------------------------------------- the session, in order


def _title(plan: Plan) -> Slide:
    org: Organization = plan.org
    workshop = org.workshop
    words = plan.words
    when = date_text(workshop.date, plan.language) if workshop.date else ""
    if when and workshop.start:
        when = f"{when}, {plan.clock(workshop.start)}"
    details = tuple(d for d in (when, workshop.location or "") if d)
    names = [f.name for f in workshop.facilitators]
    slide = Slide("title", plan.title, kicker=org.name, details=details, source=("workshop",))
    # As many facilitators as the slide's 60 words and three lines hold; the others are counted, not named.
    people: list[str] = []
    for i, name in enumerate(names):
        rest = len(names) - i - 1
        more = [fill_text(words.more_people, n=rest)] if rest else []
        named = tuple([*people, name, *more])
        if (
            slide_words(Slide(**{**slide.__dict__, "people": named})) > MAX_WORDS
            or len(", ".join(named)) > 3 * BODY_LINE_CHARS - 10
        ):
            people.append(fill_text(words.more_people, n=len(names) - i))
            break
        people.append(name)
    return Slide(**{**slide.__dict__, "people": tuple(people)})


def _opening(plan: Plan, b: Budget) -> list[Slide]:
    deck = plan.curriculum.deck
    fac = plan.curriculum.facilitation
    notice = deck.content_notice
    numbers = tuple(SupportEntry(s.name, s.contact) for s in plan.curriculum.support.lines)
    together = Slide("notice", notice.title, items=tuple(notice.points), heading=deck.support_heading, supports=numbers)
    need = sum(_lines(p, LIST_WIDTH_PT) for p in notice.points) + 1.25 + sum(_support_lines(e) for e in numbers)
    if need <= _room(b.lines, notice.title) and slide_words(together) <= MAX_WORDS:
        slides = [together]
    else:  # the numbers on a slide of their own, straight after
        slides = [Slide("list", notice.title, items=tuple(notice.points))]
        slides.append(Slide("support", deck.support.title, supports=numbers))
    slides += _list_slides(deck.who_for.title, list(deck.who_for.points), b.lines)
    slides += _acknowledgement(plan, b)
    essentials = [deck.essentials.get(e.id, e.text) for e in fac.essentials]
    slides += _list_slides(deck.essentials_title, essentials, b.lines)
    slides += _list_slides(deck.ground_rules.title, list(deck.ground_rules.points), b.lines)
    return slides


def _module(pm: PlannedModule, b: Budget, plan: Plan) -> list[Slide]:
    m = pm.module
    kicker = fill_text(plan.words.module_number, number=pm.number)
    slides = [Slide("section", m.title, kicker=kicker)]
    slides += _list_slides(m.title, list(m.slide_points), b.lines, kicker=kicker)
    for q in pm.questions:
        scenario = _paragraphs(q.scenario or "")
        if scenario and count_words(" ".join([*scenario, q.question])) > MAX_WORDS:
            # A long scenario is read on its own slide, then the question stands alone.
            slides += _prose_slides("scenario", plan.words.scenario, scenario, b.lines)
            scenario = []
        slides.append(Slide("question", question=q.question, paragraphs=tuple(scenario)))
    return slides


def _activity(pm: PlannedModule, activity_id: str, b: Budget, plan: Plan) -> list[Slide]:
    activity = next(a for a in pm.activities if a.id == activity_id)
    title = fill_text(plan.words.activity, name=activity.name)
    kicker = plan.duration(activity.minutes)
    if not activity.slide_steps:
        # Steps written for the facilitator are not projected: the slide names the activity.
        return [Slide("section", title, kicker=kicker)]
    return _list_slides(title, list(activity.slide_steps), b.lines, ordered=True, kicker=kicker, kind="activity")


def _break(row: RunOfShowRow, plan: Plan) -> Slide:
    until = ""
    if row.clock:
        hours, minutes = (int(x) for x in row.clock.split(":"))
        end = (hours * 60 + minutes + row.minutes) % (24 * 60)
        until = fill_text(plan.words.back_at, clock=plan.clock(f"{end // 60:02d}:{end % 60:02d}"))
    return Slide("break", row.title, kicker=plan.duration(row.minutes), paragraphs=(until,) if until else ())


def _closing(plan: Plan, b: Budget) -> list[Slide]:
    content = plan.curriculum
    deck = content.deck
    stems = [s.text for s in content.handout.commitments.stems]
    slides = _list_slides(deck.commitments_title, stems, b.lines)
    closing = deck.closing
    slides.append(Slide("list", closing.title, items=tuple(closing.points), closing=plan.farewell))
    slides.append(Slide("credit", deck.credit.title, paragraphs=tuple(deck.credit.points)))
    # The deck ends on the supports, left up while people leave.
    slides += _support_slides(plan, b)
    return slides


def slides_for(plan: Plan, b: Budget = BUDGETS[0]) -> list[Slide]:
    """Every slide of the session, in the order of its run of show, each with its word count."""
    slides = [_title(plan)]
    modules = {pm.module.id: pm for pm in plan.modules}
    current: PlannedModule | None = None
    for row in plan.run_of_show:
        if row.kind == "opening":
            slides += _opening(plan, b)
        elif row.kind == "module" and row.anchor in modules:
            current = modules[row.anchor]
            slides += _module(current, b, plan)
        elif row.kind == "activity" and current is not None and row.anchor:
            slides += _activity(current, row.anchor, b, plan)
        elif row.kind in ("break", "pause"):  # a pause is a short break: the room sees when to be back
            slides.append(_break(row, plan))
        elif row.kind == "closing":
            slides += _closing(plan, b)
        elif row.kind.startswith("knowledge-keeper"):
            slides.append(Slide("section", row.title))
    return [Slide(**{**s.__dict__, "words": slide_words(s)}) for s in slides]


def slide_sources(org: Organization) -> list[Source]:
    """Every place in an organization file a slide's text may come from, for the line an error names."""
    ack = org.land_acknowledgement
    sources: list[Source] = [("workshop",), ("land_acknowledgement", "statement")]
    sources += [("land_acknowledgement", "territory")]
    sources += [("land_acknowledgement", "nations", i) for i in range(len(ack.nations))]
    sources += [("land_acknowledgement", "nations"), ("land_acknowledgement", "commitments"), ("local_resources",)]
    sources += [("local_resources", i) for i in range(len(org.local_resources))]
    return sources
