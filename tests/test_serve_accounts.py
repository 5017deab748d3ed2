"""Accounts of the team server (`packets serve`, issue 33): invitations, passwords, sign-in and its
limit, sessions, sign-out, the sign-in log, the CSRF token on every change, `packets users`.

Every test speaks real HTTP to a real uvicorn on loopback (in a thread of this process, so the
accounts' clock can be moved forward instead of waiting seven days). The application is the
accounts' own layer and routes over a page that says who is signed in and a route that
changes something, as `packets serve` puts them in front of the studio.
"""

from __future__ import annotations

import datetime as dt
import http.client
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from test_studio import chrome  # noqa: F401 (the browser, as the studio's tests start it)

from packets.serve import accounts as accounts_module
from packets.serve.accounts import (
    HASHER,
    INVITATION_DAYS,
    LOCK_MINUTES,
    LOG_DAYS,
    SESSION_MINUTES,
    Accounts,
    SignInRefused,
)
from packets.serve.db import open_database, utcnow
from packets.serve.signin import AccountLayer, account_routes

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "river stones and cedar"
pytestmark = pytest.mark.xdist_group("serve-accounts")


class Clock:
    """The accounts' time: now, unless a test moves it forward."""

    def __init__(self) -> None:
        self.offset = dt.timedelta()
        self.stopped: dt.datetime | None = None

    def __call__(self) -> dt.datetime:
        return (self.stopped or utcnow()) + self.offset

    def forward(self, **delta: float) -> None:
        self.offset += dt.timedelta(**delta)

    def stop(self) -> None:
        """Time stands still (but for `forward`): what a test checks never depends on how fast it runs."""
        self.stopped = utcnow()


class Server:
    def __init__(self, accounts: Accounts, secure: bool = False, orgs: Path | None = None):
        async def home(request: Request) -> PlainTextResponse:
            user = request.state.user
            return PlainTextResponse(f"signed in as {user.email}" if user else "signed out")

        async def change(request: Request) -> JSONResponse:
            return JSONResponse({"changed": True, "by": request.state.user.email if request.state.user else None})

        routes = [
            Route("/", home),
            Route("/api/change", change, methods=["POST"]),
            *account_routes(accounts, "http://packets.test", orgs),
            Mount("/static", StaticFiles(directory=ROOT / "packets" / "studio" / "static")),
        ]
        self.app = AccountLayer(Starlette(routes=routes), accounts, secure=secure)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(32)
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


class Browser:
    """A browser's share of HTTP: cookies kept and sent back, the CSRF token read from each page."""

    def __init__(self, server: Server, address: str = "127.0.0.1"):
        self.server = server
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.address = address  # a second loopback address stands for another computer

    def request(self, method: str, path: str, fields: dict | None = None, headers: dict | None = None):
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.server.port, timeout=30, source_address=(self.address, 0)
        )
        sent = {"Host": f"127.0.0.1:{self.server.port}"}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if fields is not None:
            body = urlencode(fields, doseq=True).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        sent.update(headers or {})
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        raw = response.getheaders()
        connection.close()
        for name, value in raw:
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                val = rest.split(";")[0]
                if "Max-Age=0" in value:
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = val
        found = re.search(r'name="csrf" value="([^"]*)"', text)
        if found:
            self.csrf = found.group(1)
        return response.status, raw, text

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, fields: dict, csrf: bool = True, headers: dict | None = None):
        return self.request("POST", path, {**fields, **({"csrf": self.csrf} if csrf else {})}, headers)

    def sign_in(self, email: str, password: str = PASSWORD):
        self.get("/sign-in")
        return self.post("/sign-in", {"email": email, "password": password})


def header(raw: list[tuple[str, str]], name: str) -> list[str]:
    return [v for k, v in raw if k.lower() == name]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accounts(tmp_path, clock) -> Accounts:
    db = open_database(tmp_path / "instance" / "packets.db")
    yield Accounts(db, clock=clock)
    db.close()


@pytest.fixture
def server(accounts):
    running = Server(accounts)
    yield running
    running.stop()


def invited(accounts: Accounts, email: str, role: str = "coordinator", orgs=("riverside",)) -> str:
    accounts.add_user(email, role, orgs if role != "admin" else ())
    return "/invite/" + accounts.invite(email)


def member(accounts: Accounts, server: Server, email: str, role: str = "coordinator", address="127.0.0.1") -> Browser:
    """Someone invited who has set their password and is signed in."""
    link = invited(accounts, email, role)
    browser = Browser(server, address)
    browser.get(link)
    status, _, _ = browser.post(link, {"password": PASSWORD, "confirm": PASSWORD})
    assert status == 303
    return browser


# ---------------------------------------------------------------------------- the database


def test_the_database_is_made_by_the_migrations_in_wal_mode_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "instance" / "packets.db"
    open_database(path).close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("select version_num from alembic_version").fetchone()[0] == _head()
        tables = {r[0] for r in raw.execute("select name from sqlite_master where type='table'")}
        assert {"users", "memberships", "invitations", "sessions", "sign_ins"} <= tables
        assert raw.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert path.stat().st_mode & 0o077 == 0
    assert (tmp_path / "instance").stat().st_mode & 0o077 == 0
    open_database(path).close()  # opened again: already current, nothing to do, nothing lost


