"""Every save of an organization file through the server, kept as a version in the database.

Why the database and not a git repository of content/orgs: the server already keeps one
embedded database (accounts, sessions), backed up in one step with the files; a version
needs who saved it (an account, not a git author someone can type), and a history page reads
a few rows instead of walking commits. Each version holds the whole file before and after
(organization files are small and bounded by the loader), so a restore needs nothing else,
and a readable unified diff made once when it is saved.

A change made to the file outside the server (an editor, `packets init`, a copy from a
back-up) is not lost from the record either: the next time the server reads the file and
finds it differs from the last version's text, it records that change as a version by
"outside the server" before anything else happens to it.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, DateTime, Integer, LargeBinary, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column

from ..load.sources import parse_yaml_text
from .db import Base, Database, utcnow

OUTSIDE = "outside the server"
# The acknowledgement's review: who reviewed it, when, and on what basis. A change to any of
# them stands out in the history (it is what a coordinator answers for to the Nation).
REVIEW_FIELDS = {"reviewed_by": "Reviewed by", "reviewed_on": "Reviewed on", "based_on": "Based on"}
DIFF_CONTEXT = 3


class Version(Base):
    __tablename__ = "versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(String(80), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    author: Mapped[str] = mapped_column(String(254))
    before: Mapped[str] = mapped_column(Text)
    after: Mapped[str] = mapped_column(Text)
    diff: Mapped[str] = mapped_column(Text)
    review_change: Mapped[str] = mapped_column(Text, default="")  # "" when the review did not change
    restored_from: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created: Mapped[bool] = mapped_column(Boolean, default=False)
    # A logo upload (or a logo brought back by a restore): the file under content/orgs and its
    # bytes, with the organization's file as it was then (`before` == `after`); "" for a save.
    logo: Mapped[str] = mapped_column(String(120), default="")
    logo_data: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)


@dataclass(frozen=True)
class Entry:
    """One line of an organization's history page (the texts stay in the database)."""

    id: int
    at: dt.datetime
    author: str
    added: int
    removed: int
    review_change: str
    restored_from: int | None
    created: bool
    logo: str = ""  # the logo file this version put in place ("" for a save of the file)
    logo_size: int = 0


def unified_diff(slug: str, before: str, after: str) -> str:
    """The change as `diff -u` shows it, naming the file as the coordinator knows it."""
    name = f"content/orgs/{slug}.yaml"
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"{name} (before)",
        tofile=f"{name} (after)",
        n=DIFF_CONTEXT,
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


REVIEWS_KEPT = 64
_reviews: OrderedDict[str, dict[str, str]] = OrderedDict()  # by text: the last texts seen
_reviews_lock = threading.Lock()


def _review(text: str) -> dict[str, str]:
    """The acknowledgement's review fields as the file gives them (text; empty when absent or unreadable).

    Kept for the last texts seen: a save's "before" is the text the previous save left (and a
    save's own text was parsed by its review: `known_review`), so a save parses nothing here.
    Callers only read the result."""
    with _reviews_lock:
        if text in _reviews:
            _reviews.move_to_end(text)
            return _reviews[text]
    if not text.strip():
        return _keep_review(text, {})
    doc = parse_yaml_text(text, Path("history.yaml"))
    return _keep_review(text, review_fields(doc.data))


def review_fields(data: Any) -> dict[str, str]:
    """The review fields of a file's values (as the loader read them)."""
    ack = data.get("land_acknowledgement") if isinstance(data, dict) else None
    if not isinstance(ack, dict):
        return {}
    return {key: str(ack[key]) for key in REVIEW_FIELDS if ack.get(key) not in (None, "")}


def known_review(text: str, data: Any) -> None:
    """`text` was just parsed into `data` by the loader (a save's review): its review fields are kept."""
    _keep_review(text, review_fields(data))


def _keep_review(text: str, fields: dict[str, str]) -> dict[str, str]:
    with _reviews_lock:
        _reviews[text] = fields
        _reviews.move_to_end(text)
        while len(_reviews) > REVIEWS_KEPT:
            _reviews.popitem(last=False)
    return fields


def review_change(before: str, after: str) -> str:
    """What changed in the acknowledgement's review, in words ("" when nothing did)."""
    old, new = _review(before), _review(after)
    changes = []
    for key, label in REVIEW_FIELDS.items():
        if old.get(key) != new.get(key):
            was, now = old.get(key), new.get(key)
            if was and now:
                changes.append(f"{label}: “{was}” → “{now}”")
            elif now:
                changes.append(f"{label}: “{now}” (added)")
            else:
                changes.append(f"{label}: “{was}” (removed)")
    return "; ".join(changes)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _counts(diff: str) -> tuple[int, int]:
    lines = diff.splitlines()
    added = sum(1 for line in lines if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in lines if line.startswith("-") and not line.startswith("---"))
    return added, removed


