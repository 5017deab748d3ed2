"""The edit form, generated from the organization model's JSON Schema.

The model gains fields as the project grows; a hand-listed form would silently leave
the new ones out. So every field of `Organization` becomes a control, with the model's
own description as its hint, and only the grouping (how a coordinator thinks of the
fields) is written here. A field the grouping does not name lands in its parent's group.
"""

from __future__ import annotations

import functools
from typing import Any

from ..languages import LANGUAGE_NAMES, LANGUAGES
from ..load.curriculum import Curriculum
from ..load.model import LEAD_SEGMENTS, Organization
from ..planning.plan import duration_text

# (group id, heading, path prefixes). A field belongs to the group with the longest prefix
# that matches its dotted path; the fallbacks at the end catch fields added to the model later.
GROUPS: list[tuple[str, str, tuple[str, ...]]] = [
    ("organization", "Organization", ("name",)),
    ("session", "Session", ("workshop",)),
    (
        "nations",
        "Nations and places",
        ("land_acknowledgement.nations", "land_acknowledgement.places", "land_acknowledgement.territory"),
    ),
    ("acknowledgement", "Acknowledgement", ("land_acknowledgement",)),
    (
        "review",
        "Commitments and review",
        ("land_acknowledgement.commitments", "land_acknowledgement.reviewed_by", "land_acknowledgement.reviewed_on"),
    ),
    ("facilitators", "Facilitators", ("workshop.facilitators",)),
    ("supports", "Local supports", ("local_resources",)),
    ("look", "Paper, colour and logo", ("paper", "accent_colour", "logo", "logo_alt")),
]
FALLBACK_GROUP = "organization"

# Short labels in a coordinator's words; any field not named here is labelled from its key.
LABELS = {
    "name": "Name",
    "english_name": "English name",
    "french_name": "French name",
    "pronunciation": "How to say the English name",
    "name_pronunciation": "How to say the Nation's own name",
    "reviewed_by": "Reviewed by",
    "reviewed_on": "Reviewed on",
    "based_on": "Based on",
    "accent_colour": "Accent colour",
    "logo_alt": "Logo description (read aloud)",
    "local_resources": "Local supports",
}

# What one item of a list is called ("Add Nation", "Remove Commitment 2").
ITEM_LABELS = {
    "nations": "Nation",
    "places": "Place",
    "commitments": "Commitment",
    "facilitators": "Facilitator",
    "local_resources": "Local support",
    "modules": "Module",
    "emphasis": "Module to emphasize",
    "leads": "Part led",
    "breaks": "Break time",
}

# Text longer than this is prose: a text area rather than a one-line box.
PROSE_LENGTH = 1000

# One line of text that is usually a whole sentence or two: a box of a few lines that shows
# all of it (a one-line box cut a commitment off mid-sentence), still saved as one line.
SENTENCES = {"land_acknowledgement.commitments[]", "land_acknowledgement.based_on", "local_resources[].note"}


