"""What one connection may hold of the studio: time to send a request, and a place among a bounded few.

uvicorn waits for a request's head as long as the other end likes, so 300 connections that
never finish their request held 300 open files; at an open-file limit of 256 (macOS's
default) the studio could accept nothing more and logged a traceback for every refused
accept. Here a request's head must arrive within HEAD_SECONDS, a body may pause at most
BODY_PAUSE_SECONDS, and the studio keeps at most MAX_CONNECTIONS open: a new one takes the
place of the oldest that is not being answered (one still sending its head, or idle between
requests; else one still sending its body), so a real request always gets in. Logging is
rate-limited, so no fault can fill the terminal or the disk.
"""

from __future__ import annotations

import asyncio
import logging
import time

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEAD_SECONDS = 10.0  # a browser sends a request's head at once; this is for a very slow machine
BODY_PAUSE_SECONDS = 30.0  # the longest pause within a body (a logo, a form) before giving up on it
MAX_CONNECTIONS = 64  # a browser opens about six per site; the studio is for one person (or a few)
LOG_BURST = 5  # messages of one kind let through per LOG_WINDOW seconds, then counted
LOG_WINDOW = 60.0


class BoundedProtocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol (h11) with read deadlines and a cap on open connections."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.opened = time.monotonic()
        self.deadline: asyncio.TimerHandle | None = None
        self._arm(HEAD_SECONDS)
        self._make_room()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.transport.is_closing():
            return
        if self._waiting_for_head():
            if self.deadline is None:  # the first bytes of a next request on a kept-alive connection
                self._arm(HEAD_SECONDS)
        elif self.conn.their_state is h11.SEND_BODY:
            self._arm(BODY_PAUSE_SECONDS)  # a body may take long, but never pause long
        else:
            self._disarm()  # the request is whole: the rest is the studio's own time

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        self._disarm()  # uvicorn's keep-alive timeout takes over until the next request's bytes
        super().on_response_complete()

    def _waiting_for_head(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self.deadline = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _too_slow(self) -> None:
        self.deadline = None
        if self.transport.is_closing():
            return
        if self.flow is not None and self.flow.read_paused:
            self._arm(BODY_PAUSE_SECONDS)  # the studio stopped reading, not the other end
            return
        if self._waiting_for_head() or self.conn.their_state is h11.SEND_BODY:
            self.transport.close()

    def _make_room(self) -> None:
        """Over the cap, the oldest connection that is not being answered goes (one still sending its
        head, or idle); else the oldest still sending its body; if every one is being answered, this one.

        A body still arriving is not yet being answered: without the second choice, a few dozen
        connections each sending a form a byte at a time (never pausing long enough to be closed)
        would hold every place and shut everyone else out, signed in or not.
        """
        if len(self.connections) <= MAX_CONNECTIONS:
            return
        others = [c for c in self.connections if c is not self and isinstance(c, BoundedProtocol)]
        idle = [c for c in others if c._waiting_for_head()] or [
            c for c in others if c.conn.their_state is h11.SEND_BODY
        ]
        victim = min(idle, key=lambda c: c.opened) if idle else self
        victim.transport.close()
        victim.connections.discard(victim)


class RateLimit(logging.Filter):
    """At most LOG_BURST records of one kind (logger and message) per LOG_WINDOW seconds.

    What was held back is counted and said once the window turns over, so a flood of refused
    connections is one line a minute, not thousands of tracebacks a second.
    """

    def __init__(self) -> None:
        super().__init__()
        self.seen: dict[tuple[str, str], list[float]] = {}  # kind: [window start, let through, held back]

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        key = (record.name, str(record.msg))
        window = self.seen.setdefault(key, [now, 0, 0])
        if now - window[0] > LOG_WINDOW:
            held = int(window[2])
            window[:] = [now, 0, 0]
            if held:
                record.msg = f"{record.msg} ({held} more like this were not shown)"
        if window[1] >= LOG_BURST:
            window[2] += 1
            return False
        window[1] += 1
        return True


def limit_logging() -> None:
    """Rate-limit what the server's loggers print (asyncio's accept errors, uvicorn's warnings)."""
    limit = RateLimit()
    for name in ("asyncio", "uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RateLimit) for f in logger.filters):
            logger.addFilter(limit)
