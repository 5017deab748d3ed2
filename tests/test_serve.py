"""`packets serve` over real HTTP: roles, the history of every save, restore, two people at
once, one build at a time per person, and the checks made before the server listens."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from serving import running_server
from test_studio_server import _descendants

from packets.studio.yamlfile import digest

pytestmark = pytest.mark.xdist_group("serve")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("serve")) as started:
        started.add("admin@example.org", "admin")
        started.add("alpha@example.org", "coordinator", ("alpha",))
        started.add("second@example.org", "coordinator", ("alpha",))
        started.add("maker@example.org", "coordinator", ("alpha",), may_create=True)
        started.add("reader@example.org", "facilitator", ("alpha",))
        yield started


def _history(server, slug: str, person) -> str:
    status, _, page = server.request("GET", f"/orgs/{slug}/history", person)
    assert status == 200, page[:300]
    return page.decode()


def _rows(page: str) -> list[tuple[str, str]]:
    """(version number, the row's text) for each row of the history table, newest first."""
    rows = re.findall(r'<tr data-version="(\d+)"[^>]*>(.*?)</tr>', page, re.S)
    return [(number, re.sub(r"<[^>]+>", " ", body)) for number, body in rows]


def test_a_facilitator_reads_and_downloads_but_changes_nothing(server):
    reader = server.people["reader@example.org"]
    status, _, page = server.request("GET", "/orgs/alpha", reader)
    assert status == 200 and b"data-readonly" in page
    status, state = server.json("GET", "/api/orgs/alpha", reader)
    assert status == 200
    body = {"data": state["data"], "version": state["version"]}
    for action in ("save", "build", "logo"):
        status, answer = server.json("POST", f"/api/orgs/alpha/{action}", reader, body)
        assert status == 403 and "facilitator" in answer["error"], (action, status, answer)
    status, _, _ = server.request("POST", "/api/orgs", reader, {"name": "Another clinic"})
    assert status == 403
    status, _, page = server.request("GET", "/new", reader)
    assert status == 403 and b"Creating an organization is for administrators" in page
    # Reading: the review and the history are open to them; the file is unchanged.
    status, _ = server.json("POST", "/api/orgs/alpha/review", reader, body)
    assert status == 200
    assert "Restore" not in _history(server, "alpha", reader)
    assert digest((server.root / "content/orgs/alpha.yaml").read_bytes()) == state["version"]


def test_every_save_is_a_version_and_a_review_change_stands_out(server):
    alpha = server.people["alpha@example.org"]
    status, _ = server.save("alpha", alpha, lambda d: d["workshop"].update(title="Allyship, a first day"))
    assert status == 200

    def review(data):
        data["land_acknowledgement"]["reviewed_by"] = "Elder Mary Thomas, paid for her time"

    status, _ = server.save("alpha", alpha, review)
    assert status == 200
    rows = _rows(_history(server, "alpha", alpha))
    newest, older = rows[0][1], rows[1][1]
    assert "alpha@example.org" in newest and "Acknowledgement review changed" in newest
    assert "Elder Mary Thomas, paid for her time" in newest
    assert "Acknowledgement review changed" not in older
    status, _, page = server.request("GET", f"/orgs/alpha/history/{rows[1][0]}", alpha)
    assert status == 200
    text = page.decode()
    assert "+  title: Allyship, a first day" in text and "-  title: Allyship in practice" in text


def test_restore_makes_a_new_version_and_needs_the_file_as_the_page_saw_it(server):
    alpha = server.people["alpha@example.org"]
    path = server.root / "content/orgs/alpha.yaml"
    status, _ = server.save("alpha", alpha, lambda d: d["workshop"].update(location="Hall B"))
    assert status == 200
    status, _ = server.save("alpha", alpha, lambda d: d["workshop"].update(location="Hall A"))
    assert status == 200
    rows = _rows(_history(server, "alpha", alpha))
    before_hall = rows[1][0]  # the version that wrote "Hall B"
    # A restore from a page that saw an older file is refused, and nothing is written.
    stale = {"csrf": alpha.csrf, "version": digest(b"an older file")}
    status, _, page = server.request("POST", f"/orgs/alpha/history/{before_hall}/restore", alpha, form=stale)
    assert status == 409 and b"nothing was restored" in page
    assert "Hall A" in path.read_text(encoding="utf-8")
    # Without the CSRF token, nothing happens either.
    status, _, _ = server.request(
        "POST", f"/orgs/alpha/history/{before_hall}/restore", alpha, form={"version": digest(path.read_bytes())}
    )
    assert status == 403
    fresh = {"csrf": alpha.csrf, "version": digest(path.read_bytes())}
    status, headers, _ = server.request("POST", f"/orgs/alpha/history/{before_hall}/restore", alpha, form=fresh)
    assert status == 303, headers
    assert "Hall B" in path.read_text(encoding="utf-8") and "Hall A" not in path.read_text(encoding="utf-8")
    rows = _rows(_history(server, "alpha", alpha))
    assert f"Restored version #{before_hall}" in rows[0][1] and "alpha@example.org" in rows[0][1]
    assert len(rows) >= 3  # the two saves and the restore: nothing of the record was lost


def _logo(colour: tuple[int, int, int]) -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, format="PNG")
    return out.getvalue()