def _head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from packets.serve.db import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def test_a_database_of_the_previous_release_is_brought_up_to_date_keeping_its_log(tmp_path):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    from packets.serve.db import MIGRATIONS

    path = tmp_path / "packets.db"
    engine = create_engine(f"sqlite:///{path}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002_history")
        connection.exec_driver_sql(
            "insert into sign_ins (at, email, address, success, outcome) "
            "values ('2026-12-01 10:00:00', 'ann@example.org', '127.0.0.1', 0, 'wrong password')"
        )
    engine.dispose()
    db = open_database(path)
    try:
        (line,) = Accounts(db).sign_in_log()
        assert (line.email, line.outcome, line.attempts, line.other_emails) == (
            "ann@example.org",
            "wrong password",
            1,
            False,
        )
    finally:
        db.close()


# ---------------------------------------------------------------------------- invitations and passwords


def test_an_invitation_sets_the_password_and_signs_the_person_in(accounts, server):
    link = invited(accounts, "Ann@Example.org")
    browser = Browser(server)
    status, _, page = browser.get(link)
    assert status == 200
    assert "ann@example.org" in page and "Choose your password" in page
    status, raw, _ = browser.post(link, {"password": PASSWORD, "confirm": PASSWORD})
    assert status == 303 and header(raw, "location") == ["/"]
    assert browser.get("/")[2] == "signed in as ann@example.org"
    stored = sqlite3.connect(accounts.db.path).execute("select password_hash from users").fetchone()[0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert HASHER.verify(stored, PASSWORD)
    assert PASSWORD.encode() not in accounts.db.path.read_bytes()


def test_an_invitation_works_once(accounts, server):
    link = invited(accounts, "ann@example.org")
    first = Browser(server)
    first.get(link)
    assert first.post(link, {"password": PASSWORD, "confirm": PASSWORD})[0] == 303
    second = Browser(server)
    status, _, page = second.get(link)
    assert status == 410
    assert "already been used" in page and "new invitation link" in page
    second.get("/sign-in")
    status, _, page = second.post(link, {"password": "another long password", "confirm": "another long password"})
    assert status == 410
    assert second.get("/")[2] == "signed out"
    assert Browser(server).sign_in("ann@example.org")[0] == 303  # the first password still holds


def test_an_invitation_expires_after_seven_days(accounts, server, clock):
    link = invited(accounts, "ann@example.org")
    clock.forward(days=INVITATION_DAYS, minutes=-1)
    assert Browser(server).get(link)[0] == 200  # a minute before its end it still opens
    clock.forward(minutes=2)
    browser = Browser(server)
    status, _, page = browser.get(link)
    assert status == 410
    assert "expired" in page and "7 days" in page
    browser.get("/sign-in")
    assert browser.post(link, {"password": PASSWORD, "confirm": PASSWORD})[0] == 410
    assert browser.get("/")[2] == "signed out"


def test_a_new_invitation_replaces_the_older_link(accounts, server):
    old = invited(accounts, "ann@example.org")
    new = "/invite/" + accounts.invite("ann@example.org")
    status, _, page = Browser(server).get(old)
    assert status == 410 and "used" in page
    assert Browser(server).get(new)[0] == 200
    assert Browser(server).get("/invite/not-a-link-anyone-was-given")[0] == 410


@pytest.mark.parametrize(
    ("password", "confirm", "said"),
    [
        ("short one", "short one", "at least 12 characters (it has 9)"),
        (PASSWORD, PASSWORD + "!", "not the same"),
        ("ann@example.org", "ann@example.org", "cannot be your email address"),
    ],
)
def test_a_password_that_cannot_be_used_is_refused_with_the_reason(accounts, server, password, confirm, said):
    link = invited(accounts, "ann@example.org")
    browser = Browser(server)
    browser.get(link)
    status, _, page = browser.post(link, {"password": password, "confirm": confirm})
    assert status == 400
    assert said in page
    assert browser.get("/")[2] == "signed out"
    assert Browser(server).get(link)[0] == 200  # the link was not used up by a refused password


def test_a_password_is_never_written_to_the_log(accounts, server, caplog):
    caplog.set_level("DEBUG")
    member(accounts, server, "ann@example.org")
    Browser(server).sign_in("ann@example.org", "a wrong password here")
    Browser(server).sign_in("ann@example.org")
    assert PASSWORD not in caplog.text and "a wrong password here" not in caplog.text


# ---------------------------------------------------------------------------- signing in and its limit


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(accounts, server):
    member(accounts, server, "ann@example.org")
    wrong = Browser(server).sign_in("ann@example.org", "not the password at all")
    unknown = Browser(server).sign_in("nobody@example.org", "not the password at all")
    assert wrong[0] == unknown[0] == 401
    assert "The email or the password is not right." in wrong[2]
    assert "The email or the password is not right." in unknown[2]


def test_the_sixth_wrong_password_in_a_row_for_an_account_is_answered_429(accounts, server, clock):
    member(accounts, server, "ann@example.org")
    addresses = [f"127.0.0.{n}" for n in range(2, 9)]  # each attempt from another computer
    for n in range(5):
        assert Browser(server, addresses[n]).sign_in("ann@example.org", f"wrong password {n:04}")[0] == 401
    status, raw, page = Browser(server, addresses[5]).sign_in("ann@example.org", "wrong password 0005")
    assert status == 429
    assert "Too many wrong passwords in a row" in page and "15 minutes" in page
    assert 0 < int(header(raw, "retry-after")[0]) <= LOCK_MINUTES * 60
    # Even the right password waits: otherwise the pause would not slow anyone guessing.
    assert Browser(server, addresses[6]).sign_in("ann@example.org")[0] == 429
    clock.forward(minutes=LOCK_MINUTES, seconds=1)
    assert Browser(server, addresses[6]).sign_in("ann@example.org")[0] == 303


def test_the_sixth_wrong_password_in_a_row_from_an_address_is_answered_429(accounts, server):
    member(accounts, server, "ann@example.org")
    guesser = "127.0.0.9"
    for n in range(5):  # a different account each time: only the address links them
        assert Browser(server, guesser).sign_in(f"person{n}@example.org", "a guessed password")[0] == 401
    assert Browser(server, guesser).sign_in("ann@example.org")[0] == 429
    assert Browser(server, "127.0.0.10").sign_in("ann@example.org")[0] == 303  # elsewhere, Ann signs in


def test_guesses_sent_all_at_once_are_counted_one_after_another(accounts, server):
    member(accounts, server, "ann@example.org")
    browsers = [Browser(server, f"127.0.1.{n}") for n in range(12)]
    for browser in browsers:
        browser.get("/sign-in")
    answers: list[int] = []
    start = threading.Barrier(len(browsers))

    def guess(browser: Browser, n: int) -> None:
        start.wait()
        answers.append(browser.post("/sign-in", {"email": "ann@example.org", "password": f"guess number {n:04}"})[0])

    threads = [threading.Thread(target=guess, args=(b, n)) for n, b in enumerate(browsers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(answers) == [401] * 5 + [429] * 7


def _log_lines(accounts: Accounts) -> list[tuple]:
    with sqlite3.connect(accounts.db.path) as db:
        return db.execute(
            "select email, address, outcome, attempts, other_emails, other_addresses from sign_ins order by id"
        ).fetchall()


def test_a_flood_of_wrong_passwords_adds_one_line_a_minute_that_counts_them(accounts, server, clock):
    clock.stop()  # "a minute" is the accounts' clock's: however slow this machine, all of this is in one
    admin = member(accounts, server, "admin@example.org", role="admin")
    member(accounts, server, "ann@example.org")
    guesser = "127.0.0.11"
    for n in range(5):
        assert Browser(server, guesser).sign_in("ann@example.org", f"wrong password {n:04}")[0] == 401
    for n in range(40):  # refused from here on, at one account and then at others
        email = "ann@example.org" if n < 30 else f"other{n}@example.org"
        assert Browser(server, guesser).sign_in(email, f"guess number {n:04}")[0] == 429
    lines = [line for line in _log_lines(accounts) if line[1] == guesser]
    assert [line[2] for line in lines] == ["wrong password"] * 5 + ["too many attempts"]
    assert lines[-1] == ("ann@example.org", guesser, "too many attempts", 40, 1, 0)
    # From other addresses at the paused account: counted in that account's line of this minute.
    for n in range(3):
        assert Browser(server, f"127.0.0.{20 + n}").sign_in("ann@example.org", "one more guess")[0] == 429
    lines = [line for line in _log_lines(accounts) if line[2] == "too many attempts"]
    assert lines == [("ann@example.org", guesser, "too many attempts", 43, 1, 1)]
    # The admin sees the flood: how many attempts, and that other emails and addresses were in it.
    page = admin.get("/admin/sign-ins")[2]
    said = r"too many attempts: 43 attempts until \d\d:\d\d:\d\d, for other emails too, from other addresses too</td>"
    assert re.search(said, page)
    # The next minute has lines of its own: the account's (paused), the guesser's network's (paused too).
    clock.forward(minutes=1, seconds=1)
    for n in range(3):
        assert Browser(server, "127.0.0.21").sign_in("ann@example.org", "a later guess")[0] == 429
        assert Browser(server, guesser).sign_in(f"x{n}@example.org", "a later guess")[0] == 429
    lines = [line for line in _log_lines(accounts) if line[2] == "too many attempts"]
    assert lines[1:] == [
        ("ann@example.org", "127.0.0.21", "too many attempts", 3, 0, 0),
        ("x0@example.org", guesser, "too many attempts", 3, 1, 0),
    ]


def test_the_log_keeps_at_most_so_many_refused_lines_and_every_sign_in(accounts, server, monkeypatch):
    monkeypatch.setattr(accounts_module, "MAX_REFUSED_LINES", 8)
    member(accounts, server, "admin@example.org", role="admin")
    for n in range(12):  # a guess from each of many addresses, at many accounts: none paused
        assert Browser(server, f"127.0.2.{n}").sign_in(f"person{n}@example.org", "a guessed password")[0] == 401
    lines = _log_lines(accounts)
    refused = [line for line in lines if line[2] == "no such account"]
    assert [line[0] for line in refused] == [f"person{n}@example.org" for n in range(4, 12)]
    assert ("admin@example.org", "127.0.0.1", "password set", 1, 0, 0) in lines


def test_a_right_password_ends_the_run_of_wrong_ones(accounts, server):
    member(accounts, server, "ann@example.org")
    for n in range(4):
        assert Browser(server).sign_in("ann@example.org", f"wrong password {n:04}")[0] == 401
    assert Browser(server).sign_in("ann@example.org")[0] == 303
    for n in range(5):
        assert Browser(server).sign_in("ann@example.org", f"wrong password {n:04}")[0] == 401
    assert Browser(server).sign_in("ann@example.org")[0] == 429


def _slow_checks(monkeypatch) -> None:
    """Each password check takes a while, as on a busy server: attempts sent at once overlap for sure."""
    import packets.serve.accounts as module

    verify = module._verify

    def slow(stored: str, password: str) -> bool:
        time.sleep(0.2)
        return verify(stored, password)

    monkeypatch.setattr(module, "_verify", slow)


def _all_at_once(browsers: list[Browser], attempts: list[tuple[str, str]]) -> list[int]:
    """Each browser sends its sign-in (email, password) at the same moment; the statuses answered."""
    for browser in browsers:
        browser.get("/sign-in")
    answers: list[int] = []
    start = threading.Barrier(len(browsers))

    def send(browser: Browser, email: str, password: str) -> None:
        start.wait()
        answers.append(browser.post("/sign-in", {"email": email, "password": password})[0])

    threads = [threading.Thread(target=send, args=(b, *a)) for b, a in zip(browsers, attempts, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return answers


def test_twenty_people_of_one_office_signing_in_at_once_all_get_in(accounts, server, monkeypatch):
    """One address (an office behind one NAT): right passwords still being checked are no failures."""
    for n in range(20):
        accounts.add_user(f"staff{n}@example.org", "coordinator", ["riverside"])
        accounts.accept(accounts.invite(f"staff{n}@example.org"), PASSWORD, PASSWORD, "127.0.0.1")
    _slow_checks(monkeypatch)
    office = [Browser(server, "127.0.2.1") for _ in range(20)]
    answers = _all_at_once(office, [(f"staff{n}@example.org", PASSWORD) for n in range(20)])
    assert answers == [303] * 20
    assert [r.outcome for r in accounts.sign_in_log(limit=20)] == ["signed in"] * 20


def test_guesses_from_one_address_sent_at_once_get_five_tries_at_most(accounts, server, monkeypatch):
    member(accounts, server, "ann@example.org")
    _slow_checks(monkeypatch)
    guesser = [Browser(server, "127.0.2.2") for _ in range(12)]
    answers = _all_at_once(guesser, [(f"person{n}@example.org", "a guessed password") for n in range(12)])
    assert sorted(answers) == [401] * 5 + [429] * 7
    assert Browser(server, "127.0.2.2").sign_in("ann@example.org")[0] == 429


def test_signing_in_to_ones_own_account_does_not_clear_guesses_at_others(accounts, server):
    member(accounts, server, "mal@example.org")
    guesser = "127.0.2.3"
    for n in range(3):
        assert Browser(server, guesser).sign_in(f"person{n}@example.org", "a guessed password")[0] == 401
    assert Browser(server, guesser).sign_in("mal@example.org")[0] == 303
    for n in range(3, 5):
        assert Browser(server, guesser).sign_in(f"person{n}@example.org", "a guessed password")[0] == 401
    assert Browser(server, guesser).sign_in("mal@example.org")[0] == 429
    assert Browser(server, guesser).sign_in("person9@example.org", "a guessed password")[0] == 429
    # A mistyped password of one's own is forgiven once one signs in: an office is not paused for it.
    member(accounts, server, "bo@example.org")
    office = "127.0.2.4"
    for who in ("mal@example.org", "bo@example.org"):
        for n in range(4):
            assert Browser(server, office).sign_in(who, f"a typing slip {n:04}")[0] == 401
        assert Browser(server, office).sign_in(who)[0] == 303


def test_the_sign_in_log_keeps_180_days(accounts, server, clock):
    member(accounts, server, "ann@example.org")
    Browser(server, "127.0.2.5").sign_in("ann@example.org", "a wrong password here")
    assert [r.outcome for r in accounts.sign_in_log()] == ["wrong password", "password set"]
    clock.forward(days=LOG_DAYS, minutes=-1)
    Browser(server, "127.0.2.6").sign_in("ann@example.org")
    assert len(accounts.sign_in_log()) == 3
    clock.forward(minutes=2)
    Browser(server, "127.0.2.6").sign_in("ann@example.org")
    assert [r.outcome for r in accounts.sign_in_log()] == ["signed in", "signed in"]


def test_signing_in_leads_back_to_the_page_asked_for_and_never_to_another_site(accounts, server):
    member(accounts, server, "ann@example.org")
    for asked, lands in [
        ("/orgs/riverside", "/orgs/riverside"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
    ]:
        browser = Browser(server)
        browser.get("/sign-in")
        status, raw, _ = browser.post("/sign-in", {"email": "ann@example.org", "password": PASSWORD, "next": asked})
        assert status == 303 and header(raw, "location") == [lands]


# ---------------------------------------------------------------------------- sessions


def test_a_session_ends_after_inactivity_and_lasts_while_used(accounts, server, clock):
    browser = member(accounts, server, "ann@example.org")
    for _ in range(3):  # used every hour for three hours: still signed in
        clock.forward(minutes=SESSION_MINUTES / 2)
        assert browser.get("/")[2] == "signed in as ann@example.org"
    clock.forward(minutes=SESSION_MINUTES, seconds=1)
    status, raw, text = browser.get("/")
    assert text == "signed out"
    assert any("packets_session=;" in v and "Max-Age=0" in v for v in header(raw, "set-cookie"))


def test_sign_out_ends_the_session_on_the_server(accounts, server):
    browser = member(accounts, server, "ann@example.org")
    kept = dict(browser.cookies)  # what someone who copied the cookie would send later
    browser.get("/admin/users")  # a page with the sign-out button (here: refused, as Ann is no admin)
    status, raw, _ = browser.post("/sign-out", {})
    assert status == 303 and header(raw, "location") == ["/sign-in?signed_out=1"]
    assert "You are signed out." in browser.get("/sign-in?signed_out=1")[2]
    assert browser.get("/")[2] == "signed out"
    thief = Browser(server)
    thief.cookies = kept
    assert thief.get("/")[2] == "signed out"


def test_a_session_cookie_is_stored_only_as_a_digest(accounts, server):
    browser = member(accounts, server, "ann@example.org")
    cookie = browser.cookies["packets_session"]
    stored = [r[0] for r in sqlite3.connect(accounts.db.path).execute("select id_hash from sessions")]
    assert stored and cookie not in stored and cookie.encode() not in accounts.db.path.read_bytes()


def test_removing_someone_signs_them_out_at_once(accounts, server):
    member(accounts, server, "admin@example.org", role="admin")
    browser = member(accounts, server, "ann@example.org")
    accounts.remove_user("ann@example.org")
    assert browser.get("/")[2] == "signed out"


def test_signing_in_again_keeps_ones_other_sessions_and_a_new_password_ends_them_all(accounts, server):
    laptop = member(accounts, server, "ann@example.org")
    phone = Browser(server)
    assert phone.sign_in("ann@example.org")[0] == 303
    assert laptop.get("/")[2] == phone.get("/")[2] == "signed in as ann@example.org"
    # A new link (a forgotten password, or a suspected stolen one) changes nothing until it is used ...
    link = "/invite/" + accounts.invite("ann@example.org")
    assert laptop.get("/")[2] == "signed in as ann@example.org"
    # ... then the password it sets ends every earlier session, on every computer.
    fresh = Browser(server)
    fresh.get(link)
    new = "a new password for a new start"
    assert fresh.post(link, {"password": new, "confirm": new})[0] == 303
    assert laptop.get("/")[2] == phone.get("/")[2] == "signed out"
    assert fresh.get("/")[2] == "signed in as ann@example.org"
    assert Browser(server).sign_in("ann@example.org")[0] == 401  # the old password no longer opens it


def test_an_organization_taken_away_ends_the_persons_sessions(accounts, server):
    browser = member(accounts, server, "ann@example.org")
    accounts.change_orgs("ann@example.org", add=["lakeside"])  # given one more: still signed in
    assert browser.get("/")[2] == "signed in as ann@example.org"
    assert accounts.person("ann@example.org").orgs == {"riverside", "lakeside"}
    accounts.change_orgs("ann@example.org", remove=["riverside"])
    assert browser.get("/")[2] == "signed out"
    assert accounts.person("ann@example.org").orgs == {"lakeside"}


# ---------------------------------------------------------------------------- CSRF


def _posts(server: Server) -> list[str]:
    """Every route of the application that takes a POST, read from its own route table."""
    found = []
    for route in server.app.app.routes:
        if "POST" in (getattr(route, "methods", None) or ()):
            found.append(route.path.replace("{token}", "some-token"))
    return found


@pytest.mark.parametrize("kind", ["no token", "another session's token", "the signed-out token", "another site"])
def test_every_post_without_the_sessions_csrf_token_is_refused(accounts, server, kind):
    admin = member(accounts, server, "admin@example.org", role="admin")
    other = member(accounts, server, "ann@example.org")
    other.get("/admin/users")
    admin.get("/admin/users")
    posts = _posts(server)
    assert {"/sign-in", "/sign-out", "/invite/some-token", "/admin/users", "/api/change"} <= set(posts)
    for path in posts:
        fields = {"email": "bob@example.org", "role": "facilitator", "action": "add"}
        if kind == "no token":
            status, _, page = admin.post(path, fields, csrf=False)
        elif kind == "another session's token":
            status, _, page = admin.post(path, {**fields, "csrf": other.csrf}, csrf=False)
        elif kind == "the signed-out token":
            stranger = Browser(server)
            stranger.get("/sign-in")
            status, _, page = admin.post(path, {**fields, "csrf": stranger.csrf}, csrf=False)
        else:
            status, _, page = admin.post(path, fields, headers={"Origin": "https://evil.example"})
        assert status == 403, (path, kind)
        assert "refused" in page.lower() or "not sent from this site" in page
    assert accounts.person("bob@example.org") is None
    assert admin.get("/")[2] == "signed in as admin@example.org"  # nothing was signed out either


def test_the_csrf_token_in_a_header_lets_the_studios_script_change_things(accounts, server):
    browser = member(accounts, server, "ann@example.org")
    browser.get("/admin/users")  # any page gives the token (this one says it is for admins only)
    status, _, body = browser.request("POST", "/api/change", headers={"X-CSRF-Token": browser.csrf})
    assert status == 200 and '"by":"ann@example.org"' in body
    status, _, _ = browser.request("POST", "/api/change", headers={"X-CSRF-Token": "forged"})
    assert status == 403


def test_signing_in_without_the_pages_token_is_refused(accounts, server):
    member(accounts, server, "ann@example.org")
    browser = Browser(server)  # never loaded the sign-in page: a form posted from another site
    status, _, _ = browser.post("/sign-in", {"email": "ann@example.org", "password": PASSWORD}, csrf=False)
    assert status == 403
    assert "packets_session" not in browser.cookies


# ---------------------------------------------------------------------------- the admin's pages


def test_an_admin_adds_someone_and_hands_over_the_link_the_page_shows(accounts, server):
    admin = member(accounts, server, "admin@example.org", role="admin")
    admin.get("/admin/users")
    status, _, page = admin.post(
        "/admin/users",
        {"action": "add", "email": "Bea@Example.org", "role": "facilitator", "orgs": "riverside, lakeside"},
    )
    assert status == 200
    link = re.search(r'value="http://packets\.test(/invite/[^"]+)"', page).group(1)
    assert "bea@example.org" in page and "lakeside, riverside" in page and "invited until" in page
    bea = Browser(server)
    bea.get(link)
    assert bea.post(link, {"password": PASSWORD, "confirm": PASSWORD})[0] == 303
    assert accounts.person("bea@example.org").orgs == {"riverside", "lakeside"}
    status, _, page = admin.post("/admin/users", {"action": "remove", "email": "bea@example.org"})
    assert status == 200 and "Remove <strong>bea@example.org</strong>?" in page  # asked once more
    assert bea.get("/")[2] == "signed in as bea@example.org"
    status, _, page = admin.post("/admin/users", {"action": "remove", "email": "bea@example.org", "confirm": "yes"})
    assert status == 200 and "Removed bea@example.org" in page and '<th scope="row">bea@example.org' not in page
    assert bea.get("/")[2] == "signed out"


def test_an_admin_gives_and_takes_away_organizations_on_the_people_page(accounts, server):
    admin = member(accounts, server, "admin@example.org", role="admin")
    bea = member(accounts, server, "bea@example.org")  # riverside
    admin.get("/admin/users")
    change = {"action": "orgs", "email": "bea@example.org"}
    status, _, page = admin.post("/admin/users", {**change, "orgs": "riverside, lakeside"})
    assert status == 200 and "bea@example.org now has: lakeside, riverside." in page
    assert bea.get("/")[2] == "signed in as bea@example.org"  # given one more: still signed in
    status, _, page = admin.post("/admin/users", {**change, "orgs": "lakeside"})
    assert status == 200 and "bea@example.org now has: lakeside. They were signed out" in page
    assert bea.get("/")[2] == "signed out"
    assert accounts.person("bea@example.org").orgs == {"lakeside"}
    status, _, page = admin.post("/admin/users", {**change, "email": "admin@example.org", "orgs": "lakeside"})
    assert status == 400 and "is an admin, who works with every organization" in page


def test_an_admin_cannot_give_someone_an_organization_that_has_no_file(accounts, tmp_path):
    orgs = tmp_path / "orgs"
    orgs.mkdir()
    (orgs / "riverside.yaml").write_text('name: "Riverside"\n', encoding="utf-8")
    running = Server(accounts, orgs=orgs)
    try:
        admin = member(accounts, running, "admin@example.org", role="admin")
        admin.get("/admin/users")
        fields = {"action": "add", "email": "bea@example.org", "role": "coordinator", "orgs": "riverside, rivreside"}
        status, _, page = admin.post("/admin/users", fields)
        assert status == 400 and "no organization file content/orgs/rivreside.yaml" in page
        assert accounts.person("bea@example.org") is None
        status, _, page = admin.post("/admin/users", {**fields, "orgs": "riverside"})
        assert status == 200 and accounts.person("bea@example.org").orgs == {"riverside"}
    finally:
        running.stop()


def test_the_admins_pages_refuse_everyone_else(accounts, server):
    ann = member(accounts, server, "ann@example.org")
    for path in ("/admin/users", "/admin/sign-ins"):
        status, _, page = ann.get(path)
        assert status == 403 and "administrators" in page
        status, raw, _ = Browser(server).get(path)
        assert status == 303 and header(raw, "location") == [f"/sign-in?next={path}"]
    ann.get("/sign-in")
    status, _, _ = ann.post("/admin/users", {"action": "add", "email": "eve@example.org", "role": "admin"})
    assert status == 403 and accounts.person("eve@example.org") is None


def test_the_sign_in_log_shows_who_when_from_where_and_how_it_went(accounts, server, clock):
    admin = member(accounts, server, "admin@example.org", role="admin")
    member(accounts, server, "ann@example.org")
    Browser(server, "127.0.0.5").sign_in("ann@example.org", "a wrong password here")
    Browser(server, "127.0.0.6").sign_in("ann@example.org")
    Browser(server, "127.0.0.7").sign_in("<b>nobody</b>@example.org", "a wrong password here")
    status, _, page = admin.get("/admin/sign-ins")
    assert status == 200
    rows = re.findall(
        r"<tr class=\"(ok|failed)\">\s*<td>([^<]+)</td>\s*<td>([^<]*)</td>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>", page
    )
    assert rows[0][2:] == ("&lt;b&gt;nobody&lt;/b&gt;@example.org", "127.0.0.7", "no such account")
    assert rows[1] == ("ok", rows[1][1], "ann@example.org", "127.0.0.6", "signed in")
    assert rows[2][2:] == ("ann@example.org", "127.0.0.5", "wrong password")
    assert dt.datetime.strptime(rows[1][1], "%Y-%m-%d %H:%M:%S") <= clock() + dt.timedelta(seconds=1)
    assert "<b>nobody</b>" not in page


def test_the_accounts_pages_keep_the_studios_content_security_policy(accounts, server):
    status, raw, page = Browser(server).get("/sign-in")
    assert status == 200
    assert header(raw, "content-security-policy")[0].startswith("default-src 'self'")
    assert "<script" not in page and 'href="/static/studio.css"' in page
    assert Browser(server).get("/static/accounts.css")[0] == 200


# ---------------------------------------------------------------------------- cookies over real HTTP


def test_the_session_cookie_is_httponly_and_lax_and_secure_with_https(accounts, server):
    link = invited(accounts, "ann@example.org")
    browser = Browser(server)
    browser.get(link)
    _, raw, _ = browser.post(link, {"password": PASSWORD, "confirm": PASSWORD})
    cookie = next(v for v in header(raw, "set-cookie") if v.startswith("packets_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie and "Secure" not in cookie
    secure = Server(accounts, secure=True)
    try:
        other = Browser(secure)
        _, raw, _ = other.get("/sign-in")
        cookie = header(raw, "set-cookie")[0]
        assert cookie.startswith("__Host-packets_csrf=") and "; Secure" in cookie and "Domain" not in cookie
        _, raw, _ = other.post("/sign-in", {"email": "ann@example.org", "password": PASSWORD})
        cookie = next(v for v in header(raw, "set-cookie") if "packets_session" in v)
        assert cookie.startswith("__Host-packets_session=") and "; Secure" in cookie and "HttpOnly" in cookie
    finally:
        secure.stop()


# ---------------------------------------------------------------------------- packets users


def _packets(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from packets.cli import main; main()", *args],
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "PACKETS_ROOT": str(ROOT), "HOME": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_packets_users_add_prints_a_link_that_sets_the_password(tmp_path, clock):
    db = tmp_path / "team.db"
    done = _packets(
        tmp_path,
        "users",
        "add",
        "Ann@Example.org",
        "--role",
        "coordinator",
        "--org",
        "example",
        "--may-create",
        "--db",
        str(db),
        "--public-url",
        "https://packets.example.org",
    )
    assert done.returncode == 0, done.stderr
    link = done.stdout.strip()
    assert re.fullmatch(r"https://packets\.example\.org/invite/[A-Za-z0-9_-]{43}", link)
    assert "works once, for 7 days" in done.stderr
    listed = _packets(tmp_path, "users", "list", "--db", str(db))
    assert "ann@example.org  coordinator (may create organizations)  example  invited until" in listed.stdout
    database = open_database(db)
    try:
        running = Server(Accounts(database, clock=clock))
        try:
            path = urlsplit(link).path
            browser = Browser(running)
            browser.get(path)
            assert browser.post(path, {"password": PASSWORD, "confirm": PASSWORD})[0] == 303
            assert browser.get("/")[2] == "signed in as ann@example.org"
        finally:
            running.stop()
    finally:
        database.close()
    assert "active" in _packets(tmp_path, "users", "list", "--db", str(db)).stdout
    again = _packets(tmp_path, "users", "invite", "ann@example.org", "--db", str(db))
    assert again.returncode == 0 and again.stdout.startswith("http://127.0.0.1:8765/invite/")
    removed = _packets(tmp_path, "users", "remove", "ann@example.org", "--db", str(db))
    assert removed.returncode == 0 and "Removed ann@example.org" in removed.stdout
    assert "No accounts yet" in _packets(tmp_path, "users", "list", "--db", str(db)).stdout


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["add", "not-an-address", "--role", "admin"], "'not-an-address' is not an email address"),
        (
            ["add", "a@example.org", "--role", "coordinator", "--org", "nowhere"],
            "no organization file content/orgs/nowhere.yaml",
        ),
        (["add", "a@example.org", "--role", "admin", "--org", "example"], "an admin works with every organization"),
        (["add", "a@example.org", "--role", "facilitator", "--may-create"], "only a coordinator can be allowed"),
        (
            ["add", "a@example.org", "--role", "admin", "--public-url", "packets.example.org"],
            "--public-url must be like",
        ),
        (["invite", "nobody@example.org"], "there is no account for nobody@example.org"),
        (["remove", "nobody@example.org"], "there is no account for nobody@example.org"),
        (["orgs", "nobody@example.org", "--remove", "example"], "there is no account for nobody@example.org"),
        (["orgs", "a@example.org"], "name an organization with --add SLUG or --remove SLUG"),
        (["orgs", "a@example.org", "--add", "nowhere"], "no organization file content/orgs/nowhere.yaml"),
    ],
)
def test_packets_users_says_what_is_wrong_and_exits_2(tmp_path, args, said):
    done = _packets(tmp_path, "users", *args, "--db", str(tmp_path / "team.db"))
    assert done.returncode == 2
    assert said in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_packets_users_keeps_the_last_admin_and_refuses_a_file_that_is_not_its_database(tmp_path):
    db = tmp_path / "team.db"
    assert _packets(tmp_path, "users", "add", "boss@example.org", "--role", "admin", "--db", str(db)).returncode == 0
    kept = _packets(tmp_path, "users", "remove", "boss@example.org", "--db", str(db))
    assert kept.returncode == 2 and "the only admin" in kept.stderr
    admin = _packets(tmp_path, "users", "orgs", "boss@example.org", "--add", "example", "--db", str(db))
    assert admin.returncode == 2 and "is an admin, who works with every organization" in admin.stderr
    added = _packets(tmp_path, "users", "add", "fa@example.org", "--role", "facilitator", "--db", str(db))
    assert added.returncode == 0
    given = _packets(tmp_path, "users", "orgs", "fa@example.org", "--add", "example", "--db", str(db))
    assert given.returncode == 0 and given.stdout == "fa@example.org now has: example.\n"
    absent = _packets(tmp_path, "users", "orgs", "fa@example.org", "--remove", "riverside", "--db", str(db))
    assert absent.returncode == 2 and "fa@example.org does not have riverside" in absent.stderr
    twice = _packets(tmp_path, "users", "add", "Boss@example.org", "--role", "admin", "--db", str(db))
    assert twice.returncode == 2 and "already has an account" in twice.stderr
    other = tmp_path / "notes.txt"
    other.write_text("not a database, but notes " * 100)
    refused = _packets(tmp_path, "users", "list", "--db", str(other))
    assert refused.returncode == 2 and "is not a packets database" in refused.stderr
    assert other.read_text().startswith("not a database")


def test_a_database_that_cannot_be_opened_is_named_with_what_to_do(tmp_path):
    dangling = tmp_path / "team.db"
    dangling.symlink_to(tmp_path / "no-such-folder" / "team.db")
    done = _packets(tmp_path, "users", "list", "--db", str(dangling))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"cannot open or write the database {dangling}" in done.stderr and "--db PATH" in done.stderr


# ---------------------------------------------------------------------------- in a browser


def test_the_accounts_pages_work_from_the_keyboard_and_pass_axe(accounts, server, chrome):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from test_studio import _no_axe_violations, _wait

    base = f"http://127.0.0.1:{server.port}"
    accounts.add_user("admin@example.org", "admin")
    link = "/invite/" + accounts.invite("admin@example.org")
    chrome.delete_all_cookies()
    chrome.get(base + link)
    _no_axe_violations(chrome, "the invitation")
    chrome.find_element(By.ID, "password").send_keys("too short")
    chrome.find_element(By.ID, "confirm").send_keys("too short", Keys.ENTER)  # the browser's own check first
    assert chrome.execute_script("return document.getElementById('password').validity.tooShort")
    assert "/invite/" in chrome.current_url
    for field in ("password", "confirm"):
        chrome.find_element(By.ID, field).clear()
        chrome.find_element(By.ID, field).send_keys(PASSWORD)
    chrome.find_element(By.ID, "confirm").send_keys(Keys.ENTER)
    _wait(chrome, lambda: chrome.current_url == base + "/", "signed in after choosing the password")
    chrome.get(base + "/admin/users")
    _no_axe_violations(chrome, "people")
    chrome.find_element(By.ID, "new-email").send_keys("bea@example.org")
    chrome.find_element(By.ID, "new-orgs").send_keys("riverside", Keys.ENTER)
    link = _wait(chrome, lambda: chrome.find_element(By.ID, "link").get_attribute("value"), "the new link")
    assert link.startswith("http://packets.test/invite/")
    _no_axe_violations(chrome, "people, with a link")
    chrome.get(base + "/admin/sign-ins")
    _no_axe_violations(chrome, "the sign-in log")
    chrome.find_element(By.CSS_SELECTOR, ".sign-out button").send_keys(Keys.ENTER)
    _wait(chrome, lambda: "signed_out=1" in chrome.current_url, "signed out")
    assert "You are signed out." in chrome.find_element(By.TAG_NAME, "main").text
    _no_axe_violations(chrome, "sign-in")
    for n in range(6):
        chrome.find_element(By.ID, "email").clear()
        chrome.find_element(By.ID, "email").send_keys("admin@example.org")
        chrome.find_element(By.ID, "password").send_keys(f"not it, try {n}", Keys.ENTER)
        _wait(chrome, lambda: chrome.find_elements(By.ID, "sign-in-error"), "the answer")
    assert "Too many wrong passwords in a row" in chrome.find_element(By.ID, "sign-in-error").text
    _no_axe_violations(chrome, "sign-in, paused")
    chrome.get(base + link[len("http://packets.test") :])
    assert "Choose your password" in chrome.page_source


def test_guesses_from_one_ipv6_network_count_together(accounts, server):
    """A home or office gets a whole /64: a guesser there could take a new address for every guess."""
    member(accounts, server, "ann@example.org")
    for n in range(5):
        with pytest.raises(SignInRefused) as refused:
            accounts.sign_in(f"person{n}@example.org", "a guessed password", f"2001:db8:5:7::{n + 1:x}")
        assert refused.value.status == 401
    with pytest.raises(SignInRefused) as refused:
        accounts.sign_in("ann@example.org", PASSWORD, "2001:db8:5:7:ffff::9")
    assert refused.value.status == 429
    assert accounts.sign_in("ann@example.org", PASSWORD, "2001:db8:5:8::1").person.email == "ann@example.org"
    assert accounts.sign_in("ann@example.org", PASSWORD, "::ffff:203.0.113.9").person.email == "ann@example.org"
    logged = [(r.address, r.outcome) for r in accounts.sign_in_log(limit=3)]
    assert logged == [
        ("203.0.113.9", "signed in"),
        ("2001:0db8:0005:0008:0000:0000:0000:0001", "signed in"),
        ("2001:0db8:0005:0007:ffff:0000:0000:0009", "too many attempts"),
    ]
    admin = member(accounts, server, "admin@example.org", role="admin")
    page = admin.get("/admin/sign-ins")[2]
    assert "<td>2001:db8:5:8::1</td>" in page  # shown as people write it
