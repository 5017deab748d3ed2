"""Load on the team server: 20 people signing in, editing, saving and building at once, on loopback.

Starts `packets serve` as an administrator would (a copy of the project, its own database),
gives each simulated person (a thread) an account and an organization of their own, and for
a bounded time (2 minutes; --seconds to shorten) each person, like someone at work:
  signs in (the sign-in page, then the form: argon2 and the sign-in log);
  opens the list of their organizations, the edit page and the organization's state;
  changes the session's location and saves (the studio's own save: review, atomic write,
  a version in the history);
  every few saves, starts a build of their packets (one build per person at a time) and
  follows its progress;
  waits between actions, as a person reading the page and typing does (1 to 3 s; --pause
  0.2,0.8 makes it a stress test: each person then saves about every 2 s).
Measured: every answer's time by kind (pages, saves, sign-ins, build starts), split by
whether a build was running at that moment; the peak memory of the server's whole process
tree (the server, its build, the build's workers), as the sum of RSS and of PSS, sampled
every 0.25 s from /proc. Checked: no save lost (each person's last accepted save is the
location in their file on disk, read back after the server stopped).

Usage: python bench/serve_load.py [--seconds 120] [--people 20] [--pause 1,3] [--output FILE | --no-write]
Prints the table and replaces its section of bench/results.md (or FILE); exit 1 if a save was lost.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from packets.serve.accounts import Accounts  # noqa: E402
from packets.serve.db import open_database  # noqa: E402

HEADING = "# The team server under load (packets serve)"
PASSWORD = "twenty people at work today"
BUDGET_SECONDS = 0.5  # the 95th percentile of pages while builds run


def copy_project(tmp: Path, people: int) -> Path:
    """The project's templates and curriculum, and one organization per person (the example, renamed)."""
    root = tmp / "project"
    shutil.copytree(ROOT / "templates", root / "templates")
    shutil.copytree(ROOT / "content", root / "content", ignore=shutil.ignore_patterns("*.tmp"))
    orgs = root / "content" / "orgs"
    example = (orgs / "example.yaml").read_text(encoding="utf-8")
    for org in orgs.glob("*.yaml"):
        org.unlink()
    for n in range(people):
        text = example.replace("Riverside Community Health Centre (example)", f"Load Test Clinic {n:02d}")
        (orgs / f"clinic-{n:02d}.yaml").write_text(text, encoding="utf-8")
    return root


def add_people(db: Path, people: int) -> list[tuple[str, str]]:
    """(email, organization) for each person: an account with its password already chosen."""
    database = open_database(db)
    try:
        accounts = Accounts(database)
        found = []
        for n in range(people):
            email, slug = f"person{n:02d}@example.org", f"clinic-{n:02d}"
            accounts.add_user(email, "coordinator", [slug])
            accounts.accept(accounts.invite(email), PASSWORD, PASSWORD, "127.0.0.1")
            found.append((email, slug))
        return found
    finally:
        database.close()


