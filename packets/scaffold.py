"""Writing a new organisation file that a person can read, edit and trust.

The file is written as text with comments (not dumped from a dict) so it explains
itself: what each key is for, and that the acknowledgement is to be written and
reviewed with the local Nations.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field


@dataclass
class NewOrganisation:
    name: str
    paper: str = "letter"
    format: str = "standard"
    title: str | None = None
    date: dt.date | None = None
    start: str | None = None
    location: str | None = None
    facilitators: list[tuple[str, str | None]] = field(default_factory=list)
    nations: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    territory: str | None = None
    statement: str | None = None
    commitments: list[str] = field(default_factory=list)
    reviewed_by: str | None = None
    reviewed_on: dt.date | None = None


def _q(value: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML), names kept as typed."""
    return json.dumps(value, ensure_ascii=False)


def organisation_yaml(new: NewOrganisation) -> str:
    out = [
        "# yaml-language-server: $schema=org.schema.json",
        f"# Organisation file for {new.name}, made with `packets init`.",
        "# Check it with `packets check <slug>`, build it with `packets build <slug>`.",
        "",
        f"name: {_q(new.name)}",
        f"paper: {new.paper}                      # letter | a4",
        '# accent_colour: "#1f5f8b"          # headings and rules; needs 4.5:1 contrast',
        "# logo: logos/my-logo.png             # PNG, JPEG or SVG inside content/orgs/",
        "workshop:",
    ]
    if new.title:
        out.append(f"  title: {_q(new.title)}")
    out.append(f"  format: {new.format}                # see `packets list` for formats")
    out.append(f"  date: {new.date.isoformat()}" if new.date else "  # date: 2027-03-14")
    out.append(
        f"  start: {_q(new.start)}" if new.start else '  # start: "09:30"                  # enables clock times'
    )
    out.append(f"  location: {_q(new.location)}" if new.location else "  # location: Room 2B, 120 River St.")
    if new.facilitators:
        out.append("  facilitators:")
        for name, role in new.facilitators:
            out.append(f"    - name: {_q(name)}")
            if role:
                out.append(f"      role: {_q(role)}")
    else:
        out.append("  # facilitators:\n  #   - {name: Jordan Lee, role: Health equity lead}")
    out += [
        "",
        "# The land acknowledgement: write it WITH the local Nations, not about them.",
        "# Give each Nation's name as the Nation writes it, in its own language.",
        "land_acknowledgement:",
    ]
    if new.nations:
        out.append("  nations:")
        for name, english, say in new.nations:
            out.append(f"    - name: {_q(name)}")
            if english:
                out.append(f"      english_name: {_q(english)}")
            if say:
                out.append(f"      pronunciation: {_q(say)}")
    else:
        out.append("  nations: []                 # add the Nations whose land this is")
    out.append(
        f"  territory: {_q(new.territory)}"
        if new.territory
        else '  # territory: "Treaty 6 territory"   # or "unceded", as the Nations describe it'
    )
    if new.statement:
        out.append("  statement: |")
        out += [f"    {line}" for line in new.statement.splitlines()]
    else:
        out.append("  # statement: |               # your own words; without it a present-tense draft is composed")
    if new.commitments:
        out.append("  commitments:                 # what your organisation is doing: the action behind the words")
        out += [f"    - {_q(c)}" for c in new.commitments]
    else:
        out.append("  commitments: []              # what your organisation is doing: the action behind the words")
    out.append(
        f"  reviewed_by: {_q(new.reviewed_by)}"
        if new.reviewed_by
        else "  # reviewed_by: who from the community reviewed it (and was paid for their time)"
    )
    out.append(f"  reviewed_on: {new.reviewed_on.isoformat()}" if new.reviewed_on else "  # reviewed_on: 2027-01-15")
    out += [
        "",
        "# local_resources:                # supports participants can reach after the session",
        '#   - {name: Hope for Wellness Help Line, contact: "1-855-242-3310", note: open 24 hours}',
        "",
    ]
    return "\n".join(out)
