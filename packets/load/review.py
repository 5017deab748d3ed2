"""Reviewing a land acknowledgement the way a careful colleague would, before it is printed.

These are warnings, not errors: an organization may have good reasons, and the
community it works with decides. Each message says briefly *why* it matters, because
people fix what they understand.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem
from ..files import FileRefused, read_limited
from .curriculum import NATION_NAMES, Project
from .model import NationNames, Organization
from .sources import MAX_FILE_BYTES, LineDict, YamlDocument, parse_yaml_bytes
from .validation import read_model

REVIEW_MAX_AGE_DAYS = 365

_PAST_TENSE = re.compile(
    r"\b(were|was)\s+(the\s+)?(original|first|traditional)\b"
    r"|\bused\s+to\s+(live|be|hunt|gather|fish|occupy|inhabit|call)\b"
    r"|\bonce\s+(lived|inhabited|occupied|called|roamed|were)\b"
    r"|\b(lived|inhabited|occupied|roamed)\s+(here|this|these|on)\b"
    r"|\bformerly\b|\bin the past,? (this|these|the)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class NameRules:
    """`content/nation-names.yaml` read for looking names up: each name in its plain form."""

    given: dict[str, str]  # a name given by others -> the Nation's own name
    english: frozenset[str]
    own: frozenset[str]

    @classmethod
    def of(cls, names: NationNames | None) -> NameRules:
        if names is None:
            return cls({}, frozenset(), frozenset())
        return cls(
            {_plain(g): entry.own for entry in names.given_by_others for g in entry.given},
            frozenset(_plain(n) for n in names.english),
            frozenset(_plain(n) for entry in names.own for n in entry.names),
        )


def name_rules(project: Project, names: NationNames | None = None) -> NameRules:
    """The rules from the curriculum's copy, or read from the project when none is given."""
    if names is None:
        path = project.content / NATION_NAMES
        names = read_model(path, NationNames, trusted=True)[0] if path.is_file() else None
    return NameRules.of(names)


def given_by_others(name: str, english_name: str | None, rules: NameRules) -> tuple[str, str | None] | None:
    """Whether `name` is a name given by others, standing where the Nation's own name belongs:
    ("given", the Nation's own name) for a name the Nation replaced with its own, ("english",
    None) for an English name, None otherwise.

    Two equal names are the organization saying the Nation uses this name in English
    too; that is theirs to say, and the warning would have no answer.
    """
    plain = _plain(name)
    if plain in rules.own or (english_name and _plain(english_name) == plain):
        return None
    if plain in rules.given:
        return "given", rules.given[plain]
    return ("english", None) if plain in rules.english else None


# Apostrophes as Nations' names are typed: the modifier letter (Miʼkmaq), the right quote, the saltillo.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "\ua78c": "'", "\u02bb": "'"})


def _plain(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value).casefold().translate(_APOSTROPHES).split())


def _example_values(project: Project) -> frozenset[str]:
    """The example's statement and commitments, as compared (read for every organization checked,
    so parsed once for each text the example file has: the studio checks a form at every save)."""
    path = project.orgs / "example.yaml"
    try:
        raw = read_limited(path, MAX_FILE_BYTES)
    except FileRefused:
        return frozenset()
    return _values_in(raw, path)


@functools.lru_cache(maxsize=4)
def _values_in(raw: bytes, path: Path) -> frozenset[str]:
    doc = parse_yaml_bytes(raw, path)
    ack = doc.data.get("land_acknowledgement") if isinstance(doc.data, LineDict) else None
    if not isinstance(ack, LineDict):
        return frozenset()
    values = set()
    if isinstance(ack.get("statement"), str):
        values.add(_plain(ack["statement"]))
    for commitment in ack.get("commitments") or []:
        if isinstance(commitment, str):
            values.add(_plain(commitment))
    return frozenset(values)


