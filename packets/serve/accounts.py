"""Who may sign in to the team server: people, their roles and organizations, invitations,
sessions and the sign-in log, kept in the database (`packets.serve.db`).

No mail server is needed: an invitation is a link the administrator hands over; the person
opens it and chooses a password. Secrets never enter the database as they are: invitation
links and session cookies are random and stored as SHA-256 digests (a copy of the database
opens no account), passwords as argon2id hashes. Wrong passwords are counted per account and
per address in the sign-in log itself, so the limit holds across threads and restarts.

Roles (what each may do is decided in `packets.serve.access`, one place for every route):
admin (every organization, the people, the history), coordinator (their organizations;
a new one only when `may_create`), facilitator (downloads their organizations' packets).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import re
import secrets
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, delete, exists, func, select, update
from sqlalchemy.orm import Mapped, aliased, mapped_column, relationship

from ..output import slug_problem
from .db import Base, Database, utcnow

ROLES = ("admin", "coordinator", "facilitator")
INVITATION_DAYS = 7
MIN_PASSWORD = 12
MAX_PASSWORD = 1000  # longer is no safer, and each sign-in would hash it
WRONG_IN_A_ROW = 5  # the sixth attempt in a row is refused (429) without trying the password
LOCK_MINUTES = 15  # how long a run of wrong passwords counts
SESSION_MINUTES = 120  # a session ends after this long without a request
TOUCH_SECONDS = 60  # a session's last request is written at most once a minute
LOG_TEXT = 254
LOG_DAYS = 180  # the sign-in log keeps this long (who signed in when, and the runs of wrong passwords)
MERGE_REFUSED = dt.timedelta(minutes=1)  # attempts refused for too many wrong passwords: one line a minute
# The most refused lines the log keeps (wrong passwords, unknown emails, refused attempts): a flood
# from thousands of addresses at thousands of emails drops its oldest lines, never the sign-ins.
MAX_REFUSED_LINES = 50_000
WAIT_SECONDS = 30  # the longest an attempt waits for a place while others' passwords are checked
# OWASP's argon2id setting (19 MiB, 2 passes, 1 lane): a sign-in costs tens of milliseconds and
# 19 MiB, so twenty people signing in at once stay within a small server's memory.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
COUNTED = ("wrong password", "no such account", "no password yet")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    may_create: Mapped[bool] = mapped_column(Boolean, default=False)
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )


class Membership(Base):
    __tablename__ = "memberships"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    org: Mapped[str] = mapped_column(String(80), primary_key=True)
    user: Mapped[User] = relationship(back_populates="memberships")


class Invitation(Base):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class StoredSession(Base):
    __tablename__ = "sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime)
    address: Mapped[str] = mapped_column(String(64))


class SignInRecord(Base):
    __tablename__ = "sign_ins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    success: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str] = mapped_column(String(40))
    # A line of refused attempts counts them all, from `at` to `last_at` (one minute at most).
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    last_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    other_emails: Mapped[bool] = mapped_column(Boolean, default=False)
    other_addresses: Mapped[bool] = mapped_column(Boolean, default=False)


@dataclass(frozen=True)
class Person:
    """The signed-in person as every route sees it (`request.state.user`): plain values, no database."""

    id: int
    email: str
    role: str
    orgs: frozenset[str]
    may_create: bool

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class Account:
    """One line of `packets users list` and of the admin's page of people."""

    person: Person
    state: str  # "active", "invited", "invitation expired"
    invited_until: dt.datetime | None
    last_sign_in: dt.datetime | None


@dataclass(frozen=True)
class Session:
    """A session just begun or found: the cookie's value (only the browser keeps it) and its CSRF token."""

    person: Person
    cookie: str
    csrf: str


class AccountProblem(Exception):
    """Something about an account that the person can fix; the message says what, in their words."""


class InvitationRefused(AccountProblem):
    """An invitation link that does not open: unknown, used or expired (the message says which)."""


