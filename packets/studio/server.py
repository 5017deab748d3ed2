"""Starting the studio: pick the address, make the token, print the link, open the browser."""

from __future__ import annotations

import ipaddress
import socket
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path

from ..load.curriculum import Project
from .app import Studio, create_app
from .guard import new_token

LOOPBACK = "127.0.0.1"


class CannotStart(Exception):
    """The studio cannot listen where it was asked to; the message says what to do instead."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def free_port(host: str = LOOPBACK) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def serve(
    root: Path,
    out_dir: Path,
    host: str = LOOPBACK,
    port: int = 0,
    open_browser: bool = True,
    say: Callable[[str], None] = print,
    token: str | None = None,
) -> None:
    """Run until interrupted. `port` 0 takes a free one; the token is new for every start."""
    import uvicorn

    if host in ("0.0.0.0", "::", ""):
        # Browsers never send these as the Host header, so the DNS-rebinding check would refuse
        # everyone; and "every address" is never what someone sharing a studio means.
        raise CannotStart(
            f"--host {host or '(empty)'} would listen on every network at once; give the address "
            "the others will type, e.g. --host 192.168.1.20"
        )
    if port:
        try:
            with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
                sock.bind((host, port))
        except OSError as exc:
            raise CannotStart(
                f"cannot listen on {host} port {port}: {exc.strerror or exc} "
                "(choose another with --port, or leave --port out for a free one)"
            ) from None
    port = port or free_port(host)
    token = token or new_token()
    studio = Studio(Project(root), out_dir.resolve(), token)
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
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run()
