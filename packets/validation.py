"""Turning pydantic's errors into messages a facilitator can act on: file, line, what to do."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from . import glyphs
from .errors import Problem
from .model import Organisation
from .sources import LineDict, YamlDocument, read_yaml

M = TypeVar("M", bound=BaseModel)


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that owns the value at `loc`, to suggest the keys it does accept."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(part)
        if info is None:
            return None
        current = _inner_model(info.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (list, typing.Union, types.UnionType) or origin is typing.Annotated:
        for arg in typing.get_args(annotation):
            found = _inner_model(arg)
            if isinstance(found, type) and issubclass(found, BaseModel):
                return found
        return None
    return annotation


_TYPE_WORDS = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "list_type": "a list (lines starting with '- ')",
    "model_type": "a mapping (lines of 'key: value')",
    "dict_type": "a mapping (lines of 'key: value')",
    "date_type": "a date like 2027-03-14",
    "date_from_datetime_parsing": "a date like 2027-03-14",
    "date_parsing": "a date like 2027-03-14",
    "bool_type": "true or false",
}


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"'{str(value).lower()}'"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing"
    return f"'{str(value)[:60]}'"


def problems_from_validation(exc: ValidationError, doc: YamlDocument, model: type[BaseModel]) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        kind = err["type"]
        where = ".".join(str(p) for p in loc if not isinstance(p, int)) or "file"
        line = doc.line_of(loc)
        if kind == "extra_forbidden":
            key = str(loc[-1])
            owner = _model_at(model, loc[:-1])
            allowed = list(owner.model_fields) if owner else []
            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(allowed)}"
            problems.append(Problem(doc.shown_path, line, f"unknown key '{key}'", hint))
        elif kind == "missing":
            parent_line = doc.line_of(loc[:-1])
            problems.append(
                Problem(doc.shown_path, parent_line, f"missing required key '{loc[-1]}'", f"add '{loc[-1]}: ...'")
            )
        elif kind in _TYPE_WORDS:
            given = _describe(err.get("input"))
            hint = (
                "put it in quotes"
                if _TYPE_WORDS[kind] == "text" and not isinstance(err.get("input"), (list, dict))
                else ""
            )
            problems.append(
                Problem(doc.shown_path, line, f"'{where}' should be {_TYPE_WORDS[kind]}, not {given}", hint)
            )
        elif kind == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            problems.append(
                Problem(
                    doc.shown_path, line, f"'{where}' is {_describe(err.get('input'))}; it must be one of {expected}"
                )
            )
        elif kind == "value_error":
            msg = str(err.get("ctx", {}).get("error", err["msg"]))
            problems.append(Problem(doc.shown_path, line, msg))
        elif (
            kind == "string_pattern_mismatch"
            and loc
            and loc[-1] in ("id", "format", "module")
            or (kind == "string_pattern_mismatch" and any(p == "modules" for p in loc))
        ):
            problems.append(
                Problem(
                    doc.shown_path,
                    line,
                    f"'{where}' is {_describe(err.get('input'))}, not an id",
                    "ids are lower-case words joined by '-', e.g. 'half-day'",
                )
            )
        elif kind == "string_too_short":
            problems.append(Problem(doc.shown_path, line, f"'{where}' is empty", "write the text or remove the key"))
        elif kind == "string_too_long":
            limit = err.get("ctx", {}).get("max_length")
            problems.append(
                Problem(doc.shown_path, line, f"'{where}' is too long (over {limit} characters)", "shorten it")
            )
        elif kind == "too_long":
            limit = err.get("ctx", {}).get("max_length")
            given = len(err["input"]) if isinstance(err.get("input"), (list, str)) else "too many"
            problems.append(
                Problem(
                    doc.shown_path,
                    line,
                    f"'{where}' lists {given} items; the limit is {limit}",
                    "a packet has room for that many; keep the ones this session needs",
                )
            )
        elif kind == "too_short":
            problems.append(Problem(doc.shown_path, line, f"'{where}' needs at least one item"))
        else:
            problems.append(Problem(doc.shown_path, line, f"'{where}': {err['msg']}"))
    return problems


_ISO_DATE = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")


def _is_date_field(annotation: Any) -> bool:
    if annotation is dt.date:
        return True
    return any(_is_date_field(arg) for arg in typing.get_args(annotation))


def _date_problems(data: Any, model: type[BaseModel], doc: YamlDocument, loc: tuple[Any, ...] = ()) -> list[Problem]:
    """Dates must be written as dates: pydantic would read `1699920000`, `0` or "20231114" as
    seconds since 1970, and print a day nobody typed."""
    if not isinstance(data, dict):
        return []
    problems = []
    for name, info in model.model_fields.items():
        if name not in data:
            continue
        value, here = data[name], (*loc, name)
        if _is_date_field(info.annotation):
            if value is not None and not (isinstance(value, str) and _ISO_DATE.match(value)):
                where = ".".join(str(p) for p in here if not isinstance(p, int))
                problems.append(
                    Problem(
                        doc.shown_path,
                        doc.line_of(here),
                        f"'{where}' should be a date like 2027-03-14, not {_describe(value)}",
                        "write the year, month and day: YYYY-MM-DD",
                    )
                )
            continue
        inner = _inner_model(info.annotation)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
            for i, item in items:
                problems.extend(_date_problems(item, inner, doc, here if i is None else (*here, i)))
    return problems


def validate_document(doc: YamlDocument, model: type[M]) -> tuple[M | None, list[Problem]]:
    problems = list(doc.problems)
    if doc.data is None:
        return None, problems
    if not isinstance(doc.data, LineDict):
        problems.append(
            Problem(
                doc.shown_path,
                getattr(doc.data, "line", 1) or 1,
                f"expected a mapping of 'key: value' lines, found {_describe(doc.data)}",
                "start from content/orgs/example.yaml" if model is Organisation else "",
            )
        )
        return None, problems
    dates = _date_problems(doc.data, model, doc)
    try:
        value = model.model_validate(doc.data)
    except ValidationError as exc:
        errors = problems_from_validation(exc, doc, model)
        dated = {p.line for p in dates}  # one message for a date, not pydantic's second opinion
        return None, problems + dates + [p for p in errors if p.line not in dated]
    return (None if dates else value), problems + dates


def suggest(word: str, choices: typing.Iterable[str]) -> str:
    choices = list(choices)
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    if close:
        return f"did you mean '{close[0]}'?"
    return "choose one of: " + ", ".join(choices) if choices else ""


def read_model(path: Path, model: type[M]) -> tuple[M | None, YamlDocument, list[Problem]]:
    """Read, validate and glyph-check one file: every file a packet prints from goes through here."""
    doc = read_yaml(path)
    value, problems = validate_document(doc, model)
    if doc.data is not None:
        problems.extend(glyphs.check_document(doc))
    return value, doc, problems
