"""Turning pydantic's errors into messages a facilitator can act on: file, line, what to do."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from ..errors import Problem
from . import glyphs, kept
from .model import ByLanguage, Organization
from .sources import LineDict, LineList, YamlDocument, parse_yaml_bytes, read_yaml
from .spelling import close_match

M = TypeVar("M", bound=BaseModel)


def model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
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


def field_at(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[str, FieldInfo] | None:
    """The name and annotation of the field a pydantic location points into, union tags skipped.

    pydantic puts the member of a union it tried into the location ("breaks",
    "literal['auto','none']"): words no one wrote, which never reach a message.
    """
    current: Any = model
    found: tuple[str, FieldInfo] | None = None
    for part in loc:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        info = current.model_fields.get(part)
        if info is None:
            continue  # a union member's tag
        found = (part, info)
        current = _inner_model(info.annotation)
    return found


def plain_loc(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """`loc` without the union tags pydantic adds: only field names and list positions."""
    out: list[Any] = []
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            out.append(part)
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue  # a union member's tag inside a field
        info = current.model_fields.get(part)
        if info is None:
            continue
        current = _inner_model(info.annotation)
        out.append(part)
    return tuple(out)


def _members(annotation: Any) -> list[Any]:
    """The types a field accepts, Optional, Annotated and unions unwrapped."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _members(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) if arg is not type(None) for m in _members(arg)]
    return [annotation]


