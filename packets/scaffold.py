"""Writing a new organization file that a person can read, edit and trust.

The file is written as text with comments (not dumped from a dict) so it explains
itself: what each key is for, and that the acknowledgement is to be written and
reviewed with the local Nations.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .interview import InterviewWords as FileNotes

# A text of the organization: one for every edition, or {"en": ..., "fr": ...}.
Text = str | dict[str, str]


@dataclass
class NewOrganization:
    name: Text
    editions: tuple[str, ...] = ("en",)  # the documents' languages
    paper: str = "letter"
    accent_colour: str | None = None
    logo: str | None = None
    logo_alt: Text | None = None
    format: str = "standard"
    title: Text | None = None
    date: dt.date | None = None
    start: str | None = None
    location: Text | None = None
    breaks: str | list[str] = "auto"
    knowledge_keeper: tuple[bool, bool, str | None] | None = None  # opens, closes, name (once agreed)
    # name, role, contact, and what they lead (module ids, opening, closing, break)
    facilitators: list[tuple] = field(default_factory=list)
    # Each Nation's and place's parts, in the order of `name_parts` (interview.nation_parts).
    name_parts: tuple[str, ...] = ("name", "english_name", "pronunciation", "name_pronunciation")
    nations: list[tuple[str | None, ...]] = field(default_factory=list)
    places: list[tuple[str | None, ...]] = field(default_factory=list)
    territory: Text | None = None
    statement: Text | None = None
    commitments: list[str] = field(default_factory=list)
    reviewed_by: Text | None = None
    reviewed_on: dt.date | None = None
    based_on: Text | None = None
    local_resources: list[tuple[str, str | None, str | None]] = field(default_factory=list)


def _q(value: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML), names kept as typed."""
    return json.dumps(value, ensure_ascii=False)


def _text(key: str, value: Text, indent: str) -> list[str]:
    """`key: "text"`, or the text in each language on a line of its own under the key."""
    if isinstance(value, str):
        return [f"{indent}{key}: {_q(value)}"]
    return [f"{indent}{key}:", *(f"{indent}  {language}: {_q(text)}" for language, text in value.items())]


def _prose(key: str, value: Text, indent: str) -> list[str]:
    """A block of prose (`key: |` and its lines), or one block per language."""
    if isinstance(value, str):
        return [f"{indent}{key}: |", *(f"{indent}  {line}" if line.strip() else "" for line in value.splitlines())]
    out = [f"{indent}{key}:"]
    for language, text in value.items():
        out += _prose(language, text, indent + "  ")
    return out


def _items(key: str, rows: list[tuple], keys: tuple[str, ...], indent: str) -> list[str]:
    out = [f"{indent}{key}:"]
    for row in rows:
        given = [(k, v) for k, v in zip(keys, row, strict=False) if v]
        out.append(f"{indent}  - {given[0][0]}: {_q(given[0][1])}")
        out += [f"{indent}    {k}: {_q(v)}" for k, v in given[1:]]
    return out


COMMENT_COLUMN = 36  # where a key's comment starts, so the file reads as a table


def _noted(code: str, note: str) -> str:
    """A line of the file with its comment aligned after it (`paper: a4   # letter | a4`)."""
    return f"{code.ljust(COMMENT_COLUMN - 1)} # {note}"