class History:
    """The versions of every organization file, over the server's database.

    One lock orders the server's own saves with their records, so a save by one person is
    never mistaken for a change outside the server by another's save made a moment later.
    """

    def __init__(self, db: Database):
        self.db = db
        self.lock = threading.RLock()
        # slug: the digest of the text its last version left (or of the file found with none yet),
        # so reading an unchanged file asks the database nothing. Only this server writes versions.
        self.recorded: dict[str, str] = {}

    def remember(self, slug: str, text: str) -> None:
        """The file's text `text` is on record (its version was committed)."""
        with self.lock:
            self.recorded[slug] = _digest(text)

    def record(
        self,
        slug: str,
        author: str,
        before: str,
        after: str,
        restored_from: int | None = None,
        created: bool = False,
    ) -> int:
        """A new version of `slug` (nothing when the text did not change); its id, or 0."""
        with self.lock:
            with self.db.session() as session:
                number = self.add(session, slug, author, before, after, restored_from, created)
            self.remember(slug, after)
            return number

    def add(
        self,
        session: Any,
        slug: str,
        author: str,
        before: str,
        after: str,
        restored_from: int | None = None,
        created: bool = False,
    ) -> int:
        """The version written in `session` (flushed: the row is in the database, not yet committed),
        so a caller commits it together with the file's write; its id, or 0 when the text did not change."""
        if before == after and not created:
            return 0
        version = Version(
            org=slug,
            at=utcnow(),
            author=author,
            before=before,
            after=after,
            diff=unified_diff(slug, before, after),
            review_change=review_change(before, after),
            restored_from=restored_from,
            created=created,
        )
        session.add(version)
        session.flush()
        return version.id

    def add_logo(
        self, session: Any, slug: str, author: str, text: str, logo: str, data: bytes, restored_from: int | None = None
    ) -> int:
        """A version that puts logo file `logo` (relative to content/orgs) in place with these bytes (flushed)."""
        version = Version(
            org=slug,
            at=utcnow(),
            author=author,
            before=text,
            after=text,
            diff="",
            review_change="",
            restored_from=restored_from,
            created=False,
            logo=logo,
            logo_data=data,
        )
        session.add(version)
        session.flush()
        return version.id

    def last_logo(self, session: Any, slug: str, logo: str) -> bytes | None:
        """The bytes the last version of this logo file put in place; None when it has none."""
        return session.scalar(
            select(Version.logo_data)
            .where(Version.org == slug, Version.logo == logo)
            .order_by(Version.id.desc())
            .limit(1)
        )

    def logos_at(self, slug: str, number: int) -> dict[str, bytes]:
        """Each logo file of the organization as it was just after version `number` (the ones on record by then)."""
        with self.db.session() as session:
            latest = (
                select(func.max(Version.id))
                .where(Version.org == slug, Version.logo != "", Version.id <= number)
                .group_by(Version.logo)
            )
            rows = session.execute(select(Version.logo, Version.logo_data).where(Version.id.in_(latest))).all()
            return {logo: data for logo, data in rows if data is not None}

    def last_text(self, slug: str) -> str | None:
        """The file as the last version left it; None when it has no version yet."""
        with self.db.session() as session:
            return session.scalar(select(Version.after).where(Version.org == slug).order_by(Version.id.desc()).limit(1))

    def catch_up(self, slug: str, disk: str) -> int:
        """Record a change made outside the server, if the file on disk is not what the last version left."""
        with self.lock:
            if self.recorded.get(slug) == _digest(disk):
                return 0
            last = self.last_text(slug)
            if last is None or last == disk:
                self.remember(slug, disk)
                return 0
            return self.record(slug, OUTSIDE, last, disk)

    def entries(self, slug: str, limit: int = 200) -> list[Entry]:
        """The organization's versions, newest first."""
        with self.db.session() as session:
            rows = session.scalars(
                select(Version).where(Version.org == slug).order_by(Version.id.desc()).limit(limit)
            ).all()
            sizes = dict(
                session.execute(
                    select(Version.id, func.length(Version.logo_data)).where(
                        Version.id.in_([v.id for v in rows if v.logo])
                    )
                ).all()
            )
            return [
                Entry(
                    v.id,
                    v.at,
                    v.author,
                    *_counts(v.diff),
                    v.review_change,
                    v.restored_from,
                    v.created,
                    v.logo,
                    sizes.get(v.id) or 0,
                )
                for v in rows
            ]

    def version(self, slug: str, number: int) -> dict[str, Any] | None:
        """One version of this organization (None for another organization's number: never its data)."""
        with self.db.session() as session:
            v = session.get(Version, number)
            if v is None or v.org != slug:
                return None
            return {
                "id": v.id,
                "at": v.at,
                "author": v.author,
                "before": v.before,
                "after": v.after,
                "diff": v.diff,
                "review_change": v.review_change,
                "restored_from": v.restored_from,
                "created": v.created,
                "logo": v.logo,
                "logo_data": v.logo_data if v.logo else None,
            }