def _flow(value: Any) -> str:
    """A value as one line of YAML (JSON's syntax is YAML's), names kept as typed."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return json.dumps(value, ensure_ascii=False)


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_as_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {_as_text(v)}" for k, v in value.items())
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def _looks_like_times(value: Any) -> list[str] | None:
    parts = [p for p in re.split(r"[,\s]+", str(value).strip()) if p] if isinstance(value, (str, int)) else []
    if parts and all(re.fullmatch(r"([01]?\d|2[0-3])[:h.][0-5]\d", p) for p in parts):
        return parts
    return None


def _model_example(model: type[BaseModel], value: Any) -> dict[str, Any]:
    """A small mapping the model accepts, with the value that was given where it fits."""
    text = _as_text(value) or "…"
    fields = model.model_fields
    if isinstance(value, bool) or str(value).lower() in ("yes", "no", "true", "false", "on", "off"):
        switches = [n for n, f in fields.items() if bool in _members(f.annotation)]
        if switches:  # knowledge_keeper: yes -> {"opening": true}
            return {switches[0]: True}
    required = [n for n, f in fields.items() if f.is_required()]
    if required:
        return {required[0]: text}
    for name, info in fields.items():
        if str in _members(info.annotation):
            return {name: text}
    for name, info in fields.items():
        if bool in _members(info.annotation):
            return {name: True}
    return {}


def example_value(annotation: Any, value: Any) -> Any:
    """A correct value for a field of this type, made from what was written where it can be."""
    members = _members(annotation)
    literals = [m for m in members if typing.get_origin(m) is typing.Literal]
    lists = [m for m in members if typing.get_origin(m) is list]
    if literals and lists and _looks_like_times(value):
        return _looks_like_times(value)  # breaks: 10:30 -> ["10:30"]
    if lists and not isinstance(value, list):
        (item,) = typing.get_args(lists[0]) or (str,)
        inner = _members(item)[0]
        if typing.get_origin(inner) is typing.Literal:  # languages: fr -> ["fr"]; welcome -> ["en"]
            choices = typing.get_args(inner)
            return [value if value in choices else choices[0]]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return [value if isinstance(value, dict) else _model_example(inner, value)]
        items = [p.strip() for p in _as_text(value).split(",") if p.strip()] if isinstance(value, str) else []
        return items or [_as_text(value) or "…"]
    if lists and isinstance(value, list):
        return [v if isinstance(v, str) else _as_text(v) for v in value]
    if literals:
        return typing.get_args(literals[0])[0]
    kind = members[0]
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return _model_example(kind, value)
    if kind is bool:
        return True
    if kind is dt.date:
        return dt.date(2027, 3, 14)
    if kind is int:
        return 120
    return _as_text(value) or "…"


def _example(model: type[BaseModel] | None, loc: tuple[Any, ...], value: Any) -> str:
    """`write key: value`, a correct line to copy for the field at `loc` ("" when unknown)."""
    found = field_at(model, loc) if model is not None else None
    if found is None:
        return ""
    name, info = found
    annotation = info.annotation
    if info.examples and _members(annotation) == [str]:
        return f"write {name}: {_flow(info.examples[0])}"  # a text with rules of its own: "#1f5f8b", "09:30"
    if isinstance(loc[-1], int) and typing.get_origin(_members(annotation)[0]) is list:
        # One item of a list was refused: show the list with that item corrected.
        (item,) = typing.get_args(_members(annotation)[0])
        return f"write {name}: {_flow([example_value(item, value)])}"
    example = example_value(annotation, value)
    plain_word = isinstance(example, str) and re.fullmatch(r"[a-z][a-z0-9-]*", example)
    yaml_words = ("yes", "no", "on", "off", "true", "false", "null", "y", "n")
    shown = example if plain_word and example not in yaml_words else _flow(example)  # paper: letter
    return f"write {name}: {shown}"


def _choices(annotation: Any) -> str:
    """What a field accepts, in words: "'auto', 'none' or a list"."""
    words = []
    for member in _members(annotation):
        if typing.get_origin(member) is typing.Literal:
            words += [f"'{v}'" for v in typing.get_args(member)]
        elif typing.get_origin(member) is list:
            words.append("a list")
        elif isinstance(member, type) and issubclass(member, BaseModel):
            words.append("a mapping (lines of 'key: value')")
        else:
            words.append(_TYPE_NAMES.get(member, "text"))
    return ", ".join(words[:-1]) + (" or " if len(words) > 1 else "") + words[-1]


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
    "bool_parsing": "true or false",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
}
_TYPE_NAMES = {str: "text", int: "a whole number", bool: "true or false", dt.date: "a date like 2027-03-14"}


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


_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def impossible_date(value: object) -> str | None:
    """Why a date written as YYYY-MM-DD is not a day on the calendar ("February 2027 has no 30th day")."""
    match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*", value) if isinstance(value, str) else None
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    if not 1 <= month <= 12:
        return f"there is no month {month} (months run from 01 to 12)"
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return f"{_MONTHS[month - 1]} {year} has no {_ordinal(day)} day (it has {days} days)"
    return None


def explain_error(
    err: Mapping[str, Any], where: str, model: type[BaseModel] | None = None, union: bool = False
) -> tuple[str, str]:
    """One pydantic error in words a facilitator can act on: (message, hint).

    Shared by `check` (which adds the file and line) and `init` (which asks again), so the
    rules and their wording live in the model and here only. With the `model` the location
    is in, a wrong type's hint is a line to copy (`write breaks: ["10:30"]`); `union` says
    the value fitted none of the field's kinds (pydantic reports one error for each).
    """
    kind = err["type"]
    value = err.get("input")
    loc = tuple(err.get("loc", ()))
    example = _example(model, loc, value) if model is not None and loc else ""
    found = field_at(model, loc) if model is not None and loc else None
    if union and found:
        return f"'{where}' is {_describe(value)}; it should be {_choices(found[1].annotation)}", example
    if kind in _TYPE_WORDS:
        impossible = impossible_date(value) if _TYPE_WORDS[kind].startswith("a date") else None
        if impossible:
            return f"'{where}' is {_describe(value)}, which is not a date: {impossible}", "check the day and month"
        quotes = "put it in quotes" if _TYPE_WORDS[kind] == "text" and not isinstance(value, (list, dict)) else ""
        hint = f"{quotes}: {example}" if quotes and example else example or quotes
        return f"'{where}' should be {_TYPE_WORDS[kind]}, not {_describe(value)}", hint
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"'{where}' is {_describe(value)}; it must be one of {expected}", example
    if kind == "value_error":
        return str(err.get("ctx", {}).get("error", err["msg"])), ""
    if kind == "string_pattern_mismatch" and (where.rsplit(".", 1)[-1] in ("id", "format", "module", "modules")):
        return f"'{where}' is {_describe(value)}, not an id", "ids are lower-case words joined by '-', e.g. 'half-day'"
    if kind == "string_too_short":
        return f"'{where}' is empty", "write the text or remove the key"
    if kind == "string_too_long":
        limit = err.get("ctx", {}).get("max_length")
        return f"'{where}' is too long (over {limit} characters)", "shorten it"
    if kind == "too_long":
        limit = err.get("ctx", {}).get("max_length")
        given = len(value) if isinstance(value, (list, str)) else "too many"
        return (
            f"'{where}' lists {given} items; the limit is {limit}",
            "a packet has room for that many; keep the ones this session needs",
        )
    if kind == "too_short":
        return f"'{where}' needs at least one item", ""
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        limit = next(iter(err.get("ctx", {}).values()), "")
        word = "at least" if kind.startswith("greater") else "at most"
        return f"'{where}' is {_describe(value)}; it must be {word} {limit}", ""
    return f"'{where}' is {_describe(value)}, which is not what it takes", example


def _per_language(errors: list[Any]) -> list[Any]:
    """pydantic's errors with a per-language text (`{en: ..., fr: ...}`) read as one kind of value.

    A text field takes a string or a mapping by language, and pydantic reports a wrong value
    once for each: a mapping with a mistake inside would also be told it "should be text",
    and a number that it should be a mapping. The mistake is in the kind that was written:
    errors inside a mapping are kept (with the member's tag taken out of the location), the
    string's error then dropped; a value that is no mapping keeps only the string's error.
    """
    tagged = [next((i for i, part in enumerate(err["loc"]) if "ByLanguage" in str(part)), None) for err in errors]
    mappings = {
        tuple(err["loc"][:i])
        for err, i in zip(errors, tagged, strict=True)
        if i is not None and err["type"] != "model_type"
    }
    fields = {tuple(err["loc"][:i]) for err, i in zip(errors, tagged, strict=True) if i is not None}
    out = []
    for err, i in zip(errors, tagged, strict=True):
        loc = tuple(err["loc"])
        if i is not None:
            if err["type"] != "model_type":
                out.append({**err, "loc": loc[:i] + loc[i + 1 :]})
        elif loc[:-1] in fields and "str" in str(loc[-1]):
            if loc[:-1] not in mappings:
                out.append({**err, "loc": loc[:-1]})  # the string's error, at the field itself
        else:
            out.append(err)
    return out


def problems_from_validation(exc: ValidationError, doc: YamlDocument, model: type[BaseModel]) -> list[Problem]:
    problems = []
    errors = _per_language(exc.errors(include_url=False))
    # A value that fits none of a field's kinds ("auto", "none" or a list) is one mistake, not
    # one per kind: pydantic's location names the kind, which is left out.
    located = [
        (err, tuple(err["loc"]) if err["type"] == "extra_forbidden" else plain_loc(model, tuple(err["loc"])))
        for err in errors
    ]
    counts: dict[tuple[Any, ...], int] = {}
    for _, loc in located:
        counts[loc] = counts.get(loc, 0) + 1
    seen: set[tuple[Any, ...]] = set()
    for err, loc in located:
        if loc in seen and counts[loc] > 1:
            continue
        seen.add(loc)
        err = {**err, "loc": loc}
        where = ".".join(str(p) for p in loc if not isinstance(p, int)) or "file"
        line = doc.line_of(loc)
        if err["type"] == "extra_forbidden":
            key = str(loc[-1])
            owner = model_at(model, loc[:-1])
            allowed = list(owner.model_fields) if owner else []
            close = close_match(key, allowed)
            hint = f"did you mean '{close}'?" if close else f"allowed keys: {', '.join(allowed)}"
            if owner is not None and issubclass(owner, ByLanguage):
                problems.append(
                    Problem(
                        doc.shown_path,
                        line,
                        f"'{key}' in '{where.rsplit('.', 1)[0]}' is not a language packets are printed in",
                        "write en: for the English text and fr: for the French",
                    )
                )
                continue
            problems.append(Problem(doc.shown_path, line, f"unknown key '{key}'", hint))
        elif err["type"] == "missing":
            parent_line = doc.line_of(loc[:-1])
            problems.append(
                Problem(doc.shown_path, parent_line, f"missing required key '{loc[-1]}'", f"add '{loc[-1]}: ...'")
            )
        else:
            message, hint = explain_error(err, where, model, union=counts[loc] > 1)
            problems.append(Problem(doc.shown_path, line, message, hint))
    return problems


_ISO_DATE = re.compile(r"^\s*\d{4}-\d{1,2}-\d{1,2}\s*$")  # a zero left out is read (2026-10-2)


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
                        f"write the year, month and day: write {name}: 2027-03-14",
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
                "start from content/orgs/example.yaml" if model is Organization else "",
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
    close = close_match(word, choices)
    if close:
        return f"did you mean '{close}'?"
    return "choose one of: " + ", ".join(choices) if choices else ""


def read_model(path: Path, model: type[M], trusted: bool = False) -> tuple[M | None, YamlDocument, list[Problem]]:
    """Read, validate and glyph-check one file: every file a packet prints from goes through here.

    `trusted`: one of the project's own curriculum files (see `sources.read_yaml`).
    """
    doc, found = _read_checked(path, trusted)
    value, problems = validate_document(doc, model)
    return value, doc, problems + found


def _read_checked(path: Path, trusted: bool) -> tuple[YamlDocument, list[Problem]]:
    """The file's YAML, and the glyph check of its texts; a curriculum file that read
    cleanly before is taken as then (kept.py): that is most of what `check` takes."""
    raw, doc = kept.recall(path) if trusted else (None, None)
    if doc is not None:
        return doc, []
    doc = read_yaml(path, trusted) if raw is None else parse_yaml_bytes(raw, path, trusted)
    found = glyphs.check_document(doc) if doc.data is not None else []
    if raw is not None and not found:
        kept.keep(raw, doc)
    return doc, found


# ------------------------------------------------------------------ the readable part of a broken file

Loc = tuple[Any, ...]


def _copy(value: Any) -> Any:
    """A deep copy that keeps the line of every key and item, so messages about the copy point at the file."""
    if isinstance(value, LineDict):
        out = LineDict((k, _copy(v)) for k, v in value.items())
        out.line, out.key_lines = value.line, dict(value.key_lines)
        return out
    if isinstance(value, LineList):
        items = LineList(_copy(v) for v in value)
        items.line, items.item_lines = value.line, list(value.item_lines)
        return items
    return value


def _order(loc: Loc) -> list[tuple[int, int, str]]:
    return [(0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in loc]


def _remove(data: Any, loc: Loc) -> bool:
    """Take the value at `loc` out of `data` (a list item with its line); False when it is not there."""
    node = data
    for part in loc[:-1]:
        inside = isinstance(node, LineDict) and part in node
        if not inside and not (isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node)):
            return False
        node = node[part]
    last = loc[-1]
    if isinstance(node, LineDict) and last in node:
        del node[last]
        node.key_lines.pop(last, None)
        return True
    if isinstance(node, LineList) and isinstance(last, int) and 0 <= last < len(node):
        del node[last]
        del node.item_lines[last]
        return True
    return False


def salvage(doc: YamlDocument, model: type[M], passes: int = 8) -> tuple[M, YamlDocument, list[Loc]] | None:
    """The file with what the model refuses taken out: its valid part, to review for warnings.

    An error in one place should not hide the warnings about the rest, or fixing one
    mistake reveals four more. Each refused value is removed (an item missing a required
    key goes as a whole; a missing required top-level key gets a blank stand-in) and the
    rest validated again. The copy keeps the file's lines, so warnings about it point at
    the file. Returns the model, the pruned document and the locations that could not
    be read (a misspelt key counts as the key it is close to), or None when nothing is left.
    """
    if not isinstance(doc.data, LineDict):
        return None
    data = _copy(doc.data)
    unread: list[Loc] = []
    for _ in range(passes):
        try:
            value = model.model_validate(data)
        except ValidationError as exc:
            doomed: set[Loc] = set()
            for err in _per_language(exc.errors(include_url=False)):
                loc = tuple(err["loc"])
                if not loc:
                    return None
                if err["type"] == "extra_forbidden":
                    owner = model_at(model, loc[:-1])
                    close = close_match(str(loc[-1]), list(owner.model_fields)) if owner else None
                    if close:
                        unread.append((*loc[:-1], close))
                elif err["type"] == "missing":
                    if len(loc) == 1:
                        data[loc[0]] = "-"
                        data.key_lines.setdefault(loc[0], data.line)
                        continue
                    loc = loc[:-1]
                doomed.add(loc)
            unread.extend(doomed)
            # Deepest first and list items from the end, so taking one out does not move another.
            for loc in sorted(doomed, key=_order, reverse=True):
                _remove(data, loc)
            continue
        pruned = YamlDocument(doc.path, data, [])
        return value, pruned, unread
    return None
