"""`packets studio`: its security rules over real HTTP, its file writing, and the whole path in a real browser.

The studio runs as a user starts it (`packets studio --no-browser`) in a copy of the project,
so nothing here writes into the repository's content/orgs/. The browser is the machine's
own Chromium (Debian's `chromium` and `chromium-driver`, installed by .ci/system-deps).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import ROOT, nfc, pdfium_text

from packets.load.sources import read_yaml
from packets.studio.chromium import start_chromium, stop_chromium, why_no_chromium
from packets.studio.form import all_paths, form_spec, model_tree
from packets.studio.guard import csrf_token
from packets.studio.yamlfile import apply_form

# One server and one browser for the whole file: its tests run on one worker.
pytestmark = pytest.mark.xdist_group("studio")

CREE = "ᓀᐦᐃᔭᐤ"
MUSQUEAM = "xʷməθkʷəy̓əm"


def _png() -> bytes:
    """A small, whole PNG (the logo check refuses images that cannot be read to the end)."""
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (8, 8), (29, 92, 87)).save(out, format="PNG")
    return out.getvalue()


PNG = _png()


@dataclass
class Studio:
    root: Path
    out: Path
    url: str
    host: str
    port: int
    token: str
    process: subprocess.Popen
    prefix: str = ""  # the secret path the studio's pages live under (learnt from the token's exchange)
    cookie: str = ""  # "name=value", as the exchange set it

    def sign_in(self) -> None:
        """Trade the printed token for the cookie, as a browser does, and keep where it leads."""
        status, headers, _ = self.request("GET", f"/?token={self.token}", cookie=False, prefixed=False)
        assert status == 303, status
        self.prefix = headers["location"].rstrip("/")
        self.cookie = headers["set-cookie"].split(";")[0]

    def request(
        self,
        method: str,
        path: str,
        body: bytes | dict | None = None,
        headers: dict[str, str] | None = None,
        cookie: bool = True,
        csrf: bool = True,
        prefixed: bool = True,
    ) -> tuple[int, dict[str, str], bytes]:
        """One HTTP request, headers exactly as given (a browser could not send a foreign Host).

        `path` is a route of the studio, taken under its secret path unless `prefixed` is False."""
        if prefixed:
            path = self.prefix + path
        sent = {"Host": f"{self.host}:{self.port}"}
        if cookie:
            sent["Cookie"] = self.cookie
        if csrf and method != "GET":
            sent["X-CSRF-Token"] = csrf_token(self.token)
        if isinstance(body, dict):
            body = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        return exchange(self.host, self.port, method, path, body, sent, timeout=60)

    def json(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        status, _, data = self.request(method, path, body)
        return status, json.loads(data)


def exchange(
    host: str, port: int, method: str, path: str, body: bytes | None, headers: dict, timeout: float
) -> tuple[int, dict[str, str], bytes]:
    """One real HTTP request on its own connection: status, headers (lower-case names), body."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _project_copy(base: Path) -> Path:
    root = base / "project"
    shutil.copytree(ROOT / "templates", root / "templates")
    shutil.copytree(ROOT / "content", root / "content", ignore=shutil.ignore_patterns("*.yaml.tmp"))
    for org in (root / "content" / "orgs").glob("*.yaml"):
        if org.name != "example.yaml":
            org.unlink()
    return root