def start_server(root: Path, db: Path, out: Path) -> tuple[subprocess.Popen, int, list[str]]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from packets.cli import main; main()",
            "serve",
            "--port",
            "0",
            "--db",
            str(db),
            "--out",
            str(out),
        ],
        cwd=root,
        env={**os.environ, "PACKETS_ROOT": str(root), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    said: list[str] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        said.append(line)
        found = re.search(r"Packets server: http://127\.0\.0\.1:(\d+)", line)
        if found:
            threading.Thread(target=lambda: said.extend(process.stdout), daemon=True).start()
            return process, int(found.group(1)), said
        if not line and process.poll() is not None:
            break
    process.kill()
    raise SystemExit("packets serve did not start:\n" + "".join(said))


def tree_memory(pid: int) -> tuple[int, int]:
    """(sum of RSS, sum of PSS) in bytes over `pid` and every process below it, read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    rss = pss = 0
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1]) * 1024
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1]) * 1024
        except OSError:
            pass
        todo.extend(child for child, parent in parents.items() if parent == current)
    return rss, pss


@dataclass
class Shared:
    """What the people's threads share: the clock's end, the running builds, every timing."""

    port: int
    until: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    building: set[str] = field(default_factory=set)
    timings: list[tuple[str, bool, float, int]] = field(default_factory=list)  # kind, during a build, seconds, status
    errors: list[str] = field(default_factory=list)
    routes: list[tuple[str, bool, float]] = field(default_factory=list)  # which page, during a build, seconds


class Person(threading.Thread):
    def __init__(self, shared: Shared, email: str, slug: str, seed: int, pause: tuple[float, float]):
        super().__init__(daemon=True)
        self.pauses = pause
        self.shared = shared
        self.email = email
        self.slug = slug
        self.random = random.Random(seed)
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.last_saved: str | None = None
        self.saves = 0
        self.builds = 0
        self.job: str | None = None

    def request(
        self, kind: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None, route: str = ""
    ):
        sent = {"Host": f"127.0.0.1:{self.shared.port}", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        with self.shared.lock:
            during = bool(self.shared.building)
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.shared.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        took = time.perf_counter() - started
        with self.shared.lock:
            self.shared.timings.append((kind, during, took, response.status))
            if route:
                self.shared.routes.append((route, during, took))
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";")[0]
        text = data.decode("utf-8", "replace")
        found = re.search(r'name="csrf(?:-token)?" (?:value|content)="([^"]+)"', text)
        if found:
            self.csrf = found.group(1)
        return response.status, text

    def api(self, kind: str, method: str, path: str, body: dict | None = None, route: str = ""):
        headers = {"X-CSRF-Token": self.csrf}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        status, text = self.request(kind, method, path, data, headers, route)
        try:
            return status, json.loads(text)
        except ValueError:
            return status, {"error": text[:200]}

    def pause(self) -> None:
        time.sleep(self.random.uniform(*self.pauses))

    def sign_in(self) -> None:
        self.request("page", "GET", "/sign-in")
        form = urlencode({"email": self.email, "password": PASSWORD, "csrf": self.csrf}).encode()
        status, _ = self.request(
            "sign-in", "POST", "/sign-in", form, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if status != 303:
            raise RuntimeError(f"{self.email} could not sign in ({status})")

    def run(self) -> None:
        try:
            self.sign_in()
            while time.monotonic() < self.shared.until:
                self.request("page", "GET", "/", route="the list of organizations")
                self.pause()
                self.request("page", "GET", f"/orgs/{self.slug}", route="the edit page")
                status, state = self.api("page", "GET", f"/api/orgs/{self.slug}", route="the organization's state")
                if status != 200:
                    raise RuntimeError(f"{self.email}: state of {self.slug} answered {status}")
                self.pause()
                location = f"Room {self.saves + 1}, {self.email} was here"
                data = state["data"]
                data["workshop"]["location"] = location
                status, saved = self.api(
                    "save", "POST", f"/api/orgs/{self.slug}/save", {"data": data, "version": state["version"]}
                )
                if status == 200:
                    self.last_saved = location
                    self.saves += 1
                else:
                    self.shared.errors.append(f"{self.email}: save answered {status}: {saved.get('error')}")
                self.follow_build()
                if self.job is None and self.saves % 3 == 1:
                    status, started = self.api("build", "POST", f"/api/orgs/{self.slug}/build", {})
                    if status == 200 and "job" in started:
                        self.job = started["job"]
                        self.builds += 1
                        with self.shared.lock:
                            self.shared.building.add(self.job)
                self.pause()
        except Exception as exc:  # recorded, so the run reports it instead of hiding it
            self.shared.errors.append(f"{self.email}: {type(exc).__name__}: {exc}")
        finally:
            if self.job:
                with self.shared.lock:
                    self.shared.building.discard(self.job)

    def follow_build(self) -> None:
        if self.job is None:
            return
        status, state = self.api("page", "GET", self.job, route="a build's progress")
        if status != 200 or state.get("status") not in ("queued", "running"):
            with self.shared.lock:
                self.shared.building.discard(self.job)
            self.job = None


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def table(shared: Shared) -> list[str]:
    lines = [
        "| answers | while a build ran | count | median | 95th percentile | slowest | not 2xx/3xx |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for kind in ("page", "save", "build", "sign-in"):
        for during in (True, False):
            rows = [(t, s) for k, d, t, s in shared.timings if k == kind and d == during]
            if not rows:
                continue
            times = [t for t, _ in rows]
            bad = sum(1 for _, s in rows if s >= 400)
            lines.append(
                f"| {kind}s | {'yes' if during else 'no'} | {len(rows)} | {statistics.median(times):.3f} s | "
                f"{percentile(times, 0.95):.3f} s | {max(times):.3f} s | {bad} |"
            )
    names = sorted({r for r, _, _ in shared.routes})
    for name in names:
        times = [t for r, d, t in shared.routes if r == name and d]
        if times:
            lines.append(
                f"| pages: {name} | yes | {len(times)} | {statistics.median(times):.3f} s | "
                f"{percentile(times, 0.95):.3f} s | {max(times):.3f} s | |"
            )
    return lines


def write_section(output: Path, text: str) -> None:
    """This benchmark's top-level section of the results file, replaced; the others kept (as bench/run.py does)."""
    old = output.read_text(encoding="utf-8") if output.exists() else ""
    sections = ["# " + chunk.rstrip("\n") + "\n" for chunk in ("\n" + old).split("\n# ")[1:]]
    kept = [s for s in sections if not s.startswith(HEADING)]
    output.write_text("\n".join([*kept, text.rstrip("\n") + "\n"]), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120, help="how long the people work (default 120)")
    parser.add_argument("--people", type=int, default=20, help="how many people at once (default 20)")
    parser.add_argument("--pause", default="1,3", help="seconds between a person's actions, MIN,MAX (default 1,3)")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results.md")
    parser.add_argument("--no-write", action="store_true", help="only print the results")
    args = parser.parse_args()
    low, high = (float(x) for x in args.pause.split(","))
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="packets-serve-load-") as tmp:
        base = Path(tmp)
        root = copy_project(base, args.people)
        db = base / "instance" / "packets.db"
        people = add_people(db, args.people)
        process, port, said = start_server(root, db, base / "output")
        peak = [0, 0]
        loads: list[float] = []  # the machine's 1-minute load average, every second of the run
        done = threading.Event()

        def sample() -> None:
            ticks = 0
            while not done.is_set():
                rss, pss = tree_memory(process.pid)
                peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
                if ticks % 4 == 0:
                    loads.append(os.getloadavg()[0])
                ticks += 1
                time.sleep(0.25)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        began = time.monotonic()
        shared = Shared(port, began + args.seconds)
        threads = [Person(shared, email, slug, n, (low, high)) for n, (email, slug) in enumerate(people)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(args.seconds + 300)
        worked = time.monotonic() - began
        done.set()
        sampler.join()
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        lost = []
        for thread in threads:
            on_disk = yaml.safe_load((root / "content" / "orgs" / f"{thread.slug}.yaml").read_text(encoding="utf-8"))
            if thread.last_saved is not None and on_disk["workshop"]["location"] != thread.last_saved:
                lost.append(f"{thread.slug}: saved '{thread.last_saved}', on disk '{on_disk['workshop']['location']}'")
        built = len(list((base / "output").rglob("*.pdf"))) if (base / "output").exists() else 0
    pages_during = [t for k, d, t, _ in shared.timings if k == "page" and d]
    p95 = percentile(pages_during, 0.95) if pages_during else float("nan")
    saves = sum(t.saves for t in threads)
    builds = sum(t.builds for t in threads)
    now = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    text = "\n".join(
        [
            HEADING,
            "",
            f"Measured {now} on {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
            f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
            + (
                f"; during the run {min(loads):.1f} to {max(loads):.1f} (mean {statistics.mean(loads):.1f}), "
                f"with {os.cpu_count()} cores: the server shared the machine with other work."
                if loads
                else "."
            ),
            "",
            f"{args.people} people (threads), each a coordinator of their own organization, for {worked:.0f} s on "
            "loopback: sign in, open the list, the edit page and the organization's state, change the location "
            "and save, start a build every third save (one per person at a time) and follow it; "
            f"{low:g} to {high:g} s between actions. {saves} saves, {builds} builds started, "
            f"{built} PDFs written before the server stopped.",
            "",
            *table(shared),
            "",
            f"Pages while a build ran, 95th percentile: {p95:.3f} s (budget {BUDGET_SECONDS} s): "
            f"{'met' if p95 < BUDGET_SECONDS else 'NOT met'}.",
            f"Saves lost: {len(lost)} of {args.people} people's last saves"
            + (f" ({'; '.join(lost)})." if lost else " (each person's last save is the text in their file)."),
            f"Peak memory of the server's process tree: {peak[0] / 1e6:.0f} MB (sum of RSS), "
            f"{peak[1] / 1e6:.0f} MB (sum of PSS, each shared page counted once).",
            *([f"Errors: {'; '.join(shared.errors[:10])}"] if shared.errors else []),
            "",
            "Reproduce with `python bench/serve_load.py "
            f"--seconds {args.seconds:.0f} --people {args.people} --pause {args.pause}`.",
        ]
    )
    print(text)
    if not args.no_write:
        write_section(args.output, text)
    if lost or shared.errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
