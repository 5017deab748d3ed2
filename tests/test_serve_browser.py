"""`packets serve` in a real browser, as a team uses it (issue 33's acceptance).

An admin, invited by `packets users add`, invites two coordinators of two organizations and a
facilitator from the admin's page; each opens their link, chooses a password and is signed
in; each coordinator edits and builds only their own organization; the facilitator only
reads and downloads; the history shows who changed what and a restore works; a used or an
expired invitation is refused; the sixth wrong password in a row is answered 429.
The browser is Debian's Chromium, driven by selenium, as in tests/test_studio.py.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import subprocess
import sys

import pytest
from serving import BETA_NAME, PASSWORD, running_server
from test_studio import _field, _no_axe_violations, _type, _wait, chrome  # noqa: F401

pytestmark = pytest.mark.xdist_group("serve-browser")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("serve-browser")) as started:
        yield started


def _users_add(server, *args: str) -> str:
    """`packets users add ...` as the administrator types it; the link it prints."""
    result = subprocess.run(
        [sys.executable, "-c", "from packets.cli import main; main()", "users", "add", *args, "--db", str(server.db)]
        + ["--public-url", server.url],
        cwd=server.root,
        env={**os.environ, "PACKETS_ROOT": str(server.root)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return re.search(r"http://\S+/invite/\S+", result.stdout + result.stderr)[0]


def _body(chrome) -> str:
    from selenium.webdriver.common.by import By

    return chrome.find_element(By.TAG_NAME, "body").text


def _accept(chrome, link: str) -> None:
    """Open an invitation link in a browser nobody is signed in to, and choose the password."""
    from selenium.webdriver.common.by import By

    chrome.delete_all_cookies()
    chrome.get(link)
    _type(chrome.find_element(By.ID, "password"), PASSWORD)
    _type(chrome.find_element(By.ID, "confirm"), PASSWORD)
    chrome.find_element(By.CSS_SELECTOR, "form.account-form button[type=submit]").click()
    _wait(chrome, lambda: "Sign out" in _body(chrome), "signed in")


def _invite(chrome, server, email: str, role: str, orgs: str) -> str:
    """The admin adds a person on the admin's page; the link the page shows."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    chrome.get(server.url + "/admin/users")
    _type(chrome.find_element(By.ID, "new-email"), email)
    Select(chrome.find_element(By.ID, "new-role")).select_by_value(role)
    _type(chrome.find_element(By.ID, "new-orgs"), orgs)
    chrome.find_element(By.ID, "new-orgs").submit()
    _wait(chrome, lambda: chrome.find_elements(By.ID, "link"), f"the link for {email}")
    return chrome.find_element(By.ID, "link").get_attribute("value")