@contextlib.contextmanager
def running_studio(base: Path, wrapper: list[str] | None = None) -> Iterator[Studio]:
    """`packets studio --no-browser` as a user starts it, in a copy of the project in `base`;
    `wrapper` is a command it runs under (test_studio_files mounts content/orgs read-only)."""
    root = _project_copy(base)
    out = base / "output"
    env = {**os.environ, "PACKETS_ROOT": str(root), "PYTHONUNBUFFERED": "1"}
    command = [
        sys.executable,
        "-c",
        "from packets.cli import main; main()",
        "studio",
        "--no-browser",
        "--out",
        str(out),
    ]
    process = subprocess.Popen(
        [*(wrapper or []), *command],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = ""
        deadline = time.monotonic() + 60
        while "token=" not in line and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                raise RuntimeError("the studio stopped before printing its address")
        # Whatever the studio prints later is read away, so a full pipe can never stall it.
        threading.Thread(target=process.stdout.read, daemon=True).start()
        url = re.search(r"http://\S+", line)[0]
        parts = urlsplit(url)
        started = Studio(root, out, url, parts.hostname, parts.port, url.split("token=")[1], process)
        started.sign_in()  # the studio listens before it prints its address
        yield started
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def studio(tmp_path_factory) -> Iterator[Studio]:
    with running_studio(tmp_path_factory.mktemp("studio")) as started:
        yield started


def _packets(studio: Studio, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from packets.cli import main; main()", *args],
        cwd=studio.root,
        env={**os.environ, "PACKETS_ROOT": str(studio.root)},
        capture_output=True,
        text=True,
    )


# ---------------------------------------------------------------------------- the address and the token


def test_studio_listens_on_this_computer_only_by_default(studio):
    assert studio.url.startswith("http://127.0.0.1:")
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", studio.token)


def test_another_address_is_only_used_with_a_printed_warning(monkeypatch, tmp_path):
    import uvicorn

    from packets.studio import server

    root = _project_copy(tmp_path)
    said: list[str] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets: said.append(f"ran on {self.config.host}"))
    listen = server.listen
    # 192.0.2.10 is no address of this machine: the socket is this computer's, the rest as asked.
    monkeypatch.setattr(server, "listen", lambda host, port: listen("127.0.0.1", port))
    server.serve(root, tmp_path / "out", host="192.0.2.10", open_browser=False, say=said.append)
    assert said[0].startswith("Warning: the studio listens on 192.0.2.10, so other computers")
    assert said[-1] == "ran on 192.0.2.10"
    said.clear()
    server.serve(root, tmp_path / "out", open_browser=False, say=said.append)
    assert not any(s.startswith("Warning") for s in said)
    assert said[-1] == "ran on 127.0.0.1"


@pytest.mark.parametrize(
    "path", ["/", "/new", "/orgs/example", "/api/orgs/example", "/static/studio.js", "/fonts/Andika-Regular.ttf"]
)
def test_without_the_token_every_address_is_refused(studio, path):
    status, _, body = studio.request("GET", path, cookie=False)
    assert status == 403
    assert b"Open the address the studio printed" in body


def test_a_wrong_token_is_refused(studio):
    status, headers, _ = studio.request("GET", "/?token=not-the-token", cookie=False)
    assert status == 403
    assert "set-cookie" not in headers
    status, _, _ = studio.request("GET", "/", cookie=False, headers={"Cookie": f"packets_studio_{studio.port}=guess"})
    assert status == 403


def test_the_token_is_traded_for_an_httponly_strict_cookie(studio):
    status, headers, _ = studio.request("GET", f"/orgs/example?token={studio.token}", cookie=False)
    assert status == 303
    assert headers["location"] == studio.prefix + "/orgs/example"  # the token leaves the address bar
    cookie = headers["set-cookie"]
    assert cookie.startswith(studio.cookie + ";")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert f"Path={studio.prefix}" in cookie  # sent to the studio's secret path only
    assert studio.token not in cookie  # the cookie is not the token
    status, _, body = studio.request("GET", "/")
    assert status == 200
    assert "Riverside Community Health Centre (example)" in body.decode()


def test_trading_the_token_never_sends_the_browser_elsewhere(studio):
    status, headers, _ = studio.request("GET", f"//evil.example/?token={studio.token}", cookie=False, prefixed=False)
    assert status == 303
    assert headers["location"] == studio.prefix + "/evil.example/"


def test_studio_has_help_with_an_example():
    from click.testing import CliRunner

    from packets.cli import main

    result = CliRunner().invoke(main, ["studio", "--help"])
    assert result.exit_code == 0
    assert "Example: packets studio" in result.output and "--no-browser" in result.output


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:{port}", "127.0.0.1.evil.example:{port}", "127.0.0.1:1"]
)
def test_a_foreign_host_header_is_refused(studio, host):
    """DNS rebinding: a page on another site whose name points at 127.0.0.1 sends its own Host."""
    status, _, body = studio.request("GET", "/api/orgs/example", headers={"Host": host.format(port=studio.port)})
    assert status == 403
    assert b"not the one the studio listens on" in body
    assert studio.request("GET", "/api/orgs/example", headers={"Host": f"localhost:{studio.port}"})[0] == 200


