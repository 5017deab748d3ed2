"""Asking a new coordinator for their organization file, one checked answer at a time.

Every answer is checked the moment it is given, by the model's own validators (the same
ones `packets check` runs, field validators included), so a start time of "1:00 pm" is
refused at its question and asked again instead of sinking the whole file after the last
one. The rules live in `model.py` only; this module knows questions, not rules.

A value given as a flag is checked the same way: with `--no-input` a bad one stops init
before anything is written; otherwise it is reported and asked for.

The questions are data (content/interview.yaml, and its French overlay): an organization
whose documents are French is asked in French.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from pydantic import ValidationError

from .errors import InputError, Problem
from .load.assets import check_logo
from .load.model import LEAD_SEGMENTS, MAX_SESSION, MIN_SESSION, Line, Organization, Strict, session_length
from .load.validation import explain_error, model_at

if TYPE_CHECKING:
    from .load.curriculum import Project

Loc = tuple[Any, ...]
INTERVIEW = "interview.yaml"


class InterviewWords(Strict):
    """Every question `packets init` asks, and its few words around them, in one language."""

    edition_question: Line  # asked first, before the language is known: it names both
    in_french: Line  # "{question}, in French": the French of a text, when the documents are in both
    name: Line
    paper: Line
    accent_colour: Line
    logo: Line
    logo_alt: Line
    title: Line
    format: Line  # "{choices}", "{lengths}"
    format_choice: Line  # "{id} ({minutes} min)"
    format_lengths: Line  # "{shortest}", "{longest}"
    date: Line
    start: Line
    breaks: Line
    location: Line
    knowledge_keeper: Line
    knowledge_keeper_name: Line
    knowledge_keeper_none: Line  # the answer shown as the question's default: "no"
    facilitator: Line
    leads_intro: Line
    leads: Line  # "{person}"
    segment_opening: Line
    segment_closing: Line
    segment_break: Line
    nation: Line
    nation_both: Line
    place: Line
    place_both: Line
    territory: Line
    statement: Line
    commitment: Line
    reviewed_by: Line
    reviewed_on: Line
    based_on: Line
    support: Line
    blank_to_finish: Line  # "{question}"
    try_again: Line  # "{problem}"
    needed: Line
    # The comments of the file init writes (scaffold.py), in the language of the questions.
    file_header: Line  # "{organization}"
    file_next: Line
    file_language: Line
    file_languages: Line
    file_accent_colour: Line
    file_logo: Line
    file_logo_alt_example: Line
    file_logo_alt: Line
    file_title_example: Line
    file_title: Line
    file_minutes: Line
    file_format: Line
    file_start: Line
    file_location_example: Line
    file_breaks: Line
    file_knowledge_keeper: Line
    file_knowledge_keeper_name: Line
    file_facilitator_example: Line
    file_acknowledgement: Line
    file_nation_names: Line
    file_nations: Line
    file_places: Line
    file_territory_example: Line
    file_territory: Line
    file_statement: Line
    file_commitments: Line
    file_reviewed_by: Line
    file_reviewed_on: Line
    file_based_on_example: Line
    file_local_resources: Line
    file_local_resources_example: Line


def interview_words(project: Project, language: str = "en") -> InterviewWords:
    """The interview's words in `language`: content/interview.yaml, with the French overlay laid
    over it as the curriculum's are (the same rules, the same messages for a missing text)."""
    from .load.curriculum import _read_overlaid, overlay_folder
    from .load.validation import read_model

    english = project.content / INTERVIEW
    problems: list[Problem] = []
    if language == "en":
        words, _, problems = read_model(english, InterviewWords, trusted=True)
    else:
        words, _ = _read_overlaid(english, overlay_folder(project, language) / INTERVIEW, InterviewWords, problems)
    if words is None:
        raise InputError(problems)
    return words