def _edit_and_build(chrome, server, slug: str, title: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    chrome.get(f"{server.url}/orgs/{slug}")
    _wait(chrome, lambda: _field(chrome, "workshop.title").get_attribute("value"), "the form")
    _type(_field(chrome, "workshop.title"), title)
    chrome.find_element(By.ID, "save").send_keys(Keys.ENTER)
    _wait(chrome, lambda: "Saved to" in chrome.find_element(By.ID, "save-status").text, "saved")
    chrome.find_element(By.ID, "build-facilitator").click()  # the handout alone: a shorter build
    chrome.find_element(By.ID, "build-start").send_keys(Keys.ENTER)
    _wait(chrome, lambda: chrome.find_element(By.ID, "build-step").text.startswith("Built:"), "built", timeout=600)


def test_a_team_works_on_one_server_each_on_their_own(server, chrome):
    from selenium.webdriver.common.by import By

    # The first admin comes from the command line; everyone else from the admin's page.
    _accept(chrome, _users_add(server, "admin@example.org", "--role", "admin"))
    links = {
        "alpha@example.org": _invite(chrome, server, "alpha@example.org", "coordinator", "alpha"),
        "beta@example.org": _invite(chrome, server, "beta@example.org", "coordinator", "beta"),
        "reader@example.org": _invite(chrome, server, "reader@example.org", "facilitator", "alpha"),
    }
    late = _invite(chrome, server, "late@example.org", "facilitator", "alpha")

    # Each coordinator edits and builds their own, and the other's pages are not there for them.
    for email, slug, other, title in (
        ("alpha@example.org", "alpha", "beta", "Alpha's first session"),
        ("beta@example.org", "beta", "alpha", "Beta's first session"),
    ):
        _accept(chrome, links[email])
        rows = chrome.find_elements(By.CSS_SELECTOR, "#org-list tbody tr")
        assert [r.get_attribute("data-slug") for r in rows] == [slug]
        _edit_and_build(chrome, server, slug, title)
        assert title in (server.root / f"content/orgs/{slug}.yaml").read_text(encoding="utf-8")
        for address in (f"/orgs/{other}", f"/orgs/{other}/history", f"/api/orgs/{other}"):
            chrome.get(server.url + address)
            assert "Not found" in _body(chrome) or "no such organization" in _body(chrome).lower()
            assert BETA_NAME not in _body(chrome) and "Riverside" not in _body(chrome)
        if slug == "alpha":
            # A second save, then the first one restored from the history page.
            _edit_and_build(chrome, server, "alpha", "Alpha's second session")
            chrome.get(server.url + "/orgs/alpha/history")
            _no_axe_violations(chrome, "history")
            rows = chrome.find_elements(By.CSS_SELECTOR, "#history tbody tr")
            assert len(rows) == 2 and all("alpha@example.org" in r.text for r in rows)
            rows[1].find_element(By.PARTIAL_LINK_TEXT, "See the change").click()
            assert "+  title: Alpha's first session" in chrome.find_element(By.CSS_SELECTOR, "pre.diff").text
            _no_axe_violations(chrome, "a version")
            chrome.find_element(By.ID, "restore").click()
            _wait(chrome, lambda: "was restored" in _body(chrome), "restored")
            text = (server.root / "content/orgs/alpha.yaml").read_text(encoding="utf-8")
            assert "Alpha's first session" in text and "second session" not in text
            newest = chrome.find_elements(By.CSS_SELECTOR, "#history tbody tr")[0].text
            assert "alpha@example.org" in newest and "Restored version" in newest

    # The facilitator reads and downloads alpha's packets, and can change nothing.
    _accept(chrome, links["reader@example.org"])
    chrome.get(server.url + "/orgs/alpha")
    _wait(chrome, lambda: _field(chrome, "workshop.title").get_attribute("value"), "the form")
    assert not _field(chrome, "workshop.title").is_enabled()
    assert not chrome.find_element(By.ID, "save").is_displayed()
    assert not chrome.find_element(By.ID, "build-start").is_displayed()
    assert "New organization" not in _body(chrome)
    handout = "alpha-participant-handout.pdf"
    _wait(chrome, lambda: chrome.find_elements(By.LINK_TEXT, handout), "the handout's link")
    chrome.find_element(By.LINK_TEXT, handout).click()
    _wait(chrome, (chrome.downloads / handout).is_file, "download")
    # Even from the page's own script, with the page's own token, a save is refused.
    status = chrome.execute_async_script(
        """const done = arguments[arguments.length - 1];
        fetch("/api/orgs/alpha/save", {method: "POST", headers: {"X-CSRF-Token":
          document.querySelector('meta[name="csrf-token"]').content, "Content-Type": "application/json"},
          body: JSON.stringify({data: {}, version: "x"})}).then((r) => done(r.status));"""
    )
    assert status == 403
    chrome.find_element(By.CSS_SELECTOR, "form.sign-out button").click()  # the button on every page
    _wait(chrome, lambda: "You are signed out." in _body(chrome), "signed out")
    chrome.get(server.url + "/orgs/alpha")
    assert chrome.current_url.startswith(server.url + "/sign-in")

    # A used invitation and an expired one are refused.
    chrome.delete_all_cookies()
    chrome.get(links["alpha@example.org"])
    assert "cannot be used" in _body(chrome)
    with sqlite3.connect(server.db) as db:
        past = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).replace(tzinfo=None)
        db.execute(
            "UPDATE invitations SET expires_at = ? WHERE user_id = (SELECT id FROM users WHERE email = ?)",
            (past, "late@example.org"),
        )
    chrome.get(late)
    assert "cannot be used" in _body(chrome) and "expired" in _body(chrome).lower()

    # Five wrong passwords in a row are answered as wrong; the sixth is answered 429.
    for attempt in range(6):
        chrome.get(server.url + "/sign-in")
        _type(chrome.find_element(By.ID, "email"), "alpha@example.org")
        _type(chrome.find_element(By.ID, "password"), f"not the password {attempt}")
        chrome.find_element(By.ID, "password").submit()
        _wait(chrome, lambda: chrome.find_elements(By.ID, "sign-in-error"), "the answer")
    assert "Too many wrong passwords" in _body(chrome)
    status = chrome.execute_async_script(
        """const done = arguments[arguments.length - 1];
        const form = new URLSearchParams({csrf: document.querySelector('input[name="csrf"]').value,
          email: "alpha@example.org", password: "still not it", next: "/"});
        fetch("/sign-in", {method: "POST", body: form}).then((r) => done(r.status));"""
    )
    assert status == 429
