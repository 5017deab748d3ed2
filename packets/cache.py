"""What is kept between runs: page-flow decisions, and the fonts' character sets.

Making a document's page-flow decisions (which section tails to pull back, whether the
cover is laid out tighter: `pageflow.py`) takes one layout more than writing it with them,
and for the guide that layout is a third of a build. The decisions are a function of the
HTML, the files it shows (a logo), the stylesheets, the fonts and the code; so they are
kept in a small file named by a hash of all that, and any build that lays out the very
same document again (a rebuild, a build into another folder, `--paper` and back, the
studio's preview) skips that layout and writes the same bytes. Each section's own decision
is kept too (the `sections` part, `LayoutCache.part`), under its own HTML: an edited file
or another organization shares most sections with documents made before.

Where: `$PACKETS_CACHE/layout` if the variable is set (empty or `off` turns the cache off),
else `$XDG_CACHE_HOME/allyship-packets/layout`, else `~/.cache/allyship-packets/layout`
(`glyphs.py` keeps the fonts' character sets beside it, `kept.py` the curriculum's files as
read and checked). A cache
that cannot be read or written is no cache: the decisions are made afresh. What is read back
is checked as strictly as anything from outside (the rules become a stylesheet).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .files import FileRefused, read_limited
from .output import write_atomic

MAX_ENTRY_BYTES = 64_000  # a guide's decisions are a few hundred bytes
# What `pageflow._selector` makes, and all a kept decision may hold: an id, then child steps.
_RULE = re.compile(r"#[a-z][a-z0-9-]*(?: > [a-z][a-z0-9]*:nth-child\([1-9][0-9]{0,4}\))*")


def digest_files(h: Any, base: Path, paths: Iterable[Path]) -> None:
    """Add files to the hash `h` (hashlib): each one's name relative to `base` (a moved or
    copied checkout keeps its keys), its length and its bytes, in a fixed order."""
    for path in sorted(paths):
        h.update(path.relative_to(base).as_posix().encode() + b"\0")
        data = path.read_bytes()
        h.update(len(data).to_bytes(8, "big") + data)


def valid_rule(rule: str) -> bool:
    """A rule read back from the cache becomes CSS: only selectors of our own shape may."""
    return len(rule) < 2000 and _RULE.fullmatch(rule) is not None


def cache_folder(part: str = "layout") -> Path | None:
    """The folder `part` of the cache is kept in (`layout`, `glyphs`), or None when the cache is off."""
    chosen = os.environ.get("PACKETS_CACHE")
    if chosen is not None:
        return None if chosen.strip() in ("", "off") else Path(chosen) / part
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    try:
        root = Path(base) if base else Path.home() / ".cache"
    except RuntimeError:  # no home folder
        return None
    return root / "allyship-packets" / part


def decisions_problem(decided: object) -> str:
    """Why `decided` is not a set of decisions we made ('' when it is one)."""
    if not isinstance(decided, dict) or not isinstance(decided.get("compact"), bool):
        return "not a decision record"
    rules = decided.get("rules")
    if not isinstance(rules, list) or len(rules) > 500 or not all(isinstance(r, str) and valid_rule(r) for r in rules):
        return "rules that are not page-flow selectors"
    return ""


@dataclass
class LayoutCache:
    """Decisions by document key; `salt` is the digest of the stylesheets, fonts and code."""

    folder: Path | None
    salt: str

    def part(self, name: str) -> LayoutCache:
        """The same cache's `name` part beside this one (`sections`: each section's own
        decision, so that an edit to one section leaves the others' decisions usable)."""
        return LayoutCache(self.folder.parent / name if self.folder is not None else None, self.salt)

    def _path(self, key: str) -> Path | None:
        if self.folder is None:
            return None
        name = hashlib.sha256(f"{self.salt}\0{key}".encode()).hexdigest()
        return self.folder / name[:2] / f"{name}.json"

    def get(self, key: str) -> dict | None:
        path = self._path(key)
        if path is None:
            return None
        try:
            decided = json.loads(read_limited(path, MAX_ENTRY_BYTES).decode("utf-8"))
        except (OSError, ValueError, FileRefused):
            return None
        if decisions_problem(decided):
            return None
        return {"compact": decided["compact"], "rules": list(decided["rules"])}

    def put(self, key: str, decided: dict) -> None:
        path = self._path(key)
        if path is None or decisions_problem(decided):
            return
        data = json.dumps({"compact": decided["compact"], "rules": decided["rules"]}, sort_keys=True).encode()
        with contextlib.suppress(OSError):  # a read-only or full disk: the next build decides again
            write_atomic(path, data)