def organization_yaml(new: NewOrganization, notes: FileNotes, today: dt.date | None = None) -> str:
    """The file's text: every answer given, and a commented example for each one that was not.

    `notes` are the comments' words (content/interview.yaml, `file_*`), in the language the
    questions were asked in: a French organization's file explains itself in French.
    Examples of dates that have passed are today's date, never one in the future: a
    `reviewed_on` from the future would read as a review that has not happened.
    """
    n = notes
    today = today or dt.date.today()
    shown = new.name if isinstance(new.name, str) else " / ".join(new.name.values())
    if len(new.editions) > 1:
        edition = _noted(f"languages: [{', '.join(new.editions)}]", n.file_languages)
    elif new.editions != ("en",):
        edition = _noted(f"language: {new.editions[0]}", n.file_language)
    else:
        edition = _noted("# language: fr", n.file_language)
    out = [
        "# yaml-language-server: $schema=org.schema.json",
        "# " + n.file_header.format(organization=shown),
        "# " + n.file_next,
        "",
        *_text("name", new.name, ""),
        edition,
        _noted(f"paper: {new.paper}", "letter | a4"),
        f"accent_colour: {_q(new.accent_colour)}"
        if new.accent_colour
        else _noted('# accent_colour: "#1f5f8b"', n.file_accent_colour),
        f"logo: {_q(new.logo)}" if new.logo else _noted("# logo: logos/my-logo.png", n.file_logo),
        *(_text("logo_alt", new.logo_alt, "") if new.logo_alt else []),
        *([] if new.logo_alt else [_noted(f"# logo_alt: {n.file_logo_alt_example}", n.file_logo_alt)]),
        "workshop:",
        *(_text("title", new.title, "  ") if new.title else []),
        *([] if new.title else [_noted(f"  # title: {n.file_title_example}", n.file_title)]),
        _noted(f"  minutes: {new.format}", n.file_minutes)
        if new.format.isdigit()
        else _noted(f"  format: {new.format}", n.file_format),
        f"  date: {new.date.isoformat()}" if new.date else "  # date: 2027-03-14",
        f"  start: {_q(new.start)}" if new.start else _noted('  # start: "09:30"', n.file_start),
        *(_text("location", new.location, "  ") if new.location else [f"  # location: {n.file_location_example}"]),
        _noted(f"  breaks: {_q(new.breaks) if isinstance(new.breaks, list) else new.breaks}", n.file_breaks),
    ]
    if new.knowledge_keeper:
        opening, closing, keeper = new.knowledge_keeper
        out.append(_noted("  knowledge_keeper:", n.file_knowledge_keeper))
        out.append(f"    name: {_q(keeper)}" if keeper else f"    # name: {n.file_knowledge_keeper_name}")
        out += [f"    opening: {'true' if opening else 'false'}", f"    closing: {'true' if closing else 'false'}"]
    else:
        out.append(_noted("  # knowledge_keeper: {opening: true}", n.file_knowledge_keeper))
    if new.facilitators:
        out += _items("facilitators", new.facilitators, ("name", "role", "contact", "leads"), "  ")
    else:
        out += ["  # facilitators:", f"  #   - {n.file_facilitator_example}"]
    out += ["", "# " + n.file_acknowledgement, "# " + n.file_nation_names, "land_acknowledgement:"]
    if new.nations:
        out += _items("nations", new.nations, new.name_parts, "  ")
    else:
        out.append(_noted("  nations: []", n.file_nations))
    if new.places:
        out += _items("places", new.places, new.name_parts, "  ")
    else:
        out.append(_noted("  # places:", n.file_places))
    if new.territory:
        out += _text("territory", new.territory, "  ")
    else:
        out.append(_noted(f'  # territory: "{n.file_territory_example}"', n.file_territory))
    if new.statement:
        out += _prose("statement", new.statement, "  ")
    else:
        out.append(_noted("  # statement: |", n.file_statement))
    if new.commitments:
        out.append(_noted("  commitments:", n.file_commitments))
        out += [f"    - {_q(c)}" for c in new.commitments]
    else:
        out.append(_noted("  commitments: []", n.file_commitments))
    if new.reviewed_by:
        out += _text("reviewed_by", new.reviewed_by, "  ")
    else:
        out.append(_noted("  # reviewed_by:", n.file_reviewed_by))
    out.append(
        f"  reviewed_on: {new.reviewed_on.isoformat()}"
        if new.reviewed_on
        else _noted(f"  # reviewed_on: {today.isoformat()}", n.file_reviewed_on)
    )
    if new.based_on:
        out += _text("based_on", new.based_on, "  ")
    else:
        out.append(f"  # based_on: {n.file_based_on_example}")
    out.append("")
    if new.local_resources:
        out += _items("local_resources", new.local_resources, ("name", "contact", "note"), "")
    else:
        out += [_noted("# local_resources:", n.file_local_resources), f"#   - {n.file_local_resources_example}"]
    out.append("")
    return "\n".join(out)
