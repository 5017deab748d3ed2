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
import ctypes
import gc
import os
import signal
import subprocess
import sys
import threading
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


# Whether a stop may raise in this worker now: only inside the `try` of its life, which
# catches it. Outside (the unwinding after it), a stop is noted and the worker exits anyway.
_armed = False
_STOPS = {signal.SIGINT, signal.SIGTERM}
# The write ends of the pipes each worker of this process watches: a worker closes all it
# inherited at its fork, so that its own pipe ends (EOF) when this process is gone.
_LIFE_PIPES: set[int] = set()


def _stop(signum: int, frame: object) -> None:
    """A worker's stop, taken once: later ones (the parent passes a stop on, Ctrl-C reaches
    the whole process group) are ignored, so the unwinding is never broken off a second time."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if _armed:
        raise KeyboardInterrupt


def _die_with_parent(parent: int, life: int) -> None:
    """The worker ends when the build's process does, however it ends (SIGKILL included).

    On Linux the kernel sends SIGTERM when the parent dies (PR_SET_PDEATHSIG); everywhere,
    a thread waits on a pipe whose only write end is the parent's, and when it reads the end
    of the pipe (the parent is gone) it stops the worker the same way.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGTERM), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    for fd in _LIFE_PIPES:
        with contextlib.suppress(OSError):
            os.close(fd)
    _LIFE_PIPES.clear()

    def watch() -> None:
        with contextlib.suppress(OSError):
            while os.read(life, 1):
                pass
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    if os.getppid() != parent:  # the parent died before the watch began
        os.kill(os.getpid(), signal.SIGTERM)


def release_memory() -> None:
    """Give the memory freed since the last call back to the system (glibc's malloc_trim).

    A build's own process makes and drops large strings for every document (its HTML, the
    PDFs coming back); glibc keeps the freed space, scattered, for later, so the process
    grew with the batch, and every worker forked from it started that much larger. Called
    once an organization is written and before a worker is forked, it keeps both flat.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).malloc_trim(0)


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


def _worker_main(conn: Any, root: str, debug: bool, limit: int, parent: int = 0, life: int = -1) -> None:
    """A worker's life: set up once, render up to `limit` jobs sent down the pipe, exit.

    Ctrl-C is the parent's to handle (it reaches the whole process group): the parent stops
    its workers with SIGTERM, and the kernel or the life pipe does when the parent dies. The
    worker starts with both signals blocked (`Workers._start`), so none arrives before its
    handlers are set; one stop unwinds it quietly, and the process's finalizers remove
    WeasyPrint's temporary font folder. No traceback, whenever the stop comes.
    """
    global _armed
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop)
    if life >= 0:
        _die_with_parent(parent, life)
    try:
        _armed = True
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)
        renderer = set_up_renderer(Path(root))
        for _ in range(limit):
            try:
                job = conn.recv()
            except EOFError:
                break
            if job is None:
                break
            conn.send(render_in_worker(renderer, job, debug))
        _armed = False
    except KeyboardInterrupt:
        _armed = False
    # From here the worker only cleans up; a stop arriving now is noted and ignored.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


@dataclass
class _Slot:
    process: Any
    conn: Any
    job: RenderJob | None = None
    done: int = 0
    life: int = -1  # the write end of the pipe the worker watches (closed when it is retired)

    def release(self) -> None:
        """The parent's ends of the worker's pipes, once the worker is gone."""
        self.conn.close()
        if self.life >= 0:
            _LIFE_PIPES.discard(self.life)
            with contextlib.suppress(OSError):
                os.close(self.life)
            self.life = -1


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
        self.started = 0  # workers started so far

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
        life_read, life_write = os.pipe()  # the worker reads the end of it when this process is gone
        _LIFE_PIPES.add(life_write)
        process = self.context.Process(
            target=_worker_main,
            args=(child_end, self.root, self.debug, RECYCLE_AFTER, os.getpid(), life_read),
            daemon=True,
        )
        # Everything the parent holds is frozen across the fork, so the worker's collections
        # (the one in its set-up, and later ones) never walk the parent's objects: walking
        # writes to each object, and every page written is copied into the worker. From a
        # large parent (the studio, the test suite) that copying was most of a worker's start.
        # Stops are held across the fork: the worker sets its own handlers, then takes them.
        gc.freeze()
        held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
        try:
            process.start()
        except BaseException:
            _LIFE_PIPES.discard(life_write)
            os.close(life_write)
            raise
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
            gc.unfreeze()
            os.close(life_read)
            child_end.close()
        self.started += 1
        return _Slot(process, parent_end, life=life_write)

    def _retire(self, slot: _Slot) -> None:
        """A worker that has rendered its RECYCLE_AFTER documents (it exits by itself) or died."""
        slot.process.join(timeout=10)
        if slot.process.is_alive():
            slot.process.kill()
            slot.process.join()
        slot.release()
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
                if self.slots or self.started:  # a replacement: forked from a process as small as it can be
                    gc.collect()
                    release_memory()
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
            slot.release()
        self.slots.clear()


def stop_build(process: subprocess.Popen, grace: float = 10.0) -> int:
    """Stop a `packets build` running as a child process (the studio's builds), workers and all.

    SIGTERM first: the build stops its workers, leaves no temporary file and exits 143. One
    that has not ended after `grace` seconds is killed; its workers then end with it (they
    watch their parent: `_die_with_parent`). Returns the build's exit status.
    """
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()
