"""Writing a new organization file that a person can read, edit and trust.

The file is written as text with comments (not dumped from a dict) so it explains
itself: what each key is for, and that the acknowledgement is to be written and
reviewed with the local Nations.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

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


def _editions(editions: tuple[str, ...]) -> str:
    """The documents' language; English, the default, is said in a comment that shows the others."""
    if len(editions) > 1:
        return f"languages: [{', '.join(editions)}]          # an edition in each language, side by side"
    if editions != ("en",):
        return f"language: {editions[0]}                      # the documents' language; languages: [en, fr] for both"
    return "# language: fr                     # the documents' language (en by default); languages: [en, fr] for both"


def _items(key: str, rows: list[tuple], keys: tuple[str, ...], indent: str) -> list[str]:
    out = [f"{indent}{key}:"]
    for row in rows:
        given = [(k, v) for k, v in zip(keys, row, strict=False) if v]
        out.append(f"{indent}  - {given[0][0]}: {_q(given[0][1])}")
        out += [f"{indent}    {k}: {_q(v)}" for k, v in given[1:]]
    return out


def organization_yaml(new: NewOrganization, today: dt.date | None = None) -> str:
    """The file's text: every answer given, and a commented example for each one that was not.

    Examples of dates that have passed are today's date, never one in the future: a
    `reviewed_on` from the future would read as a review that has not happened.
    """
    today = today or dt.date.today()
    shown = new.name if isinstance(new.name, str) else " / ".join(new.name.values())
    out = [
        "# yaml-language-server: $schema=org.schema.json",
        f"# Organization file for {shown}, made with `packets init`.",
        "# Check it with `packets check <slug>`, build it with `packets build <slug>`.",
        "",
        *_text("name", new.name, ""),
        _editions(new.editions),
        f"paper: {new.paper}                      # letter | a4",
        f"accent_colour: {_q(new.accent_colour)}"
        if new.accent_colour
        else '# accent_colour: "#1f5f8b"          # headings and rules; needs 4.5:1 contrast',
        f"logo: {_q(new.logo)}"
        if new.logo
        else "# logo: logos/my-logo.png             # PNG, JPEG or SVG inside content/orgs/",
        *(_text("logo_alt", new.logo_alt, "") if new.logo_alt else []),
        *([] if new.logo_alt else ["# logo_alt: what the logo shows      # read aloud; defaults to the name"]),
        "workshop:",
        *(_text("title", new.title, "  ") if new.title else []),
        *([] if new.title else ["  # title: Allyship in practice       # a default title is used without it"]),
        f"  minutes: {new.format}                # the session's length: the planner fits it exactly"
        if new.format.isdigit()
        else f"  format: {new.format}                # see `packets list` for formats; or give minutes: 120",
        f"  date: {new.date.isoformat()}" if new.date else "  # date: 2027-03-14",
        f"  start: {_q(new.start)}" if new.start else '  # start: "09:30"                  # enables clock times',
        *(_text("location", new.location, "  ") if new.location else ["  # location: Room 2B, 120 River St."]),
        f"  breaks: {_q(new.breaks) if isinstance(new.breaks, list) else new.breaks}"
        + " " * 10
        + '# auto (one break over 150 minutes, two over 270) | none | ["10:30"]',
    ]
    if new.knowledge_keeper:
        opening, closing, keeper = new.knowledge_keeper
        out.append("  knowledge_keeper:             # an Elder or knowledge keeper, invited under local protocol")
        out.append(
            f"    name: {_q(keeper)}"
            if keeper
            else "    # name: leave it out until they have agreed to it being printed"
        )
        out += [f"    opening: {'true' if opening else 'false'}", f"    closing: {'true' if closing else 'false'}"]
    else:
        out.append(
            "  # knowledge_keeper: {opening: true}   # an Elder or knowledge keeper, invited under local protocol"
        )
    if new.facilitators:
        out += _items("facilitators", new.facilitators, ("name", "role", "contact", "leads"), "  ")
    else:
        out.append("  # facilitators:\n  #   - {name: Jordan Lee, role: Health equity lead, leads: [opening]}")
    out += [
        "",
        "# The land acknowledgement: write it WITH the local Nations, not about them.",
        "# Give each Nation's name as the Nation writes it, in its own language.",
        "land_acknowledgement:",
    ]
    if new.nations:
        out += _items("nations", new.nations, new.name_parts, "  ")
    else:
        out.append("  nations: []                 # add the Nations whose land this is")
    if new.places:
        out += _items("places", new.places, new.name_parts, "  ")
    else:
        out.append("  # places:                     # place names to practise saying, like the Nations")
    if new.territory:
        out += _text("territory", new.territory, "  ")
    else:
        out.append('  # territory: "Treaty 6 territory"   # or "unceded", as the Nations describe it')
    if new.statement:
        out += _prose("statement", new.statement, "  ")
    else:
        out.append("  # statement: |               # your own words; without it a present-tense draft is composed")
    if new.commitments:
        out.append("  commitments:                 # what your organization is doing: the action behind the words")
        out += [f"    - {_q(c)}" for c in new.commitments]
    else:
        out.append("  commitments: []              # what your organization is doing: the action behind the words")
    if new.reviewed_by:
        out += _text("reviewed_by", new.reviewed_by, "  ")
    else:
        out.append("  # reviewed_by: who from the community reviewed it (and was paid for their time)")
    out.append(
        f"  reviewed_on: {new.reviewed_on.isoformat()}"
        if new.reviewed_on
        else f"  # reviewed_on: {today.isoformat()}       # the day it was last reviewed"
    )
    if new.based_on:
        out += _text("based_on", new.based_on, "  ")
    else:
        out.append("  # based_on: a conversation with the Nation's education office")
    out.append("")
    if new.local_resources:
        out += _items("local_resources", new.local_resources, ("name", "contact", "note"), "")
    else:
        out += [
            "# local_resources:                # supports participants can reach after the session",
            '#   - {name: Hope for Wellness Help Line, contact: "1-855-242-3310", note: open 24 hours}',
        ]
    out.append("")
    return "\n".join(out)