def test_a_new_logo_is_a_version_and_restore_brings_the_old_logo_back(server):
    alpha = server.people["alpha@example.org"]
    logo = server.root / "content/orgs/logos/alpha-logo.png"
    by_hand, first, second = _logo((200, 0, 0)), _logo((0, 120, 0)), _logo((0, 0, 160))
    logo.parent.mkdir(exist_ok=True)
    logo.write_bytes(by_hand)  # put there outside the server, before any upload
    for data in (first, second):
        status, _, body = server.request("POST", "/api/orgs/alpha/logo", alpha, data, {"X-Filename": "mine.png"})
        assert status == 200 and json.loads(body) == {"logo": "logos/alpha-logo.png"}
    assert logo.read_bytes() == second
    rows = _rows(_history(server, "alpha", alpha))
    authors = ["alpha@example.org", "alpha@example.org", "outside the server"]
    for (number, text), data, who in zip(rows[:3], (second, first, by_hand), authors, strict=True):
        assert f"New logo: logos/alpha-logo.png ({len(data):,} bytes)" in " ".join(text.split()), (number, text)
        assert who in text, (number, text)
    first_number, outside_number = rows[1][0], rows[2][0]
    status, _, page = server.request("GET", f"/orgs/alpha/history/{first_number}", alpha)
    assert status == 200 and b"Restoring this version brings this logo back" in page
    # Restoring the first upload's version puts its logo back, as a new version; so does the one by hand.
    for number, data in ((first_number, first), (outside_number, by_hand)):
        form = {"csrf": alpha.csrf, "version": digest((server.root / "content/orgs/alpha.yaml").read_bytes())}
        status, headers, _ = server.request("POST", f"/orgs/alpha/history/{number}/restore", alpha, form=form)
        assert status == 303, headers
        assert logo.read_bytes() == data
        newest = " ".join(_rows(_history(server, "alpha", alpha))[0][1].split())
        assert (
            f"Restored version #{number}" in newest
            and f"New logo: logos/alpha-logo.png ({len(data):,} bytes)" in newest
        )
    # Another organization's people see none of it, and a facilitator uploads nothing.
    beta = server.add("logo-beta@example.org", "coordinator", ("beta",))
    status, _, page = server.request("GET", f"/orgs/alpha/history/{first_number}", beta)
    assert status == 404 and b"alpha-logo" not in page
    status, _, _ = server.request("POST", "/api/orgs/alpha/logo", server.people["reader@example.org"], first)
    assert status == 403 and logo.read_bytes() == by_hand


def test_a_change_made_outside_the_server_is_recorded_when_next_seen(server):
    admin = server.people["admin@example.org"]
    path = server.root / "content/orgs/alpha.yaml"
    # A version on record to compare with (alone, this test runs before any other save).
    alpha = server.people["alpha@example.org"]
    status, _ = server.save("alpha", alpha, lambda d: d["workshop"].update(location="Hall C"))
    assert status == 200
    path.write_text(path.read_text(encoding="utf-8").replace("paper: letter", "paper: a4"), encoding="utf-8")
    rows = _rows(_history(server, "alpha", admin))
    assert "outside the server" in rows[0][1]
    status, _, page = server.request("GET", f"/orgs/alpha/history/{rows[0][0]}", admin)
    assert b"+paper: a4" in page and b"-paper: letter" in page


