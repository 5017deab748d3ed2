"""The curriculum's files as read and checked before, kept between runs.

Every command reads the whole curriculum (twenty-odd files), and reading is most of what
`check`, `list` and `plan` take: the YAML, then a look at every character of every text
(invisible characters, stacked marks, glyphs the bundled fonts lack). For the project's
own files the answer only changes with their bytes, the fonts, the stylesheets or the
code that reads them, so a file that read cleanly is kept as plain data (JSON, never
code) under a hash of all of that, in the cache's `curriculum` part (cache.py). What is
read back is checked for shape before use and still goes through the models' validation,
as a freshly read file does; anything odd, and the file is read again.

Organization files are never kept: they come from anyone, and they are the files people
edit between two commands.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..cache import cache_folder, digest_files, read_entry, write_entry
from ..files import FileRefused, read_limited
from .glyphs import CSS_DIR, fonts_digest
from .sources import MAX_FILE_BYTES, LineDict, LineList, YamlDocument

MAX_ENTRY_BYTES = 4 * MAX_FILE_BYTES  # a file's data with its lines written out
_CODE = Path(__file__).resolve().parent.parent  # the package: the reading, checking and its helpers
_SCALARS = (str, int, float, bool, type(None))


@lru_cache(maxsize=1)
def salt() -> str:
    """What, besides a file's bytes, decides how it reads: the code, fonts and stylesheets."""
    h = hashlib.sha256(fonts_digest().encode())
    digest_files(h, _CODE, [*_CODE.glob("*.py"), *(_CODE / "load").glob("*.py")])
    digest_files(h, CSS_DIR, CSS_DIR.glob("*.css"))
    return h.hexdigest()


def _entry(raw: bytes) -> Path | None:
    folder = cache_folder("curriculum")
    if folder is None:
        return None
    name = hashlib.sha256(salt().encode() + b"\0" + raw).hexdigest()
    return folder / name[:2] / f"{name}.json"


def _encode(value: Any) -> Any:
    """Data with its lines, as JSON: {"m": line, "k": [[key, line, value], ...]} for a
    mapping, {"s": line, "i": [[line, value], ...]} for a sequence, scalars as they are."""
    if isinstance(value, LineDict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("a key that is not text")
        return {"m": value.line, "k": [[k, value.key_lines.get(k, 0), _encode(v)] for k, v in value.items()]}
    if isinstance(value, LineList):
        return {"s": value.line, "i": [[line, _encode(v)] for line, v in zip(value.item_lines, value, strict=True)]}
    if isinstance(value, _SCALARS):
        return value
    raise TypeError(f"a value of type {type(value).__name__}")


def _line(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise ValueError("not a line number")
    return value


def _decode(value: Any) -> Any:
    """The inverse of `_encode`; ValueError for anything it would not have written."""
    if isinstance(value, dict):
        if value.keys() == {"m", "k"} and isinstance(value["k"], list):
            out = LineDict()
            out.line, out.key_lines = _line(value["m"]), {}
            for item in value["k"]:
                if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str)):
                    raise ValueError("not a key")
                if item[0] in out:
                    raise ValueError("a key twice")
                out.key_lines[item[0]] = _line(item[1])
                out[item[0]] = _decode(item[2])
            return out
        if value.keys() == {"s", "i"} and isinstance(value["i"], list):
            items = LineList()
            items.line, items.item_lines = _line(value["s"]), []
            for item in value["i"]:
                if not (isinstance(item, list) and len(item) == 2):
                    raise ValueError("not an item")
                items.item_lines.append(_line(item[0]))
                items.append(_decode(item[1]))
            return items
        raise ValueError("not a mapping or a sequence")
    if isinstance(value, list):
        raise ValueError("a bare list")
    return value


def recall(path: Path) -> tuple[bytes | None, YamlDocument | None]:
    """The file's bytes (None when it cannot be read: read it the usual way, which says why)
    and, when it read cleanly before, its document as then."""
    try:
        raw = read_limited(path, MAX_FILE_BYTES)
    except FileRefused:
        return None, None
    entry = _entry(raw)
    if entry is None:
        return raw, None
    kept = read_entry(entry, MAX_ENTRY_BYTES)  # None unless this user's key signed it (cache.py)
    if kept is None:
        return raw, None
    try:
        data = _decode(json.loads(kept.decode("utf-8")))
    except (ValueError, RecursionError):
        return raw, None
    if not isinstance(data, LineDict):
        return raw, None
    return raw, YamlDocument(path, data)


def keep(raw: bytes, doc: YamlDocument) -> None:
    """Keep a document that read without a problem (one with problems is read again until fixed)."""
    entry = _entry(raw)
    if entry is None or doc.problems or not isinstance(doc.data, LineDict):
        return
    try:
        data = json.dumps(_encode(doc.data), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError, RecursionError):
        return
    if len(data) <= MAX_ENTRY_BYTES:
        with contextlib.suppress(OSError):  # a read-only or full disk: the next run reads the file again
            write_entry(entry, data)
