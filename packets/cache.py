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

A cache that cannot lie. What is kept decides what prints (a crisis line read from the
curriculum's kept `support.yaml`), and its keys are hashes anyone can compute, so:
- the cache folder must be this user's and writable by no one else, and so must every
  folder above it (sticky ones like /tmp aside), as ssh asks of its keys; otherwise it is
  not used at all, and the command says why in one line (`cache_warning`);
- every entry carries an HMAC made with a secret of this user's (`key` in the cache
  folder, 0600, made on first use), over the entry's place and its bytes: an entry written
  by anyone else, or moved from another key, is a miss. What an entry claims is still
  checked before it can change a PDF (pdf.py for page flow, glyphs.py for the fonts).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .files import FileRefused, read_limited
from .output import interrupts_held

MAX_ENTRY_BYTES = 64_000  # a guide's decisions are a few hundred bytes
SECRET_NAME = "key"  # in the cache's folder: this user's secret, which signs every entry
SECRET_BYTES = 32
# What `pageflow._selector` makes, and all a kept decision may hold: an id, then child steps.
_SELECTOR = r"#[a-z][a-z0-9-]*(?: > [a-z][a-z0-9]*:nth-child\([1-9][0-9]{0,4}\))*"
# A page break before one of our selectors; or one of the two whole rules page flow writes:
# spare writing lines shown to a page's foot (`pageflow.fill_rules`), a kept block let break
# (`pageflow.stranded_rules`).
_RULE = re.compile(
    rf"{_SELECTOR}"
    rf"|{_SELECTOR} > \.spare:nth-child\(-n\+[1-9][0-9]{{0,3}}\) \{{ display: block; \}}"
    rf"|{_SELECTOR} \{{ break-inside: auto; \}}"
)


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


def cache_root() -> Path | None:
    """The cache's folder as configured (whether or not it may be used), or None when it is off."""
    chosen = os.environ.get("PACKETS_CACHE")
    if chosen is not None:
        return None if chosen.strip() in ("", "off") else Path(chosen).absolute()
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    try:
        root = Path(base) if base else Path.home() / ".cache"
    except RuntimeError:  # no home folder
        return None
    return (root / "allyship-packets").absolute()


def cache_folder(part: str = "layout") -> Path | None:
    """The folder `part` of the cache is kept in (`layout`, `glyphs`), or None when the cache
    is off or may not be used (`cache_warning` says why)."""
    root = cache_root()
    if root is None or _trust(str(root))[0] is None:
        return None
    return root / part


def cache_warning() -> str:
    """One line for the person when their cache folder is refused ('' when it is used or off)."""
    root = cache_root()
    return "" if root is None else _trust(str(root))[1]


def _unsafe(folder: Path) -> str:
    """Why `folder` (and the folders above it) may not hold what this user trusts ('' if it may)."""
    if not hasattr(os, "geteuid"):  # pragma: no cover - not POSIX: no owners or modes to check
        return ""
    uid = os.geteuid()
    real = folder.resolve()
    for place in (real, *real.parents):
        st = os.stat(place)
        mine = st.st_uid == uid
        if place == real and not mine:
            return f"{folder} belongs to another user"
        if not mine and st.st_uid != 0:
            return f"{place}, above it, belongs to another user"
        if st.st_mode & 0o022 and not (place != real and st.st_mode & stat.S_ISVTX):
            return f"{place} can be written by other users (run `chmod go-w {place}`)"
    return ""


@lru_cache(maxsize=8)
def _trust(root: str) -> tuple[bytes | None, str]:
    """The secret that signs this user's entries under `root`, or None and why not.

    A folder that cannot be made or read is no cache, quietly (a read-only home); one that
    others could have written into is refused with a warning.
    """
    folder = Path(root)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not folder.is_dir():
            return None, ""
        problem = _unsafe(folder)
        if problem:
            return None, (
                f"warning: not using the cache: {problem}; "
                "set PACKETS_CACHE to a folder of your own, or to off (nothing else changes)"
            )
        return _secret(folder), ""
    except OSError:
        return None, ""


def _secret(folder: Path) -> bytes:
    """This user's key in `folder`, made on first use: 32 random bytes in a 0600 file of theirs.

    A key that is not that (a link, another owner, readable by others) is replaced: what was
    signed with it becomes a miss. Made under a temporary name and linked into place, so two
    processes starting at once agree on one key.
    """
    path = folder / SECRET_NAME
    for _ in range(3):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except FileNotFoundError:
            _new_secret(path, replace=False)
            continue
        except OSError:  # a link, or something that cannot be opened: replaced below
            st = None
        else:
            try:
                st = os.fstat(fd)
                data = os.read(fd, SECRET_BYTES + 1)
            finally:
                os.close(fd)
            if (
                stat.S_ISREG(st.st_mode)
                and st.st_uid == _uid(st.st_uid)
                and not st.st_mode & 0o077
                and len(data) == SECRET_BYTES
            ):
                return data
        _new_secret(path, replace=True)
    raise OSError("the cache's key could not be made")


def _uid(otherwise: int) -> int:
    """This user's id (`otherwise` where the system has none)."""
    return os.geteuid() if hasattr(os, "geteuid") else otherwise


def _new_secret(path: Path, replace: bool) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")  # 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(SECRET_BYTES))
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            with contextlib.suppress(FileExistsError):  # another process made it first: theirs it is
                os.link(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _mac(key: bytes, path: Path, payload: bytes) -> bytes:
    root = cache_root()
    place = path.relative_to(root).as_posix() if root is not None and root in path.parents else str(path)
    return hmac.new(key, place.encode() + b"\0" + payload, hashlib.sha256).hexdigest().encode()


def read_entry(path: Path, limit: int) -> bytes | None:
    """The bytes kept at `path` when this user's key signed them there; None for anything else."""
    root = cache_root()
    key = _trust(str(root))[0] if root is not None else None
    if key is None:
        return None
    try:
        blob = read_limited(path, limit + 65)
    except FileRefused:
        return None
    mac, newline, payload = blob.partition(b"\n")
    if not newline or not hmac.compare_digest(mac, _mac(key, path, payload)):
        return None
    return payload


def write_entry(path: Path, payload: bytes) -> None:
    """Keep `payload` at `path` (inside the cache), signed, readable by this user only.

    OSError when it cannot be written (a full or read-only disk): callers go on without it.
    """
    root = cache_root()
    key = _trust(str(root))[0] if root is not None else None
    if key is None or root is None or root not in path.parents:
        return
    place = root
    for name in path.parent.relative_to(root).parts:  # the cache's own folders, private too
        place = place / name
        with contextlib.suppress(FileExistsError):
            place.mkdir(mode=0o700)
    with interrupts_held():
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".partial-{os.getpid()}-", suffix=".tmp")  # 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(_mac(key, path, payload) + b"\n" + payload)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


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
        data = read_entry(path, MAX_ENTRY_BYTES) if path is not None else None
        if data is None:
            return None
        try:
            decided = json.loads(data.decode("utf-8"))
        except ValueError:
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
            write_entry(path, data)
