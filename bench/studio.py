"""Benchmark the studio: its preview, its memory under 16 builds at once, and 300 unfinished requests.

Starts `packets studio` as a user would, in a copy of the project (so nothing is written
into the checkout), and measures, on the shipped example organization:
  1. over HTTP: the edited form sent (`POST /api/orgs/example/preview`, the statement
     changed each time) until every page image of the new preview has been received;
  2. in Chromium (when the machine has it): the last key typed in the statement until
     the page shows the new images, which includes the page's own wait of 450 ms after
     typing stops (so a preview is not made for every key);
  3. memory: 16 organizations' builds (guide and handout each) asked for at once; the
     resident memory of the studio's whole process tree (the studio, the build, its
     workers), sampled every 0.2 s until the last build is done; the budget is 1 GB;
  4. 300 connections that never finish their request, with the studio's open-file limit
     at 256 (macOS's default): whether a real request is still answered, how long it
     took, and how many lines the studio printed meanwhile.

Usage: python bench/studio.py [--runs 20] [--builds 16] [--skip-preview] [--output FILE]
Prints the tables, and writes them to bench/studio-results.md (or FILE).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from packets.studio.chromium import start_chromium, stop_chromium, why_no_chromium  # noqa: E402
from packets.studio.guard import csrf_token  # noqa: E402


def copy_project(tmp: Path) -> Path:
    root = tmp / "project"
    shutil.copytree(ROOT / "templates", root / "templates")
    shutil.copytree(ROOT / "content", root / "content")
    for org in (root / "content" / "orgs").glob("*.yaml"):
        if org.name != "example.yaml":
            org.unlink()
    return root


def start_studio(root: Path, out: Path, preexec=None) -> tuple[subprocess.Popen, str, list[str]]:
    env = {**os.environ, "PACKETS_ROOT": str(root), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-c", "from packets.cli import main; main()", "studio", "--no-browser"]
    process = subprocess.Popen(
        [*command, "--out", str(out)],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=preexec,
    )
    deadline = time.monotonic() + 60
    said: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        said.append(line)
        match = re.search(r"http://\S+token=\S+", line)
        if match:

            def keep() -> None:  # never a full pipe; every line kept
                for more in process.stdout:
                    said.append(more)

            threading.Thread(target=keep, daemon=True).start()
            return process, match[0], said
        if not line and process.poll() is not None:
            break
    process.terminate()
    raise SystemExit("the studio did not start")


class Client:
    """A signed-in client: the printed token traded for the studio's cookie and secret path, as a browser does."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.token = url.split("token=")[1]
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.connection.request("GET", f"/?token={self.token}", headers={"Host": f"{self.host}:{self.port}"})
        response = self.connection.getresponse()
        response.read()
        self.prefix = response.getheader("location", "").rstrip("/")
        self.cookie = response.getheader("set-cookie", "").split(";")[0]

    def request(self, method: str, path: str, body: dict | None = None) -> bytes:
        headers = {
            "Host": f"{self.host}:{self.port}",
            "Cookie": self.cookie,
            "X-CSRF-Token": csrf_token(self.token),
        }
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.connection.request(method, self.prefix + path, body=data, headers=headers)
        response = self.connection.getresponse()
        payload = response.read()
        if response.status != 200:
            raise SystemExit(f"{method} {path}: {response.status} {payload[:200]!r}")
        return payload


def over_http(client: Client, runs: int) -> list[float]:
    state = json.loads(client.request("GET", "/api/orgs/example"))
    data = state["data"]
    times = []
    for i in range(runs + 2):
        data["land_acknowledgement"]["statement"] = f"We gather on the land of the Nations, meeting {i}."
        started = time.perf_counter()
        preview = json.loads(client.request("POST", "/api/orgs/example/preview", {"data": data}))
        for url in preview["pages"]:
            client.request("GET", url)
        if i >= 2:  # the first two warm the studio up (fonts, templates, PDFium)
            times.append(time.perf_counter() - started)
    return times


def open_statement(chrome, url: str, poll: float):
    """Open the example organization (token first), wait for its preview; its statement field and a waiter."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    chrome.get(url)
    chrome.get(chrome.current_url.split("?")[0].rstrip("/") + "/orgs/example")
    wait = WebDriverWait(chrome, 30, poll_frequency=poll)
    wait.until(lambda c: c.find_elements(By.CSS_SELECTOR, "#preview-pages img.page"))
    return chrome.find_element(By.CSS_SELECTOR, '[data-path="land_acknowledgement.statement"]'), wait


def in_browser(url: str, runs: int) -> list[float]:
    from selenium.webdriver.common.by import By

    chrome = start_chromium(1300, 1000)
    try:
        field, wait = open_statement(chrome, url, 0.01)
        times = []
        for i in range(runs + 1):
            before = chrome.find_element(By.ID, "preview-pages").get_attribute("data-ready")
            field.send_keys(f" {i}")
            started = time.perf_counter()
            wait.until(lambda c, b=before: c.find_element(By.ID, "preview-pages").get_attribute("data-ready") != b)
            if i >= 1:
                times.append(time.perf_counter() - started)
        return times
    finally:
        stop_chromium(chrome)


def row(label: str, times: list[float]) -> str:
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return f"| {label} | {len(times)} | {statistics.median(times):.2f} s | {p90:.2f} s | {max(times):.2f} s |"


def tree_rss(pid: int) -> int:
    """Resident bytes of `pid` and every process below it (read from /proc; shared pages counted in each)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            statm = (entry / "statm").read_text().split()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
        rss[int(entry.name)] = int(statm[1]) * page
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += rss.get(current, 0)
        todo.extend(child for child, parent in parents.items() if parent == current)
    return total


