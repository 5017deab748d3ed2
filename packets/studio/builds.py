"""The studio's build queue: one build per organization at a time, at most AT_ONCE at all, the rest waiting in turn.

Each build runs in a process of its own (`buildjob.py`, the CLI's pipeline and workers),
the leader of a new process group. A build takes about 400 MB with its workers, so 16
clicks at once used to make 16 builds and 5 GB; queued, the whole studio stays under 1 GB
(bench/studio.py). A build past its time is stopped with its workers (one signal to the
group) and reported as failed; the next click starts a new one. Its time counts from when
its workers are up, so a slow start on a busy machine does not use up a short limit.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..render.kit import kit_audience

BUILD_SECONDS = 600.0  # `packets studio --build-timeout` changes it
AT_ONCE = 1  # one build uses every core already (its workers); two at once only share them and double the memory
STOP_GRACE = 5.0  # seconds the workers get to clean up after SIGTERM before SIGKILL
KILLED_GONE_SECONDS = 60.0  # a bound on waiting for SIGKILLed processes to end (one stuck in the kernel)
# A build's time limit counts from when its workers are up (the build says `started`): on a
# busy machine, starting Python and WeasyPrint can take seconds that are not the build's
# own. Getting there has a limit of its own, so a build stuck before it is stopped too.
START_SECONDS = 120.0
# Finished builds are kept so their pages can still read the result, but not for ever: a
# server running for months would otherwise keep every build ever asked for.
KEEP_FINISHED = 100  # at most this many finished builds are remembered
KEEP_FINISHED_SECONDS = 3600.0  # and none longer than an hour after it finished


KIT_KINDS = ("slides", "booklet-participant", "booklet-facilitator", "fillable")  # packets/render/kit.py


def build_request(body: dict[str, Any]) -> dict[str, Any]:
    """What the page asked to build, as the CLI's choices (`--audience`, `--paper`, `--large-print`, the kit);
    anything else is dropped, and the same choices always compare equal."""
    asked = body.get("audiences")
    kit = [k for k in KIT_KINDS if isinstance(body.get("kit"), list) and k in body["kit"]]
    audiences = [a for a in ("facilitator", "participant") if isinstance(asked, list) and a in asked]
    # A build always makes a guide or a handout (as `--audience` does); with only kit documents
    # ticked, the one each is made from (left as it is when up to date).
    audiences = audiences or sorted({kit_audience(k) for k in kit}) or ["facilitator", "participant"]
    return {
        "audiences": audiences,
        "paper": body.get("paper") if body.get("paper") in ("letter", "a4") else None,
        "large_print": body.get("large_print") is True,
        "kit": kit,
    }


@dataclass
class Job:
    """One build asked for from the page, as the page follows it."""

    key: str
    slug: str
    request: dict[str, Any]
    status: str = "queued"  # queued | running | built | invalid | failed
    total: int | None = None  # documents this build makes (those not already up to date), once known
    done: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""
    written: list[str] = field(default_factory=list)
    process: subprocess.Popen | None = None
    timed_out: bool = False
    stopped: str = ""  # why it was stopped before its end (on a server: its person lost the organization)
    started: bool = False  # its workers are up: its time limit runs
    finished_at: float | None = None  # time.monotonic() when it finished

    @property
    def finished(self) -> bool:
        return self.status not in ("queued", "running")


class BuildQueue:
    def __init__(
        self, root: Path, out_dir: Path, timeout: float = BUILD_SECONDS, at_once: int = AT_ONCE, nice: int = 0
    ):
        self.root = root
        self.out_dir = out_dir
        self.timeout = timeout
        self.at_once = max(1, at_once)
        # `packets serve` lowers its builds' CPU priority (they and their workers): many people's
        # pages then answer at once while a build takes every core, and the build only waits for them.
        self.nice = nice
        self.jobs: dict[str, Job] = {}
        self.waiting: deque[Job] = deque()
        self.running: dict[str, Job] = {}  # slug: its build under way
        self.changed = threading.Condition()
        self.runners: list[threading.Thread] = []
        self.closed = False

    def submit(self, slug: str, request: dict[str, Any]) -> Job:
        """The build of `slug` with these choices: the one already waiting or under way, or a new one in the queue."""
        with self.changed:
            for job in [*self.running.values(), *self.waiting]:
                if job.slug == slug and job.request == request:
                    return job  # a second click follows the build it asked for again
            self._forget_finished()
            job = Job(uuid.uuid4().hex, slug, request)
            self.jobs[job.key] = job
            self.waiting.append(job)
            while len(self.runners) < self.at_once:
                runner = threading.Thread(target=self._run_queue, name="studio-build", daemon=True)
                self.runners.append(runner)
                runner.start()
            self.changed.notify_all()
            return job

    def _forget_finished(self) -> None:
        """Drop finished builds past KEEP_FINISHED_SECONDS, and the oldest past KEEP_FINISHED (under `changed`)."""
        now = time.monotonic()
        finished = sorted(
            (job for job in self.jobs.values() if job.finished and job.finished_at is not None),
            key=lambda job: job.finished_at or 0.0,
        )
        for n, job in enumerate(finished):
            if now - (job.finished_at or now) > KEEP_FINISHED_SECONDS or len(finished) - n > KEEP_FINISHED:
                del self.jobs[job.key]

    def place(self, job: Job) -> int:
        """1 for the next to start, 2 behind it, ...; 0 once started."""
        with self.changed:
            return next((i + 1 for i, j in enumerate(self.waiting) if j is job), 0)

    def _next(self) -> Job | None:
        with self.changed:
            while not self.closed:
                # The first in the queue whose organization is not being built already.
                job = next((j for j in self.waiting if j.slug not in self.running), None)
                if job is not None and len(self.running) < self.at_once:
                    self.waiting.remove(job)
                    job.status = "running"
                    self.running[job.slug] = job
                    return job
                self.changed.wait()
            return None

    def _run_queue(self) -> None:
        while (job := self._next()) is not None:
            try:
                self._run(job)
            except Exception as exc:  # the queue goes on whatever one build does
                job.status, job.error = "failed", f"{type(exc).__name__}: {exc}"[:300]
            finally:
                with self.changed:
                    job.finished_at = time.monotonic()
                    self.running.pop(job.slug, None)
                    self.changed.notify_all()

    def _run(self, job: Job) -> None:
        request = {**job.request, "slug": job.slug, "root": str(self.root), "out_dir": str(self.out_dir)}
        command = [sys.executable, "-m", "packets.studio.buildjob", json.dumps(request)]
        env = {**os.environ, "PACKETS_ROOT": str(self.root)}
        process = subprocess.Popen(
            command,
            cwd=self.root,
            env=env,
            stdin=subprocess.PIPE,  # never written: it closes when the studio ends, and the build stops
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: it and its workers stop together
        )
        job.process = process
        if job.stopped:  # stopped between leaving the queue and starting: `stop` found no process yet
            stop_group(process)
        if self.nice:
            with contextlib.suppress(OSError):  # set before the build starts its workers, which inherit it
                os.setpriority(os.PRIO_PROCESS, process.pid, os.getpriority(os.PRIO_PROCESS, 0) + self.nice)
        timer = self._timer(job, START_SECONDS)
        errors: list[str] = []
        reader = threading.Thread(target=_last_lines, args=(process.stderr, errors), daemon=True)
        reader.start()
        final: dict[str, Any] = {}
        try:
            assert process.stdout is not None
            for line in process.stdout:
                try:
                    said = json.loads(line)
                except ValueError:
                    continue
                if "started" in said:
                    timer.cancel()
                    job.started = True
                    if not job.timed_out:
                        timer = self._timer(job, self.timeout)
                elif "total" in said:
                    job.total = said["total"]
                elif "done" in said:
                    job.done = said["done"]
                elif "status" in said:
                    final = said
            process.wait()
        finally:
            timer.cancel()
            reader.join(timeout=5)
            if process.stdin:
                process.stdin.close()
        if job.stopped:
            job.status, job.error = "failed", job.stopped
            return
        if job.timed_out:
            job.status = "failed"
            took = (
                f"took longer than {_seconds(self.timeout)}"
                if job.started
                else f"did not get started within {_seconds(START_SECONDS)}"
            )
            job.error = (
                f"The build {took} and was stopped, with its worker processes; "
                "nothing was written. Try again, or build it with `packets build` to see where it stops."
            )
            return
        job.problems = final.get("problems", [])
        job.written = final.get("written", [])
        job.error = final.get("error", "")
        job.status = final.get("status", "failed")
        if not final:
            job.error = (errors[-1] if errors else "") or f"the build stopped (exit status {process.returncode})"

    def _timer(self, job: Job, seconds: float) -> threading.Timer:
        timer = threading.Timer(seconds, self._time_out, args=(job,))
        timer.daemon = True
        timer.start()
        return timer

    def _time_out(self, job: Job) -> None:
        job.timed_out = True
        if job.process is not None:
            stop_group(job.process)

    def stop(self, job: Job, reason: str) -> None:
        """Stop one build, waiting or under way (with its workers), and say why on its progress page."""
        with self.changed:
            if job.finished:
                return
            if job in self.waiting:
                self.waiting.remove(job)
                job.status, job.error = "failed", reason
                job.finished_at = time.monotonic()
                self.changed.notify_all()
                return
            job.stopped = reason
            process = job.process
        if process is not None:
            stop_group(process)

    def stop_all(self) -> None:
        """Stop every build under way with its workers, and forget the waiting ones (the studio is closing)."""
        with self.changed:
            self.closed = True
            running = list(self.running.values())
            for job in self.waiting:
                job.status, job.error = "failed", "the studio was stopped before this build started"
                job.finished_at = time.monotonic()
            self.waiting.clear()
            self.changed.notify_all()
        for job in running:
            if job.process is not None:
                stop_group(job.process)


def stop_group(process: subprocess.Popen) -> None:
    """SIGTERM to the build's process group (the build finishes a write under way, its workers
    clean up their temporary fonts), then SIGKILL to what is left; returns once the group is gone.

    A signal is sent when `kill` returns, not taken: a worker SIGKILLed after the grace was
    still ending, and still in the group, when the build was already reported stopped.
    """
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGTERM)
    if not _wait_group_gone(process, STOP_GRACE, 0.1):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        _wait_group_gone(process, KILLED_GONE_SECONDS, 0.02)
    process.wait()


def _wait_group_gone(process: subprocess.Popen, seconds: float, poll: float) -> bool:
    """Wait up to `seconds` for the build's group to end (collecting the build itself as it
    does); whether it has."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and _group_alive(process.pid):
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=poll)
    return not _group_alive(process.pid)


def _group_alive(group: int) -> bool:
    """Whether a process of the group can still run. Ended ones that wait to be collected
    (zombies: workers whose build ended first belong to whoever adopted them) do not count."""
    try:
        os.killpg(group, 0)
    except (ProcessLookupError, PermissionError):
        return False
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():  # no /proc to tell the ended ones apart
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[2]) == group and fields[0] not in ("Z", "X"):
            return True
    return False


def _last_lines(stream: Any, lines: list[str]) -> None:
    """What the build printed on stderr (read away so it can never fill the pipe), its last lines kept."""
    for raw in stream:
        text = raw.decode("utf-8", "replace").strip()
        if text:
            lines.append(text[:300])
            del lines[:-5]


def _seconds(seconds: float) -> str:
    return f"{seconds:g} s" if seconds < 120 else f"{seconds / 60:g} min"