def test_two_people_saving_one_file_never_lose_a_save(server):
    first, second = server.people["alpha@example.org"], server.people["second@example.org"]
    _, state_first = server.json("GET", "/api/orgs/alpha", first)
    _, state_second = server.json("GET", "/api/orgs/alpha", second)
    state_first["data"]["workshop"]["title"] = "First person's title"
    state_second["data"]["workshop"]["title"] = "Second person's title"
    save = "/api/orgs/alpha/save"
    status, _ = server.json("POST", save, first, {"data": state_first["data"], "version": state_first["version"]})
    assert status == 200
    status, answer = server.json(
        "POST", save, second, {"data": state_second["data"], "version": state_second["version"]}
    )
    assert status == 409 and "changed on disk" in answer["error"]
    assert "First person's title" in answer["disk"] and "Second person's title" in answer["mine"]
    assert "First person's title" in (server.root / "content/orgs/alpha.yaml").read_text(encoding="utf-8")
    assert "second@example.org" not in _rows(_history(server, "alpha", first))[0][1]


def test_a_taken_short_name_is_not_confirmed_to_someone_who_may_not_see_it(server):
    """beta's file exists but is not the maker's: the answer is the one a reserved name gets."""
    maker = server.people["maker@example.org"]
    answers = {}
    for slug in ("beta", "nul"):
        status, answer = server.json("POST", "/api/orgs", maker, {"name": "Some Clinic", "slug": slug})
        answers[slug] = (status, answer["error"].replace(f"'{slug}'", "'…'"), answer["field"])
    assert answers["beta"] == answers["nul"]
    assert answers["beta"][0] == 409 and "choose another short name" in answers["beta"][1]
    assert "exists" not in answers["beta"][1] and "beta.yaml" not in answers["beta"][1]
    assert "Beta" in (server.root / "content/orgs/beta.yaml").read_text(encoding="utf-8")