def check_answer(loc: Loc, value: Any) -> tuple[Any, str | None]:
    """The value the model keeps for `value` at `loc` (e.g. "9:30" -> "09:30"), or why it refuses it.

    `loc` is a path in an organization file as pydantic reports it:
    ("workshop", "start"), ("workshop", "facilitators", 0, "name"), ("land_acknowledgement",
    "commitments", 0). Only that one field is validated, on an otherwise empty model.
    """
    item = isinstance(loc[-1], int)  # an item of a list of text: validate a list of one
    field_loc = loc[:-1] if item else loc
    owner = model_at(Organization, field_loc[:-1])
    if owner is None:
        raise ValueError(f"no field at {loc!r}")
    field = field_loc[-1]
    try:
        checked = owner.__pydantic_validator__.validate_assignment(
            owner.model_construct(), field, [value] if item else value
        )
    except ValidationError as exc:
        where = ".".join(str(p) for p in loc if not isinstance(p, int))
        message, hint = explain_error(exc.errors(include_url=False)[0], where)
        return None, message + (f" ({hint})" if hint else "")
    kept = getattr(checked, field)
    return (kept[0] if item else kept), None


def unquoted(text: str) -> str:
    """An answer typed with the quotes the file needs ("09:30") is the answer without them."""
    text = text.strip()
    for left, right in (('"', '"'), ("'", "'"), ("“", "”"), ("‘", "’")):
        if len(text) >= 2 and text.startswith(left) and text.endswith(right):
            return text[1:-1].strip()
    return text


def kept_answers_path(orgs_folder: Path, slug: str) -> Path:
    """Where the answers of an init stopped half-way wait: beside the files, hidden, never an organization file."""
    return orgs_folder / f".init-{slug}.json"


