"""The accounts' web face: the layer that knows who is signed in, and the sign-in, sign-out,
invitation and admin pages.

`AccountLayer` runs before every route: it puts the signed-in person on
`request.state.user` (None when signed out) and the page's CSRF token on
`request.state.csrf`, and refuses every request that changes something (POST, PUT, ...)
without that token, so no route can forget the check. Signed out, the token is a random
cookie of its own sent back in the form (the sign-in and invitation forms need one too);
signed in, it belongs to the session. What a person may see is decided after this layer,
in one place (`packets.serve.access`); the admin pages here check the role themselves too.

The pages are the studio's: its stylesheet and fonts, autoescaped Jinja, no script at all,
and the studio's Content-Security-Policy.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import secrets
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import anyio
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..output import slug_problem
from ..studio.guard import SAFE_METHODS, SECURITY_HEADERS
from .accounts import (
    INVITATION_DAYS,
    MIN_PASSWORD,
    ROLES,
    AccountProblem,
    Accounts,
    InvitationRefused,
    Person,
    Session,
    SignInRefused,
)

HERE = Path(__file__).resolve().parent
MAX_FORM_BYTES = 16 * 1024  # the largest form here is a password typed twice
FORM_TYPE = "application/x-www-form-urlencoded"
Scope = dict[str, Any]
Message = dict[str, Any]
Send = Callable[[Message], Awaitable[None]]
Receive = Callable[[], Awaitable[Message]]
_LOCAL_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9/_.~%?=&+-]*")

_pages = Environment(
    loader=FileSystemLoader(HERE / "pages"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
)


def _short_address(address: str) -> str:
    """An IPv6 address as people write it (the log keeps it written out in full)."""
    try:
        return ipaddress.ip_address(address).compressed
    except ValueError:
        return address


_pages.filters["address"] = _short_address


class Cookies:
    """The two cookies' names: with HTTPS, the `__Host-` prefix (the browser then only accepts
    them Secure, for the whole site and this host alone, so no neighbouring site can set them)."""

    def __init__(self, secure: bool):
        self.secure = secure
        prefix = "__Host-" if secure else ""
        self.session = f"{prefix}packets_session"
        self.presession = f"{prefix}packets_csrf"

    def set(self, name: str, value: str) -> str:
        # Lax, not Strict: a link to the server from a mail or a chat opens signed in. Every
        # change still needs the CSRF token, which another site never sees.
        return f"{name}={value}; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if self.secure else "")

    def clear(self, name: str) -> str:
        return f"{name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" + ("; Secure" if self.secure else "")


class AccountLayer:
    """ASGI middleware: the signed-in person and the CSRF token for every request; CSRF refused early."""

    def __init__(self, app: Callable, accounts: Accounts, secure: bool = False):
        self.app = app
        self.accounts = accounts
        self.cookies = Cookies(secure)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        jar = _cookies(scope)
        cookie = jar.get(self.cookies.session, "")
        session: Session | None = await anyio.to_thread.run_sync(self.accounts.session, cookie) if cookie else None
        extra: list[tuple[bytes, bytes]] = [(k, v) for k, v in SECURITY_HEADERS]
        if cookie and session is None:  # ended or expired: the browser forgets it
            extra.append((b"set-cookie", self.cookies.clear(self.cookies.session).encode()))
        presession = jar.get(self.cookies.presession, "")
        if session is None and not re.fullmatch(r"[A-Za-z0-9_-]{43}", presession):
            presession = _new_secret()
            extra.append((b"set-cookie", self.cookies.set(self.cookies.presession, presession).encode()))
        state = scope.setdefault("state", {})
        state["user"] = session.person if session else None
        state["csrf"] = session.csrf if session else presession
        state["session_cookie"] = cookie if session else ""
        state["cookies"] = self.cookies

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *[(k, v) for k, v in extra if k == b"set-cookie" or k not in have],
                ]
            await send(message)

        if scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send_with_headers)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        origin = headers.get("origin")
        if origin is not None and origin != "null" and urlsplit(origin).netloc != headers.get("host", ""):
            await _refuse(send_with_headers, "This request came from another site, so it was refused.")
            return
        sent = headers.get("x-csrf-token")
        if sent is None and headers.get("content-type", "").split(";")[0].strip() == FORM_TYPE:
            body = await _read_body(receive, MAX_FORM_BYTES)
            if body is None:
                await _refuse(send_with_headers, "This form was larger than any form of this site.", 413)
                return
            sent = dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True)).get("csrf", "")
            receive = _replay(body)
        if not sent or not _same(sent, state["csrf"]):
            await _refuse(
                send_with_headers,
                "This form was not sent from this site's own page, or the page was open from an earlier "
                "session. Go back, reload the page and try again.",
            )
            return
        await self.app(scope, receive, send_with_headers)


def account_routes(accounts: Accounts, public_url: str, orgs: Path | None = None) -> list[Route]:
    """The sign-in, sign-out and invitation pages, and the admin's pages of people and sign-ins.

    `public_url` is where people reach the server (`--public-url`, or the loopback address):
    the invitation links the admin page shows begin with it. `orgs` is content/orgs: an
    organization given to someone must have its file there (as `packets users add` checks).
    """
    base_url = public_url.rstrip("/")

    async def sign_in_page(request: Request) -> Response:
        if request.method == "GET":
            if request.state.user is not None:
                return RedirectResponse(_next(request.query_params.get("next")), 303)
            notice = "You are signed out." if request.query_params.get("signed_out") else ""
            return page(request, "sign_in.html", notice=notice, email="", next=_next(request.query_params.get("next")))
        fields = await _form(request)
        email = fields.get("email", "")
        target = _next(fields.get("next"))
        try:
            session = await run_in_threadpool(accounts.sign_in, email, fields.get("password", ""), _address(request))
        except SignInRefused as exc:
            headers = {"retry-after": str(exc.retry_after)} if exc.retry_after else {}
            return page(request, "sign_in.html", exc.status, headers, error=str(exc), email=email[:254], next=target)
        return _signed_in(request, session, target)

    async def sign_out(request: Request) -> Response:
        cookie = request.state.session_cookie
        if cookie:
            await run_in_threadpool(accounts.end_session, cookie)
        response = RedirectResponse("/sign-in?signed_out=1", 303)
        response.headers.append("set-cookie", request.state.cookies.clear(request.state.cookies.session))
        return response

    def refused_invitation(request: Request, exc: InvitationRefused) -> Response:
        """An expired, used or unknown link: the same page whether it was refused on opening or on use."""
        return page(
            request,
            "refused.html",
            410,
            title="This invitation cannot be used",
            reason=str(exc),
            advice="Ask your administrator for a new invitation link.",
        )

    async def invitation(request: Request) -> Response:
        token = request.path_params["token"]
        try:
            person = await run_in_threadpool(accounts.invitation, token)
        except InvitationRefused as exc:
            return refused_invitation(request, exc)
        if request.method == "GET":
            return page(request, "invitation.html", person=person, error="")
        fields = await _form(request)
        try:
            session = await run_in_threadpool(
                accounts.accept, token, fields.get("password", ""), fields.get("confirm", ""), _address(request)
            )
        except InvitationRefused as exc:
            return refused_invitation(request, exc)
        except AccountProblem as exc:
            return page(request, "invitation.html", 400, person=person, error=str(exc))
        return _signed_in(request, session, "/")

    async def people(request: Request) -> Response:
        refused = _admin_only(request)
        if refused:
            return refused
        link = error = notice = confirm = ""
        if request.method == "POST":
            fields = await _form(request, multi=True)
            action = _one(fields, "action")
            email = _one(fields, "email")
            try:
                given = [org.strip() for text in fields.get("orgs", []) for org in text.split(",") if org.strip()]
                if action in ("add", "orgs"):
                    for org in given:
                        if orgs is not None and slug_problem(org, "") is None and not (orgs / f"{org}.yaml").is_file():
                            raise AccountProblem(
                                f"there is no organization file content/orgs/{org}.yaml; check the name "
                                "(the Organizations page lists them)"
                            )
                if action == "orgs":
                    notice = await run_in_threadpool(_change_orgs, accounts, email, given)
                elif action == "add":
                    await run_in_threadpool(
                        accounts.add_user, email, _one(fields, "role"), given, _one(fields, "may_create") == "yes"
                    )
                if action == "orgs":
                    pass
                elif action in ("add", "invite"):
                    link = f"{base_url}/invite/{await run_in_threadpool(accounts.invite, email)}"
                elif action == "remove":
                    if email.strip().lower() == request.state.user.email:
                        raise AccountProblem("you cannot remove your own account while signed in with it")
                    if _one(fields, "confirm") == "yes":
                        await run_in_threadpool(accounts.remove_user, email)
                        notice = f"Removed {email.strip().lower()}; the sign-in log keeps their past sign-ins."
                    else:
                        confirm = email.strip().lower()  # asked once more: a stray click removes nobody
                else:
                    raise AccountProblem("this form's action is not known; reload the page and try again")
            except AccountProblem as exc:
                error = str(exc)
        found = await run_in_threadpool(accounts.accounts)
        return page(
            request,
            "people.html",
            400 if error else 200,
            accounts=found,
            link=link,
            error=error,
            roles=ROLES,
            days=INVITATION_DAYS,
            notice=notice,
            confirm=confirm,
        )

    async def sign_in_log(request: Request) -> Response:
        refused = _admin_only(request)
        if refused:
            return refused
        try:
            start = max(0, int(request.query_params.get("from", "0")))
        except ValueError:
            start = 0
        records = await run_in_threadpool(accounts.sign_in_log, 101, start)
        return page(request, "sign_ins.html", records=records[:100], start=start, more=len(records) > 100)

    return [
        Route("/sign-in", sign_in_page, methods=["GET", "POST"], name="sign_in"),
        Route("/sign-out", sign_out, methods=["POST"], name="sign_out"),
        Route("/invite/{token}", invitation, methods=["GET", "POST"], name="invitation"),
        Route("/admin/users", people, methods=["GET", "POST"], name="people"),
        Route("/admin/sign-ins", sign_in_log, name="sign_in_log"),
    ]


def _change_orgs(accounts: Accounts, email: str, wanted: list[str]) -> str:
    """Give or take away organizations so the person has `wanted`; what the page then says."""
    person = accounts.person(email)
    if person is None:
        raise AccountProblem(f"there is no account for {email.strip().lower()[:254]}")
    add, remove = set(wanted) - person.orgs, person.orgs - set(wanted)
    if not add and not remove:
        return f"{person.email} keeps the same organizations."
    now = accounts.change_orgs(email, add, remove)
    said = f"{now.email} now has: {', '.join(sorted(now.orgs)) or 'no organization'}."
    if remove:
        said += " They were signed out, and a build of theirs of an organization taken away is stopped."
    return said


def page(
    request: Request, name: str, status: int = 200, headers: dict[str, str] | None = None, **values: Any
) -> HTMLResponse:
    """One of the accounts' pages, with who is signed in and the CSRF token for its forms."""
    shown = {"error": "", "notice": "", **values}
    html = _pages.get_template(name).render(
        user=request.state.user, csrf=request.state.csrf, min_password=MIN_PASSWORD, **shown
    )
    return HTMLResponse(html, status, headers=headers)


