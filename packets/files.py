"""Opening files that someone else put in the project: regular files only, never more than a limit.

A size from `stat` is only a claim: a FIFO reports 0 bytes and then blocks for ever, a link
to /dev/zero reports 0 bytes and never ends, and a file can grow between `stat` and `read`.
So every read of an organization's file (its YAML, its logo, what the renderer fetches from
its folder) goes through `read_limited`: the file must be a regular file when opened (the
check is made on the open descriptor, so a swap after the check does not count), it is
opened without blocking, and reading stops one byte past the limit whatever the size said.
A file that said it was empty and then gave bytes is a system file (/proc), and refused.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


class FileRefused(Exception):
    """The file is not one we will read; the message says why, in words for the person who sent it."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_limited(path: Path, limit: int) -> bytes:
    """The bytes of `path`, a regular file of at most `limit` bytes; FileRefused otherwise.

    Links are followed (where they may lead is the caller's rule: see `link_problem`).
    """
    try:
        before = os.stat(path)
    except OSError as exc:
        raise FileRefused(f"cannot read the file: {exc.strerror or exc}") from None
    if not stat.S_ISREG(before.st_mode):
        raise FileRefused(f"this is {_kind(before.st_mode)}, not a file")
    if before.st_size > limit:
        raise FileRefused(f"the file is {before.st_size:,} bytes; the limit is {limit:,}")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a FIFO or socket swapped in after the stat
            raise FileRefused("this is not a regular file") from None
        raise FileRefused(f"cannot read the file: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileRefused(f"this is {_kind(st.st_mode)}, not a file")
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 16, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise FileRefused(f"the file is over {limit:,} bytes; the limit is {limit:,}")
        if total and not st.st_size:
            # /proc and /sys files say they hold nothing, then hand over what the system
            # generates (a process's environment, its secrets): never a file someone wrote.
            raise FileRefused("this is a file the system generates (such as one in /proc), not a plain file")
        return b"".join(chunks)
    except OSError as exc:
        raise FileRefused(f"cannot read the file: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def link_problem(path: Path, project: Path) -> str | None:
    """Why `path` may not be read, if it is a link leading outside the project.

    Organization files live in content/orgs/; a link there to a file elsewhere on the machine
    would put that file's text into messages and PDFs. A file that is not a link (its real
    folder is the folder it was named in) is the one the person named, and is always allowed;
    a link may lead anywhere inside the project.
    """
    try:
        real = path.resolve(strict=True)
        named_in = path.absolute().parent.resolve()
    except (OSError, RuntimeError):
        return "it is a link that leads nowhere (or in a loop)"
    base = project.resolve()
    if real.parent == named_in or base in real.parents:
        return None
    return "it is a link to a file outside the project"
