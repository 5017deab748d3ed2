"""What comes into the studio and what it writes: requests bounded before they are parsed,
writes that say in words why they failed, new files that never replace another.

Reading organization files is `packets.load.orgfiles`' job (the CLI's own door); this module
is the studio's side of it: the request bodies it accepts and the files it creates.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..load.sources import MAX_DEPTH
from ..output import TEMP_PREFIX, write_atomic

# The request wraps the form's values in one object ({"data": {...}}): one level more than a file.
MAX_REQUEST_DEPTH = MAX_DEPTH + 1
# A JSON string, or an unterminated one to the end: one pass, never tried again from each quote.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.S)
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_OPENING = frozenset(b"[{")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class RequestRefused(Exception):
    """A request the studio will not act on; the message says why, for the page to show."""


class NotWritable(Exception):
    """The studio could not write in a folder; the message names it and says what to do."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def nested_deeper_than(raw: bytes, limit: int) -> bool:
    """Whether a JSON text nests more than `limit` levels, found without parsing it (brackets
    inside strings are text) and stopping as soon as it does.

    Python's parser, and everything after it that walks the values, recurse once per level:
    a value nested a few hundred deep would end in a RecursionError, so the depth is known first.
    """
    depth = 0
    for byte in _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS):
        depth = depth + 1 if byte in _OPENING else depth - 1
        if depth > limit:
            return True
    return False


def parse_request(raw: bytes) -> dict[str, Any] | None:
    """The request's JSON object; None when it is not one; RequestRefused when it nests too deep
    or holds text that is not text (a lone surrogate, which no file can hold)."""
    if nested_deeper_than(raw, MAX_REQUEST_DEPTH):
        raise RequestRefused(
            f"the form's values are nested more than {MAX_DEPTH} levels deep; "
            "no organization file goes that deep (reload the page and try again)"
        )
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(body, dict):
        return None
    if _has_surrogate(body):
        raise RequestRefused("the form holds a character that is not text (an unpaired surrogate); retype that value")
    return body


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return bool(_SURROGATE.search(value))
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False


_READ_ONLY = {errno.EACCES, errno.EPERM, errno.EROFS}
_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


@contextlib.contextmanager
def writing(folder: Path, shown: str) -> Iterator[None]:
    """Any failure to write in `folder` becomes NotWritable, naming the folder and what to do."""
    try:
        yield
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        if exc.errno in _READ_ONLY:
            raise NotWritable(
                f"The studio cannot write in {shown}/ ({reason.lower()}), so nothing was saved: "
                f"make the folder writable (for example `chmod u+w {shown}`), or copy the project "
                "to a folder you can write in, then try again.",
                403,
            ) from None
        if exc.errno in _FULL:
            raise NotWritable(
                f"The disk holding {shown}/ is full, so nothing was saved: free some space, then try again.", 507
            ) from None
        raise NotWritable(f"The studio could not write in {shown}/ ({reason}), so nothing was saved.", 500) from None


def write_new(target: Path, data: bytes) -> bool:
    """Write `data` as the new file `target`, never over one that exists: False if it does.

    The bytes are written whole under a hidden name first (`write_atomic`), then linked in
    under the final name in one step (a link fails if the name is taken), so a reader never
    sees half a file and two creates of one name can never both succeed, nor one remove
    the other's file.
    """
    staging = target.with_name(f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(6)}-{target.name}.tmp")
    try:
        write_atomic(staging, data)
        try:
            os.link(staging, target)
        except FileExistsError:
            return False
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
                raise
            return _write_exclusive(target, data)  # a file system without hard links
        return True
    finally:
        with contextlib.suppress(OSError):
            os.unlink(staging)


def _write_exclusive(target: Path, data: bytes) -> bool:
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return True