def sign_in_redirect(request: Request) -> Response:
    """Where a signed-out person is sent: the sign-in page, which brings them back here after."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/sign-in?next={quote(_next(here), safe='/')}", 303)


def _admin_only(request: Request) -> Response | None:
    user: Person | None = request.state.user
    if user is None:
        return sign_in_redirect(request)
    if not user.is_admin:
        return page(
            request,
            "refused.html",
            403,
            title="For administrators only",
            reason="This page is for the server's administrators.",
            advice="",
        )
    return None


def _signed_in(request: Request, session: Session, target: str) -> Response:
    response = RedirectResponse(target, 303)
    cookies: Cookies = request.state.cookies
    response.headers.append("set-cookie", cookies.set(cookies.session, session.cookie))
    return response


def _next(value: str | None) -> str:
    """Only a path of this site: never `//other.example` or `/\\other.example`, which browsers read as another."""
    return value if value and len(value) < 500 and _LOCAL_PATH.fullmatch(value) else "/"


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _form(request: Request, multi: bool = False) -> dict[str, Any]:
    """The posted form (URL-encoded, as plain HTML forms send it), bounded; lists of values when `multi`."""
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_FORM_BYTES:
            return {}
    pairs = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
    if not multi:
        return dict(pairs)
    found: dict[str, list[str]] = {}
    for key, value in pairs:
        found.setdefault(key, []).append(value)
    return found


def _one(fields: dict[str, list[str]], key: str) -> str:
    values = fields.get(key) or [""]
    return values[0]


def _cookies(scope: Scope) -> dict[str, str]:
    raw = b"; ".join(v for k, v in scope["headers"] if k.lower() == b"cookie").decode("latin-1")
    jar = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # a malformed cookie header is simply no cookie
        return {}
    return {k: m.value for k, m in jar.items()}


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return bytes(body)
        body += message.get("body", b"")
        if len(body) > limit:
            return None
        if not message.get("more_body"):
            return bytes(body)


def _replay(body: bytes) -> Receive:
    """The body read for the CSRF check, given again to the route."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _refuse(send: Send, reason: str, status: int = 403) -> None:
    html = _pages.get_template("refused.html").render(
        user=None, csrf="", min_password=MIN_PASSWORD, title="Request refused", reason=reason, advice=""
    )
    body = html.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