def review_acknowledgement(
    org: Organization,
    doc: YamlDocument,
    project: Project,
    today: dt.date | None = None,
    unread: Collection[tuple] = (),
    names: NationNames | None = None,
) -> list[Problem]:
    """Warnings about the acknowledgement; `unread` are places the file holds a value that could not be read.

    Nothing is said to be missing where a value was given but refused (its error says so).
    """
    today = today or dt.date.today()
    rules = name_rules(project, names)

    def given(*field: str) -> bool:
        loc = ("land_acknowledgement", *field)
        return any(tuple(u[: len(loc)]) == loc or tuple(u) == loc[: len(u)] for u in unread)

    ack = org.land_acknowledgement
    shown = doc.shown_path
    found: list[Problem] = []

    def warn(loc: tuple, message: str, hint: str) -> None:
        found.append(Problem(shown, doc.line_of(loc), message, hint, severity="warning"))

    base = ("land_acknowledgement",)
    if not ack.nations and not given("nations"):
        warn(
            base,
            "no Nations are listed in the land acknowledgement",
            "an acknowledgement names the peoples whose land this is; add them under "
            "land_acknowledgement.nations, as the Nations write their names",
        )
    if doc.path.resolve() != (project.orgs / "example.yaml").resolve():
        example = _example_values(project)
        if ack.statement and _plain(ack.statement) in example:
            warn(
                base + ("statement",),
                "the statement is still the shipped example's text",
                "an acknowledgement copied from elsewhere has no relationship behind it; "
                "write your own with the local Nations",
            )
        for i, commitment in enumerate(ack.commitments):
            if _plain(commitment) in example:
                warn(
                    base + ("commitments", i),
                    "this commitment is still the shipped example's text",
                    "commitments are what your organization is really doing; replace it with your own",
                )
    if ack.statement:
        match = _PAST_TENSE.search(ack.statement)
        if match:
            warn(
                base + ("statement",),
                f'the statement speaks of the Nations in the past tense ("{match[0]}")',
                "the Nations are still here: write in the present tense, e.g. "
                '"whose land this is" or "who have cared for this land since time immemorial"',
            )
    if not ack.commitments and not given("commitments"):
        warn(
            base,
            "the acknowledgement lists no commitments",
            "words with no action behind them can feel empty to the people named; add what your "
            "organization is doing under land_acknowledgement.commitments",
        )
    if not ack.reviewed_by and not given("reviewed_by"):
        warn(
            base,
            "no one from the community is named as having reviewed the acknowledgement",
            "review it with the local Nations (and pay for their time), then add reviewed_by and reviewed_on",
        )
    if ack.reviewed_on and (today - ack.reviewed_on).days > REVIEW_MAX_AGE_DAYS:
        warn(
            base + ("reviewed_on",),
            f"the acknowledgement was last reviewed on {ack.reviewed_on.isoformat()}, more than 12 months ago",
            "relationships and wording change; revisit it with the community",
        )
    for kind in ("nations", "places"):
        for i, nation in enumerate(getattr(ack, kind)):
            loc = base + (kind, i)
            # The statement is read with the Nation's own name: when it differs from the
            # English name, `pronunciation` is the English one's and the own name needs its own.
            own = bool(nation.english_name) and nation.english_name != nation.name
            if not nation.pronunciation and not (own and nation.name_pronunciation):
                warn(
                    loc,
                    f"no pronunciation is given for '{nation.name}'",
                    "saying a name right is part of the respect; ask the Nation and add "
                    + ("name_pronunciation for its own name" if own else "a pronunciation"),
                )
            elif own and not nation.name_pronunciation:
                warn(
                    loc,
                    f"no pronunciation is given for the Nation's own name '{nation.name}', the one the statement "
                    "uses (pronunciation is for the English name)",
                    "ask the Nation how it says its own name, or for a recording it publishes, and add "
                    "name_pronunciation",
                )
            found_name = given_by_others(nation.name, nation.english_name, rules)
            again = f"if the Nation uses this name in English too, write it again as english_name: {nation.name}"
            if found_name and found_name[0] == "given":
                warn(
                    loc,
                    f"'{nation.name}' is a name others gave this Nation; its own name is {found_name[1]}",
                    f"print the Nation's own name: write name: {found_name[1]} (as the Nation spells it; ask which "
                    f"form it uses) and, if you need the other, english_name: {nation.name}; {again}",
                )
            elif found_name:
                warn(
                    loc,
                    f"'{nation.name}' looks like an English name",
                    "give the name as the Nation writes it in its own language, and move the English "
                    f"one to english_name; {again}",
                )
    return found
