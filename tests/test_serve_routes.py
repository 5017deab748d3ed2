"""Every route of `packets serve` refuses an organization that is not the person's own.

The test walks the application's own route table (so a route added later is covered the day
it is added): a route without an access declaration fails here, and every route is requested,
with every method it answers, by a coordinator of another organization, who must get 403 or
404 and nothing of the other organization's file, its previews, its builds or its history.
"""

from __future__ import annotations

import re

import pytest
from serving import BETA_MARK, BETA_NAME, running_server

from packets.serve.app import create_app
from packets.serve.config import ServeConfig
from packets.studio.needs import need_of

pytestmark = pytest.mark.xdist_group("serve")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("serve-routes")) as started:
        started.add("admin@example.org", "admin")
        started.add("alpha@example.org", "coordinator", ("alpha",))
        started.add("beta@example.org", "coordinator", ("beta",))
        yield started


def _route_table(server):
    served = create_app(ServeConfig(root=server.root, out_dir=server.out, db=server.db))
    try:
        return list(served.routes)
    finally:
        served.close()


def _beta_keys(server) -> dict[str, str]:
    """A preview, a build and a version of beta, made by beta's own coordinator."""
    beta = server.people["beta@example.org"]
    status, state = server.json("GET", "/api/orgs/beta", beta)
    assert status == 200 and state["data"]["name"] == BETA_NAME
    status, preview = server.json("POST", "/api/orgs/beta/preview", beta, {"data": state["data"]})
    assert status == 200 and preview["pages"], preview
    preview_key = re.search(r"/preview/(\w+)/", preview["pages"][0])[1]
    status, job = server.json("POST", "/api/orgs/beta/build", beta, {"audiences": ["participant"]})
    assert status == 200, job
    job_key = job["job"].rsplit("/", 1)[1]
    status, saved = server.save("beta", beta, lambda d: d["workshop"].update(title="Beta's own title"))
    assert status == 200, saved
    status, _, page = server.request("GET", "/orgs/beta/history", beta)
    assert status == 200
    number = re.search(rb'data-version="(\d+)"', page)[1].decode()
    return {"preview": preview_key, "job": job_key, "number": number}


def _address(route, need, keys: dict[str, str]) -> str:
    values = {
        "slug": "beta",
        "name": "beta-participant-handout.pdf",
        "number": "0" if need.subject == "preview" else keys["number"],
        "token": "not-a-real-invitation",
        "key": keys["job"] if need.subject == "job" else keys["preview"],
    }
    path = getattr(route, "path", "")
    if not hasattr(route, "methods") or route.methods is None:  # a Mount: one file under it
        return path + ("/studio.css" if path == "/static" else "/")
    address = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values[m[1]], path)
    return address


def test_every_route_declares_what_it_needs(server):
    undeclared = [getattr(r, "path", repr(r)) for r in _route_table(server) if need_of(r) is None]
    assert not undeclared, f"routes without an access declaration: {undeclared}"


def test_every_route_refuses_a_coordinator_of_another_organization(server):
    keys = _beta_keys(server)
    alpha = server.add("walker@example.org", "coordinator", ("alpha",))  # signed out at the end
    beta = server.people["beta@example.org"]
    checked = 0
    # Signing out ends the session the other requests use: it comes last.
    for route in sorted(_route_table(server), key=lambda r: getattr(r, "path", "") == "/sign-out"):
        need = need_of(route)
        assert need is not None, getattr(route, "path", route)
        address = _address(route, need, keys)
        methods = sorted((getattr(route, "methods", None) or {"GET"}) - {"HEAD"})
        for method in methods:
            body = {"data": {"name": "Taken over"}, "version": "x"} if method == "POST" else None
            status, _, data = server.request(method, address, alpha, body)
            checked += 1
            text = data.decode("utf-8", "replace")
            assert BETA_NAME not in text and BETA_MARK not in text, (method, address, status)
            if need.subject is not None:
                assert status in (403, 404), (method, address, status, text[:200])
            if need.action in ("admin", "create"):
                assert status == 403, (method, address, status)
            if need.subject is not None and method == "GET" and "files" not in address:
                # The same address answers beta's own coordinator: the refusal above is the access rule's.
                own, _, _ = server.request("GET", address, beta)
                assert own == 200, (address, own)
    assert checked >= 20
    # Beta's keys and version numbers under an address of alpha's lead to nothing either.
    alpha = server.people["alpha@example.org"]  # the walker has signed out
    for address in (
        f"/orgs/alpha/history/{keys['number']}",
        f"/api/jobs/{keys['job']}",
        f"/preview/{keys['preview']}/0.png",
    ):
        status, _, data = server.request("GET", address, alpha)
        assert status == 404 and BETA_MARK.encode() not in data, (address, status)
    # A preview shows someone's unsaved changes: another coordinator of beta does not see it.
    colleague = server.add("beta2@example.org", "coordinator", ("beta",))
    status, _, _ = server.request("GET", f"/preview/{keys['preview']}/0.png", colleague)
    assert status == 404
    # Nothing of alpha's attempts reached beta's file.
    assert "Taken over" not in (server.root / "content" / "orgs" / "beta.yaml").read_text(encoding="utf-8")


def test_the_list_of_organizations_shows_only_the_persons_own(server):
    alpha = server.people["alpha@example.org"]
    status, _, page = server.request("GET", "/", alpha)
    assert status == 200
    assert b'data-slug="alpha"' in page and b'data-slug="beta"' not in page
    status, _, page = server.request("GET", "/", server.people["admin@example.org"])
    assert b'data-slug="alpha"' in page and b'data-slug="beta"' in page


def test_signed_out_every_page_leads_to_sign_in_and_every_api_answers_401(server):
    status, headers, _ = server.request("GET", "/orgs/alpha")
    assert status == 303 and headers["location"].startswith("/sign-in?next=/orgs/alpha")
    status, _, data = server.request("GET", "/api/orgs/alpha")
    assert status == 401 and b"sign in" in data.lower()
