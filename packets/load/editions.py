"""What each language edition of an organization's packets would print, reviewed before it does.

An organization writes its own text once for every edition, or per language (`{en: ..., fr:
...}`). A French packet that prints a sentence only given in English (or an English one with
French) is the mixed packet a bilingual board sends back, so `check` says where, naming the
field. These are warnings: the text prints (in the language it was given), and only the
organization can write the other.
"""

from __future__ import annotations

import re

from ..errors import Problem
from ..languages import LANGUAGE_NAMES
from .model import Organization, untranslated
from .sources import YamlDocument

# Small words that show which language a sentence is in: each list holds only words the
# other language does not use as words of its own ("on", "a", "de", "pour" left out).
_FUNCTION_WORDS = {
    "en": frozenset(
        "the and of to is are was were we our us this that with for from who whose which "  # noqa: SIM905
        "since their they it its be been have has will would".split()
    ),
    "fr": frozenset(
        "le la les des du et est sont nous notre nos ce cette ces avec dans qui dont depuis "  # noqa: SIM905
        "leur leurs une au aux sur par être été ont avons".split()
    ),
}
# Text fields that hold sentences or phrases, not names: where a text in the other language
# is a mistake rather than a proper name (an organization's or a service's name is kept).
_SENTENCES = (
    ("workshop", "title"),
    ("workshop", "facilitators", "*", "role"),
    ("land_acknowledgement", "territory"),
    ("land_acknowledgement", "statement"),
    ("land_acknowledgement", "commitments", "*"),
    ("land_acknowledgement", "based_on"),
    ("local_resources", "*", "note"),
    ("logo_alt",),
)


def reads_as(text: str) -> str | None:
    """The language a phrase is plainly written in, by its small words; None when unclear."""
    words = re.findall(r"[^\W\d_]+", text.casefold().replace("\u2019", "'"))
    counts = {code: sum(1 for w in words if w in known) for code, known in _FUNCTION_WORDS.items()}
    (first, most), (_, second) = sorted(counts.items(), key=lambda kv: -kv[1])
    return first if most >= 2 and most >= 3 * second else None


def _where(loc: tuple) -> str:
    return ".".join(str(p) for p in loc if not isinstance(p, int))


def _sentences(org: Organization) -> list[tuple[tuple, str]]:
    """Every plain text at a sentence field, with its location."""
    found = []

    def walk(value: object, pattern: tuple, loc: tuple) -> None:
        if not pattern:
            if isinstance(value, str):
                found.append((loc, value))
            return
        head, rest = pattern[0], pattern[1:]
        if head == "*":
            for i, item in enumerate(value if isinstance(value, list) else []):
                walk(item, rest, (*loc, i))
        elif value is not None and hasattr(value, head):
            walk(getattr(value, head), rest, (*loc, head))

    for pattern in _SENTENCES:
        walk(org, pattern, ())
    return found


def review_editions(org: Organization, doc: YamlDocument) -> list[Problem]:
    """Warnings for text an edition prints in another language than its own, field by field."""
    found: list[Problem] = []
    editions = org.editions
    several = len(editions) > 1

    def warn(loc: tuple, message: str, hint: str) -> None:
        found.append(Problem(doc.shown_path, doc.line_of(loc), message, hint, severity="warning"))

    for language in editions:
        name = LANGUAGE_NAMES[language]
        for loc, given in untranslated(org, language):
            warn(
                loc,
                f"'{_where(loc)}' has no {name} text: the {name} edition prints it in {LANGUAGE_NAMES[given]}",
                f"add {language}: with the {name} text beside {given}:",
            )
        for loc, text in _sentences(org):
            other = reads_as(text)
            if other is None or other == language:
                continue
            hint = (
                f"give it in both languages: {{{other}: ..., {language}: ...}}"
                if several
                else f"write it in {name}, or give it as {{{other}: ..., {language}: ...}}"
            )
            warn(
                loc,
                f"'{_where(loc)}' reads as {LANGUAGE_NAMES[other]}, and the {name} edition prints it as written",
                hint,
            )
        if language == "fr":
            for kind in ("nations", "places"):
                for i, entry in enumerate(getattr(org.land_acknowledgement, kind)):
                    if entry.english_name and not entry.french_name and entry.english_name != entry.name:
                        warn(
                            ("land_acknowledgement", kind, i),
                            f"no french_name is given for '{entry.name}': the French edition prints its English "
                            f"name '{entry.english_name}'",
                            "add the name French uses (ask the Nation which one it prefers); if it is the same, "
                            f"write it again as french_name: {entry.english_name}",
                        )
    return found
