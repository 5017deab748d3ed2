"""Clear print in what organizations write: a sentence typed in capitals is hard to read.

Clear-print guidance keeps capitals to a word or a short phrase, because words in
capitals lose their shape and are read letter by letter. The packet's own text follows
that; an organization's text is printed as written, so a long run of capitals is
reported as a warning rather than rewritten: only the people who wrote it can put it in
sentence case, and some names are written in capitals by their Nations (SENĆOŦEN,
W̱SÁNEĆ), which never count.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

from ..errors import Problem
from .model import Organization
from .sources import LineDict, LineList, YamlDocument

# The longest run of words in capitals that still reads as a phrase (an acronym, a short name).
CAPITALS_PHRASE = 3
_NOT_PRINTED = {"paper", "accent_colour", "logo"}


def _strings(value: Any, loc: tuple) -> Iterator[tuple[tuple, str]]:
    if isinstance(value, LineDict):
        for key, child in value.items():
            if not (loc == () and key in _NOT_PRINTED):
                yield from _strings(child, (*loc, key))
    elif isinstance(value, LineList):
        for i, child in enumerate(value):
            yield from _strings(child, (*loc, i))
    elif isinstance(value, str):
        yield loc, value


def _letters(word: str) -> str:
    return "".join(ch for ch in word if ch.isalpha())


def _abbreviation(letters: str) -> bool:
    """Credentials and initialisms (MD, FRCPC, CCFP, MPH, RN) have no vowel: no English word
    in a sentence is written that way, so a list of them is not a sentence in capitals."""
    # Compared on base letters, so ÉTÉ and À in a French sentence are words, not abbreviations.
    return not any(ch in "AEIOUY" for ch in unicodedata.normalize("NFD", letters))


def _capitals_run(text: str, names: set[str]) -> list[str]:
    """The longest run of words written wholly in capitals, leaving out the Nations' own names.

    Abbreviations neither count nor break a run: "MD, FRCPC, CCFP, MPH" is a list of
    credentials, while "PLEASE BRING YOUR RN CARD" is still a sentence in capitals."""
    longest: list[str] = []
    run: list[str] = []
    for word in [*text.split(), ""]:
        letters = _letters(word)
        capitals = len(letters) >= 2 and letters.isupper()
        if capitals and _abbreviation(letters):
            continue
        if capitals and letters.casefold() not in names:
            run.append(word)
        else:
            longest = max(longest, run, key=len)
            run = []
    return longest


def review_capitals(org: Organization, doc: YamlDocument) -> list[Problem]:
    ack = org.land_acknowledgement
    names = {
        _letters(word).casefold()
        for place in [*ack.nations, *ack.places]
        for name in (place.name, place.english_name or "")
        for word in name.split()
    }
    found = []
    for loc, text in _strings(doc.data, ()):
        run = _capitals_run(text, names)
        if len(run) > CAPITALS_PHRASE:
            shown = " ".join(run[:6]) + (" …" if len(run) > 6 else "")
            found.append(
                Problem(
                    doc.shown_path,
                    doc.line_of(loc),
                    f'{len(run)} words in a row are in capitals ("{shown}")',
                    "capitals are hard to read in print: write it in sentence case; "
                    "names the Nations write in capitals do not count",
                    severity="warning",
                )
            )
    return found
