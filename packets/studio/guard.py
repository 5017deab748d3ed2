"""The studio is a server, even on one's own machine: every request is checked here first.

Like Jupyter's server: a secret token in the address the studio prints (then an HttpOnly,
SameSite=Strict cookie, so the token leaves the address bar), a Host header that must
name the address the studio listens on (a web page elsewhere cannot reach it through
DNS rebinding), a CSRF token on every request that changes something, and headers that
keep the page's own files the only ones it loads (Content-Security-Policy).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]
FORBIDDEN_PAGE = (
    "<!DOCTYPE html><html lang='en-CA'><head><meta charset='utf-8'><title>Packets studio: address needed</title>"
    "</head><body><main><h1>Open the address the studio printed</h1><p>{reason} Open the address that "
    "<code>packets studio</code> printed when it started (it ends with <code>?token=…</code>).</p>"
    "</main></body></html>"
)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_token(token: str) -> str:
    """Derived from the session token, so it needs no storage and changes with every start."""
    return hmac.new(token.encode(), b"packets-studio-csrf", hashlib.sha256).hexdigest()


def allowed_hosts(host: str, port: int) -> set[str]:
    """The Host headers a browser sends for this address (and for `localhost` when on loopback)."""
    names = {host}
    if host in ("127.0.0.1", "localhost", "::1"):
        names |= {"127.0.0.1", "localhost", "[::1]"}
    return {f"[{n}]:{port}" if ":" in n and not n.startswith("[") else f"{n}:{port}" for n in names}


class Guard:
    """ASGI middleware: Host, token, cookie and CSRF checks; security headers on every response."""

    def __init__(self, app: ASGIApp, token: str, hosts: set[str], port: int):
        self.app = app
        self.token = token
        self.csrf = csrf_token(token)
        self.hosts = hosts
        self.cookie = f"packets_studio_{port}"

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]], send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        if host not in self.hosts:
            await _refuse(send_with_headers, 403, "This address is not the one the studio listens on.")
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        given = dict(query).get("token")
        if given is not None:
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                await _refuse(send_with_headers, 403, "The token in this address is not this studio's.")
                return
            # Trade the token for a cookie and take it out of the address (history, screenshots).
            rest = urlencode([(k, v) for k, v in query if k != "token"])
            # One leading slash only: "//elsewhere.example" would send the browser to another site.
            location = "/" + scope["path"].lstrip("/") + ("?" + rest if rest else "")
            cookie = f"{self.cookie}={self.token}; HttpOnly; SameSite=Strict; Path=/"
            await send_with_headers(
                {
                    "type": "http.response.start",
                    "status": 303,
                    "headers": [(b"location", location.encode()), (b"set-cookie", cookie.encode())],
                }
            )
            await send_with_headers({"type": "http.response.body", "body": b""})
            return
        cookies = SimpleCookie()
        try:
            cookies.load(headers.get("cookie", ""))
        except Exception:  # a malformed cookie header is simply no cookie
            cookies = SimpleCookie()
        held = cookies.get(self.cookie)
        if held is None or not hmac.compare_digest(held.value.encode(), self.token.encode()):
            await _refuse(send_with_headers, 403, "This page needs the studio's token.")
            return
        if scope["method"] not in SAFE_METHODS:
            origin = headers.get("origin")
            sent = headers.get("x-csrf-token", "")
            if (origin is not None and origin != f"http://{host}") or not hmac.compare_digest(
                sent.encode(), self.csrf.encode()
            ):
                await _refuse(send_with_headers, 403, "This request did not come from the studio's own page.")
                return
        await self.app(scope, receive, send_with_headers)


async def _refuse(send: Callable, status: int, reason: str) -> None:
    body = FORBIDDEN_PAGE.format(reason=reason).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
