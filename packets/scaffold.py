"""Writing a new organization file that a person can read, edit and trust.

The file is written as text with comments (not dumped from a dict) so it explains
itself: what each key is for, and that the acknowledgement is to be written and
reviewed with the local Nations.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field


@dataclass
class NewOrganization:
    name: str
    paper: str = "letter"
    accent_colour: str | None = None
    logo: str | None = None
    logo_alt: str | None = None
    format: str = "standard"
    title: str | None = None
    date: dt.date | None = None
    start: str | None = None
    location: str | None = None
    breaks: str | list[str] = "auto"
    knowledge_keeper: tuple[bool, bool, str | None] | None = None  # opens, closes, name (once agreed)
    # name, role, contact, and what they lead (module ids, opening, closing, break)
    facilitators: list[tuple] = field(default_factory=list)
    nations: list[tuple[str | None, ...]] = field(default_factory=list)
    places: list[tuple[str | None, ...]] = field(default_factory=list)
    territory: str | None = None
    statement: str | None = None
    commitments: list[str] = field(default_factory=list)
    reviewed_by: str | None = None
    reviewed_on: dt.date | None = None
    based_on: str | None = None
    local_resources: list[tuple[str, str | None, str | None]] = field(default_factory=list)


def _q(value: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML), names kept as typed."""
    return json.dumps(value, ensure_ascii=False)


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
    out = [
        "# yaml-language-server: $schema=org.schema.json",
        f"# Organization file for {new.name}, made with `packets init`.",
        "# Check it with `packets check <slug>`, build it with `packets build <slug>`.",
        "",
        f"name: {_q(new.name)}",
        f"paper: {new.paper}                      # letter | a4",
        f"accent_colour: {_q(new.accent_colour)}"
        if new.accent_colour
        else '# accent_colour: "#1f5f8b"          # headings and rules; needs 4.5:1 contrast',
        f"logo: {_q(new.logo)}"
        if new.logo
        else "# logo: logos/my-logo.png             # PNG, JPEG or SVG inside content/orgs/",
        f"logo_alt: {_q(new.logo_alt)}"
        if new.logo_alt
        else "# logo_alt: what the logo shows      # read aloud; defaults to the name",
        "workshop:",
        f"  title: {_q(new.title)}"
        if new.title
        else "  # title: Allyship in practice       # a default title is used without it",
        f"  minutes: {new.format}                # the session's length: the planner fits it exactly"
        if new.format.isdigit()
        else f"  format: {new.format}                # see `packets list` for formats; or give minutes: 120",
        f"  date: {new.date.isoformat()}" if new.date else "  # date: 2027-03-14",
        f"  start: {_q(new.start)}" if new.start else '  # start: "09:30"                  # enables clock times',
        f"  location: {_q(new.location)}" if new.location else "  # location: Room 2B, 120 River St.",
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
        out += _items("nations", new.nations, ("name", "english_name", "pronunciation", "name_pronunciation"), "  ")
    else:
        out.append("  nations: []                 # add the Nations whose land this is")
    if new.places:
        out += _items("places", new.places, ("name", "english_name", "pronunciation", "name_pronunciation"), "  ")
    else:
        out.append("  # places:                     # place names to practise saying, like the Nations")
    out.append(
        f"  territory: {_q(new.territory)}"
        if new.territory
        else '  # territory: "Treaty 6 territory"   # or "unceded", as the Nations describe it'
    )
    if new.statement:
        out.append("  statement: |")
        out += [f"    {line}" if line.strip() else "" for line in new.statement.splitlines()]
    else:
        out.append("  # statement: |               # your own words; without it a present-tense draft is composed")
    if new.commitments:
        out.append("  commitments:                 # what your organization is doing: the action behind the words")
        out += [f"    - {_q(c)}" for c in new.commitments]
    else:
        out.append("  commitments: []              # what your organization is doing: the action behind the words")
    out.append(
        f"  reviewed_by: {_q(new.reviewed_by)}"
        if new.reviewed_by
        else "  # reviewed_by: who from the community reviewed it (and was paid for their time)"
    )
    out.append(
        f"  reviewed_on: {new.reviewed_on.isoformat()}"
        if new.reviewed_on
        else f"  # reviewed_on: {today.isoformat()}       # the day it was last reviewed"
    )
    out.append(
        f"  based_on: {_q(new.based_on)}"
        if new.based_on
        else "  # based_on: a conversation with the Nation's education office"
    )
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
