"""Attacks on `packets serve` that once got through, each kept as a test over real HTTP.

A tester tried to break the promises of issue 33 and of the developers' guide (every route
checked in one layer; nothing in a request can hang the server or exhaust it). What held is
covered by tests/test_serve*.py; what broke is here, with the fix it led to.
"""

from __future__ import annotations

import os
import socket
import threading

import pytest
from serving import BETA_MARK, BETA_NAME, beta_text, running_server

from packets.studio.limits import MAX_CONNECTIONS

pytestmark = pytest.mark.xdist_group("serve")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("serve-probe")) as started:
        started.add("alpha@example.org", "coordinator", ("alpha",))
        started.add("reader@example.org", "facilitator", ("alpha",))
        yield started


def test_slow_bodies_from_someone_signed_out_do_not_shut_everyone_else_out(server):
    """Each connection sends a sign-in form's head, then its body one byte at a time (a byte well
    within each pause allowed): with the connections' cap taken by them, a person opening the
    sign-in page must still be answered, not have their connection closed."""
    head = (
        f"POST /sign-in HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 16000\r\n"
        "Expect: 100-continue\r\n\r\n"
    ).encode()
    held: list[socket.socket] = []
    try:
        for _ in range(MAX_CONNECTIONS):
            sock = socket.create_connection((server.host, server.port), timeout=60)
            sock.sendall(head)
            held.append(sock)
        for sock in held:
            # "100 Continue": the server has read the head and waits for the body.
            assert sock.recv(100).startswith(b"HTTP/1.1 100")
            sock.sendall(b"email=a")  # still sending: never idle, never finished
        status, _, page = server.request("GET", "/sign-in")
        assert status == 200
        assert b'name="password"' in page
    finally:
        for sock in held:
            sock.close()
    assert "Traceback" not in "".join(server.output)


def test_a_flood_of_previews_from_one_person_never_stalls_anyone_elses_pages(server):
    """Previews are drawn one at a time. Fifty-six asked at once by a facilitator (who may preview) once
    held every thread the server has while they waited their turn, so another person's page waited
    behind most of them. Now that page is answered while nearly all of them still wait."""
    reader, coordinator = server.people["reader@example.org"], server.people["alpha@example.org"]
    status, state = server.json("GET", "/api/orgs/alpha", reader)
    assert status == 200
    answered: list[int] = []
    first = threading.Event()

    def ask(number: int) -> None:
        data = {**state["data"], "name": f"Preview number {number}"}
        status, _, _ = server.request("POST", "/api/orgs/alpha/preview", reader, {"data": data})
        answered.append(status)
        first.set()

    flood = [threading.Thread(target=ask, args=(n,)) for n in range(56)]
    for thread in flood:
        thread.start()
    try:
        assert first.wait(300)  # the server is drawing them, all of them asked
        status, _, page = server.request("GET", "/api/orgs/alpha", coordinator)
        answered_before = len(answered)
    finally:
        for thread in flood:
            thread.join()
    assert status == 200 and b'"slug":"alpha"' in page
    assert answered_before < 10, answered_before
    assert answered == [200] * 56  # every preview is still made, in turn


def test_a_new_organization_cannot_take_the_short_name_of_one_that_left(server):
    """An organization whose file is gone (moved away, deleted) keeps its history and its people.
    A coordinator allowed to create organizations once made a new one under the same short name
    and so read the old one's whole history, while its people got the new one."""
    gone, maker = "leaving", server.add("maker@example.org", "coordinator", (), may_create=True)
    orgs = server.root / "content" / "orgs"
    (orgs / f"{gone}.yaml").write_text(beta_text().replace(BETA_MARK, "Room of the leaving group"), encoding="utf-8")
    keeper = server.add("keeper@example.org", "coordinator", (gone,))
    status, saved = server.save(gone, keeper, lambda d: d["workshop"].update(title="The leaving group's own plan"))
    assert status == 200, saved
    (orgs / f"{gone}.yaml").unlink()

    status, answer = server.json("POST", "/api/orgs", maker, {"name": "A new group", "slug": gone})
    assert status == 409 and answer["field"] == "slug"
    assert "choose another short name" in answer["error"] and "leaving group" not in answer["error"]
    assert not (orgs / f"{gone}.yaml").exists()
    for address in (f"/orgs/{gone}/history", f"/orgs/{gone}/history/1", f"/api/orgs/{gone}"):
        status, _, page = server.request("GET", address, maker)
        assert status == 404 and b"leaving group" not in page, (address, status)
    # A name nobody had is still the maker's to take, and theirs alone.
    status, answer = server.json("POST", "/api/orgs", maker, {"name": "A new group", "slug": "new-group"})
    assert status == 201, answer
    assert server.request("GET", "/api/orgs/new-group", keeper)[0] == 404


def test_an_organization_file_that_is_another_ones_under_a_second_name_is_never_opened(server):
    """The access rule goes by the organization's short name; a file that is a link to another
    organization's file (or a hard link to it) gave that one's text to the first one's people,
    who could save over it too. Such a file is refused on every address, and not listed."""
    orgs = server.root / "content" / "orgs"
    os.symlink("beta.yaml", orgs / "linked.yaml")
    os.link(orgs / "beta.yaml", orgs / "twin.yaml")
    person = server.add("two-names@example.org", "coordinator", ("linked", "twin", "alpha"))
    for slug in ("linked", "twin"):
        for method, address, body in (
            ("GET", f"/api/orgs/{slug}", None),
            ("GET", f"/orgs/{slug}", None),
            ("GET", f"/orgs/{slug}/history", None),
            ("GET", f"/orgs/{slug}/cover.png", None),
            ("POST", f"/api/orgs/{slug}/preview", {"data": {}}),
            ("POST", f"/api/orgs/{slug}/save", {"data": {"name": "Taken over"}, "version": "x"}),
        ):
            status, _, page = server.request(method, address, person, body)
            assert status == 403, (method, address, status)
            assert BETA_MARK.encode() not in page and BETA_NAME.encode() not in page, (method, address)
        assert b"link" in server.request("GET", f"/api/orgs/{slug}", person)[2]
    status, _, page = server.request("GET", "/", person)
    assert status == 200 and b'data-slug="alpha"' in page
    assert b'data-slug="linked"' not in page and b'data-slug="twin"' not in page and BETA_NAME.encode() not in page
    assert "Taken over" not in (orgs / "beta.yaml").read_text(encoding="utf-8")
    (orgs / "linked.yaml").unlink()
    (orgs / "twin.yaml").unlink()