def test_changes_need_the_csrf_token(studio):
    new = {"name": "Forged Clinic", "slug": "forged"}
    assert studio.request("POST", "/api/orgs", new, csrf=False)[0] == 403
    assert studio.request("POST", "/api/orgs", new, csrf=False, headers={"X-CSRF-Token": "guess"})[0] == 403
    # The right token from another site's page is still refused (its Origin gives it away).
    assert studio.request("POST", "/api/orgs", new, headers={"Origin": "http://evil.example"})[0] == 403
    assert not (studio.root / "content" / "orgs" / "forged.yaml").exists()
    status, _ = studio.json("POST", "/api/orgs/example/review", {"data": {}})
    assert status == 200  # with the token, the same kind of request goes through


def test_every_response_carries_the_content_security_policy(studio):
    for path in ("/", "/new", "/orgs/example", "/static/studio.js"):
        status, headers, body = studio.request("GET", path)
        assert status == 200
        policy = headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert headers["x-content-type-options"] == "nosniff"
        if path != "/static/studio.js":
            html = body.decode()
            assert not re.search(r"<script(?![^>]*\ssrc=)", html), "inline script"
            assert not re.search(r"\sstyle=", html), "inline style"
            assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "something loaded from elsewhere"
            assert '<html lang="en-CA">' in html


def test_organization_text_is_escaped_on_every_page(studio):
    orgs = studio.root / "content" / "orgs"
    (orgs / "escape-test.yaml").write_text('name: "<script>alert(1)</script> & <b>Co</b>"\n', encoding="utf-8")
    try:
        _, _, body = studio.request("GET", "/")
        html = body.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;Co&lt;/b&gt;" in html
        assert "<script>alert(1)" not in html
    finally:
        (orgs / "escape-test.yaml").unlink()


