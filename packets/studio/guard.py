"""The studio is a server, even on one's own machine: every request is checked here first.

Like Jupyter's server: a secret token in the address the studio prints (then an HttpOnly,
SameSite=Strict cookie limited to a secret path, so the token leaves the address bar and
no other port of this computer is ever sent the cookie), a Host header that must
name the address the studio listens on (a web page elsewhere cannot reach it through
DNS rebinding), a CSRF token on every request that changes something, and headers that
keep the page's own files the only ones it loads (Content-Security-Policy). Only HTTP
reaches the application: every other kind of connection is refused here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CODE_SECONDS = 120  # a browser opened by the studio uses its code within seconds
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
    """ASGI middleware: Host, token, cookie and CSRF checks; security headers on every response.

    Cookies are not kept apart by port: a cookie set by 127.0.0.1:8765 is sent to every other
    port of 127.0.0.1 too, where any local program may listen. So the studio lives under a
    secret path (`root`, per start, derived from the token) and its cookie is limited to that
    path: a page on another port is never sent it, since it never sees the path. The cookie's
    value is not the token either, but a digest of it bound to this port.
    """

    def __init__(self, app: ASGIApp, token: str, hosts: set[str], port: int):
        self.app = app
        self.token = token
        self.csrf = csrf_token(token)
        self.hosts = hosts
        self.root = studio_root(token)
        self.cookie = f"packets_studio_{port}"
        bound = f"packets-studio-cookie|{port}".encode()
        self.cookie_value = hmac.new(token.encode(), bound, hashlib.sha256).hexdigest()
        self.codes: dict[str, float] = {}  # one-time code: the monotonic time it expires

    def one_time_code(self) -> str:
        """A code for the browser the studio opens: good once, for CODE_SECONDS, from this computer.

        The browser's command line is readable by every user of the machine (`ps`), so the
        token never goes there; this code is worth nothing once the browser has used it.
        """
        code = secrets.token_urlsafe(24)
        self.codes[code] = time.monotonic() + CODE_SECONDS
        return code

    def _take_code(self, code: str, scope: Scope) -> bool:
        now = time.monotonic()
        for old in [c for c, until in self.codes.items() if until < now]:
            del self.codes[old]
        client = (scope.get("client") or ("", 0))[0]
        server = (scope.get("server") or ("", 0))[0]
        if not _is_loopback(client) and client != server:
            return False  # another computer: only the printed address (with the token) lets it in
        for known in list(self.codes):
            if hmac.compare_digest(known.encode(), code.encode()):
                del self.codes[known]
                return True
        return False

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]], send: Callable) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            # Nothing of the studio speaks WebSocket: refused before the application sees it, so
            # a route added later can never be reached unchecked.
            await receive()
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            return  # a kind of connection this guard does not check reaches nothing

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
        code = dict(query).get("code")
        if given is not None or code is not None:
            if given is not None and not hmac.compare_digest(given.encode(), self.token.encode()):
                await _refuse(send_with_headers, 403, "The token in this address is not this studio's.")
                return
            if given is None and not self._take_code(code or "", scope):
                await _refuse(send_with_headers, 403, "This link was for opening the browser once and is used up.")
                return
            # Trade the token for a cookie and take it out of the address (history, screenshots).
            rest = urlencode([(k, v) for k, v in query if k not in ("token", "code")])
            location = self.location(scope["path"]) + ("?" + rest if rest else "")
            cookie = f"{self.cookie}={self.cookie_value}; HttpOnly; SameSite=Strict; Path={self.root}"
            await send_with_headers(
                {
                    "type": "http.response.start",
                    "status": 303,
                    "headers": [(b"location", location.encode()), (b"set-cookie", cookie.encode())],
                }
            )
            await send_with_headers({"type": "http.response.body", "body": b""})
            return
        path = scope["path"]
        cookies = SimpleCookie()
        try:
            cookies.load(headers.get("cookie", ""))
        except Exception:  # a malformed cookie header is simply no cookie
            cookies = SimpleCookie()
        held = cookies.get(self.cookie)
        inside = path == self.root or path.startswith(self.root + "/")
        if not inside or held is None or not hmac.compare_digest(held.value.encode(), self.cookie_value.encode()):
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
        # The application knows nothing of the secret path: it sees the addresses of its routes.
        inner = dict(scope)
        inner["path"] = path[len(self.root) :] or "/"
        raw = scope.get("raw_path")
        if isinstance(raw, bytes) and raw.startswith(self.root.encode()):
            inner["raw_path"] = raw[len(self.root) :] or b"/"
        await self.app(inner, receive, send_with_headers)

    def location(self, path: str) -> str:
        """Where the token's exchange sends the browser: always a path of this studio.

        Browsers read a backslash as a slash and drop tabs and line breaks from addresses, so
        `/%5Cevil.example` or `/%09/evil.example` would become `//evil.example`, another site.
        Those are removed or made slashes, runs of slashes become one, and the rest is
        percent-encoded behind the secret path (which never holds a slash).
        """
        cleaned = "".join(ch for ch in path.replace("\\", "/") if ch.isprintable() and not ch.isspace())
        cleaned = re.sub(r"/{2,}", "/", "/" + cleaned)
        if cleaned == self.root or cleaned.startswith(self.root + "/"):
            cleaned = cleaned[len(self.root) :] or "/"
        return self.root + quote(cleaned, safe="/")


def studio_root(token: str) -> str:
    """The secret path the studio's pages live under: new with every start, never holding a slash."""
    digest = hmac.new(token.encode(), b"packets-studio-path", hashlib.sha256).digest()
    return "/" + base64.urlsafe_b64encode(digest[:18]).decode()


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


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
