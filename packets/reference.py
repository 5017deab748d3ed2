"""The organization-file reference, written from the pydantic model so its page in docs/ cannot drift."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from .load.model import ByLanguage, Organization


def _per_language(annotation: Any) -> bool:
    """A text that may be given per language (`{en: ..., fr: ...}`): shown as one kind, not a mapping."""
    return isinstance(annotation, type) and issubclass(annotation, ByLanguage)


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if any(_per_language(a) for a in args):
        return "text, or text per language `{en: …, fr: …}`"
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in typing.get_args(annotation))
    if origin is list:
        return f"list of {_type_name(args[0])}" if args else "list"
    if origin in (typing.Union, __import__("types").UnionType) and args:
        return " \\| ".join(_type_name(a) for a in args)  # "auto" | "none" | a list of times
    if origin is typing.Annotated:
        return _type_name(args[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping"
    if annotation is bool:
        return "`true` \\| `false`"
    return {"str": "text", "int": "number", "date": "date (YYYY-MM-DD)"}.get(
        getattr(annotation, "__name__", ""), str(annotation)
    )


def _inner(annotation: Any) -> type[BaseModel] | None:
    if _per_language(annotation):
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner(arg)
        if found:
            return found
    return None


def _rows(model: type[BaseModel], prefix: str) -> list[str]:
    rows = []
    for name, info in model.model_fields.items():
        key = f"{prefix}{name}"
        required = "yes" if info.is_required() else ""
        default = ""
        if (
            not info.is_required()
            and info.default not in (None, PydanticUndefined, [])
            and not isinstance(info.default, BaseModel)
        ):
            shown = str(info.default).lower() if isinstance(info.default, bool) else info.default
            default = f" Default: `{shown}`."
        rows.append(f"| `{key}` | {_type_name(info.annotation)} | {required} | {info.description or ''}{default} |")
        nested = _inner(info.annotation)
        if nested is not None:
            sep = "[]." if typing.get_origin(info.annotation) is list else "."
            rows.extend(_rows(nested, key + sep))
    return rows


def org_reference() -> str:
    header = ["| key | type | required | meaning |", "| --- | --- | --- | --- |"]
    return "\n".join(header + _rows(Organization, "")) + "\n"


def replace_between_markers(text: str, body: str) -> str:
    start, end = "<!-- org-reference:start -->", "<!-- org-reference:end -->"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body}{end}{tail}"