@pytest.mark.parametrize(
    ("name", "data", "status", "words"),
    [
        ("fake.png", b"GIF89a not a png at all", 400, "is not a real PNG image"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', 400, "refers to"),
        ("logo.svg", b'<svg><image href="file:///etc/passwd"/></svg>', 400, "refers to other files"),
        ("logo.gif", b"GIF89a", 400, "must be PNG, JPEG or SVG"),
        ("big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 2_000_001, 413, "the limit is 2,000,000"),
    ],
)
def test_uploads_are_checked_as_the_cli_checks_logos(studio, name, data, status, words):
    logos = studio.root / "content" / "orgs" / "logos"
    before = sorted(logos.iterdir()) if logos.exists() else []
    got, _, body = studio.request("POST", "/api/orgs/example/logo", data, headers={"X-Filename": name})
    assert got == status
    assert words in json.loads(body)["error"]
    assert (sorted(logos.iterdir()) if logos.exists() else []) == before  # nothing kept


def test_a_real_logo_is_accepted_and_named_for_the_organization(studio):
    status, _, body = studio.request("POST", "/api/orgs/example/logo", PNG, headers={"X-Filename": "../../x.png"})
    assert status == 200
    assert json.loads(body) == {"logo": "logos/example-logo.png"}
    assert (studio.root / "content" / "orgs" / "logos" / "example-logo.png").read_bytes() == PNG
    (studio.root / "content" / "orgs" / "logos" / "example-logo.png").unlink()


@pytest.mark.parametrize("slug", ["../evil", "..", "a/b", "con", ".hidden", "x" * 81])
def test_a_slug_that_could_leave_the_folder_is_refused(studio, slug):
    status, body = studio.json("POST", "/api/orgs", {"name": "Evil Clinic", "slug": slug})
    assert status == 400
    assert "cannot be used as an organization name" in body["error"] or "reserved file name" in body["error"]
    assert not list(studio.root.rglob("evil*.yaml"))


@pytest.mark.parametrize("path", ["/api/orgs/%2e%2e", "/api/orgs/..%2fcontent", "/orgs/%2e%2e/files/x.pdf"])
def test_a_slug_in_the_address_cannot_leave_the_folder(studio, path):
    assert studio.request("GET", path)[0] == 404
    assert studio.request("POST", path + "/save", {"data": {"name": "x"}, "version": "0"})[0] == 404


def test_a_file_changed_on_disk_is_not_overwritten(studio):
    status, created = studio.json("POST", "/api/orgs", {"name": "Lakeside Clinic", "slug": "lakeside-conflict"})
    assert status == 201
    _, state = studio.json("GET", "/api/orgs/lakeside-conflict")
    target = studio.root / "content" / "orgs" / "lakeside-conflict.yaml"
    by_hand = target.read_text(encoding="utf-8").replace("Lakeside Clinic", "Lakeside Clinic (edited by hand)")
    target.write_text(by_hand, encoding="utf-8")
    data = {**state["data"], "name": "Lakeside Clinic (from the studio)"}
    status, refused = studio.json(
        "POST", "/api/orgs/lakeside-conflict/save", {"data": data, "version": state["version"]}
    )
    assert status == 409
    assert "changed on disk" in refused["error"]
    assert "Lakeside Clinic (edited by hand)" in refused["disk"]
    assert "Lakeside Clinic (from the studio)" in refused["mine"]
    assert target.read_text(encoding="utf-8") == by_hand
    # After seeing both, saving over the version on disk is a choice the person makes.
    status, saved = studio.json(
        "POST", "/api/orgs/lakeside-conflict/save", {"data": data, "version": refused["disk_version"]}
    )
    assert status == 200
    assert 'name: "Lakeside Clinic (from the studio)"' in target.read_text(encoding="utf-8")
    target.unlink()


def _review(studio, data):
    status, reviewed = studio.json("POST", "/api/orgs/example/review", {"data": data})
    assert status == 200
    return reviewed


def _printed_by_check(studio, data) -> str:
    """What `packets check` prints for the file the studio would save."""
    draft = apply_form((studio.root / "content/orgs/example.yaml").read_text(encoding="utf-8"), data, model_tree())
    (studio.root / "content/orgs/words.yaml").write_text(draft.text, encoding="utf-8")
    try:
        return _packets(studio, "check", "words").stderr
    finally:
        (studio.root / "content/orgs/words.yaml").unlink()


def test_the_review_speaks_in_the_words_of_packets_check_beside_the_field(studio):
    _, state = studio.json("GET", "/api/orgs/example")
    data = state["data"]
    data["land_acknowledgement"]["statement"] = "The Musqueam people were the original stewards of this land."
    reviewed = _review(studio, data)
    assert {
        "severity": "warning",
        "at": "land_acknowledgement.statement",
        "message": 'the statement speaks of the Nations in the past tense ("were the original")',
        "hint": "the Nations are still here: write in the present tense, e.g. "
        '"whose land this is" or "who have cared for this land since time immemorial"',
        "line": 38,
    } in reviewed["problems"]
    printed = _printed_by_check(studio, data)
    for problem in reviewed["problems"]:
        assert f"words.yaml:{problem['line']}: warning: {problem['message']} ({problem['hint']})" in printed


def test_a_character_the_fonts_lack_is_flagged_with_its_code_point(studio):
    _, state = studio.json("GET", "/api/orgs/example")
    data = state["data"]
    data["land_acknowledgement"]["nations"][1]["name"] = "Sḵwx̱wú7mesh\u0e01"
    reviewed = _review(studio, data)
    message = "'\u0e01' (U+0E01, thai character ko kai) is not covered by the bundled fonts"
    errors = [(p["at"], p["message"]) for p in reviewed["problems"] if p["severity"] == "error"]
    assert errors == [("land_acknowledgement.nations[1].name", message)]
    assert message in _printed_by_check(studio, data)


def test_a_problem_about_the_whole_acknowledgement_goes_beside_the_field_it_names(studio):
    _, state = studio.json("GET", "/api/orgs/example")
    data = state["data"]
    for key in ("nations", "commitments", "reviewed_by", "reviewed_on"):
        data["land_acknowledgement"].pop(key)
    _, reviewed = studio.json("POST", "/api/orgs/example/review", {"data": data})
    at = {p["message"]: p["at"] for p in reviewed["problems"]}
    assert at["no Nations are listed in the land acknowledgement"] == "land_acknowledgement.nations"
    assert at["the acknowledgement lists no commitments"] == "land_acknowledgement.commitments"
    assert (
        at["no one from the community is named as having reviewed the acknowledgement"]
        == "land_acknowledgement.reviewed_by"
    )


def test_a_file_with_errors_cannot_be_built_and_the_answer_says_why(studio):
    orgs = studio.root / "content" / "orgs"
    (orgs / "broken.yaml").write_text("name: Broken Clinic\npaper: legal\n", encoding="utf-8")
    try:
        status, body = studio.json("POST", "/api/orgs/broken/build", {})
        assert status == 409
        assert body["error"] == "This file has errors, so it cannot be built yet."
        assert any("paper" in p["message"] or "legal" in p["message"] for p in body["problems"])
    finally:
        (orgs / "broken.yaml").unlink()


# ---------------------------------------------------------------------------- the form and the file


def test_the_form_has_a_control_for_every_field_of_the_model():
    """Generated, not hand-listed: a field added to the model appears in the form without a change here."""

    def leaves(fields):
        for f in fields:
            if f["kind"] == "object":
                yield from leaves(f["fields"])
            else:
                yield f["path"]

    shown = all_paths(form_spec())
    assert set(leaves(model_tree())) <= shown
    groups = [g["title"] for g in form_spec()]
    assert groups[:2] == ["Organization", "Session"]
    assert "Nations and places" in groups and "Paper, colour and logo" in groups


def test_saving_keeps_the_comments_and_order_of_a_hand_written_file():
    path = ROOT / "content" / "orgs" / "example.yaml"
    text = path.read_text(encoding="utf-8")
    data = json.loads(json.dumps(read_yaml(path).data))
    assert apply_form(text, data, model_tree()).text == text  # nothing changed, nothing moves
    data["workshop"]["location"] = "Room 3C, 120 River Street"
    draft = apply_form(text, data, model_tree())
    changed = [(a, b) for a, b in zip(text.splitlines(), draft.text.splitlines(), strict=True) if a != b]
    assert changed == [("  location: Room 2B, 120 River Street", "  location: Room 3C, 120 River Street")]
    assert draft.lost_comments == []


def test_saving_writes_times_and_names_so_the_loader_reads_them_back_as_typed(tmp_path):
    data = {
        "name": "NO",
        "workshop": {"start": "09:30", "date": "2027-03-14"},
        "land_acknowledgement": {"nations": [{"name": CREE}, {"name": MUSQUEAM, "pronunciation": "on"}]},
    }
    text = apply_form("", data, model_tree()).text
    (tmp_path / "x.yaml").write_text(text, encoding="utf-8")
    doc = read_yaml(tmp_path / "x.yaml")
    assert doc.problems == []  # no "older YAML tools would read this differently" warning
    assert doc.data["name"] == "NO" and doc.data["workshop"]["start"] == "09:30"
    assert [n["name"] for n in doc.data["land_acknowledgement"]["nations"]] == [CREE, MUSQUEAM]
    assert CREE in text and MUSQUEAM in text  # written as characters, not escapes


def test_removing_a_value_says_which_comment_goes_with_it():
    text = "name: Clinic\nworkshop:\n  location: Room 1   # the big room\n  title: Allyship\n"
    draft = apply_form(text, {"name": "Clinic", "workshop": {"title": "Allyship"}}, model_tree())
    assert "location" not in draft.text
    assert draft.lost_comments == ["# the big room"]


# ---------------------------------------------------------------------------- in a real browser


@pytest.fixture(scope="module")
def chrome(tmp_path_factory):
    reason = why_no_chromium()
    if reason:
        pytest.skip(f"no browser to drive: {reason}")
    downloads = tmp_path_factory.mktemp("downloads")
    browser = start_chromium(1300, 1000)
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    browser.downloads = downloads
    yield browser
    stop_chromium(browser)


def _no_axe_violations(chrome, page: str) -> None:
    from axe_selenium_python import Axe

    axe = Axe(chrome)
    axe.inject()
    results = axe.run()
    assert results["violations"] == [], f"{page}: " + axe.report(results["violations"])


def _wait(chrome, condition, what: str, timeout: float = 120):
    """Until `condition()` holds. The limit only ends a hang (a cover or a preview drawn by a busy
    machine took over a third of the 20 s this was), never a timed assertion."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    ignored = (NoSuchElementException, StaleElementReferenceException)  # the page is being redrawn
    wait = WebDriverWait(chrome, timeout, poll_frequency=0.1, ignored_exceptions=ignored)
    return wait.until(lambda _: condition(), message=what)


def _field(chrome, path: str):
    from selenium.webdriver.common.by import By

    return chrome.find_element(By.CSS_SELECTOR, f'[data-path="{path}"]')


def _problems(chrome, path: str) -> str:
    from selenium.webdriver.common.by import By

    return chrome.find_element(By.CSS_SELECTOR, f'ul[data-problems-for="{path}"]').text


def _type(element, text: str) -> None:
    element.clear()
    element.send_keys(text)


def test_a_coordinator_prepares_and_builds_packets_in_the_browser(studio, chrome):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    origin = f"http://{studio.host}:{studio.port}"
    chrome.get(origin + "/")
    assert "Open the address the studio printed" in chrome.find_element(By.TAG_NAME, "body").text
    _no_axe_violations(chrome, "refusal page")

    chrome.get(studio.url)
    base = origin + studio.prefix  # the studio's pages live under its secret path
    assert chrome.current_url == base + "/"
    assert "Riverside Community Health Centre (example)" in chrome.find_element(By.ID, "org-list").text
    _wait(chrome, lambda: chrome.execute_script("return document.querySelector('img.thumb').naturalWidth") > 0, "cover")
    _no_axe_violations(chrome, "organizations")

    # A hand-written file saved from the form, unchanged, stays byte for byte what it was.
    example = studio.root / "content/orgs/example.yaml"
    original = example.read_bytes()
    chrome.find_element(By.LINK_TEXT, "Riverside Community Health Centre (example)").click()
    _wait(chrome, lambda: _field(chrome, "name").get_attribute("value"), "the example's form")
    chrome.find_element(By.ID, "save").send_keys(Keys.ENTER)
    _wait(chrome, lambda: "Saved to" in chrome.find_element(By.ID, "save-status").text, "saved")
    assert example.read_bytes() == original
    chrome.get(base + "/")

    chrome.find_element(By.LINK_TEXT, "Create an organization").click()
    _no_axe_violations(chrome, "new organization")
    _type(chrome.find_element(By.ID, "new-name"), "Kenora Community Health Circle")
    chrome.find_element(By.ID, "new-name").send_keys(Keys.ENTER)  # by keyboard
    _wait(chrome, lambda: chrome.current_url == base + "/orgs/kenora-community-health-circle", "edit page")
    _wait(chrome, lambda: chrome.find_elements(By.CSS_SELECTOR, '[data-path="name"]'), "the form")
    assert _field(chrome, "name").get_attribute("value") == "Kenora Community Health Circle"

    statement = _field(chrome, "land_acknowledgement.statement")
    _type(statement, "The Anishinaabe people were the original caretakers of this land.")
    _wait(chrome, lambda: "past tense" in _problems(chrome, "land_acknowledgement.statement"), "past-tense warning")
    assert 'Warning: the statement speaks of the Nations in the past tense ("were the original")' in _problems(
        chrome, "land_acknowledgement.statement"
    )
    _type(statement, "We gather on the land of the Nations who have cared for it since time immemorial.")
    _wait(chrome, lambda: _problems(chrome, "land_acknowledgement.statement") == "", "the warning goes")

    add = chrome.find_element(By.XPATH, "//button[text()='Add Nation']")
    nations = [(CREE, "Cree", "KREE", "neh-HEE-yow"), (MUSQUEAM, "Musqueam", "MUS-kwee-um", "[xʷməθkʷəjˀəm]")]
    for i, (name, english, say, say_own) in enumerate(nations):
        add.send_keys(Keys.ENTER)  # every button works from the keyboard
        _type(_field(chrome, f"land_acknowledgement.nations[{i}].name"), name)
        _type(_field(chrome, f"land_acknowledgement.nations[{i}].english_name"), english)
        _type(_field(chrome, f"land_acknowledgement.nations[{i}].pronunciation"), say)
        _type(_field(chrome, f"land_acknowledgement.nations[{i}].name_pronunciation"), say_own)
    assert [nfc(_field(chrome, f"land_acknowledgement.nations[{i}].name").get_attribute("value")) for i in (0, 1)] == [
        CREE,
        MUSQUEAM,
    ]
    # Reordered by keyboard: the focus follows the Nation that moved.
    chrome.find_element(By.CSS_SELECTOR, 'button[aria-label="Move Nation 2 up"]').send_keys(Keys.ENTER)
    assert nfc(_field(chrome, "land_acknowledgement.nations[0].name").get_attribute("value")) == MUSQUEAM
    assert chrome.switch_to.active_element.get_attribute("aria-label") == "Move Nation 1 down"
    chrome.switch_to.active_element.send_keys(Keys.ENTER)
    assert nfc(_field(chrome, "land_acknowledgement.nations[0].name").get_attribute("value")) == CREE

    logo = chrome.downloads.parent / "logo.png"
    logo.write_bytes(PNG)
    chrome.find_element(By.CSS_SELECTOR, 'input[type="file"]').send_keys(str(logo))
    _wait(chrome, lambda: _field(chrome, "logo").get_attribute("value").startswith("logos/"), "the logo")
    assert _field(chrome, "logo").get_attribute("value") == "logos/kenora-community-health-circle-logo.png"

    chrome.find_element(By.XPATH, "//button[text()='Add Commitment']").send_keys(Keys.ENTER)
    _type(_field(chrome, "land_acknowledgement.commitments[0]"), "We pay Elders and knowledge keepers for their time.")
    _type(_field(chrome, "land_acknowledgement.reviewed_by"), "Grand Council Treaty 3 education office")
    _type(_field(chrome, "land_acknowledgement.reviewed_on"), dt.date.today().isoformat())
    _wait(chrome, lambda: chrome.find_element(By.ID, "summary").text == "Ready: no errors, no warnings.", "clean")
    _wait(chrome, lambda: len(chrome.find_elements(By.CSS_SELECTOR, "#preview-pages img.page")) >= 2, "preview")
    _no_axe_violations(chrome, "edit")

    chrome.find_element(By.ID, "save").send_keys(Keys.ENTER)
    _wait(chrome, lambda: "Saved to" in chrome.find_element(By.ID, "save-status").text, "saved")
    checked = _packets(studio, "check", "kenora-community-health-circle")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip().endswith("0 errors, 0 warnings.")
    saved = (studio.root / "content/orgs/kenora-community-health-circle.yaml").read_text(encoding="utf-8")
    assert "logo: logos/kenora-community-health-circle-logo.png" in saved
    assert saved.startswith("# yaml-language-server: $schema=org.schema.json\n# Organization file for Kenora")

    chrome.find_element(By.ID, "build-start").send_keys(Keys.ENTER)
    _wait(chrome, lambda: chrome.find_element(By.ID, "build-step").text.startswith("Built:"), "built", timeout=600)
    handout = "kenora-community-health-circle-participant-handout.pdf"
    chrome.find_element(By.LINK_TEXT, handout).click()
    downloaded = chrome.downloads / handout
    _wait(chrome, downloaded.is_file, "download")
    _no_axe_violations(chrome, "edit after building")

    # Someone edits the file by hand meanwhile: the studio shows both and overwrites nothing.
    target = studio.root / "content/orgs/kenora-community-health-circle.yaml"
    by_hand = saved.replace("Kenora Community Health Circle", "Kenora Health Circle (by hand)")
    target.write_text(by_hand, encoding="utf-8")
    _type(_field(chrome, "workshop.location"), "Lake of the Woods room")
    chrome.find_element(By.ID, "save").send_keys(Keys.ENTER)
    _wait(chrome, lambda: chrome.find_element(By.ID, "conflict").is_displayed(), "both versions")
    assert "Kenora Health Circle (by hand)" in chrome.find_element(By.ID, "conflict-disk").text
    assert "location: Lake of the Woods room" in chrome.find_element(By.ID, "conflict-mine").text
    assert target.read_text(encoding="utf-8") == by_hand
    _no_axe_violations(chrome, "edit, file changed on disk")
    chrome.find_element(By.ID, "conflict-reload").send_keys(Keys.ENTER)
    _wait(chrome, lambda: _field(chrome, "name").get_attribute("value") == "Kenora Health Circle (by hand)", "reload")
    chrome.get(base + "/orgs/no-such-org")
    assert "There is no organization file named no-such-org.yaml" in chrome.find_element(By.TAG_NAME, "main").text
    _no_axe_violations(chrome, "not found")
    text = pdfium_text(downloaded)
    assert CREE in text and MUSQUEAM in text
    assert downloaded.read_bytes() == (studio.out / "kenora-community-health-circle" / handout).read_bytes()


def test_creating_asks_the_questions_of_init_and_writes_its_file(studio):
    answers = {
        "name": "Île-à-la-Crosse Health Centre",
        "paper": "a4",
        "format": "short",
        "date": "2027-05-02",
        "start": "13:00",
        "location": "Band office boardroom",
        "territory": "Treaty 10 territory",
        "reviewed_by": "Sakitawak Métis Community Council",
        "reviewed_on": "2026-11-20",
    }
    status, created = studio.json("POST", "/api/orgs", answers)
    assert status == 201 and created["slug"] == "ile-a-la-crosse-health-centre"
    target = studio.root / "content/orgs/ile-a-la-crosse-health-centre.yaml"
    try:
        text = target.read_text(encoding="utf-8")
        assert text.startswith("# yaml-language-server: $schema=org.schema.json\n# Organization file for Île")
        for line in ('name: "Île-à-la-Crosse Health Centre"', "paper: a4", "  date: 2027-05-02", '  start: "13:00"'):
            assert line in text
        checked = _packets(studio, "check", "ile-a-la-crosse-health-centre")
        assert checked.returncode == 0, checked.stderr
        assert studio.json("POST", "/api/orgs", answers)[0] == 409  # never over an existing file
    finally:
        target.unlink()


@pytest.mark.parametrize(
    ("answers", "words"),
    [
        ({"name": ""}, "an organization name is needed"),
        ({"name": "Clinic", "date": "14/03/2027"}, "please write the date as YYYY-MM-DD"),
        ({"name": "Clinic", "start": "half past nine"}, 'start time "half past nine" is not HH:MM'),
        ({"name": "Clinic", "format": "all-day"}, "unknown format 'all-day'"),
    ],
)
def test_creating_refuses_what_init_refuses_and_leaves_no_file(studio, answers, words):
    status, body = studio.json("POST", "/api/orgs", answers)
    assert status == 400
    assert words in body["error"]
    assert not list((studio.root / "content/orgs").glob("clinic*.yaml"))


def test_a_request_too_large_or_not_a_form_is_refused_without_harm(studio):
    status, body = studio.json("POST", "/api/orgs/example/review", {"data": {"name": "x" * 2_100_000}})
    assert status == 400
    for odd in ([1, 2], "text", {"workshop": "not a mapping", "land_acknowledgement": {"nations": "x"}}):
        status, body = studio.json("POST", "/api/orgs/example/review", {"data": odd})
        assert status == 200
        assert "status" in body


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--host", "0.0.0.0"], "would listen on every network at once"),
        (["--port", "{port}"], "cannot listen on 127.0.0.1 port {port}"),
    ],
)
def test_the_studio_refuses_to_start_where_it_cannot_be_safe(studio, args, words):
    from click.testing import CliRunner

    from packets.cli import main

    given = ["studio", "--no-browser", *[a.format(port=studio.port) for a in args]]
    result = CliRunner().invoke(main, given, env={"PACKETS_ROOT": str(studio.root)})
    assert result.exit_code == 1
    assert words.format(port=studio.port) in result.output


def test_saving_never_creates_a_file_that_create_did_not_check(studio):
    empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # the digest of no bytes
    status, _ = studio.json("POST", "/api/orgs/unchecked/save", {"data": {"name": "Unchecked"}, "version": empty})
    assert status == 404
    assert not (studio.root / "content/orgs/unchecked.yaml").exists()


HAND_WRITTEN = sorted(
    p
    for p in (ROOT / "tests" / "fixtures").rglob("*.yaml")
    if re.search(r"^name:", p.read_text(encoding="utf-8"), re.M)
)


@pytest.mark.parametrize("path", HAND_WRITTEN, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_hand_written_fixture_is_written_back_unchanged(path):
    text = path.read_text(encoding="utf-8")
    data = json.loads(json.dumps(read_yaml(path).data))
    assert apply_form(text, data, model_tree()).text == text


WITH_ERRORS = """name: Broken Clinic
paper: legal   # ask the printer
workshop:
  start: "half past nine"
  knowledge_keeper: yes
  facilitators: Jordan Lee
land_acknowledgement:
  commitments: We pay our Elders for their time.
  nations:
    - Anishinaabe
  reviewed_on: last spring
"""


@pytest.mark.parametrize(
    "name", ["sessions/two-hours", "orgs/francophone", "orgs/bilingual-nb", "orgs/many-nations", "with-errors"]
)
def test_a_hand_written_file_saved_from_the_browser_is_unchanged(studio, chrome, name, tmp_path):
    """What the page's form collects (defaults, choices, lists) writes back exactly the file it read,
    even values the model refuses (they are reported, not dropped)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    source = ROOT / "tests" / "fixtures" / f"{name}.yaml"
    if name == "with-errors":
        source = tmp_path / "with-errors.yaml"
        source.write_text(WITH_ERRORS, encoding="utf-8")
    slug = f"hand-{source.stem}"
    target = studio.root / "content" / "orgs" / f"{slug}.yaml"
    shutil.copy(source, target)
    try:
        chrome.get(studio.url)
        chrome.get(f"http://{studio.host}:{studio.port}{studio.prefix}/orgs/{slug}")
        _wait(chrome, lambda: _field(chrome, "name").get_attribute("value"), "the form")
        chrome.find_element(By.ID, "save").send_keys(Keys.ENTER)
        _wait(chrome, lambda: "Saved to" in chrome.find_element(By.ID, "save-status").text, "saved")
        assert target.read_bytes() == source.read_bytes()
    finally:
        target.unlink()