class Interview:
    """The questions of `packets init`, each answered by a flag, a prompt, or (with --no-input) its default.

    Every answer is remembered under its question (`answers`), so an init stopped half-way
    can keep them (`save`) and the next `init SLUG` goes on from there: answers `kept` from
    before are taken as given, checked again, and not asked again.
    """

    def __init__(self, no_input: bool, orgs_folder: Path, words: InterviewWords, kept: dict[str, Any] | None = None):
        self.no_input = no_input
        self.words = words  # the questions' language: set again once the documents' language is known
        self.orgs_folder = orgs_folder
        self.kept = dict(kept or {})
        self.answers: dict[str, Any] = {}

    def save(self, path: Path) -> None:
        """The answers so far (and those kept from before, not reached this time), in a file only
        its owner can ever read: written to a private temporary (mode 600) and renamed into place."""
        data = json.dumps({**self.kept, **self.answers}, ensure_ascii=False, indent=1).encode("utf-8")
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".init-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    def _remember(self, key: str, value: Any) -> None:
        self.answers[key] = value.isoformat() if isinstance(value, dt.date) else value

    def question(
        self,
        key: str,
        label: str,
        read: Callable[[str], tuple[Any, str | None]],
        given: str | None = None,
        default: str | None = None,
        flag: str = "",
    ) -> Any:
        """One answer read by `read` (text -> (value, problem)), asked until it is accepted.

        Blank takes the default (`read` is given it); a kept answer is taken as given.
        """
        if given is None and key in self.kept:
            given = self.kept.pop(key)
            given = "" if given is None else str(given)
        value = given
        while True:
            if value is None:
                if self.no_input:
                    value = default or ""
                else:
                    shown = default or ""
                    value = click.prompt(label, default=shown, show_default=bool(shown))
            answer, problem = read(unquoted(str(value)))
            if problem is None:
                self._remember(key, unquoted(str(value)))
                return answer
            self.refuse(flag or "--" + key.rsplit(".", 1)[-1].replace("_", "-"), problem)
            value = None

    def refuse(self, flag: str, problem: str) -> None:
        """A refused answer is asked again; a refused flag with --no-input stops init before anything is written."""
        if self.no_input:
            raise InputError([Problem("init", 0, f"{flag}: {problem}")])
        click.echo("  " + self.words.try_again.format(problem=problem), err=True)

    def ask(
        self,
        loc: Loc,
        label: str,
        given: Any = None,
        default: Any = None,
        required: bool = False,
        extra: Callable[[Any], str | None] | None = None,
        flag: str = "",
        key: str = "",
    ) -> Any:
        """One value: a flag's, or asked until the model accepts it; blank keeps the default (or skips).

        `key` names the answer when it is not the field's own (the French of a text, `name.fr`)."""
        key = key or ".".join(str(p) for p in loc)
        if given is None and key in self.kept:
            kept_value = self.kept.pop(key)
            if kept_value is None:
                self._remember(key, None)
                return default
            given = str(kept_value)
        value = given
        while True:
            if value is None:
                if self.no_input:
                    if required and default is None:
                        raise InputError([Problem("init", 0, f"{label.lower()} is needed", "give it as a flag")])
                    return default
                shown = "" if default is None else str(default)
                value = unquoted(click.prompt(label, default=shown, show_default=bool(shown)))
                if not value:
                    if required:
                        click.echo("  " + self.words.needed, err=True)
                        value = None
                        continue
                    self._remember(key, None)
                    return None
            kept, problem = check_answer(loc, unquoted(value) if isinstance(value, str) else value)
            if problem is None and extra is not None:
                problem = extra(kept)
            if problem is None:
                self._remember(key, kept)
                return kept
            self.refuse(flag or "--" + str(loc[-1]).replace("_", "-"), problem)
            value = None

    def ask_many(self, loc: Loc, label: str, parts: tuple[str, ...], given: tuple[str, ...], flag: str) -> list[tuple]:
        """Several entries, each "part|part|part" (or one part), every part checked; blank ends the list.

        `parts` are the item's keys (e.g. ("name", "role")); an empty string stands for a
        list of text. The first part is required in each entry.
        """
        key = ".".join(str(p) for p in loc)
        entries: list[tuple] = []
        pending = list(given)
        prompt_for_more = not given  # flags given are the whole list, unless one of them is refused
        kept = self.kept.pop(key, None) if not given else None
        if isinstance(kept, dict):
            pending = [str(e) for e in kept.get("entries", [])]
            prompt_for_more = not kept.get("done")
        typed: list[str] = []

        def remember(done: bool) -> None:
            self._remember(key, {"entries": list(typed), "done": done})

        while True:
            if pending:
                raw = pending.pop(0)
            elif self.no_input or not prompt_for_more:
                remember(True)
                return entries
            else:
                question = self.words.blank_to_finish.format(question=label)
                raw = click.prompt(question, default="", show_default=False).strip()
                if not raw:
                    remember(True)
                    return entries
            values = [unquoted(p) or None for p in raw.split("|")] if parts != ("",) else [unquoted(raw) or None]
            if len(values) > len(parts):
                self.refuse(flag, f"give at most {len(parts)} parts separated by '|'")
                prompt_for_more = True
                continue
            values += [None] * (len(parts) - len(values))
            kept_parts: list[Any] = []
            problem = None if values[0] else "the first part is needed"
            for part, value in zip(parts, values, strict=True):
                if problem or value is None:
                    kept_parts.append(None)
                    continue
                item_loc = (*loc, len(entries)) + ((part,) if part else ())
                value, problem = check_answer(item_loc, value)
                kept_parts.append(value)
            if problem:
                self.refuse(flag, problem)
                prompt_for_more = True
                continue
            entries.append(tuple(kept_parts))
            typed.append(raw)
            remember(False)

    def logo_problem(self, logo: str) -> str | None:
        """A logo is checked as the build will check it: a real image, inside the organizations' folder."""
        found = check_logo(logo, self.orgs_folder, "logo", 0)
        return found[0].message + (f" ({found[0].hint})" if found[0].hint else "") if found else None