def test_a_save_the_history_cannot_record_leaves_the_file_as_it_was(server):
    """The database refuses the version (a full disk, say): the file is not changed either, so the
    change is never recorded later as made "outside the server", without the person's name."""
    import sqlite3

    alpha = server.people["alpha@example.org"]
    path = server.root / "content/orgs/alpha.yaml"
    newest = max((int(n) for n, _ in _rows(_history(server, "alpha", alpha))), default=0)
    before = path.read_bytes()
    with contextlib.closing(sqlite3.connect(server.db)) as db, db:
        db.execute(
            "CREATE TRIGGER refuse_versions BEFORE INSERT ON versions BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )
    try:
        status, answer = server.save("alpha", alpha, lambda d: d["workshop"].update(location="Room never saved"))
    finally:
        with contextlib.closing(sqlite3.connect(server.db)) as db, db:
            db.execute("DROP TRIGGER refuse_versions")
    assert status == 503 and "could not record this save in its history" in answer["error"], answer
    assert "left as it was" in answer["error"]
    assert path.read_bytes() == before
    status, _ = server.save("alpha", alpha, lambda d: d["workshop"].update(location="Room saved after all"))
    assert status == 200
    rows = [(n, text) for n, text in _rows(_history(server, "alpha", alpha)) if int(n) > newest]
    assert len(rows) == 1 and "alpha@example.org" in rows[0][1], rows  # this test's one save, by its person


def test_a_version_that_cannot_be_committed_puts_the_file_back(tmp_path, monkeypatch):
    """The row went in but the commit failed: the file written a moment before is put back."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session
    from test_studio import _project_copy

    from packets.load.curriculum import Project
    from packets.serve.app import ServeFace
    from packets.serve.db import open_database
    from packets.serve.history import History
    from packets.studio.app import Studio
    from packets.studio.door import NotWritable

    root = _project_copy(tmp_path)
    path = root / "content/orgs/example.yaml"
    before = path.read_bytes()
    db = open_database(tmp_path / "packets.db")
    try:
        face = ServeFace(History(db))
        studio = Studio(Project(root), tmp_path / "output")

        def fail(self):
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

        monkeypatch.setattr(Session, "commit", fail)
        changed = before.decode().replace("Room 2B", "Room never saved")
        with pytest.raises(NotWritable) as refused:
            face.write(studio, "ann@example.org", "example", path, changed, digest(before))
        assert refused.value.status == 503
        assert path.read_bytes() == before
        monkeypatch.undo()
        assert face.history.entries("example") == []
    finally:
        db.close()


def test_one_build_at_a_time_per_person_and_progress_only_for_the_organization(server):
    maker = server.people["maker@example.org"]
    status, created = server.json("POST", "/api/orgs", maker, {"name": "Maker Clinic", "slug": "maker"})
    assert status == 201, created
    # Who made it coordinates it (the studio opens its page next); others of alpha do not see it.
    status, _, _ = server.request("GET", "/orgs/maker", maker)
    assert status == 200
    status, _, _ = server.request("GET", "/orgs/maker", server.people["alpha@example.org"])
    assert status == 404
    alpha = server.people["alpha@example.org"]
    status, first = server.json("POST", "/api/orgs/alpha/build", alpha, {"audiences": ["participant"]})
    assert status == 200, first
    status, again = server.json("POST", "/api/orgs/alpha/build", alpha, {"audiences": ["facilitator"]})
    assert status == 429 and "one build at a time per person" in again["error"], again
    # Another person of the organization follows the build's progress; the maker's history has its creation.
    status, job = server.json("GET", first["job"], server.people["reader@example.org"])
    assert status == 200 and job["status"] in ("queued", "running", "built", "failed")
    admin = server.people["admin@example.org"]
    assert "Created the file" in _rows(_history(server, "maker", admin))[0][1]
    deadline = time.monotonic() + 600
    niceness: dict[int, int] = {}  # the build's processes: they yield the CPU to everyone's pages
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        for pid, _group, command in _descendants(server.process.pid):
            if "buildjob" in command or "multiprocessing" in command:
                with contextlib.suppress(OSError, IndexError):
                    stat = Path(f"/proc/{pid}/stat").read_text()
                    niceness[pid] = int(stat[stat.rindex(")") + 2 :].split()[16])
        time.sleep(0.2)
        _, job = server.json("GET", first["job"], alpha)
    assert job["status"] == "built", job
    assert niceness and min(niceness.values()) >= 10, niceness
    reader = server.people["reader@example.org"]
    name = job["files"][0]["name"]
    status, headers, data = server.request("GET", f"/orgs/alpha/files/{name}", reader)
    assert status == 200 and data.startswith(b"%PDF")
    # Now the second build starts.
    status, _ = server.json("POST", "/api/orgs/alpha/build", alpha, {"audiences": ["facilitator"]})
    assert status == 200


def test_a_foreign_host_header_is_refused(server):
    status, _, _ = server.request("GET", "/sign-in", headers={"Host": "evil.example"})
    assert status == 400
    status, _, _ = server.request("GET", "/sign-in")
    assert status == 200


def _serve(*args: str) -> subprocess.CompletedProcess:
    from conftest import ROOT

    return subprocess.run(
        [sys.executable, "-c", "from packets.cli import main; main()", "serve", *args],
        cwd=ROOT,
        env={**os.environ, "PACKETS_ROOT": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--host", "192.0.2.10"), "needs --public-url"),
        (("--host", "0.0.0.0"), "every network at once"),
        (("--public-url", "http://packets.example.org"), "must begin with https://"),
        (("--public-url", "https://packets.example.org/studio"), "no path"),
        (("--public-url", "https://packets.example.org", "--trusted-proxy", "my-proxy"), "not an IP address"),
    ],
)
def test_the_server_refuses_to_start_where_it_would_be_unsafe(args, words):
    result = _serve(*args)
    assert result.returncode == 2, result
    assert words in result.stderr and "Traceback" not in result.stderr


def test_the_history_names_each_change_to_the_acknowledgements_review():
    from packets.serve.history import review_change

    before = "land_acknowledgement:\n  reviewed_by: Jo\n  reviewed_on: 2026-01-05\n  based_on: a visit\n"
    after = "land_acknowledgement:\n  reviewed_by: Elder Mary Thomas\n  reviewed_on: 2026-01-05\n"
    said = review_change(before, after)
    assert said == "Reviewed by: “Jo” → “Elder Mary Thomas”; Based on: “a visit” (removed)"
    assert review_change(before, before.replace("a visit", "a visit")) == ""
    assert review_change("name: x\n", before).count("(added)") == 3


@pytest.mark.parametrize(
    "address",
    [
        "/orgs/alpha/history/99999999999999999999999",
        "/orgs/alpha/history/0",
        "/orgs/..alpha/history",
        "/orgs/-x/history",
    ],
)
def test_a_version_or_an_organization_that_is_not_there_answers_404(server, address):
    status, _, _ = server.request("GET", address, server.people["admin@example.org"])
    assert status == 404
