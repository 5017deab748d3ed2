"""`packets serve` when someone loses their access (issue 33): removed with `packets users remove`,
or an organization taken away with `packets users orgs --remove`, from another process on the
same database as an administrator would. Their next request is signed out, and a build of
theirs still under way is stopped with its workers; a build someone else who still may asked
for too goes on. Real HTTP to a real `packets serve`, real build processes.

A build is held under way, with its workers up, without any timing: the test holds the lock
on the output folder (`folder_lock`), which every build takes before it writes anything, so
the build waits there until it is stopped or the lock is let go.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from serving import running_server
from test_studio_server import _alive, _descendants, _group_members

from packets.serve.app import REVOKED

pytestmark = pytest.mark.xdist_group("serve-revoke")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("revoke")) as started:
        started.add("admin@example.org", "admin")
        yield started


@contextlib.contextmanager
def builds_held(server) -> Iterator[None]:
    """Every build waits before it writes (the output folder's lock is held here) until the block ends."""
    server.out.mkdir(parents=True, exist_ok=True)
    fd = os.open(server.out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def users(server, *args: str) -> subprocess.CompletedProcess:
    """`packets users ...` as the administrator runs it, on the server's database, in another process."""
    env = {**os.environ, "PACKETS_ROOT": str(server.root)}
    command = [sys.executable, "-c", "from packets.cli import main; main()", "users", *args, "--db", str(server.db)]
    done = subprocess.run(command, cwd=server.root, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def build_processes(server) -> dict[int, int]:
    """pid: process group of the server's build processes (the build and the workers it forked)."""
    return {
        pid: group
        for pid, group, command in _descendants(server.process.pid)
        if "packets.studio.buildjob" in command and group != server.process.pid
    }


def started_build(server, person, slug: str) -> tuple[str, dict[int, int]]:
    """A build asked for by `person`, once it and at least one worker are up (waiting for the lock)."""
    status, asked = server.json("POST", f"/api/orgs/{slug}/build", person, {"audiences": ["participant"]})
    assert status == 200, asked
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        found = build_processes(server)
        if len(found) >= 2 and len(set(found.values())) == 1:
            return asked["job"], found
        time.sleep(0.1)
    raise AssertionError(f"the build never had its workers up: {build_processes(server)}")


def finished(server, job: str) -> dict:
    admin = server.people["admin@example.org"]
    deadline = time.monotonic() + 600  # a build let go makes its handout: slow on a busy machine
    while time.monotonic() < deadline:
        status, state = server.json("GET", job, admin)
        assert status == 200, state
        if state["status"] not in ("queued", "running"):
            return state
        time.sleep(0.2)
    raise AssertionError(f"the build {job} never finished: {state}")


def assert_gone(processes: dict[int, int]) -> None:
    for group in set(processes.values()):
        assert _group_members(group) == []
    assert [pid for pid in processes if _alive(pid)] == []


def signed_out(server, person) -> bool:
    status, headers, _ = server.request("GET", "/orgs/alpha", person)
    api, _, _ = server.request("GET", "/api/orgs/beta", person)
    return status == 303 and headers.get("location", "").startswith("/sign-in") and api == 401


def test_a_removed_person_is_signed_out_and_their_build_stops_with_its_workers(server):
    ann = server.add("ann@example.org", "coordinator", ("alpha", "beta"))
    with builds_held(server):
        job, processes = started_build(server, ann, "alpha")
        users(server, "remove", "ann@example.org")
        assert signed_out(server, ann)
        state = finished(server, job)
    assert state["status"] == "failed" and state["error"] == REVOKED
    assert_gone(processes)


def test_an_organization_taken_away_signs_them_out_and_stops_their_build_of_it(server):
    bo = server.add("bo@example.org", "coordinator", ("alpha", "beta"))
    with builds_held(server):
        job, processes = started_build(server, bo, "alpha")
        done = users(server, "orgs", "bo@example.org", "--remove", "alpha")
        assert "bo@example.org now has: beta." in done.stdout
        assert signed_out(server, bo)
        state = finished(server, job)
    assert state["status"] == "failed" and state["error"] == REVOKED
    assert_gone(processes)
    # Signed in again, they have what is left: beta, and no longer alpha.
    again = server.sign_in("bo@example.org")
    assert server.request("GET", "/orgs/beta", again)[0] == 200
    assert server.request("GET", "/orgs/alpha", again)[0] == 404


def test_a_build_someone_else_asked_for_too_goes_on_for_them(server):
    cy = server.add("cy@example.org", "coordinator", ("alpha",))
    di = server.add("di@example.org", "coordinator", ("alpha",))
    ed = server.add("ed@example.org", "coordinator", ("beta",))
    with builds_held(server):
        job, processes = started_build(server, cy, "alpha")
        status, same = server.json("POST", "/api/orgs/alpha/build", di, {"audiences": ["participant"]})
        assert status == 200 and same["job"] == job  # Di follows the build Cy started
        status, other = server.json("POST", "/api/orgs/beta/build", ed, {"audiences": ["participant"]})
        assert status == 200 and other["job"] != job
        users(server, "remove", "cy@example.org")
        users(server, "remove", "ed@example.org")
        assert signed_out(server, cy) and signed_out(server, ed)
        # Ed's build (waiting, or held as well) is stopped: the server has looked up the people of
        # every build since both were removed, and Cy's build went on, as Di may still build alpha.
        state = finished(server, other["job"])
        assert state["status"] == "failed" and state["error"] == REVOKED
        status, state = server.json("GET", job, di)
        assert status == 200 and state["status"] == "running", state
        assert all(_alive(pid) for pid in processes)
    state = finished(server, job)
    assert state["status"] == "built", state
