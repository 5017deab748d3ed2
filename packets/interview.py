"""Asking a new coordinator for their organization file, one checked answer at a time.

Every answer is checked the moment it is given, by the model's own validators (the same
ones `packets check` runs, field validators included), so a start time of "1:00 pm" is
refused at its question and asked again instead of sinking the whole file after the last
one. The rules live in `model.py` only; this module knows questions, not rules.

A value given as a flag is checked the same way: with `--no-input` a bad one stops init
before anything is written; otherwise it is reported and asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from .errors import InputError, Problem
from .load.assets import check_logo
from .load.model import MAX_SESSION, MIN_SESSION, Organization
from .load.validation import explain_error, model_at

Loc = tuple[Any, ...]


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


class Interview:
    """The questions of `packets init`, each answered by a flag, a prompt, or (with --no-input) its default."""

    def __init__(self, no_input: bool, orgs_folder: Path):
        self.no_input = no_input
        self.orgs_folder = orgs_folder

    def refuse(self, flag: str, problem: str) -> None:
        """A refused answer is asked again; a refused flag with --no-input stops init before anything is written."""
        if self.no_input:
            raise InputError([Problem("init", 0, f"{flag}: {problem}")])
        click.echo(f"  {problem}; please try again.", err=True)

    def ask(
        self,
        loc: Loc,
        label: str,
        given: Any = None,
        default: Any = None,
        required: bool = False,
        extra: Callable[[Any], str | None] | None = None,
    ) -> Any:
        """One value: a flag's, or asked until the model accepts it; blank keeps the default (or skips)."""
        value = given
        while True:
            if value is None:
                if self.no_input:
                    if required and default is None:
                        raise InputError([Problem("init", 0, f"{label.lower()} is needed", "give it as a flag")])
                    return default
                shown = "" if default is None else str(default)
                value = click.prompt(label, default=shown, show_default=bool(shown)).strip()
                if not value:
                    if required:
                        click.echo("  This one is needed.", err=True)
                        value = None
                        continue
                    return None
            kept, problem = check_answer(loc, value)
            if problem is None and extra is not None:
                problem = extra(kept)
            if problem is None:
                return kept
            self.refuse("--" + str(loc[-1]).replace("_", "-"), problem)
            value = None

    def ask_many(self, loc: Loc, label: str, parts: tuple[str, ...], given: tuple[str, ...], flag: str) -> list[tuple]:
        """Several entries, each "part|part|part" (or one part), every part checked; blank ends the list.

        `parts` are the item's keys (e.g. ("name", "role")); an empty string stands for a
        list of text. The first part is required in each entry.
        """
        entries: list[tuple] = []
        pending = list(given)
        prompt_for_more = not given  # flags given are the whole list, unless one of them is refused
        while True:
            if pending:
                raw = pending.pop(0)
            elif self.no_input or not prompt_for_more:
                return entries
            else:
                raw = click.prompt(f"{label} (blank to finish)", default="", show_default=False).strip()
                if not raw:
                    return entries
            values = [p.strip() or None for p in raw.split("|")] if parts != ("",) else [raw.strip() or None]
            if len(values) > len(parts):
                self.refuse(flag, f"give at most {len(parts)} parts separated by '|'")
                prompt_for_more = True
                continue
            values += [None] * (len(parts) - len(values))
            kept: list[Any] = []
            problem = None if values[0] else "the first part is needed"
            for part, value in zip(parts, values, strict=True):
                if problem or value is None:
                    kept.append(None)
                    continue
                item_loc = (*loc, len(entries)) + ((part,) if part else ())
                value, problem = check_answer(item_loc, value)
                kept.append(value)
            if problem:
                self.refuse(flag, problem)
                prompt_for_more = True
                continue
            entries.append(tuple(kept))

    def logo_problem(self, logo: str) -> str | None:
        """A logo is checked as the build will check it: a real image, inside the organizations' folder."""
        found = check_logo(logo, self.orgs_folder, "logo", 0)
        return found[0].message + (f" ({found[0].hint})" if found[0].hint else "") if found else None


def format_question(formats: dict[str, Any]) -> tuple[str, Callable[[str], tuple[str | None, str | None]]]:
    """The format question shows each format's length; the answer may be its id or its length in minutes.

    Returns the question and a function reading an answer into (format id, problem). A
    length that is no preset's comes back as its digits: the file then gets `minutes:` and
    the planner fits the session to it (45 to 360 minutes).
    """
    choices = ", ".join(f"{f.id} ({f.minutes} min)" for f in formats.values())
    label = f"Workshop format: {choices}; its name, or any length in minutes ({MIN_SESSION} to {MAX_SESSION})"

    def read(answer: str) -> tuple[str | None, str | None]:
        answer = answer.strip().lower()
        if answer in formats:
            return answer, None
        digits = answer.removesuffix("min").removesuffix("minutes").strip()
        if digits.isdigit():
            minutes = int(digits)
            for f in formats.values():
                if f.minutes == minutes:
                    return f.id, None
            if MIN_SESSION <= minutes <= MAX_SESSION:
                return str(minutes), None
            return (
                None,
                f"{minutes} minutes is outside {MIN_SESSION} to {MAX_SESSION}; choose a length or one of: {choices}",
            )
        from .load.spelling import close_match

        close = close_match(answer, formats)
        return None, f"unknown format '{answer}'; " + (
            f"did you mean '{close}'?" if close else f"choose one of: {choices}"
        )

    return label, read


def ask_format(interview: Interview, formats: dict[str, Any], given: str | None) -> str:
    label, read = format_question(formats)
    value = given
    while True:
        if value is None:
            if interview.no_input:
                return "standard" if "standard" in formats else next(iter(formats))
            value = click.prompt(label, default="standard").strip()
        format_id, problem = read(value)
        if format_id:
            return format_id
        interview.refuse("--format", problem or "")
        value = None