def _label(key: str) -> str:
    return LABELS.get(key, key.replace("_", " ").capitalize())


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _without_null(schema: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """The alternatives of a field, and whether it may be left out (null)."""
    options = schema.get("anyOf") or schema.get("oneOf") or [schema]
    kept = [o for o in options if o.get("type") != "null"]
    return kept, len(kept) != len(options)


def _control(key: str, path: str, schema: dict[str, Any], defs: dict[str, Any], required: bool) -> dict[str, Any]:
    """One field as the page draws it: kind, label, hint, default, and its parts for lists and mappings."""
    options, optional = _without_null(schema)
    field: dict[str, Any] = {
        "key": key,
        "path": path,
        "label": _label(key),
        "hint": schema.get("description", ""),
        "required": required,
        "optional": optional,
    }
    if "default" in schema:
        field["default"] = schema["default"]
    if len(options) > 1:
        field["kind"] = "choice"
        field["options"] = [
            {**_control(key, path, {**o, "description": ""}, defs, False), "label": _choice_label(o, defs)}
            for o in options
        ]
        return field
    inner = _resolve(options[0], defs)
    kind = inner.get("type")
    if "enum" in inner or "const" in inner:
        field.update(kind="select", choices=list(inner.get("enum", [inner.get("const")])))
    elif kind == "object":
        field.update(kind="object", fields=_fields(inner, defs, path))
    elif kind == "array":
        item = _control(key, path + "[]", inner.get("items", {}), defs, True)
        item["label"] = ITEM_LABELS.get(key) or _singular(_label(key))
        field.update(kind="list", item=item)
    elif kind == "boolean":
        field["kind"] = "boolean"
    elif kind == "integer":
        field["kind"] = "integer"
    elif inner.get("format") == "date":
        field["kind"] = "date"
    else:
        long = inner.get("maxLength", 0) > PROSE_LENGTH
        kind = "prose" if long else "sentence" if path in SENTENCES else "text"
        field.update(kind=kind, max_length=inner.get("maxLength"))
    return field


def _singular(label: str) -> str:
    if label.endswith("ies"):
        return label[:-3] + "y"
    if label.endswith("s") and not label.endswith(("ss", "is", "us")):
        return label[:-1]
    return label + " item"


def _choice_label(option: dict[str, Any], defs: dict[str, Any]) -> str:
    option = _resolve(option, defs)
    if "enum" in option:
        return " or ".join(f"“{v}”" for v in option["enum"])
    if option.get("type") == "array":
        return "a list"
    return option.get("type", "a value")


def _fields(schema: dict[str, Any], defs: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    required = set(schema.get("required", []))
    return [
        _control(key, f"{prefix}.{key}" if prefix else key, sub, defs, key in required)
        for key, sub in schema.get("properties", {}).items()
    ]


def _group_of(path: str) -> str:
    best, length = FALLBACK_GROUP, -1
    for group, _title, prefixes in GROUPS:
        for prefix in prefixes:
            matches = path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[")
            if matches and len(prefix) > length:
                best, length = group, len(prefix)
    return best


def _flatten(fields: list[dict[str, Any]], within: str = "") -> list[dict[str, Any]]:
    """Mappings such as `workshop` are not boxes of their own: their fields join the groups.

    Below the first level (`workshop.knowledge_keeper`), the mapping's name goes before
    each label, so "Name" still says whose name it is.
    """
    out = []
    for field in fields:
        if field["kind"] == "object":
            out.extend(_flatten(field["fields"], field["label"] if "." in field["path"] else ""))
        else:
            if within:
                field["label"] = f"{within}: {field['label'].lower()}"
            out.append(field)
    return out


def curriculum_options(curriculum: Curriculum) -> dict[str, list[tuple[str, str]]]:
    """What the fields that name the curriculum's parts may hold, each as (id written to the file,
    title shown): a coordinator chooses "Naming privilege and power", never types `privilege-and-power`."""
    modules = [(m.id, m.title) for m in curriculum.modules.values()]
    formats = [(f.id, f"{f.name} ({duration_text(f.minutes)})") for f in curriculum.formats.values()]
    segments = {key: key.capitalize() for key in LEAD_SEGMENTS}
    leads = [("opening", segments["opening"]), *modules, ("break", segments["break"]), ("closing", segments["closing"])]
    return {
        "workshop.format": formats,
        "workshop.modules[]": modules,
        "workshop.emphasis": modules,
        "workshop.facilitators[].leads": leads,
    }


# The model's hints speak of ids (they describe the file); where the page offers titles instead,
# the hint says what the person sees.
CHOSEN_HINTS = {
    "workshop.format": "A preset: a length and a choice of modules (minutes, if given, change the length).",
    "workshop.modules": "The modules to run instead of the preset's own choice, in the order chosen here.",
    "workshop.emphasis": "Modules that get more time when the plan has time to give.",
    "workshop.facilitators[].leads": "What this person leads (shown in the run of show).",
}


def _offer(field: dict[str, Any], options: list[tuple[str, str]]) -> None:
    """One text field becomes a drop-down; a list of texts becomes a set of checkboxes."""
    labels = dict(options)
    field["hint"] = CHOSEN_HINTS.get(field["path"], field["hint"])
    if field["kind"] == "text":
        field.update(kind="select", choices=list(labels), choice_labels=labels)
    elif field["kind"] == "list" and field["item"]["kind"] == "text":
        field.update(kind="checkboxes", choices=list(labels), choice_labels=labels)


def form_spec(options: dict[str, list[tuple[str, str]]] | None = None) -> list[dict[str, Any]]:
    """The groups of the edit form, in order, each with its fields (from the model, not a list of ours).

    `options` lists, by path, the values a field may take with the title shown for each
    (`curriculum_options`: formats and modules by their titles); the model still decides what
    is valid, and a value the file has that is not among them is shown as the file has it.
    """
    schema = Organization.model_json_schema()
    defs = schema.get("$defs", {})
    fields = _languages_on_the_page(_flatten(_fields(schema, defs, "")))
    for field in _walk(fields):
        if field["path"] in (options or {}):
            _offer(field, options[field["path"]])
        if field["path"] == "workshop.modules" and options and "workshop.modules[]" in options:
            field["hint"] = CHOSEN_HINTS["workshop.modules"]
    groups = [{"id": g, "title": title, "fields": []} for g, title, _ in GROUPS]
    by_id = {g["id"]: g for g in groups}
    for field in fields:
        by_id[_group_of(field["path"])]["fields"].append(field)
    return [g for g in groups if g["fields"]]


# The documents' language: one choice on the page for the file's two keys (`language: fr`, or
# `languages: [en, fr]` for both editions side by side).
EDITION_KEYS = ("language", "languages")
EDITION_CHOICES = [("en", "English"), ("fr", "French"), ("both", "English and French, side by side")]
TEXT_KINDS = ("text", "sentence", "prose")


def _edition_field(index: int, fields: list[dict[str, Any]]) -> dict[str, Any]:
    language = fields[index]
    return {
        "key": "language",
        "path": "language",
        "paths": list(EDITION_KEYS),
        "kind": "edition",
        "label": "Language of the documents",
        "hint": "Every document of the organization in this language, or an English and a French edition "
        "side by side (each text can then be given in both).",
        "required": False,
        "optional": True,
        "default": language.get("default", "en"),
        "choices": [list(c) for c in EDITION_CHOICES],
    }


def _per_language(field: dict[str, Any]) -> bool:
    """A text that may be one text for every edition or `{en: ..., fr: ...}` (the model's per-language text)."""
    if field["kind"] != "choice":
        return False
    kinds = [o["kind"] for o in field["options"]]
    objects = [o for o in field["options"] if o["kind"] == "object"]
    return any(k in TEXT_KINDS for k in kinds) and any(
        o["fields"] and {f["key"] for f in o["fields"]} <= set(LANGUAGES) for o in objects
    )


def _side_by_side(field: dict[str, Any]) -> None:
    """A per-language text becomes one control: the text, and its French beside its English
    when the organization makes both editions (or the file already gives both)."""
    text = next(o for o in field["options"] if o["kind"] in TEXT_KINDS)
    kind = "sentence" if field["path"] in SENTENCES and text["kind"] == "text" else text["kind"]
    changed = {k: v for k, v in field.items() if k != "options"}
    field.clear()
    field.update(
        changed,
        kind="languages",
        text_kind=kind,
        max_length=text.get("max_length"),
        languages=list(LANGUAGES),
        language_labels=dict(LANGUAGE_NAMES),
    )


def _languages_on_the_page(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The edition keys as one choice, and every per-language text as one side-by-side control."""
    for field in list(_walk(fields)):
        if _per_language(field):
            _side_by_side(field)
    keys = [i for i, f in enumerate(fields) if f["path"] in EDITION_KEYS]
    if not keys:
        return fields
    edition = _edition_field(keys[0], fields)
    # First of all: the choice decides how every text below it is shown (one box, or two side by side).
    return [edition, *(f for f in fields if f["path"] not in EDITION_KEYS)]


def _walk(fields: list[dict[str, Any]]):
    for field in fields:
        yield field
        if field["kind"] == "list":
            yield from _walk([field["item"]])
        yield from _walk(field.get("fields", []))
        yield from _walk(field.get("options", []))


def all_paths(spec: list[dict[str, Any]]) -> set[str]:
    """Every path the form can show, list items written with `[]`."""
    paths = set()
    for field in (f for g in spec for f in _walk(g["fields"])):
        paths.update(field.get("paths", [field["path"]]))
        if field["kind"] == "languages":  # its text in each language, `name.en` and `name.fr`
            paths.update(f"{field['path']}.{language}" for language in field["languages"])
    return paths


@functools.cache
def model_tree() -> list[dict[str, Any]]:
    """The model's fields as nested mappings (what the file holds), for writing the file back.

    Made once: the model does not change while the program runs, and making its JSON schema
    was a third of a save's own work. Callers only read it."""
    schema = Organization.model_json_schema()
    return _fields(schema, schema.get("$defs", {}), "")
