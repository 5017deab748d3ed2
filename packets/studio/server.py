"""Starting the studio: listen, make the token, print the link, open the browser, serve."""

from __future__ import annotations

import ipaddress
import socket
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path

from ..load.curriculum import Project
from .app import Studio, create_app
from .builds import BUILD_SECONDS
from .guard import Guard, new_token
from .limits import BoundedProtocol, limit_logging

LOOPBACK = "127.0.0.1"
# Connections waiting to be accepted, and (asyncio uses the same number) accepted in one go
# before the studio can close the ones over its cap (limits.py): kept small, so a burst of
# connections never takes the studio past an open-file limit of 256.
BACKLOG = 32


class CannotStart(Exception):
    """The studio cannot listen where it was asked to; the message says what to do instead."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def listen(host: str, port: int) -> socket.socket:
    """A socket already listening (port 0: a free one), so the address printed next answers at once.

    Connections that arrive before the server's loop runs wait in the socket's queue; none is
    refused. Binding here also leaves no moment between choosing a free port and taking it.
    """
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise CannotStart(
            f"cannot listen on {host} port {port}: {exc.strerror or exc} "
            "(choose another with --port, or leave --port out for a free one)"
        ) from None
    return sock


def serve(
    root: Path,
    out_dir: Path,
    host: str = LOOPBACK,
    port: int = 0,
    open_browser: bool = True,
    say: Callable[[str], None] = print,
    token: str | None = None,
    build_timeout: float = BUILD_SECONDS,
) -> None:
    """Run until interrupted. `port` 0 takes a free one; the token is new for every start.

    In this order: listen, print the address, open the browser, serve; a click on the
    printed address is never refused. The browser gets a one-time code, not the token:
    its command line can be read by anyone on the machine.
    """
    import uvicorn

    if host in ("0.0.0.0", "::", ""):
        # Browsers never send these as the Host header, so the DNS-rebinding check would refuse
        # everyone; and "every address" is never what someone sharing a studio means.
        raise CannotStart(
            f"--host {host or '(empty)'} would listen on every network at once; give the address "
            "the others will type, e.g. --host 192.168.1.20"
        )
    sock = listen(host, port)
    port = sock.getsockname()[1]
    token = token or new_token()
    studio = Studio(Project(root), out_dir.resolve(), token, build_timeout=build_timeout)
    app = create_app(studio, host, port)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/?token={token}"
    if not is_loopback(host):
        say(
            f"Warning: the studio listens on {host}, so other computers on that network can reach it; "
            "anyone with the address below can edit and build your organization files."
        )
    say(f"Packets studio: {url}")
    say("Keep this window open while you work; press Ctrl+C to stop the studio.")
    if open_browser and isinstance(app, Guard):
        opened = f"http://{shown}:{port}/?code={app.one_time_code()}"
        threading.Thread(target=webbrowser.open, args=(opened,), daemon=True).start()
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        http=BoundedProtocol,
        ws="none",  # nothing of the studio speaks WebSocket (and the guard refuses it anyway)
        timeout_keep_alive=5,
        backlog=BACKLOG,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
    limit_logging()
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        studio.builds.stop_all()  # a build under way stops with its workers when the studio does
        sock.close()
