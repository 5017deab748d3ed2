"""`packets backup`: the team server's database and content/orgs in one archive, one command.

The database is copied with SQLite's online backup (the same pages, read in one consistent
state even while `packets serve` writes: a plain file copy of a database in WAL mode can
miss what is still in the -wal file, or catch a page half-written). The organization files
and their logos go in beside it, so one archive brings back both the files and who changed
them. The archive is written under a hidden name and renamed when whole, readable by its
owner only (it holds password hashes).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DATABASE_NAME = "packets.db"  # the database's name inside the archive
ORGS_NAME = "content/orgs"


class BackupRefused(Exception):
    """The back-up could not be written; the message names the place and what to do."""


@dataclass(frozen=True)
class Backup:
    archive: Path
    database: bool  # False when the server has never run here (no database yet)
    files: int  # organization files and logos


def backup(orgs: Path, database: Path, to: Path, now: dt.datetime | None = None) -> Backup:
    """Write `packets-backup-YYYYMMDD-HHMMSS.tar.gz` into `to`, holding `packets.db` and `content/orgs/`."""
    now = now or dt.datetime.now()
    try:
        to.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise BackupRefused(
            f"cannot create {to}: {exc.strerror or exc} (choose another folder with --to DIR)"
        ) from None
    target = to / f"packets-backup-{now:%Y%m%d-%H%M%S}.tar.gz"
    if target.exists():
        raise BackupRefused(f"{target} already exists; wait a second and run it again")
    try:
        fd, partial = tempfile.mkstemp(dir=to, prefix=".packets-backup-", suffix=".partial")
    except OSError as exc:
        raise BackupRefused(
            f"cannot write in {to}: {exc.strerror or exc} (choose another folder with --to DIR)"
        ) from None
    files = 0
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            has_database = database.is_file()
            if has_database:
                with _snapshot(database) as copy:
                    archive.add(copy, DATABASE_NAME, recursive=False)
            for path in sorted(orgs.rglob("*")) if orgs.is_dir() else []:
                relative = path.relative_to(orgs)
                if any(part.startswith(".") for part in relative.parts):
                    continue  # half-written temporary files and drafts, never an organization's file
                if path.is_symlink() or not (path.is_file() or path.is_dir()):
                    continue  # the loader never follows links out of content/orgs; neither does the back-up
                archive.add(path, f"{ORGS_NAME}/{relative.as_posix()}", recursive=False)
                files += path.is_file()
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    except OSError as exc:
        raise BackupRefused(f"the back-up could not be written in {to}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(partial)
    return Backup(target, has_database, files)


@contextlib.contextmanager
def _snapshot(database: Path) -> Iterator[Path]:
    """The database as it is at one moment, copied by SQLite's online backup into a file of its own."""
    with tempfile.TemporaryDirectory(prefix="packets-backup-") as folder:
        copy = Path(folder) / DATABASE_NAME
        source = sqlite3.connect(database, timeout=30)
        try:
            target = sqlite3.connect(copy)
            try:
                source.backup(target)
                target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            finally:
                target.close()
        finally:
            source.close()
        os.chmod(copy, 0o600)
        yield copy