# The answers the language question takes, in either language, and the editions each one makes.
EDITION_ANSWERS = {
    **dict.fromkeys(("en", "english", "anglais"), ("en",)),
    **dict.fromkeys(("fr", "french", "français", "francais"), ("fr",)),
    **dict.fromkeys(("both", "les deux", "deux", "en, fr", "en fr", "bilingual", "bilingue"), ("en", "fr")),
}


def ask_edition(interview: Interview, given: str | None) -> tuple[str, ...]:
    """The documents' language, asked first (in both languages): ("en",), ("fr",) or ("en", "fr")."""

    def read(answer: str) -> tuple[tuple[str, ...] | None, str | None]:
        chosen = EDITION_ANSWERS.get(" ".join(answer.lower().split()))
        return (chosen, None) if chosen else (None, f"'{answer}' is not one of: en, fr, both / les deux")

    return interview.question(
        "language", interview.words.edition_question, read, given, default="en", flag="--language"
    )


def ask_text(
    interview: Interview, both: bool, loc: Loc, label: str, given: str | None, required: bool = False
) -> str | dict[str, str] | None:
    """A text of the organization; when the documents are in both languages, its French too.

    The French is checked by the same rule as the English; left blank (or the same), the one
    text serves both editions. Given both, the file gets `{en: ..., fr: ...}`.
    """
    text = interview.ask(loc, label, given, required=required)
    if not both or text is None:
        return text
    key = ".".join(str(p) for p in loc) + ".fr"
    french = interview.ask(loc, interview.words.in_french.format(question=label), key=key)
    return {"en": text, "fr": french} if french and french != text else text


def nation_parts(editions: tuple[str, ...]) -> tuple[str, ...]:
    """What a Nation (or a place) is typed as, "part|part|...": its own name first, then the names
    and pronunciations the editions print (a French edition, its French name)."""
    if editions == ("fr",):
        return ("name", "french_name", "name_pronunciation")
    if "fr" in editions:
        return ("name", "english_name", "french_name", "pronunciation", "name_pronunciation")
    return ("name", "english_name", "pronunciation", "name_pronunciation")


def format_question(
    formats: dict[str, Any], words: InterviewWords
) -> tuple[str, Callable[[str], tuple[str | None, str | None]]]:
    """The format question shows each format's length; the answer may be its id or its length in minutes.

    Returns the question and a function reading an answer into (format id, problem). A
    length that is no preset's comes back as its digits: the file then gets `minutes:` and
    the planner fits the session to it (45 to 360 minutes).
    """
    choices = ", ".join(words.format_choice.format(id=f.id, minutes=f.minutes) for f in formats.values())
    lengths = words.format_lengths.format(shortest=MIN_SESSION, longest=MAX_SESSION)
    label = words.format.format(choices=choices, lengths=lengths)

    def read(answer: str) -> tuple[str | None, str | None]:
        answer = unquoted(answer).lower()
        if answer in formats:
            return answer, None
        minutes = session_length(answer)
        if minutes is not None:
            for f in formats.values():
                if f.minutes == minutes:
                    return f.id, None
            if MIN_SESSION <= minutes <= MAX_SESSION:
                return str(minutes), None
            return (
                None,
                f"{minutes} minutes is outside {MIN_SESSION} to {MAX_SESSION}; give {lengths}, or one of: {choices}",
            )
        from .load.spelling import close_match

        close = close_match(answer, formats)
        return None, f"unknown format '{answer}'; " + (
            f"did you mean '{close}'?" if close else f"give one of: {choices}; or {lengths}"
        )

    return label, read


def ask_format(interview: Interview, formats: dict[str, Any], given: str | None) -> str:
    label, read = format_question(formats, interview.words)
    default = "standard" if "standard" in formats else next(iter(formats))
    return interview.question("workshop.format", label, read, given, default, flag="--format")


