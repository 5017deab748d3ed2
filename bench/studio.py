"""Benchmark the studio's preview: from an edit sent to the new preview image ready.

Starts `packets studio` as a user would, in a copy of the project (so nothing is written
into the checkout), and measures two ways, on the shipped example organization:
  1. over HTTP: the edited form sent (`POST /api/orgs/example/preview`, the statement
     changed each time) until every page image of the new preview has been received;
  2. in Chromium (when the machine has it): the last key typed in the statement until
     the page shows the new images, which includes the page's own wait of 450 ms after
     typing stops (so a preview is not made for every key).

Usage: python bench/studio.py [--runs 20] [--output FILE]
Prints a table, and writes it to bench/studio-results.md (or FILE).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import re
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


def start_studio(root: Path, out: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PACKETS_ROOT": str(root), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-c", "from packets.cli import main; main()", "studio", "--no-browser"]
    process = subprocess.Popen(
        [*command, "--out", str(out)], cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        match = re.search(r"http://\S+token=\S+", line)
        if match:
            parts = urlsplit(match[0])
            while time.monotonic() < deadline:  # the address is printed just before it listens
                try:
                    socket.create_connection((parts.hostname, parts.port), timeout=1).close()
                    threading.Thread(target=process.stdout.read, daemon=True).start()  # never a full pipe
                    return process, match[0]
                except OSError:
                    time.sleep(0.05)
        if not line and process.poll() is not None:
            break
    process.terminate()
    raise SystemExit("the studio did not start")


class Client:
    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.token = url.split("token=")[1]
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def request(self, method: str, path: str, body: dict | None = None) -> bytes:
        headers = {
            "Host": f"{self.host}:{self.port}",
            "Cookie": f"packets_studio_{self.port}={self.token}",
            "X-CSRF-Token": csrf_token(self.token),
        }
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.connection.request(method, path, body=data, headers=headers)
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
    chrome.get(url.split("?")[0] + "orgs/example")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="edits measured each way (default 20)")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "studio-results.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="packets-studio-bench-") as tmp:
        root = copy_project(Path(tmp))
        process, url = start_studio(root, Path(tmp) / "output")
        try:
            http_times = over_http(Client(url), args.runs)
            reason = why_no_chromium()
            browser_times = in_browser(url, args.runs) if reason is None else []
        finally:
            process.terminate()
            process.wait(timeout=10)
    cpus = os.cpu_count()
    lines = [
        f"Measured {dt.datetime.now():%Y-%m-%d %H:%M} on {platform.machine()}, {cpus} CPUs, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the end.",
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
    text = "\n".join(lines) + "\n"
    args.output.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