class SignInRefused(AccountProblem):
    """A sign-in refused: `status` 401 (wrong email or password) or 429 (too many in a row)."""

    def __init__(self, message: str, status: int, retry_after: int = 0):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def digest(secret: str) -> str:
    """How a link's or a cookie's secret is stored: random 256-bit secrets need no slow hash."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def normal_email(email: str) -> str:
    """The address as it is stored and compared: trimmed, in lower case; AccountProblem if it is not one."""
    cleaned = unicodedata.normalize("NFC", email.strip()).lower()
    if len(cleaned) > 254 or not _EMAIL.fullmatch(cleaned) or any(not ch.isprintable() for ch in cleaned):
        raise AccountProblem(f"'{email.strip()[:80]}' is not an email address; write it as name@example.org")
    return cleaned


def password_problem(password: str, email: str = "") -> str | None:
    """Why a new password cannot be used, in words for the page; None when it can."""
    password = unicodedata.normalize("NFC", password)
    if len(password) < MIN_PASSWORD:
        return (
            f"The password needs at least {MIN_PASSWORD} characters (it has {len(password)}). "
            "A few unrelated words make a long password that is easy to remember."
        )
    if len(password) > MAX_PASSWORD:
        return f"The password can have at most {MAX_PASSWORD} characters."
    if email and password.strip().lower() == email.lower():
        return "The password cannot be your email address."
    return None


class Accounts:
    """Every account operation, over one database; `clock` is the time source (UTC, no zone)."""

    def __init__(
        self,
        db: Database,
        session_minutes: float = SESSION_MINUTES,
        clock: Callable[[], dt.datetime] = utcnow,
    ):
        self.db = db
        self.session_minutes = session_minutes
        self.clock = clock
        self._unknown_hash = HASHER.hash(secrets.token_urlsafe(16))  # verified for an unknown email
        # Held while the log is counted and while an answer is written; waited on for a place.
        self._gate = threading.Condition()
        self._held: Counter[tuple[str, str]] = Counter()  # attempts whose password is being checked

    # ------------------------------------------------------------------ people

    def add_user(self, email: str, role: str, orgs: Iterable[str] = (), may_create: bool = False) -> Person:
        """A new account without a password: `invite` gives the link where the person sets one."""
        email = normal_email(email)
        orgs = sorted(set(orgs))
        if role not in ROLES:
            raise AccountProblem(f"there is no role '{role[:40]}'; choose admin, coordinator or facilitator")
        if role == "admin" and orgs:
            raise AccountProblem("an admin works with every organization; leave out the organizations")
        if may_create and role != "coordinator":
            raise AccountProblem("only a coordinator can be allowed to create organizations")
        for org in orgs:
            problem = slug_problem(org, "organization")
            if problem:
                raise AccountProblem(f"{problem.message} ({problem.hint})" if problem.hint else problem.message)
        with self.db.session() as s:
            if s.scalar(select(User.id).where(User.email == email)) is not None:
                raise AccountProblem(
                    f"{email} already has an account; `packets users invite {email}` gives them a new link"
                )
            user = User(email=email, role=role, may_create=may_create, created_at=self.clock())
            user.memberships = [Membership(org=org) for org in orgs]
            s.add(user)
            s.flush()
            return _person(user)

    def remove_user(self, email: str) -> None:
        """The account, its sessions and invitations go; the sign-in log keeps the email it was given."""
        email = normal_email(email)
        with self.db.session() as s:
            user = s.scalar(select(User).where(User.email == email))
            if user is None:
                raise AccountProblem(f"there is no account for {email}")
            if user.role == "admin" and s.scalar(select(func.count()).where(User.role == "admin")) == 1:
                raise AccountProblem(f"{email} is the only admin; add another admin first, then remove this one")
            s.delete(user)

    def change_orgs(self, email: str, add: Iterable[str] = (), remove: Iterable[str] = ()) -> Person:
        """Give a coordinator or facilitator more organizations, or take some away.

        Taking one away ends every session of theirs at once: a page left open would otherwise
        keep showing the organization it had loaded, and the next request they make is signed
        out (they sign in again to the organizations they still have). Their builds of it are
        stopped by the server (`packets.serve.app.Revocations`), which reads the change here.
        """
        email = normal_email(email)
        add, remove = set(add), set(remove)
        if add & remove:
            both = ", ".join(sorted(add & remove))
            raise AccountProblem(f"{both} is both given and taken away; name each organization once")
        for org in sorted(add | remove):
            problem = slug_problem(org, "organization")
            if problem:
                raise AccountProblem(f"{problem.message} ({problem.hint})" if problem.hint else problem.message)
        with self.db.session() as s:
            user = s.scalar(select(User).where(User.email == email))
            if user is None:
                raise AccountProblem(f"there is no account for {email}")
            if user.role == "admin":
                raise AccountProblem(f"{email} is an admin, who works with every organization; there is none to change")
            had = {m.org for m in user.memberships}
            missing = sorted(remove - had)
            if missing:
                raise AccountProblem(f"{email} does not have {', '.join(missing)}; `packets users list` shows theirs")
            user.memberships = [m for m in user.memberships if m.org not in remove] + [
                Membership(org=org) for org in sorted(add - had)
            ]
            if remove:
                s.execute(delete(StoredSession).where(StoredSession.user_id == user.id))
            s.flush()
            return _person(user)

    def people_by_id(self, ids: Iterable[int]) -> dict[int, Person]:
        """The accounts that still exist among `ids`, as they are now (a removed one is not there)."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        with self.db.session() as s:
            return {user.id: _person(user) for user in s.scalars(select(User).where(User.id.in_(wanted)))}

    def person(self, email: str) -> Person | None:
        with self.db.session() as s:
            user = s.scalar(select(User).where(User.email == normal_email(email)))
            return _person(user) if user else None

    def accounts(self) -> list[Account]:
        """Every account, by email, with whether it is in use and when it last signed in."""
        now = self.clock()
        with self.db.session() as s:
            last = dict(
                s.execute(
                    select(SignInRecord.user_id, func.max(SignInRecord.at))
                    .where(SignInRecord.success.is_(True))
                    .group_by(SignInRecord.user_id)
                ).all()
            )
            open_until = dict(
                s.execute(
                    select(Invitation.user_id, func.max(Invitation.expires_at))
                    .where(Invitation.used_at.is_(None))
                    .group_by(Invitation.user_id)
                ).all()
            )
            found = []
            for user in s.scalars(select(User).order_by(User.email)):
                until = open_until.get(user.id)
                if user.password_hash:
                    state = "active"
                elif until is not None and until > now:
                    state = "invited"
                else:
                    state = "invitation expired"
                found.append(Account(_person(user), state, until, last.get(user.id)))
            return found

    # ------------------------------------------------------------------ invitations

    def invite(self, email: str) -> str:
        """A new one-time link's secret for this account (good for INVITATION_DAYS); earlier links stop working."""
        email = normal_email(email)
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.db.session() as s:
            user_id = s.scalar(select(User.id).where(User.email == email))
            if user_id is None:
                raise AccountProblem(f"there is no account for {email}; add it first with `packets users add`")
            s.execute(
                update(Invitation)
                .where(Invitation.user_id == user_id, Invitation.used_at.is_(None))
                .values(used_at=now)
            )
            s.add(
                Invitation(
                    user_id=user_id,
                    token_hash=digest(token),
                    created_at=now,
                    expires_at=now + dt.timedelta(days=INVITATION_DAYS),
                )
            )
        return token

    def invitation(self, token: str) -> Person:
        """Whose invitation this link is, if it can still be used; InvitationRefused says why not."""
        with self.db.session() as s:
            return _person(self._open_invitation(s, token)[1])

    def accept(self, token: str, password: str, confirm: str, address: str) -> Session:
        """Set the password from an invitation link, used up at once, and begin a session.

        The link is marked used in the same statement that checks it is unused, so two tabs
        sending the form at once cannot both use it. Any session the account had ends.
        """
        with self.db.session() as s:
            person = _person(self._open_invitation(s, token)[1])
        problem = password_problem(password, person.email)
        if problem:
            raise AccountProblem(problem)
        if not secrets.compare_digest(
            password.encode("utf-8", "surrogatepass"), confirm.encode("utf-8", "surrogatepass")
        ):
            raise AccountProblem("The two passwords are not the same; type the same password twice.")
        hashed = HASHER.hash(unicodedata.normalize("NFC", password))
        now = self.clock()
        with self.db.session() as s:
            invitation, user = self._open_invitation(s, token)
            taken = s.execute(
                update(Invitation)
                .where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
                .values(used_at=now)
            )
            if taken.rowcount != 1:
                raise InvitationRefused("This invitation link has already been used.")
            user.password_hash = hashed
            s.execute(delete(StoredSession).where(StoredSession.user_id == user.id))
            s.add(
                SignInRecord(
                    at=now,
                    email=user.email,
                    user_id=user.id,
                    address=stored_address(address),
                    success=True,
                    outcome="password set",
                )
            )
        return self.start_session(person.id, address)

    def _open_invitation(self, s: Any, token: str) -> tuple[Invitation, User]:
        row = s.execute(
            select(Invitation, User)
            .join(User, User.id == Invitation.user_id)
            .where(Invitation.token_hash == digest(token))
        ).first()
        if row is None:
            raise InvitationRefused(
                "This invitation link is not known here: it may have been replaced by a newer one, "
                "or the account was removed."
            )
        invitation, user = row
        if invitation.used_at is not None:
            raise InvitationRefused(
                "This invitation link has already been used, or a newer link was made for the same person."
            )
        if invitation.expires_at <= self.clock():
            raise InvitationRefused(f"This invitation link has expired (links last {INVITATION_DAYS} days).")
        return invitation, user

    # ------------------------------------------------------------------ signing in

    def sign_in(self, email: str, password: str, address: str) -> Session:
        """A new session for the right email and password; SignInRefused otherwise.

        After WRONG_IN_A_ROW failures in a row for this account, or from this address, within
        LOCK_MINUTES, the next attempt is refused with 429 before the password is even tried.
        An unknown email costs the same time as a known one (a hash is verified either way)
        and is answered with the same words, so the page never tells who has an account.

        Only a known failure counts. An attempt whose password is being checked holds a place
        (a reservation, per account and per network) until its answer is known: when the
        failures and the places held would reach the limit, the next attempt waits for an
        answer instead of being refused, so twenty people of one office signing in at once all
        get in, while guesses sent at once still never get more than WRONG_IN_A_ROW tries.
        The places live in this process (`packets serve` is one process).
        """
        address = stored_address(address)
        try:
            email = normal_email(email)
        except AccountProblem:
            email = unicodedata.normalize("NFC", email.strip()).lower()[:LOG_TEXT]
        places = (("account", email), ("network", _network(address)))
        deadline = time.monotonic() + WAIT_SECONDS
        with self._gate:
            while True:
                now = self.clock()
                with self.db.session() as s:
                    account = self._failures(s, SignInRecord.email == email, now)
                    network = self._failures(s, _same_network(address), now, address)
                    wait = max(_lock_left(account, now), _lock_left(network, now))
                    if not wait and all(
                        len(found) + self._held[place] < WRONG_IN_A_ROW
                        for found, place in zip((account, network), places, strict=True)
                    ):
                        user = s.scalar(select(User).where(User.email == email))
                        stored = user.password_hash if user else None
                        user_id = user.id if user else None
                        break
                    if not wait and time.monotonic() >= deadline:  # answers that never came: slow down
                        wait = WAIT_SECONDS
                    if wait:
                        # Counted in one line a minute per network, or per account when only the
                        # account is paused: a flood of guesses never grows the log without bound.
                        by_account = bool(_lock_left(account, now)) and not _lock_left(network, now)
                        self._refused(s, now, email, address, by_account)
                        break
                self._gate.wait(max(0.05, deadline - time.monotonic()))
            if not wait:
                for place in places:
                    self._held[place] += 1
        if wait:
            minutes = -(-wait // 60)
            raise SignInRefused(
                f"Too many wrong passwords in a row, so signing in is paused for this account or this "
                f"network for {minutes} minute{'s' if minutes != 1 else ''}. Wait, then try again; if you have "
                "forgotten your password, ask your administrator for a new invitation link.",
                429,
                wait,
            )
        good = False
        outcome = "no such account" if stored is None and user_id is None else "no password yet"
        try:
            good = _verify(stored or self._unknown_hash, password[: MAX_PASSWORD + 1]) and stored is not None
            if stored is not None:
                outcome = "signed in" if good else "wrong password"
        finally:
            # The answer is written before the places are given back, in one step under the gate:
            # an attempt waiting for a place counts this one's failure when it looks again.
            with self._gate:
                try:
                    with self.db.session() as s:
                        now = self.clock()
                        self._log(s, now, email, user_id, address, good, outcome)
                finally:
                    for place in places:
                        self._held[place] -= 1
                        if not self._held[place]:
                            del self._held[place]
                    self._gate.notify_all()
        if not good or user_id is None or stored is None:
            raise SignInRefused("The email or the password is not right.", 401)
        if HASHER.check_needs_rehash(stored):  # made with older parameters: renewed now it is known
            renewed = HASHER.hash(unicodedata.normalize("NFC", password))
            with self.db.session() as s:
                s.execute(update(User).where(User.id == user_id).values(password_hash=renewed))
        return self.start_session(user_id, address)

    def _log(
        self, s: Any, now: dt.datetime, email: str, user_id: int | None, address: str, success: bool, outcome: str
    ) -> None:
        """One line of the sign-in log; lines older than LOG_DAYS go at the same time (the log stays bounded)."""
        s.add(SignInRecord(at=now, email=email, user_id=user_id, address=address, success=success, outcome=outcome))
        s.execute(delete(SignInRecord).where(SignInRecord.at < now - dt.timedelta(days=LOG_DAYS)))
        if not success:  # a flood from many addresses at many emails: the oldest refused lines go first
            s.flush()
            kept = select(SignInRecord.id).where(SignInRecord.success.is_(False)).order_by(SignInRecord.id.desc())
            oldest = s.scalar(kept.offset(MAX_REFUSED_LINES).limit(1))
            if oldest is not None:
                s.execute(delete(SignInRecord).where(SignInRecord.success.is_(False), SignInRecord.id <= oldest))

    def _refused(self, s: Any, now: dt.datetime, email: str, address: str, by_account: bool) -> None:
        """An attempt refused for too many wrong passwords, added to this minute's line for its network
        (or its account, when the account is what is paused), which counts the attempts and says whether
        other emails (or addresses) were tried in it; a new line when there is none yet."""
        same = SignInRecord.email == email if by_account else _same_network(address)
        line = s.scalar(
            select(SignInRecord)
            .where(same, SignInRecord.outcome == "too many attempts", SignInRecord.at > now - MERGE_REFUSED)
            .order_by(SignInRecord.id.desc())
            .limit(1)
        )
        if line is None:
            known = s.scalar(select(User.id).where(User.email == email))
            self._log(s, now, email, known, address, False, "too many attempts")
            return
        line.attempts += 1
        line.last_at = now
        line.other_emails = line.other_emails or line.email != email
        line.other_addresses = line.other_addresses or line.address != address

    def _failures(self, s: Any, who: Any, now: dt.datetime, network: str | None = None) -> list[dt.datetime]:
        """When the latest counted failures of this account or network were (newest first, at most the limit).

        A run ends at a right password: for an account, its own; for a network, only the failures
        against the account that then signed in from there (`network`: the address), so someone with an account
        of their own cannot clear their guesses at other accounts by signing in between them.
        """
        since = now - dt.timedelta(minutes=LOCK_MINUTES)
        failed = [who, SignInRecord.success.is_(False), SignInRecord.outcome.in_(COUNTED), SignInRecord.at > since]
        if network is not None:
            later = aliased(SignInRecord)
            failed.append(
                ~exists().where(
                    later.email == SignInRecord.email,
                    later.success.is_(True),
                    later.id > SignInRecord.id,
                    _same_network(network, later),
                )
            )
        else:
            last_good = s.scalar(select(func.max(SignInRecord.id)).where(who, SignInRecord.success.is_(True)))
            if last_good is not None:
                failed.append(SignInRecord.id > last_good)
        return list(
            s.scalars(select(SignInRecord.at).where(*failed).order_by(SignInRecord.id.desc()).limit(WRONG_IN_A_ROW))
        )

    def sign_in_log(self, limit: int = 200, offset: int = 0) -> list[SignInRecord]:
        """The latest sign-ins first: who, when, from where, and how it went."""
        with self.db.session() as s:
            return list(
                s.scalars(
                    select(SignInRecord)
                    .order_by(SignInRecord.at.desc(), SignInRecord.id.desc())
                    .limit(limit)
                    .offset(offset)
                )
            )

    # ------------------------------------------------------------------ sessions

    def start_session(self, user_id: int, address: str) -> Session:
        """A new random session (never one the browser brought: no session fixation) and its CSRF token."""
        cookie = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = self.clock()
        with self.db.session() as s:
            s.execute(delete(StoredSession).where(StoredSession.last_seen < now - self._idle()))
            s.add(
                StoredSession(
                    id_hash=digest(cookie),
                    user_id=user_id,
                    csrf=csrf,
                    created_at=now,
                    last_seen=now,
                    address=stored_address(address),
                )
            )
            user = s.get(User, user_id)
            if user is None:
                raise AccountProblem("this account was removed")
            return Session(_person(user), cookie, csrf)

    def session(self, cookie: str) -> Session | None:
        """The session this cookie holds, if it is still open; its last request becomes now."""
        if not cookie or len(cookie) > 100:
            return None
        now = self.clock()
        key = digest(cookie)
        with self.db.session() as s:
            row = s.execute(
                select(StoredSession, User)
                .join(User, User.id == StoredSession.user_id)
                .where(StoredSession.id_hash == key)
            ).first()
            if row is None:
                return None
            stored, user = row
            if now - stored.last_seen > self._idle():
                s.delete(stored)
                return None
            if (now - stored.last_seen).total_seconds() > TOUCH_SECONDS:
                stored.last_seen = now
            return Session(_person(user), cookie, stored.csrf)

    def end_session(self, cookie: str) -> None:
        with self.db.session() as s:
            s.execute(delete(StoredSession).where(StoredSession.id_hash == digest(cookie)))

    def _idle(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.session_minutes)


def stored_address(address: str) -> str:
    """An address as the sign-in log keeps it: IPv6 written out in full (so its /64 is a prefix),
    an IPv4 address inside IPv6 (`::ffff:203.0.113.9`) as the IPv4 address it is."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return parsed.exploded if isinstance(parsed, ipaddress.IPv6Address) else str(parsed)


def _network(address: str) -> str:
    """Where wrong passwords count together: the IPv4 address, or the IPv6 /64 (one home or office
    network is given a whole /64, so a guesser could take a new address for every guess)."""
    if address.count(":") == 7 and len(address) == 39:  # an IPv6 address as stored_address writes it
        return address[:20]
    return address


def _same_network(address: str, table: Any = SignInRecord) -> Any:
    """The log's rows from the same place as `address` (its IPv4 address, or its IPv6 /64)."""
    network = _network(address)
    if network != address:
        return table.address.startswith(network, autoescape=True)
    return table.address == address


def _lock_left(failures: list[dt.datetime], now: dt.datetime) -> int:
    """Seconds until a run of failures (newest first) lets the next attempt in; 0 when it does now."""
    if len(failures) < WRONG_IN_A_ROW:
        return 0
    lifts = failures[-1] + dt.timedelta(minutes=LOCK_MINUTES)
    return max(1, int((lifts - now).total_seconds() + 0.999))


def _person(user: User) -> Person:
    return Person(user.id, user.email, user.role, frozenset(m.org for m in user.memberships), user.may_create)


def _verify(stored: str, password: str) -> bool:
    """argon2's own verification (constant time); a malformed stored hash is a wrong password."""
    try:
        return HASHER.verify(stored, unicodedata.normalize("NFC", password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
