"""Worker processes that lay documents out, one `RenderJob` at a time, over a pipe.

Workers are plain forked processes. Each imports WeasyPrint, sets up one renderer (fonts,
parsed stylesheets) and reuses it for up to RECYCLE_AFTER documents, then exits and a
fresh one takes its place. The parent prepares each job (reads the file, plans, writes
the HTML) and gives it to whichever worker is free; a worker needs nothing from the
parent but its jobs.

So the first worker can be started before the parent does anything else
(`Workers.warm`): it spends the parent's start (importing, reading and validating the
files, about a third of a second) importing WeasyPrint, and the first document, the
guide, the longest one, starts that much sooner. This module imports nothing heavy, so
the command line can start a worker first.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..render.job import DocumentResult, RenderJob

# A worker renders this many documents, then exits and a fresh one takes its place. The
# renderer keeps memory for the documents it has rendered (caches inside WeasyPrint that
# nothing clears: about 0.6 MB per document of the example, measured in bench/results.md),
# so a worker that lived for the whole batch would grow with it. A new worker costs its
# set-up (about 1 s: fonts, stylesheets), which over 24 documents is about 1% of their
# time, while the growth stays under about 15 MB (under 8% of a worker's size) whatever
# the size of the batch.
RECYCLE_AFTER = int(os.environ.get("PACKETS_RECYCLE_AFTER", "") or 24)  # the variable is for bench/run.py


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def set_up_renderer(root: Path) -> Any:
    """A worker's one renderer: WeasyPrint imported, fonts and stylesheets ready.

    A stop (SIGTERM, Ctrl-C) may break off WeasyPrint's import, but waits for the end of
    pikepdf's and of the renderer's set-up: a KeyboardInterrupt inside pikepdf's C++
    start-up aborts the process, and a font configuration broken off half-way would be
    torn down out of order.
    """
    from ..output import interrupts_held
    from ..render.pdf import Renderer

    with interrupts_held():
        import pikepdf  # noqa: F401  (the read-back check's reader: imported while the first job is prepared)

        renderer = Renderer(root / "templates", (root / "templates", root / "content"))
    # What exists now lives as long as the worker. Freezing it keeps the cyclic garbage collector
    # from walking it again on every full collection while rendering (about 5% of render time,
    # with no change in memory). No collection first: after the imports it finds about 40
    # objects to free and takes 20 to 30 ms, which the first document, the guide, waits for.
    gc.freeze()
    return renderer


def render_in_worker(renderer: Any, job: RenderJob, debug: bool) -> DocumentResult:
    """One job, whatever happens: a failure is that document's result, not the worker's end."""
    from ..cache import LayoutCache, cache_folder
    from ..errors import InputError
    from ..render.job import render_job

    if job.shared and (renderer.decisions is None or renderer.decisions.salt != job.shared):
        renderer.decisions = LayoutCache(cache_folder(), job.shared)
    try:
        return render_job(job, renderer)
    except InputError as exc:
        return job.result("invalid", problems=exc.problems)
    except Exception as exc:  # isolate one organization's failure from the rest of the batch
        return job.result("failed", error=failure(exc, debug))


def failure(exc: Exception, debug: bool) -> str:
    """What a build prints of an unexpected error: its first line, and with --debug the traceback."""
    detail = traceback.format_exc() if debug else ""
    message = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
    return message + ("\n" + detail if detail else "")


def _worker_main(conn: Any, root: str, debug: bool, limit: int) -> None:
    """A worker's life: set up once, render up to `limit` jobs sent down the pipe, exit."""
    # The parent stops a worker with SIGTERM, Ctrl-C with SIGINT: either way the worker
    # unwinds, and the process's finalizers remove WeasyPrint's temporary font folder.
    signal.signal(signal.SIGTERM, _stop)
    try:
        renderer = set_up_renderer(Path(root))
        for _ in range(limit):
            try:
                job = conn.recv()
            except EOFError:
                return
            if job is None:
                return
            conn.send(render_in_worker(renderer, job, debug))
    except KeyboardInterrupt:
        return
    finally:
        # From here the worker only cleans up. A signal arriving now (the parent passes a
        # stop on to every worker still alive, and one that is exiting still is) would break
        # off the removal of the font folder with a traceback.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


