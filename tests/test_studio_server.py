"""The studio as a server among others on one machine: its address, its token, its connections, its builds.

Each test drives a real `packets studio` process over real HTTP on loopback (and Chromium where
a browser's own behaviour is the point): the redirect after the token's exchange, the browser
opened without the token, 300 unfinished requests at an open-file limit of 256, the cookie and
a listener on another port, the build queue, a build past its time, the address printed only
once the studio listens, and the delivery kit built and listed from the studio.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from conftest import pdftotext
from test_studio import Studio, _project_copy

from packets.studio.chromium import start_chromium, stop_chromium, why_no_chromium

pytestmark = pytest.mark.xdist_group("studio")

COMMAND = [sys.executable, "-c", "from packets.cli import main; main()", "studio"]


class Started(Studio):
    """A studio process with everything it printed kept in `said`."""

    said: list[str]


def start(base: Path, *args: str, env: dict[str, str] | None = None, preexec=None, sign_in: bool = True) -> Started:
    """`packets studio` started as a user starts it, in a copy of the project; its address read from what it prints."""
    root = base / "project"
    if not root.exists():
        _project_copy(base)
    out = base / "output"
    process = subprocess.Popen(
        [*COMMAND, *args, "--out", str(out)],
        cwd=root,
        env={**os.environ, "PACKETS_ROOT": str(root), "PYTHONUNBUFFERED": "1", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=preexec,
    )
    said: list[str] = []
    line = ""
    deadline = time.monotonic() + 60
    while "token=" not in line and time.monotonic() < deadline:
        line = process.stdout.readline()
        said.append(line)
        if not line and process.poll() is not None:
            raise RuntimeError("the studio stopped before printing its address: " + "".join(said))
    if "token=" not in line:
        process.kill()
        process.wait()
        raise RuntimeError("the studio printed no address: " + "".join(said))
    url = re.search(r"http://\S+", line)[0]
    parts = urlsplit(url)
    started = Started(root, out, url, parts.hostname, parts.port, url.split("token=")[1], process)
    started.said = said

    def keep_reading() -> None:  # a full pipe can never stall the studio, and every line is kept
        for more in process.stdout:
            said.append(more)

    threading.Thread(target=keep_reading, daemon=True).start()
    if sign_in:
        try:
            started.sign_in()
        except BaseException:
            stop(started)  # never a studio left running by a test that failed here
            raise
    return started


def stop(studio: Studio) -> None:
    studio.process.terminate()
    try:
        studio.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        studio.process.kill()
        studio.process.wait()


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    started = start(tmp_path_factory.mktemp("server"), "--no-browser")
    yield started
    stop(started)


@pytest.fixture(scope="module")
def chrome():
    reason = why_no_chromium()
    if reason:
        pytest.skip(f"no browser to drive: {reason}")
    browser = start_chromium(1300, 1000)
    yield browser
    stop_chromium(browser)


def _org(studio: Studio, slug: str, name: str) -> Path:
    """A new organization file: the example's, under another name."""
    target = studio.root / "content" / "orgs" / f"{slug}.yaml"
    text = (studio.root / "content" / "orgs" / "example.yaml").read_text(encoding="utf-8")
    target.write_text(re.sub(r"(?m)^name: .*$", f'name: "{name}"', text, count=1), encoding="utf-8")
    return target


def _wait_for_job(studio: Studio, job: str, seen: list[dict] | None = None, limit: float = 600) -> dict:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        status, state = studio.json("GET", job)
        assert status == 200
        if seen is not None:
            seen.append(state)
        if state["status"] not in ("queued", "running"):
            return state
        time.sleep(0.3)
    raise AssertionError(f"the build {job} never finished")


