"""A time and memory budget for rendering one document, enforced inside the process rendering it.

The checks before rendering bound everything we know to be expensive (file sizes, list
lengths, logo pixels, SVG shapes). This is the net under them: if a document still takes
longer than RENDER_SECONDS, or makes the process grow by more than RENDER_MEGABYTES, it is
stopped and reported as that organization's error, and the batch goes on with the next one
(a stuck worker would otherwise hold up the whole batch for ever).

Time is counted as processor time, so a machine shared by many jobs does not stop a
document that is merely waiting its turn; a document stuck without using the processor
(waiting on something that never comes) is stopped after STUCK_FACTOR times as long. That
second clock counts only the time in which neither the rendering thread nor the watchdog
ran or waited for a processor (Linux says how long each did: /proc/self/task/N/schedstat;
elsewhere it is the wall clock). On a busy machine, the wall clock less the rendering
thread's own waits was not enough: a document computing at a tenth of a processor still
lost time asleep, waiting for the interpreter's lock held by a watchdog waiting its turn,
and was stopped as "stuck" before its processor time was up.

A watchdog thread samples the clocks and the process's resident memory (/proc/self/statm)
and, when the budget is spent, interrupts the main thread with a signal whose handler
raises `BudgetExceeded`. WeasyPrint draws SVG inside `except BaseException` and would
swallow one interruption, so the watchdog repeats it until the render has unwound.
The limits can be changed with PACKETS_RENDER_SECONDS and PACKETS_RENDER_MB.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator

from ..output import start_without_stops

RENDER_SECONDS = 120.0  # of processor time; the largest packet the limits allow takes about 10 s
STUCK_FACTOR = 4  # time allowed neither running nor waiting to run, as a multiple of RENDER_SECONDS
RENDER_MEGABYTES = 1000  # growth over the worker's size when the document started (a large packet: ~150 MB)
_TICK = 0.05
_SIGNAL = getattr(signal, "SIGUSR1", None)


class BudgetExceeded(BaseException):
    """Raised in the rendering thread when its document has used up its time or memory.

    A BaseException, like KeyboardInterrupt, so that no `except Exception` in the renderer
    can turn it into a half-finished document.
    """


def _limit(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


def _wanted_processor(thread: int) -> float:
    """Seconds the thread `thread` (its native id) of this process has run or waited to run;
    0.0 where the system does not say (then the stuck clock is the wall clock)."""
    try:
        with open(f"/proc/self/task/{thread}/schedstat", "rb") as handle:
            ran, waited = handle.read().split()[:2]
        return (int(ran) + int(waited)) / 1e9
    except (OSError, ValueError):
        return 0.0


def _resident_megabytes() -> float:
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError, IndexError):
        return 0.0


@contextlib.contextmanager
def render_budget(what: str) -> Iterator[None]:
    """Run the block under the budget; BudgetExceeded (saying which limit) if it overruns.

    Only the main thread can be interrupted; elsewhere (an embedding application) the block
    runs without a budget.
    """
    if _SIGNAL is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    seconds = _limit("PACKETS_RENDER_SECONDS", RENDER_SECONDS)
    megabytes = _limit("PACKETS_RENDER_MB", RENDER_MEGABYTES)
    reason: list[str] = []
    done = threading.Event()
    start_memory = _resident_megabytes()
    rendering = threading.get_native_id()
    start_cpu = time.process_time()

    def on_signal(signum: int, frame: object) -> None:
        if reason and not done.is_set():
            raise BudgetExceeded(reason[0])

    def wanted(threads: tuple[int, int]) -> float:
        return sum(_wanted_processor(thread) for thread in threads)

    def watch() -> None:
        threads = (rendering, threading.get_native_id())
        stuck, last, last_wanted = 0.0, time.monotonic(), wanted(threads)
        while not done.wait(_TICK):
            # The time since the last look in which neither thread ran nor waited to run.
            now, now_wanted = time.monotonic(), wanted(threads)
            stuck += max(0.0, (now - last) - (now_wanted - last_wanted))
            last, last_wanted = now, now_wanted
            if not reason:
                grown = _resident_megabytes() - start_memory
                if time.process_time() - start_cpu > seconds:
                    reason.append(
                        f"rendering {what} took over {seconds:g} s of processor time (the limit per document)"
                    )
                elif stuck > seconds * STUCK_FACTOR:
                    reason.append(f"rendering {what} was stuck for over {seconds * STUCK_FACTOR:g} s")
                elif start_memory and grown > megabytes:
                    reason.append(f"rendering {what} needed over {megabytes:g} MB (the limit per document)")
            if reason:
                signal.pthread_kill(threading.main_thread().ident or 0, _SIGNAL)

    previous = signal.signal(_SIGNAL, on_signal)
    watchdog = threading.Thread(target=watch, name="render-budget", daemon=True)
    start_without_stops(watchdog)  # a stop arriving while a kept decision is written waits for it
    try:
        yield
        if reason:  # an interruption swallowed by the renderer: the document is not trusted
            raise BudgetExceeded(reason[0])
    finally:
        done.set()
        watchdog.join()
        # Never back to the default action, which ends the process: a signal sent just before
        # the watchdog stopped may still be pending.
        signal.signal(_SIGNAL, previous if callable(previous) else signal.SIG_IGN)