def ask_knowledge_keeper(
    interview: Interview, given: str | None = None, given_name: str | None = None
) -> tuple[bool, bool, str | None] | None:
    """Whether an Elder or knowledge keeper opens or closes, and their name once they agreed to it printed."""

    def read_role(answer: str) -> tuple[tuple[bool, bool] | None, str | None]:
        roles = {"no": None, "none": None, "": None, "opening": (True, False), "open": (True, False)}
        roles |= {"closing": (False, True), "close": (False, True), "both": (True, True)}
        # The French answers the French question offers (an answer in either language is understood).
        roles |= {"non": None, "aucun": None, "ouverture": (True, False), "clôture": (False, True)}
        roles |= {"cloture": (False, True), "les deux": (True, True), "deux": (True, True)}
        answer = answer.lower()
        if answer in roles:
            return roles[answer], None
        return None, f"'{answer}' is not one of: no, opening, closing, both"

    role = interview.question(
        "workshop.knowledge_keeper",
        interview.words.knowledge_keeper,
        read_role,
        given,
        default=interview.words.knowledge_keeper_none,
        flag="--knowledge-keeper",
    )
    if role is None:
        return None
    name = interview.ask(
        ("workshop", "knowledge_keeper", "name"),
        interview.words.knowledge_keeper_name,
        given_name,
        flag="--knowledge-keeper-name",
    )
    return role[0], role[1], name


def ask_breaks(interview: Interview, start: str | None, given: str | None = None) -> str | list[str]:
    """auto, none, or the clock times breaks start at (which need the session's start time)."""

    def read(answer: str) -> tuple[str | list[str] | None, str | None]:
        chosen = {"aucune": "none", "aucun": "none"}.get(answer.lower(), answer.lower())  # French answers too
        if chosen in ("auto", "none", ""):
            return chosen or "auto", None
        times = [unquoted(t) for t in re.split(r"[,;\s]+", answer) if t.strip()]
        kept, problem = check_answer(("workshop", "breaks"), times)
        if problem is None and not start:
            problem = "break times need the session's start time, which was left blank: answer auto or none"
        return kept, problem

    return interview.question(
        "workshop.breaks",
        interview.words.breaks,
        read,
        given,
        default="auto",
        flag="--breaks",
    )


def lead_choices(modules: dict[str, Any], words: InterviewWords) -> list[tuple[str, str]]:
    """What a facilitator can lead, numbered as init shows it: each module by its title (in the
    curriculum's language), then the segments."""
    segments = {"opening": words.segment_opening, "closing": words.segment_closing, "break": words.segment_break}
    return [(m.id, m.title) for m in modules.values()] + [(s, segments.get(s, s)) for s in LEAD_SEGMENTS]


def read_leads(answer: str, choices: list[tuple[str, str]]) -> tuple[list[str] | None, str | None]:
    """Numbers, titles (or ids) separated by commas into ids; a title may itself hold a comma."""
    from .load.spelling import close_match

    by_name = {}
    for i, (key, title) in enumerate(choices, start=1):
        by_name.update({str(i): key, key.lower(): key, title.lower(): key})
    pieces = [p.strip() for p in answer.split(",")]
    chosen: list[str] = []
    i = 0
    while i < len(pieces):
        for j in range(len(pieces), i, -1):  # the longest run of pieces that is a title
            words = ", ".join(pieces[i:j]).lower().rstrip(".")
            if words in by_name:
                chosen.append(by_name[words])
                i = j
                break
        else:
            piece = pieces[i]
            if piece:
                close = close_match(piece.lower(), [t.lower() for _, t in choices])
                hint = f"did you mean '{close}'?" if close else "give its number in the list, or its title"
                return None, f"nothing in the list is called '{piece}'; {hint}"
            i += 1
    return list(dict.fromkeys(chosen)), None


def ask_leads(interview: Interview, person: str, index: int, choices: list[tuple[str, str]]) -> list[str]:
    return interview.question(
        f"workshop.facilitators.{index}.leads",
        interview.words.leads.format(person=person),
        lambda answer: read_leads(answer, choices),
        default="",
        flag="--facilitator",
    )