@dataclass
class _Slot:
    process: Any
    conn: Any
    job: RenderJob | None = None
    done: int = 0


class Workers:
    """Up to `jobs` worker processes for one build, each replaced after RECYCLE_AFTER documents.

    One document at a time goes to whichever worker is free, so the parent holds no
    threads while it forks. A worker that dies (killed, out of memory) loses only the
    document it was rendering: that document fails, and a fresh worker goes on with the rest.
    Use as a context manager: leaving it stops every worker still alive.
    """

    def __init__(self, root: Path, jobs: int, debug: bool = False):
        import multiprocessing

        self.root = str(root)
        self.jobs = max(1, jobs)
        self.debug = debug
        self.context = multiprocessing.get_context("fork")
        self.slots: list[_Slot] = []

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def warm(self) -> None:
        """Start the first worker now, so it imports WeasyPrint while this process does its own start."""
        if not self.slots:
            self.slots.append(self._start())

    def _start(self) -> _Slot:
        parent_end, child_end = self.context.Pipe()
        process = self.context.Process(
            target=_worker_main, args=(child_end, self.root, self.debug, RECYCLE_AFTER), daemon=True
        )
        # Everything the parent holds is frozen across the fork, so the worker's collections
        # (the one in its set-up, and later ones) never walk the parent's objects: walking
        # writes to each object, and every page written is copied into the worker. From a
        # large parent (the studio, the test suite) that copying was most of a worker's start.
        gc.freeze()
        try:
            process.start()
        finally:
            gc.unfreeze()
        child_end.close()
        return _Slot(process, parent_end)

    def _retire(self, slot: _Slot) -> None:
        """A worker that has rendered its RECYCLE_AFTER documents (it exits by itself) or died."""
        slot.process.join(timeout=10)
        if slot.process.is_alive():
            slot.process.kill()
            slot.process.join()
        slot.conn.close()
        self.slots.remove(slot)

    def run(self, next_job: Callable[[], RenderJob | None], on_document: Callable[[DocumentResult], None]) -> None:
        """Render every job `next_job` gives (until it gives None), reporting each result as it comes back.

        The next job is prepared while the workers render, so a worker that finishes gets
        its next document at once.
        """
        from multiprocessing.connection import wait

        ready: list[RenderJob] = []
        exhausted = False

        def prepare() -> None:
            """One job made ready ahead, unless one is or there are no more."""
            nonlocal exhausted
            if not ready and not exhausted:
                job = next_job()
                exhausted = job is None
                ready.extend([job] if job is not None else [])

        def take() -> RenderJob | None:
            prepare()
            return ready.pop() if ready else None

        def give(slot: _Slot, job: RenderJob) -> None:
            slot.job = job
            slot.conn.send(job)

        while True:
            # Every idle worker, and every missing one, gets a job while there are jobs.
            for slot in [s for s in self.slots if s.job is None]:
                if (job := take()) is None:
                    break
                give(slot, job)
            while len(self.slots) < self.jobs and (job := take()) is not None:
                self.slots.append(self._start())
                give(self.slots[-1], job)
            busy = [s for s in self.slots if s.job is not None]
            if not busy:
                break
            prepare()  # while the workers render
            wait([s.conn for s in busy] + [s.process.sentinel for s in busy])
            for slot in busy:
                job = slot.job
                assert job is not None
                lost = False
                if slot.conn.poll():
                    try:
                        result = slot.conn.recv()
                    except (EOFError, OSError):
                        lost = True
                elif not slot.process.is_alive():
                    lost = True
                else:
                    continue
                if lost:
                    result = job.result("failed", error="worker stopped while building it")
                slot.job = None
                slot.done += 1
                on_document(result)
                if lost or slot.done >= RECYCLE_AFTER:
                    self._retire(slot)
        # All done: the workers still alive are idle (or, warmed for nothing, still starting).
        self.close()

    def close(self) -> None:
        """Stop every worker still alive: each cleans up after itself; one that does not is killed."""
        for slot in self.slots:
            if slot.process.is_alive():
                with contextlib.suppress(OSError):
                    os.kill(slot.process.pid, signal.SIGTERM)
        for slot in self.slots:
            slot.process.join(timeout=10)
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join()
            slot.conn.close()
        self.slots.clear()
