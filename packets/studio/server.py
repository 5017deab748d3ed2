"""Starting the studio: pick the address, make the token, print the link, open the browser."""

from __future__ import annotations

import ipaddress
import socket
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path

from ..curriculum import Project
from .app import Studio, create_app
from .guard import new_token

LOOPBACK = "127.0.0.1"


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