def _descendants(pid: int) -> list[tuple[int, int, str]]:
    """(pid, process group, command line) of every process below `pid`, read from /proc."""
    children: dict[int, list[int]] = {}
    info: dict[int, tuple[int, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        info[int(entry.name)] = (int(fields[2]), cmdline)
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append((child, *info[child]))
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    """Running, or able to run: not gone, and not a zombie (an orphan's end, waiting for init to reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _group_members(group: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) == group and fields[0] != "Z":
                members.append(int(entry.name))
    return members


# ---------------------------------------------------------------------------- 2: the redirect after the exchange

HOSTILE_PATHS = [
    "/%5Cevil.example/x",
    "/%5C%5Cevil.example/x",
    "/%09/evil.example/x",
    "/%0D%0A/evil.example/x",
    "//evil.example/x",
    "/%2F%2Fevil.example/x",
    "/%2F%5Cevil.example",
    "/%00/evil.example",
    "/%E2%80%8B/%E3%80%80/evil.example",
    "/ /evil.example",
]


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_the_token_exchange_only_ever_leads_to_a_path_of_the_studio(studio, path):
    target = path.replace(" ", "%20") + f"?token={studio.token}"
    status, headers, _ = studio.request("GET", target, cookie=False, prefixed=False)
    assert status == 303
    location = headers["location"]
    assert location.startswith(studio.prefix + "/")
    assert "\\" not in location and "//" not in location
    assert not re.search(r"[\x00-\x20\x7f]", location)
    origin = f"http://{studio.host}:{studio.port}/"
    assert urlsplit(urljoin(origin, location)).netloc == f"{studio.host}:{studio.port}"


def test_chromium_stays_on_the_studio_after_the_exchange(studio, chrome):
    for path in ("/%5Cevil.example/x", "/%09/evil.example/x", "/%5C%5Cevil.example"):
        chrome.get(f"http://{studio.host}:{studio.port}{path}?token={studio.token}")
        assert urlsplit(chrome.current_url).netloc == f"{studio.host}:{studio.port}", chrome.current_url


# ---------------------------------------------------------------------------- 3: the browser's command line


def test_the_browser_is_opened_without_the_token_on_its_command_line(tmp_path):
    """`ps` shows a browser's arguments to everyone: it gets a code that works once, not the token."""
    seen = tmp_path / "browser-argv"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{seen}.tmp" && mv "{seen}.tmp" "{seen}"\n')
    browser.chmod(0o755)
    studio = start(tmp_path, env={"BROWSER": str(browser)}, sign_in=False)
    try:
        deadline = time.monotonic() + 60
        while not seen.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        argv = seen.read_text()
        assert studio.token not in argv
        opened = re.search(r"http://\S+", argv)[0]
        assert urlsplit(opened).netloc == f"{studio.host}:{studio.port}"
        # The browser's address lets it in, once: the cookie it gets opens the studio.
        path = opened.split(f":{studio.port}", 1)[1]
        status, headers, _ = studio.request("GET", path, cookie=False, prefixed=False)
        assert status == 303
        studio.prefix = headers["location"].split("?")[0].rstrip("/")
        studio.cookie = headers["set-cookie"].split(";")[0]
        assert studio.request("GET", "/api/orgs/example")[0] == 200
        status, headers, body = studio.request("GET", path, cookie=False, prefixed=False)
        assert status == 403 and "set-cookie" not in headers
        assert b"used up" in body
        # The printed address still carries what the person needs.
        assert studio.request("GET", f"/?token={studio.token}", cookie=False, prefixed=False)[0] == 303
    finally:
        stop(studio)


# ---------------------------------------------------------------------------- 4: unfinished requests


def _limit_files() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))


def test_300_unfinished_requests_at_an_open_file_limit_of_256_leave_it_answering(tmp_path):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 400:  # this test's own 300 connections
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 1024), hard))
    studio = start(tmp_path, "--no-browser", preexec=_limit_files)
    held: list[socket.socket] = []
    try:
        head = f"GET / HTTP/1.1\r\nHost: {studio.host}:{studio.port}\r\nUser-Agent: slow".encode()
        for _ in range(300):
            sock = socket.socket()
            sock.settimeout(10)
            try:
                sock.connect((studio.host, studio.port))
                sock.sendall(head)  # never finished
            except OSError:
                sock.close()
                continue
            held.append(sock)
        status, _, body = studio.request("GET", "/api/orgs/example")
        assert status == 200
        assert json.loads(body)["slug"] == "example"
        # A request's head that never ends is not waited for forever: the studio closes it.
        lone = socket.create_connection((studio.host, studio.port), timeout=60)
        lone.sendall(head)
        assert lone.recv(100) == b""
        lone.close()
    finally:
        for sock in held:
            sock.close()
        stop(studio)
    printed = "".join(studio.said)
    assert "Traceback" not in printed
    assert len(studio.said) < 40, printed[-3000:]


# ---------------------------------------------------------------------------- 16: the cookie and another port


class _Listener(BaseHTTPRequestHandler):
    received: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        type(self).received.append(str(self.headers))
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<!DOCTYPE html><title>another program</title><p>hello</p>")

    def log_message(self, *args) -> None:
        pass


