"""A language's overlay: the curriculum's text in another language, laid over the English files.

One curriculum, two languages: structure (ids, minutes, flags, which modules a format runs)
lives once, in the English files, and an overlay in `content/<language>/` carries only the
printed text at the same places. Laying the overlay on the English data, and then validating
with the same models, keeps the two languages from drifting: a question added in English and
not in French is a missing text named with its file and line, never a French packet that
silently skips it. See content/fr/README.md for the rules as the writers read them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import Problem
from .sources import LineDict, LineList, YamlDocument
from .spelling import close_match
from .validation import _describe  # a value in the words of every other message about a file

# Keys whose values are structure, not printed text: they come from the English file only.
STRUCTURE_KEYS = frozenset(
    {
        "id",
        "taught_by",
        "modules",
        "emphasis",
        "priority",
        "version",
        "published",
        "contact",
        "language",
        "groups",
    }
)
# Of those, the keys that list ids: structure only as a list. The same key may name a sentence
# elsewhere (formats.yaml's `wording.emphasis` is printed text, a format's `emphasis` its ids).
ID_LIST_KEYS = frozenset({"taught_by", "modules", "emphasis", "priority"})
LIST_STRUCTURE_KEYS = ID_LIST_KEYS


def is_structure(key: Any, value: Any) -> bool:
    """Whether `key: value` of an English file is structure (from the English only), not text."""
    if key in ID_LIST_KEYS:
        return isinstance(value, list)
    return key in STRUCTURE_KEYS


# Keys an overlay may give or leave out: a French page's address, or the French chat service's
# address (Hope for Wellness answers in French at its own address), when one exists.
OPTIONAL_KEYS = frozenset({"url", "chat"})

_SLOT = re.compile(r"\{([a-z_]+)\}")

Loc = tuple[Any, ...]


def has_text(value: Any) -> bool:
    """Whether a value (or anything inside it) is printed text an overlay must give."""
    if isinstance(value, str):
        return True
    if isinstance(value, list):
        return any(has_text(v) for v in value)
    if isinstance(value, dict):
        return any(has_text(v) for k, v in value.items() if not is_structure(k, v) and k not in OPTIONAL_KEYS)
    return False


@dataclass
class Overlay:
    """Laying one overlay document on its English document, collecting every problem found."""

    english: YamlDocument
    french: YamlDocument
    problems: list[Problem] = field(default_factory=list)

    def merged(self) -> YamlDocument:
        """The English structure with the overlay's text: a document under the overlay's path
        (and its lines, where it gives them), so validation messages point at the French file."""
        data = self._merge(self.english.data, self.french.data, (), ())
        return YamlDocument(self.french.path, data, [])

    # -------------------------------------------------------------- where things are

    def _where(self, shown: Loc) -> str:
        """'discussion_questions[privilege-q1].prompts': ids for items that have one, else 1, 2..."""
        parts = [
            f"[{p[0]}]" if isinstance(p, tuple) else f"[{p + 1}]" if isinstance(p, int) else f".{p}" for p in shown
        ]
        return "".join(parts).lstrip(".") or "file"

    def _english_at(self, loc: Loc) -> str:
        return f"{self.english.shown_path}:{self.english.line_of(loc)}"

    def _add(self, floc: Loc, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.french.shown_path, self.french.line_of(floc), message, hint))

    # -------------------------------------------------------------- the walk

    def _merge(self, en: Any, fr: Any, eloc: Loc, floc: Loc, shown: Loc = ()) -> Any:
        """`eloc` and `floc` locate the value in each file (list positions may differ), `shown`
        names it for people: keys, ids of listed items, positions counted from 1."""
        where = self._where(shown)
        for kind, named in ((str, "text"), (list, "a list"), (dict, "a mapping of 'key: text' lines")):
            if not isinstance(en, kind):
                continue
            if not isinstance(fr, kind):
                self._add(
                    floc,
                    f"'{where}' should be {named}, not {_describe(fr)}",
                    f"the English is at {self._english_at(eloc)}",
                )
                return en
            if kind is str:
                self._check_slots(en, fr, eloc, floc, where)
                return fr
            merge = self._merge_list if kind is list else self._merge_mapping
            return merge(en, fr, eloc, floc, shown)
        return en

    def _merge_mapping(self, en: dict, fr: dict, eloc: Loc, floc: Loc, shown: Loc, id_given: bool = False) -> LineDict:
        out = LineDict()
        out.line = getattr(fr, "line", 0) or self.french.line_of(floc)
        out.key_lines = {}
        for key, value in en.items():
            line = fr.key_lines.get(key, out.line) if isinstance(fr, LineDict) else out.line
            out.key_lines[key] = line
            here = (*shown, key)
            if key in OPTIONAL_KEYS and has_text(value) or key in OPTIONAL_KEYS and key in fr:
                given = fr.get(key, value)
                if not isinstance(given, str):
                    self._add((*floc, key), f"'{self._where(here)}' should be text, not {_describe(given)}")
                    given = value
                out[key] = given
            elif is_structure(key, value) or not has_text(value):
                if key in fr and not (key == "id" and id_given):
                    self._structure(key, (*floc, key), (*eloc, key), here)
                out[key] = value
            elif key in fr:
                out[key] = self._merge(value, fr[key], (*eloc, key), (*floc, key), here)
            else:
                self._add(
                    floc,
                    f"no French text for '{self._where(here)}'",
                    f"add '{key}:' here; the English is at {self._english_at((*eloc, key))}",
                )
                out[key] = value
        for key in fr:
            if key in en:
                continue
            if key in OPTIONAL_KEYS:  # a French page where the English has none
                out[key] = fr[key]
                out.key_lines[key] = fr.key_lines.get(key, out.line) if isinstance(fr, LineDict) else out.line
                continue
            here = self._where((*shown, key))
            if key in STRUCTURE_KEYS or not has_text(fr[key]):
                self._add(
                    (*floc, key),
                    f"'{here}' is {'structure, not text' if key in STRUCTURE_KEYS else 'not text'}: "
                    "it comes from the English file",
                    f"remove it; change it in {self.english.shown_path} if it must change",
                )
                continue
            close = close_match(str(key), [k for k in en if has_text(en[k])])
            self._add(
                (*floc, key),
                f"'{here}' is not in the English file {self.english.shown_path}",
                f"did you mean '{close}'?" if close else "remove it, or add the English first",
            )
        return out

    def _structure(self, key: str, floc: Loc, eloc: Loc, shown: Loc) -> None:
        what = "structure, not text" if key in STRUCTURE_KEYS else "not text"
        self._add(
            floc,
            f"'{self._where(shown)}' is {what}: it comes from the English file",
            f"remove it from the French file; change it in {self._english_at(eloc)} if it must change",
        )

    def _merge_list(self, en: list, fr: list, eloc: Loc, floc: Loc, shown: Loc) -> LineList:
        out = LineList()
        out.line = getattr(fr, "line", 0) or self.french.line_of(floc)
        out.item_lines = []
        where = self._where(shown)
        fr_lines = list(getattr(fr, "item_lines", [])) or [out.line] * len(fr)
        if all(isinstance(v, str) for v in en):
            # A list of texts is replaced whole: French may say it in more or fewer lines.
            for i, item in enumerate(fr):
                if not isinstance(item, str):
                    self._add((*floc, i), f"item {i + 1} of '{where}' should be text, not {_describe(item)}")
                    continue
                out.append(item)
                out.item_lines.append(fr_lines[i])
            if en and not fr:
                self._add(floc, f"'{where}' is empty", f"write the French of each line at {self._english_at(eloc)}")
            return out
        if all(isinstance(v, dict) and isinstance(v.get("id"), str) for v in en):
            return self._merge_by_id(en, fr, eloc, floc, shown, out, fr_lines)
        if len(fr) != len(en):
            self._add(
                floc,
                f"'{where}' lists {len(fr)} items; the English lists {len(en)}",
                f"give one French item for each English item, in the same order ({self._english_at(eloc)})",
            )
        for i, item in enumerate(en):
            if i < len(fr):
                out.append(self._merge(item, fr[i], (*eloc, i), (*floc, i), (*shown, i)))
                out.item_lines.append(fr_lines[i])
            else:
                out.append(item)
                out.item_lines.append(out.line)
        return out

    def _merge_by_id(
        self, en: list, fr: list, eloc: Loc, floc: Loc, shown: Loc, out: LineList, fr_lines: list[int]
    ) -> LineList:
        """Items with an id are matched by id, so a reordered or inserted item is named, not shifted."""
        where = self._where(shown)
        english_ids = [item["id"] for item in en]
        given: dict[str, int] = {}
        for i, item in enumerate(fr):
            ident = item.get("id") if isinstance(item, dict) else None
            if not isinstance(ident, str):
                self._add(
                    (*floc, i),
                    f"item {i + 1} of '{where}' has no id",
                    "start it with '- id: ...' as in the English file, then its French text",
                )
            elif ident in given:
                self._add((*floc, i, "id"), f"'{where}' lists the id '{ident}' twice", "keep one of them")
            elif ident not in english_ids:
                self._add(
                    (*floc, i, "id"),
                    f"'{where}' has no item with the id '{ident}' in English ({self.english.shown_path})",
                    f"did you mean '{close}'?" if (close := close_match(ident, english_ids)) else "remove it",
                )
            else:
                given[ident] = i
        matched = [ident for ident in english_ids if ident in given]
        if matched != sorted(matched, key=given.__getitem__):
            self._add(
                floc,
                f"the items of '{where}' are not in the English order",
                "list them in the order of the English file: " + ", ".join(english_ids),
            )
        for ei, item in enumerate(en):
            ident = item["id"]
            if ident not in given:
                self._add(
                    floc,
                    f"no French text for '{where}' item '{ident}'",
                    f"add '- id: {ident}' with its French text; the English is at {self._english_at((*eloc, ei))}",
                )
                out.append(item)
                out.item_lines.append(out.line)
                continue
            fi = given[ident]
            merged = self._merge_mapping(item, fr[fi], (*eloc, ei), (*floc, fi), (*shown, (ident,)), id_given=True)
            out.append(merged)
            out.item_lines.append(fr_lines[fi])
        return out

    def _check_slots(self, en: str, fr: str, eloc: Loc, floc: Loc, where: str) -> None:
        """A sentence the plan fills in ({minutes}, {groups}) must keep every slot, or it prints
        a hole or a brace."""
        want, have = set(_SLOT.findall(en)), set(_SLOT.findall(fr))
        if want == have:
            return
        parts = []
        if want - have:
            parts.append("lacks " + ", ".join(f"{{{s}}}" for s in sorted(want - have)))
        if have - want:
            parts.append("has " + ", ".join(f"{{{s}}}" for s in sorted(have - want)) + ", which the English has not")
        self._add(
            floc,
            f"'{where}' " + " and ".join(parts),
            f"use the same slots as the English ({self._english_at(eloc)}): "
            + ", ".join(f"{{{s}}}" for s in sorted(want)),
        )
