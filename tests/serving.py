"""`packets serve` as an administrator starts it, for the tests of the hosted studio (tests/test_serve*.py).

The server runs as its own process (`packets serve --port 0`) in a copy of the project, with
its database in the test's folder; people are added, invited and accepted through the
accounts' own functions on that same database, then every request is real HTTP with the
session cookie and CSRF token a browser would hold.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from test_studio import _project_copy, exchange

PASSWORD = "correct horse battery staple"
BETA_NAME = "Beta Northshore Clinic"
BETA_MARK = "Room 77 of the Beta building"  # text found only in beta's file


@dataclass
class Person:
    email: str
    role: str
    cookie: str
    csrf: str
    id: int


@dataclass
class Server:
    root: Path
    out: Path
    db: Path
    host: str
    port: int
    process: subprocess.Popen
    output: list[str] = field(default_factory=list)
    people: dict[str, Person] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def accounts(self):
        from packets.serve.accounts import Accounts
        from packets.serve.db import open_database

        return Accounts(open_database(self.db))

    def add(self, email: str, role: str, orgs: tuple[str, ...] = (), may_create: bool = False) -> Person:
        """A person with an account, signed in (invited, and the invitation accepted)."""
        accounts = self.accounts()
        try:
            accounts.add_user(email, role, orgs, may_create)
            token = accounts.invite(email)
            session = accounts.accept(token, PASSWORD, PASSWORD, "127.0.0.1")
        finally:
            accounts.db.close()
        person = Person(email, role, f"packets_session={session.cookie}", session.csrf, session.person.id)
        self.people[email] = person
        return person

    def sign_in(self, email: str) -> Person:
        """Someone who has an account signs in again (a new session; the email and role as before)."""
        accounts = self.accounts()
        try:
            session = accounts.sign_in(email, PASSWORD, "127.0.0.1")
        finally:
            accounts.db.close()
        found = session.person
        person = Person(email, found.role, f"packets_session={session.cookie}", session.csrf, found.id)
        self.people[email] = person
        return person

    def request(
        self,
        method: str,
        path: str,
        person: Person | None = None,
        body: bytes | dict | None = None,
        headers: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        sent = {"Host": f"{self.host}:{self.port}"}
        if person is not None:
            sent["Cookie"] = person.cookie
            if method != "GET":
                sent["X-CSRF-Token"] = person.csrf
        if isinstance(body, dict):
            body = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        if form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent.pop("X-CSRF-Token", None)  # a plain form carries its token in a field
        sent.update(headers or {})
        return exchange(self.host, self.port, method, path, body, sent, timeout=120)

    def json(self, method: str, path: str, person: Person, body: dict | None = None) -> tuple[int, dict]:
        status, _, data = self.request(method, path, person, body)
        return status, json.loads(data)

    def save(self, slug: str, person: Person, change) -> tuple[int, dict]:
        """Load the organization as the page does, change its values, save them as the page does."""
        status, state = self.json("GET", f"/api/orgs/{slug}", person)
        assert status == 200, state
        data = state["data"]
        change(data)
        return self.json("POST", f"/api/orgs/{slug}/save", person, {"data": data, "version": state["version"]})


def beta_text() -> str:
    """The example file, made into a second organization with text no other file has."""
    from conftest import ROOT

    text = (ROOT / "content" / "orgs" / "example.yaml").read_text(encoding="utf-8")
    text = text.replace("Riverside Community Health Centre (example)", BETA_NAME)
    return text.replace("Room 2B, 120 River Street", BETA_MARK)


@contextlib.contextmanager
def running_server(base: Path, *args: str) -> Iterator[Server]:
    """`packets serve --port 0` in a copy of the project with organizations alpha and beta."""
    root = _project_copy(base)
    orgs = root / "content" / "orgs"
    shutil.copy(orgs / "example.yaml", orgs / "alpha.yaml")
    (orgs / "beta.yaml").write_text(beta_text(), encoding="utf-8")
    out, db = base / "output", base / "instance" / "packets.db"
    env = {**os.environ, "PACKETS_ROOT": str(root), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-c", "from packets.cli import main; main()", "serve", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--out", str(out), "--db", str(db), *args],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        line = ""
        deadline = time.monotonic() + 60
        while "Packets server:" not in line and time.monotonic() < deadline:
            line = process.stdout.readline()
            output.append(line)
            if not line and process.poll() is not None:
                raise RuntimeError("the server stopped before printing its address:\n" + "".join(output))
        threading.Thread(target=lambda: output.extend(process.stdout), daemon=True).start()
        parts = urlsplit(re.search(r"http://\S+", line)[0])
        yield Server(root, out, db, parts.hostname, parts.port, process, output)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
