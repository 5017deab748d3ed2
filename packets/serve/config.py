"""What `packets serve` is started with, checked before anything listens.

Loopback by default: the server answers this computer only, and a team reaches it through a
reverse proxy (Caddy, deploy/) that holds the HTTPS certificate. Listening on another address
is refused unless `--public-url` says where people reach it, since the Host check, the cookies'
`Secure` flag and the links in invitations all come from that address.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..studio.builds import AT_ONCE, BUILD_SECONDS
from ..studio.server import is_loopback

DEFAULT_PORT = 8765
SESSION_MINUTES = 120.0


class ConfigProblem(Exception):
    """The server cannot start as asked; the message says what to do instead."""


@dataclass
class ServeConfig:
    """Everything the hosted studio needs to start; `check()` says what is wrong in the user's words."""

    root: Path
    out_dir: Path
    db: Path | None = None  # None: instance/packets.db under the project (git-ignored)
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    public_url: str | None = None  # https://packets.example.org, as people type it
    trusted_proxies: tuple[str, ...] = ()  # empty with a public URL: 127.0.0.1 and ::1 (a proxy on this machine)
    session_minutes: float = SESSION_MINUTES
    build_timeout: float = BUILD_SECONDS
    builds_at_once: int = AT_ONCE
    build_nice: int = 10  # builds yield the CPU to pages (see BuildQueue.nice)
    extra_hosts: tuple[str, ...] = field(default=())  # more Host headers to answer (host:port)

    def check(self) -> None:
        """ConfigProblem unless the server can start safely as configured."""
        if self.host in ("0.0.0.0", "::", ""):
            raise ConfigProblem(
                f"--host {self.host or '(empty)'} would listen on every network at once; listen on 127.0.0.1 "
                "behind a reverse proxy (see docs/hosting.md), or give the one address people will reach"
            )
        if not is_loopback(self.host) and not self.public_url:
            raise ConfigProblem(
                f"--host {self.host} lets other computers reach the server, so it needs --public-url "
                "(the https:// address people will type, e.g. --public-url https://packets.example.org); "
                "without one, leave --host out and the server answers this computer only"
            )
        if self.public_url:
            parts = urlsplit(self.public_url)
            if parts.scheme not in ("https", "http") or not parts.hostname:
                raise ConfigProblem(
                    f"--public-url '{self.public_url[:100]}' is not a web address; write it as "
                    "https://packets.example.org"
                )
            if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
                raise ConfigProblem(
                    f"--public-url '{self.public_url[:100]}' must be the site's address alone (no path), "
                    "e.g. https://packets.example.org; the server answers at the root of its own host name"
                )
            if parts.scheme == "http" and not is_loopback(parts.hostname):
                raise ConfigProblem(
                    f"--public-url '{self.public_url[:100]}' must begin with https:// (passwords and cookies "
                    "would cross the network readable); put the server behind Caddy as docs/hosting.md shows"
                )
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ConfigProblem(
                    f"--trusted-proxy '{proxy[:60]}' is not an IP address; give the reverse proxy's address, "
                    "e.g. --trusted-proxy 127.0.0.1"
                ) from None

    @property
    def database(self) -> Path:
        return self.db if self.db is not None else self.root / "instance" / "packets.db"

    @property
    def secure(self) -> bool:
        """HTTPS in front: cookies are Secure and the browser is told to keep to HTTPS (HSTS)."""
        return bool(self.public_url) and urlsplit(self.public_url or "").scheme == "https"

    @property
    def base_url(self) -> str:
        """Where people reach the server: links (invitations) begin with it."""
        if self.public_url:
            return self.public_url.rstrip("/")
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}"

    @property
    def proxies(self) -> list[str]:
        """Addresses whose X-Forwarded-For and X-Forwarded-Proto are believed (nobody's without a public URL)."""
        if self.trusted_proxies:
            return list(self.trusted_proxies)
        return ["127.0.0.1", "::1"] if self.public_url else []

    def hosts(self) -> set[str]:
        """The Host headers the server answers: the public address's, else the loopback names with the port."""
        if self.public_url:
            parts = urlsplit(self.public_url)
            names = {parts.netloc.lower()}
            default = 443 if parts.scheme == "https" else 80
            if parts.port == default:
                names.add((parts.hostname or "").lower())
            elif parts.port is None:
                names.add(f"{(parts.hostname or '').lower()}:{default}")
        else:
            from ..studio.guard import allowed_hosts

            names = allowed_hosts(self.host, self.port)
        return names | set(self.extra_hosts)