def builds_at_once(tmp: Path, count: int) -> list[str]:
    """Part 3: `count` builds asked for at once; the process tree's peak resident memory."""
    root = copy_project(tmp / "builds")
    orgs = root / "content" / "orgs"
    example = (orgs / "example.yaml").read_text(encoding="utf-8")
    slugs = [f"queued-{i:02d}" for i in range(count)]
    for i, slug in enumerate(slugs):
        (orgs / f"{slug}.yaml").write_text(
            re.sub(r"(?m)^name: .*$", f'name: "Queued Clinic {i}"', example, count=1), encoding="utf-8"
        )
    process, url, _ = start_studio(root, tmp / "builds" / "output")
    try:
        client = Client(url)
        started = time.monotonic()
        jobs = [json.loads(client.request("POST", f"/api/orgs/{slug}/build", {}))["job"] for slug in slugs]
        peak, processes, most_running, states = 0, 0, 0, {}
        while True:
            peak = max(peak, tree_rss(process.pid))
            states = {job: json.loads(client.request("GET", job)) for job in jobs}
            most_running = max(most_running, sum(s["status"] == "running" for s in states.values()))
            processes = max(
                processes,
                len(subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()),
            )
            if all(s["status"] not in ("queued", "running") for s in states.values()):
                break
            time.sleep(0.2)
        elapsed = time.monotonic() - started
        built = sum(s["status"] == "built" for s in states.values())
    finally:
        process.terminate()
        process.wait(timeout=30)
    return [
        f"{count} builds (guide and handout each) asked for at once: {built} built in {elapsed:.0f} s, "
        f"at most {most_running} running at a time.",
        "",
        "| process tree (studio, build, workers) | peak resident memory | budget |",
        "| --- | --- | --- |",
        f"| {count} builds at once | {peak / 1e6:.0f} MB | 1000 MB |",
    ]


def unfinished_requests(tmp: Path, count: int = 300, limit: int = 256) -> list[str]:
    """Part 4: `count` connections that never finish their request, the studio's open-file limit at `limit`."""
    root = copy_project(tmp / "connections")

    def limit_files() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    process, url, said = start_studio(root, tmp / "connections" / "output", preexec=limit_files)
    held = []
    try:
        client = Client(url)
        lines_before = len(said)
        head = f"GET / HTTP/1.1\r\nHost: {client.host}:{client.port}\r\nUser-Agent: slow".encode()
        for _ in range(count):
            sock = socket.socket()
            sock.settimeout(10)
            try:
                sock.connect((client.host, client.port))
                sock.sendall(head)
                held.append(sock)
            except OSError:
                sock.close()
        started = time.perf_counter()
        try:
            fresh = Client(url)
            fresh.request("GET", "/api/orgs/example")
            answer = f"answered (200) in {time.perf_counter() - started:.2f} s"
        except (OSError, SystemExit) as exc:
            answer = f"NOT answered: {exc}"
        time.sleep(2)
        printed = len(said) - lines_before
        kinds = sorted({line.strip()[:100] for line in said[lines_before:] if line.strip()})
    finally:
        for sock in held:
            sock.close()
        process.terminate()
        process.wait(timeout=30)
    return [
        f"{count} connections that never finish their request ({len(held)} connected), the studio's open-file "
        f"limit at {limit}: a real request (token exchange, then an organization's state) was {answer}; "
        f"the studio printed {printed} lines meanwhile"
        + (": " + "; ".join(f"`{k}`" for k in kinds[:5]) if kinds else "")
        + ".",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="edits measured each way (default 20)")
    parser.add_argument("--builds", type=int, default=16, help="builds asked for at once (default 16)")
    parser.add_argument("--skip-preview", action="store_true", help="measure only the builds and the connections")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "studio-results.md")
    args = parser.parse_args()
    cpus = os.cpu_count()
    lines = [
        f"Measured {dt.datetime.now():%Y-%m-%d %H:%M} on {platform.machine()}, {cpus} CPUs, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the start.",
        "",
    ]
    with tempfile.TemporaryDirectory(prefix="packets-studio-bench-") as tmp:
        if not args.skip_preview:
            root = copy_project(Path(tmp))
            process, url, _ = start_studio(root, Path(tmp) / "output")
            try:
                http_times = over_http(Client(url), args.runs)
                reason = why_no_chromium()
                browser_times = in_browser(url, args.runs) if reason is None else []
            finally:
                process.terminate()
                process.wait(timeout=10)
            lines += [
                "Preview of the example organization's cover and land acknowledgement (2 pages, PNG).",
                "",
                "| from an edit to the new preview image ready | edits | median | 90th percentile | slowest |",
                "| --- | --- | --- | --- | --- |",
                row("over HTTP (render and images only)", http_times),
            ]
            if browser_times:
                lines.append(row("in Chromium, last key to new image shown (includes the 450 ms wait)", browser_times))
            else:
                lines += ["", f"In-browser measurement skipped: {reason}."]
            lines.append("")
        lines += builds_at_once(Path(tmp), args.builds)
        lines.append("")
        lines += unfinished_requests(Path(tmp))
    lines.append(f"\nLoad average {os.getloadavg()[0]:.1f} at the end.")
    text = "\n".join(lines) + "\n"
    args.output.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
