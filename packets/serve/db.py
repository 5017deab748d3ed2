"""The team server's database: one SQLite file, opened through SQLAlchemy, kept current by Alembic.

SQLite because a network's server is one process on one machine and the database must work
right after `make`, with no database server to install; SQLAlchemy so the tables are declared
once, in Python, and queries are parameterized; Alembic so a later release changes the
tables by a migration instead of asking anyone to start again. Every open runs `upgrade
head`, so a new release's tables appear by themselves.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_MILLISECONDS = 30_000  # many threads write now and then; one waits for another instead of failing


class Base(DeclarativeBase):
    """Every table of the team server (accounts here, history in history.py) is declared on this base."""


class DatabaseRefused(Exception):
    """The database file cannot be used; the message names it and says what to do."""


def utcnow() -> dt.datetime:
    """Now in UTC, without a zone: SQLite keeps no zone, so every time in the database is UTC."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def default_path(root: Path) -> Path:
    """`instance/packets.db` under the project: git-ignored, next to content/ like Flask's instance folder."""
    return root / "instance" / "packets.db"


@dataclass
class Database:
    path: Path
    engine: Engine
    sessions: sessionmaker[Session]

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: committed when the block ends, rolled back if it raises."""
        with self.sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()


def _on_connect(connection: sqlite3.Connection, _record: object) -> None:
    cursor = connection.cursor()
    # WAL: readers never wait for the one writer, and a back-up reads a consistent state while
    # the server writes. NORMAL is durable in WAL mode except for the last moment before a power cut.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_MILLISECONDS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def open_database(path: Path) -> Database:
    """The database at `path`, created if missing, its tables brought up to date (Alembic `upgrade head`).

    The folder is created readable by its owner only: the file holds password hashes and
    sessions. Two processes opening it at once (the server and `packets users`) take turns
    for the upgrade through a lock file beside it.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise DatabaseRefused(
            f"cannot create the folder {path.parent} for the database: {exc.strerror or exc} "
            "(choose another place with --db PATH)"
        ) from None
    if path.exists() and not path.is_file():
        raise DatabaseRefused(f"{path} is not a file; give the database file's path with --db PATH")
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"timeout": BUSY_MILLISECONDS / 1000, "check_same_thread": False},
        pool_size=10,
        max_overflow=20,
    )
    event.listen(engine, "connect", _on_connect)
    try:
        with _lock(path):
            fresh = not path.exists() or path.stat().st_size == 0
            upgrade(engine)
            if fresh:
                os.chmod(path, 0o600)
    except OSError as exc:
        engine.dispose()
        raise DatabaseRefused(
            f"cannot open or create the database {path}: {exc.strerror or exc} "
            "(check that this user may write in its folder, or choose another with --db PATH)"
        ) from None
    except DatabaseError as exc:
        engine.dispose()
        reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
        if "unable to open" in reason or "readonly" in reason or "read-only" in reason:
            raise DatabaseRefused(
                f"cannot open or write the database {path} ({reason}); check that this user may write "
                "the file and its folder, or choose another with --db PATH"
            ) from None
        raise DatabaseRefused(
            f"{path} is not a packets database ({reason}); "
            "give another file with --db PATH, or restore one from a back-up"
        ) from None
    return Database(path, engine, sessionmaker(engine, expire_on_commit=False))


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def upgrade(engine: Engine) -> None:
    """Alembic's `upgrade head` on this engine's database, from Python (no alembic.ini to find)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