def test_a_listener_on_another_local_port_gains_nothing_from_the_cookie(studio, chrome):
    """Browsers send 127.0.0.1's cookies to every port of it: the studio's must be worth nothing there."""
    listener = HTTPServer(("127.0.0.1", 0), _Listener)
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    try:
        chrome.get(studio.url)
        assert "Riverside Community Health Centre (example)" in chrome.page_source
        other = f"http://127.0.0.1:{listener.server_address[1]}"
        for path in ("/", "/orgs/example", "/api/orgs/example", "/static/studio.js"):
            chrome.get(other + path)
    finally:
        listener.shutdown()
    received = "\n".join(_Listener.received)
    assert _Listener.received
    assert studio.token not in received
    cookies = re.findall(r"(?im)^cookie: (.*)$", received)
    for cookie in cookies:  # whatever it was sent, replayed to the studio
        for path in ("/", "/api/orgs/example"):
            for prefixed in (False, True):
                got = studio.request("GET", path, cookie=False, prefixed=prefixed, headers={"Cookie": cookie})
                assert got[0] == 403


# ---------------------------------------------------------------------------- 15 and 31.3: the build queue, the kit


def test_builds_asked_for_at_once_wait_in_one_queue_with_their_place_shown(studio):
    slugs = ["queue-one", "queue-two", "queue-three"]
    for i, slug in enumerate(slugs):
        _org(studio, slug, f"Queue Clinic {i + 1}")
    handout = {"audiences": ["participant"]}
    jobs = [studio.json("POST", f"/api/orgs/{slug}/build", handout)[1]["job"] for slug in slugs]
    again = studio.json("POST", f"/api/orgs/{slugs[0]}/build", handout)[1]["job"]
    assert again == jobs[0]  # one build per organization: a second click follows the first
    other = studio.json("POST", f"/api/orgs/{slugs[0]}/build", {"audiences": ["participant"], "large_print": True})
    jobs.append(other[1]["job"])
    assert jobs[-1] != jobs[0]
    states = [studio.json("GET", job)[1] for job in jobs]
    assert sum(s["status"] == "running" for s in states) <= 1
    places = sorted(s["place"] for s in states if s["status"] == "queued")
    assert places == list(range(1, len(places) + 1)) and len(places) >= 2
    most_at_once = 0
    finished: dict[str, dict] = {}
    deadline = time.monotonic() + 900
    while len(finished) < len(jobs) and time.monotonic() < deadline:
        states = {job: studio.json("GET", job)[1] for job in jobs if job not in finished}
        # Counted by the build processes alive at one moment: the states above are asked for one
        # after the other, and a build that ends between two answers lets the next one start.
        builders = [p for p in _descendants(studio.process.pid) if "packets.studio.buildjob" in p[2]]
        groups = {group for _, group, _ in builders}
        most_at_once = max(most_at_once, len(groups))
        finished |= {job: s for job, s in states.items() if s["status"] not in ("queued", "running")}
        time.sleep(0.3)
    assert most_at_once == 1
    assert [finished[job]["status"] for job in jobs] == ["built"] * len(jobs)
    assert finished[jobs[-1]]["total"] == 1  # the large-print handout; the regular one was up to date
    for slug in slugs:
        assert (studio.out / slug / f"{slug}-participant-handout.pdf").is_file()


def test_the_studio_builds_the_delivery_kit_counts_honestly_and_marks_stale_files(studio):
    slug = "kit-clinic"
    org = _org(studio, slug, "Kit Clinic of the Bay")
    choices = {"audiences": ["participant"], "kit": ["slides", "booklet-participant", "fillable"]}
    _, started = studio.json("POST", f"/api/orgs/{slug}/build", choices)
    seen: list[dict] = []
    state = _wait_for_job(studio, started["job"], seen)
    assert state["status"] == "built", state
    assert state["total"] == 4 and state["done"] == 4  # the handout, the slides, the booklet, the fillable handout
    counts = [(s["done"], s["total"]) for s in seen if s["status"] == "running" and s["total"]]
    assert all(total == 4 and 0 <= done <= 4 for done, total in counts)
    names = {f["name"]: f for f in state["files"]}
    kit = {
        f"{slug}-participant-handout.pdf": "participant handout",
        f"{slug}-slides.pdf": "slides",
        f"{slug}-participant-handout-booklet.pdf": "handout booklet",
        f"{slug}-participant-handout-fillable.pdf": "fillable handout",
    }
    assert set(names) == set(kit)
    assert all(names[n]["current"] and names[n]["what"] == what for n, what in kit.items())
    for name, f in names.items():
        status, headers, body = studio.request("GET", f["url"])
        assert status == 200 and body.startswith(b"%PDF"), name
    assert "Kit Clinic of the Bay" in " ".join(pdftotext(studio.out / slug / f"{slug}-slides.pdf").split())
    # Built again with nothing changed: nothing to make.
    _, again = studio.json("POST", f"/api/orgs/{slug}/build", choices)
    state = _wait_for_job(studio, again["job"])
    assert state["status"] == "built" and state["total"] == 0
    # The file changes: every document built from it is out of date, until built again.
    org.write_text(org.read_text(encoding="utf-8").replace("Kit Clinic of the Bay", "Kit Clinic"), encoding="utf-8")
    _, listed = studio.json("GET", f"/api/orgs/{slug}")
    assert {f["name"]: f["current"] for f in listed["built"]} == dict.fromkeys(kit, False)
    # A file no build recorded (copied in by hand) is never shown as current.
    shutil.copy(studio.out / slug / f"{slug}-slides.pdf", studio.out / slug / f"{slug}-facilitator-guide-booklet.pdf")
    _, listed = studio.json("GET", f"/api/orgs/{slug}")
    booklet = next(f for f in listed["built"] if f["name"] == f"{slug}-facilitator-guide-booklet.pdf")
    assert booklet["current"] is False and booklet["what"] == "guide booklet"


