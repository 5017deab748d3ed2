"""Starting `packets serve`: check the configuration, open the database, listen, serve until stopped."""

from __future__ import annotations

from collections.abc import Callable

from ..studio.limits import BoundedProtocol, limit_logging
from ..studio.server import BACKLOG, CannotStart, listen
from .config import ConfigProblem, ServeConfig


def serve(config: ServeConfig, say: Callable[[str], None] = print) -> None:
    """Run until interrupted (SIGINT or SIGTERM); builds under way stop with their workers."""
    import uvicorn

    from .app import create_app

    config.check()
    sock = listen(config.host, config.port)
    config.port = sock.getsockname()[1]  # --port 0: the free one taken
    try:
        served = create_app(config)
    except BaseException:
        sock.close()
        raise
    say(f"Packets server: {config.base_url}/")
    if config.public_url:
        say(f"Listening on {config.host} port {config.port}, behind the proxy that serves {config.public_url}.")
    say(f"Accounts and history: {config.database}")
    say("Add people with `packets users add EMAIL --role ROLE`; press Ctrl+C to stop the server.")
    uconfig = uvicorn.Config(
        served,
        http=BoundedProtocol,
        ws="none",
        timeout_keep_alive=5,
        backlog=BACKLOG,
        log_level="warning",
        access_log=False,
        lifespan="off",
        proxy_headers=False,  # the application believes forwarded headers itself, from the trusted proxy only
    )
    limit_logging()
    try:
        uvicorn.Server(uconfig).run(sockets=[sock])
    finally:
        served.close()
        sock.close()


__all__ = ["CannotStart", "ConfigProblem", "serve"]
