"""Reviewing a land acknowledgement the way a careful colleague would, before it is printed.

These are warnings, not errors: an organization may have good reasons, and the
community it works with decides. Each message says briefly *why* it matters, because
people fix what they understand.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Collection

from ..errors import Problem
from .curriculum import Project
from .model import Organization
from .sources import LineDict, YamlDocument, read_yaml

REVIEW_MAX_AGE_DAYS = 365

_PAST_TENSE = re.compile(
    r"\b(were|was)\s+(the\s+)?(original|first|traditional)\b"
    r"|\bused\s+to\s+(live|be|hunt|gather|fish|occupy|inhabit|call)\b"
    r"|\bonce\s+(lived|inhabited|occupied|called|roamed|were)\b"
    r"|\b(lived|inhabited|occupied|roamed)\s+(here|this|these|on)\b"
    r"|\bformerly\b|\bin the past,? (this|these|the)\b",
    re.IGNORECASE,
)

# English names that Nations are often given by others; when one of these stands alone
# as `name`, the Nation's own name is probably missing.
_ENGLISH_ONLY = {
    "algonquin",
    "assiniboine",
    "beaver",
    "blackfoot",
    "blood",
    "carrier",
    "chipewyan",
    "cree",
    "huron",
    "iroquois",
    "kwakiutl",
    "lillooet",
    "micmac",
    "mohawk",
    "montagnais",
    "musqueam",
    "naskapi",
    "ojibwa",
    "ojibway",
    "ojibwe",
    "chippewa",
    "oneida",
    "onondaga",
    "cayuga",
    "seneca",
    "tuscarora",
    "peigan",
    "salish",
    "sarcee",
    "saulteaux",
    "shuswap",
    "sioux",
    "slavey",
    "squamish",
    "stoney",
    "thompson",
    "tlingit",
    "tsimshian",
}

# Names that peoples use for themselves, written in Latin letters: never called English,
# whatever list above they might resemble. Only names the peoples' own governments and
# national organizations use to name themselves, each with where it is used:
#   Dakota, Lakota, Nakota: the Oceti Sakowin's own names (Sioux Valley Dakota Nation,
#     Wahpeton Dakota Nation, Carry the Kettle Nakoda Nation in Saskatchewan);
#   Nakoda: Stoney Nakoda Nation, Carry the Kettle Nakoda Nation;
#   Métis: Métis National Council, Métis Nation–Saskatchewan (also typed without the accent);
#   Inuit: Inuit Tapiriit Kanatami, the national Inuit organization;
#   Innu: Innu Nation (Labrador), Innu Takuaikan Uashat mak Mani-utenam;
#   Dene: Dene Nation (Northwest Territories);
#   Anishinaabe, Anishinabe: Anishinabek Nation (Union of Ontario Indians);
#   Mi'kmaq, Mi'kmaw: Confederacy of Mainland Mi'kmaq, Mi'kmaq Rights Initiative;
#   Siksika, Kainai, Piikani: Siksika Nation, Kainai (Blood Tribe), Piikani Nation, of the Blackfoot Confederacy;
#   Tsuut'ina: Tsuut'ina Nation (which replaced the name Sarcee);
#   Gitxsan, Nisga'a, Wet'suwet'en, Haida, Tsleil-Waututh: Gitxsan Hereditary Chiefs, Nisga'a Lisims
#     Government, Office of the Wet'suwet'en, Council of the Haida Nation, Tsleil-Waututh Nation.
# A Nation missing here can say the same through its organization's file: an `english_name`
# equal to `name` says the Nation uses this name in English too (see README).
_OWN_NAMES = {
    "dakota",
    "lakota",
    "nakota",
    "nakoda",
    "métis",
    "metis",
    "inuit",
    "innu",
    "dene",
    "anishinaabe",
    "anishinabe",
    "mi'kmaq",
    "mi'kmaw",
    "siksika",
    "kainai",
    "piikani",
    "tsuut'ina",
    "gitxsan",
    "nisga'a",
    "wet'suwet'en",
    "haida",
    "tsleil-waututh",
}


def looks_english_only(name: str, english_name: str | None) -> bool:
    """Whether `name` is a name given by others, standing where the Nation's own name belongs.

    Two equal names are the organization saying the Nation uses this name in English
    too; that is theirs to say, and the warning would have no answer.
    """
    plain = _plain(name)
    if plain in _OWN_NAMES or (english_name and _plain(english_name) == plain):
        return False
    return plain in _ENGLISH_ONLY


def _plain(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value).casefold().replace("’", "'").split())


def _example_values(project: Project) -> set[str]:
    doc = read_yaml(project.orgs / "example.yaml")
    ack = doc.data.get("land_acknowledgement") if isinstance(doc.data, LineDict) else None
    if not isinstance(ack, LineDict):
        return set()
    values = set()
    if isinstance(ack.get("statement"), str):
        values.add(_plain(ack["statement"]))
    for commitment in ack.get("commitments") or []:
        if isinstance(commitment, str):
            values.add(_plain(commitment))
    return values


def review_acknowledgement(
    org: Organization,
    doc: YamlDocument,
    project: Project,
    today: dt.date | None = None,
    unread: Collection[tuple] = (),
) -> list[Problem]:
    """Warnings about the acknowledgement; `unread` are places the file holds a value that could not be read.

    Nothing is said to be missing where a value was given but refused (its error says so).
    """
    today = today or dt.date.today()

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
            if looks_english_only(nation.name, nation.english_name):
                warn(
                    loc,
                    f"'{nation.name}' looks like an English name",
                    "give the name as the Nation writes it in its own language, and move the English "
                    "one to english_name; if the Nation uses this name in English too, write it again "
                    f"as english_name: {nation.name}",
                )
    return found