def test_slides_are_built_and_downloaded_from_the_page(studio, chrome, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    slug = "slides-page"
    _org(studio, slug, "Slides Page Clinic")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    chrome.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    chrome.get(studio.url)
    chrome.get(f"http://{studio.host}:{studio.port}{studio.prefix}/orgs/{slug}")
    wait = WebDriverWait(chrome, 300, poll_frequency=0.2)
    wait.until(lambda c: c.find_element(By.ID, "summary").text not in ("", "Loading…"))
    for box in ("build-facilitator", "build-slides"):
        checkbox = chrome.find_element(By.ID, box)
        if checkbox.is_selected() == (box == "build-facilitator"):
            checkbox.send_keys(Keys.SPACE)
    chrome.find_element(By.ID, "build-start").send_keys(Keys.ENTER)
    counts = set()

    def built(c) -> bool:
        text = c.find_element(By.ID, "build-step").text
        counts.update(re.findall(r"of (\d+) documents", text))
        return text.startswith("Built:")

    wait.until(built)
    assert counts <= {"2"}  # the handout and the slides
    assert chrome.find_element(By.ID, "build-step").text.startswith("Built: 2 documents")
    item = chrome.find_element(By.XPATH, f"//ul[@id='build-files']/li[a[text()='{slug}-slides.pdf']]")
    assert "current" in item.text
    item.find_element(By.TAG_NAME, "a").click()
    wait.until(lambda c: (downloads / f"{slug}-slides.pdf").is_file())
    assert (downloads / f"{slug}-slides.pdf").read_bytes() == (studio.out / slug / f"{slug}-slides.pdf").read_bytes()


# ---------------------------------------------------------------------------- 20: a build past its time


def test_a_build_past_its_time_is_stopped_with_its_workers_and_a_new_click_starts_afresh(tmp_path):
    # Nothing kept: documents whose page-flow decisions an earlier test kept could be done in time.
    # The 2 s count from when the build's first worker is up (however long a busy machine takes
    # to start it), and the guide with the handout take longer than that to make.
    studio = start(tmp_path, "--no-browser", "--build-timeout", "2", env={"PACKETS_CACHE": "off"})
    both = {"audiences": ["facilitator", "participant"]}
    try:
        _, started = studio.json("POST", "/api/orgs/example/build", both)
        groups: set[int] = set()
        members: set[int] = set()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            for pid, group, cmdline in _descendants(studio.process.pid):
                # The build and its workers (forked from it) run `packets.studio.buildjob`. A child
                # caught between its fork and its exec still shows the studio's command line, and
                # the studio's process group (the test's, shared with other tests' processes).
                if "packets.studio.buildjob" in cmdline:
                    groups.add(group)
                    members.add(pid)
            _, state = studio.json("GET", started["job"])
            if state["status"] not in ("queued", "running"):
                break
            time.sleep(0.05)
        assert state["status"] == "failed"
        assert "took longer than 2 s and was stopped, with its worker processes" in state["error"]
        assert groups and studio.process.pid not in groups
        assert len(members) >= 2  # the build and at least one worker were seen
        for group in groups:
            assert _group_members(group) == []
        assert [pid for pid in members if _alive(pid)] == []
        _, again = studio.json("POST", "/api/orgs/example/build", both)
        assert again["job"] != started["job"]
        _, state = studio.json("GET", again["job"])
        assert state["status"] in ("queued", "running")
    finally:
        stop(studio)


def test_the_build_queue_forgets_finished_builds_past_a_bound(tmp_path, monkeypatch):
    """A server running for months keeps a bounded list of finished builds, never every build asked for."""
    from packets.studio import builds
    from packets.studio.builds import BuildQueue

    root = _project_copy(tmp_path)
    queue = BuildQueue(root, tmp_path / "output")

    def finished(slug: str):
        job = queue.submit(slug, {"audiences": ["participant"]})
        deadline = time.monotonic() + 120
        while not job.finished and time.monotonic() < deadline:
            time.sleep(0.05)
        assert job.status == "invalid"  # no such file: the build says so and ends
        return job

    try:
        monkeypatch.setattr(builds, "KEEP_FINISHED", 2)
        first, second, third = finished("no-such-1"), finished("no-such-2"), finished("no-such-3")
        assert set(queue.jobs) == {first.key, second.key, third.key}
        fourth = finished("no-such-4")  # asked while three finished ones were kept: the oldest goes
        assert set(queue.jobs) == {second.key, third.key, fourth.key}
        monkeypatch.setattr(builds, "KEEP_FINISHED_SECONDS", 0.0)
        fifth = queue.submit("no-such-5", {"audiences": ["participant"]})
        assert set(queue.jobs) == {fifth.key}  # finished ones past their time are gone; waiting ones stay
    finally:
        queue.stop_all()


# ---------------------------------------------------------------------------- 22: listening before printing


def test_the_address_answers_as_soon_as_it_is_printed(tmp_path):
    studio = start(tmp_path, "--no-browser", sign_in=False)
    try:
        # No retry: the first try at the printed address is answered.
        status, headers, _ = studio.request("GET", f"/?token={studio.token}", cookie=False, prefixed=False)
        assert status == 303
    finally:
        stop(studio)


# ---------------------------------------------------------------------------- the guard and what it does not check


def test_the_guard_lets_no_connection_through_that_it_does_not_check():
    from packets.studio.guard import Guard

    reached: list[str] = []

    async def app(scope, receive, send) -> None:
        reached.append(scope["type"])

    async def connect():
        return {"type": "websocket.connect"}

    for kind in ("websocket", "webtransport", "something-new"):
        sent: list[dict] = []

        async def send(message, sent=sent) -> None:
            sent.append(message)

        scope = {"type": kind, "path": "/", "headers": [(b"host", b"127.0.0.1:8765")], "query_string": b""}
        asyncio.run(Guard(app, "t" * 43, {"127.0.0.1:8765"}, 8765)(scope, connect, send))
        if kind == "websocket":
            assert sent == [{"type": "websocket.close", "code": 1008}]
    assert reached == []


def test_a_flood_of_one_message_prints_a_few_lines_and_a_count():
    import logging

    from packets.studio.limits import LOG_BURST, RateLimit

    records = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    logger = logging.getLogger("packets-test-flood")
    logger.propagate = False
    logger.addHandler(Keep())
    limit = RateLimit()
    logger.addFilter(limit)
    for _ in range(8000):
        logger.error("socket.accept() out of system resource")
    assert records == ["socket.accept() out of system resource"] * LOG_BURST
    for window in limit.seen.values():
        window[0] -= 3600  # the window turns over
    logger.error("socket.accept() out of system resource")
    assert records[-1].endswith(f"({8000 - LOG_BURST} more like this were not shown)")


def test_a_build_stops_with_its_workers_when_the_studio_is_killed(tmp_path):
    studio = start(tmp_path, "--no-browser")
    try:
        studio.json("POST", "/api/orgs/example/build", {"audiences": ["participant"], "kit": ["slides"]})
        deadline = time.monotonic() + 60
        builders: list[tuple[int, int, str]] = []
        while not builders and time.monotonic() < deadline:
            builders = [p for p in _descendants(studio.process.pid) if "packets.studio.buildjob" in p[2]]
            time.sleep(0.05)
        assert builders
        group = builders[0][1]
        studio.process.kill()  # no chance to clean up: the build notices its pipe close
        studio.process.wait()
        deadline = time.monotonic() + 60
        while _group_members(group) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _group_members(group) == []
    finally:
        stop(studio)


def test_an_a4_build_from_the_studio_is_listed_and_downloads(studio):
    slug = "a4-clinic"
    _org(studio, slug, "A4 Clinic")
    _, started = studio.json("POST", f"/api/orgs/{slug}/build", {"audiences": ["participant"], "paper": "a4"})
    state = _wait_for_job(studio, started["job"])
    assert state["status"] == "built"
    name = f"{slug}-participant-handout-a4.pdf"
    listed = {f["name"]: f for f in state["files"]}
    assert listed[name]["current"] and listed[name]["what"] == "participant handout, A4"
    status, _, body = studio.request("GET", listed[name]["url"])
    assert status == 200 and body == (studio.out / slug / name).read_bytes()
