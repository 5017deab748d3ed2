"""One build asked for from the studio, run in a process of its own: `python -m packets.studio.buildjob REQUEST`.

The same pipeline as `packets build` (`build_many` with the same options and the same
workers), so the files are the CLI's, byte for byte. The studio starts it as the leader of
a new process group, so stopping it (a build past its time, the studio closing) stops its
workers too, with one signal to the group. It reports on standard output, one JSON object
a line: how many documents it will make, that its workers are up (`started`: the studio's
time limit counts from then), each document made, and the result. It watches its
standard input: when the studio is gone (the pipe closes), the whole group stops.

A stop (SIGTERM to the group) unwinds it as Ctrl-C unwinds `packets build`: a write under
way is finished first (`interrupts_held`), and its workers are stopped and waited for, so
when it has ended, they have too. Killed outright by SIGTERM's default action, it left the
temporary folder of a write behind, or an organization's files half replaced.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem, display_path
from ..load.curriculum import Project
from ..load.orgfiles import find_sources
from ..output import Terminated, raise_terminated, start_without_stops
from ..write.batch import Manifest, Summary, build_many, plan_work, shared_inputs_digest
from ..write.pipeline import BuildOptions
from ..write.workers import Workers
from .builds import KIT_KINDS


def options_from(request: dict[str, Any], out_dir: Path) -> BuildOptions:
    """The studio's choices as the CLI's build options (`packets build --paper --large-print --slides ...`)."""
    audiences = tuple(a for a in ("facilitator", "participant") if a in request.get("audiences", ()))
    return BuildOptions(
        audiences=audiences or ("facilitator", "participant"),
        paper=request.get("paper") if request.get("paper") in ("letter", "a4") else None,
        out_dir=out_dir,
        large_print=bool(request.get("large_print")),
        kit=tuple(k for k in KIT_KINDS if k in request.get("kit", ())),
    )


class ReportingWorkers(Workers):
    """The build's own workers, telling the studio as each document comes back."""

    def __init__(self, root: Path, jobs: int, on_done: Callable[[Any], None]):
        super().__init__(root, jobs)
        self.on_done = on_done

    def run(self, next_job, on_document) -> None:  # type: ignore[no-untyped-def]
        def reported(result: Any) -> None:
            on_document(result)
            self.on_done(result)

        super().run(next_job, reported)


def say(**fields: Any) -> None:
    sys.stdout.write(json.dumps(fields, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def problem_json(problem: Problem) -> dict[str, Any]:
    return {"severity": problem.severity, "message": problem.message, "hint": problem.hint, "line": problem.line}


def watch_the_studio() -> None:
    """Stop the whole group (this process and its workers) when the studio's end of stdin closes.

    The watching thread never takes a stop itself: a signal a thread does not block can land
    on it while the main thread holds stops around a write (`interrupts_held`), and Python runs
    the handler in the main thread all the same, inside the write.
    """

    # Read from a copy of the descriptor, never through sys.stdin: a worker forked while this
    # thread waits in sys.stdin's reader would wait for its lock forever when it closes stdin.
    pipe = os.dup(sys.stdin.fileno())

    def watch() -> None:
        with contextlib.suppress(OSError):
            while os.read(pipe, 4096):
                pass
        with contextlib.suppress(OSError):
            os.killpg(os.getpgrp(), signal.SIGTERM)

    start_without_stops(threading.Thread(target=watch, daemon=True))


def main(argv: list[str]) -> int:
    request = json.loads(argv[1])
    signal.signal(signal.SIGTERM, raise_terminated)  # the studio stopped it: time up, closing, gone
    try:
        watch_the_studio()
        return build(request)
    except Terminated:  # its workers are stopped and waited for (leaving `ReportingWorkers`)
        with contextlib.suppress(OSError):  # the studio may be gone, and its end of the pipe with it
            say(status="failed", error="the build was stopped")
        return 143


def build(request: dict[str, Any]) -> int:
    """The build the studio asked for, reported as it goes; the exit status of `packets build`."""
    project = Project(Path(request["root"]))
    options = options_from(request, Path(request["out_dir"]))
    try:
        (source,) = find_sources(project, (request["slug"],))
        # Counted by the build's own plan: what was asked and every out-of-date document beside it.
        work = plan_work(
            source, options, Manifest.load(options.out_dir), shared_inputs_digest(project), project, Summary()
        )
        todo = [document for _, documents in work.rounds.values() for document in documents]
        say(total=len(todo))
        made = 0

        def done(result: Any) -> None:
            nonlocal made
            made += 1
            say(done=made, document=Path(result.files[0][0]).name if result.files else "")

        results = []
        jobs = max(1, min(os.cpu_count() or 1, len(todo)))
        with ReportingWorkers(project.root, jobs, done) as workers:
            if todo:
                workers.warm()  # the first worker, started now: the build's time counts from here
            say(started=True)
            build_many([source], project, options, jobs, results.append, workers=workers)
    except InputError as exc:
        say(status="invalid", problems=[problem_json(p) for p in exc.problems])
        return 2
    except Exception as exc:  # reported to the page in one line, as the CLI does
        say(status="failed", error=f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
        return 1
    result = results[0]
    problems = [problem_json(p) for p in result.problems]
    if result.status == "failed":
        say(status="failed", error=result.error.splitlines()[0] if result.error else "", problems=problems)
        return 1
    written = [display_path(w.path) for w in result.written]
    say(status="invalid" if result.status == "invalid" else "built", problems=problems, written=written)
    return 2 if result.status == "invalid" else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
