"""THE one access layer of `packets serve`: every request is checked here before its route runs.

Each route declares what it needs (`packets.studio.needs`: read, edit, build or download an
organization, create one, admin, signed in, public). This layer finds the route a request
matches in the application's own route table, reads its declaration, finds the organization
it is about (the `{slug}` in the address, or the organization a build's or a preview's key
was handed out for) and checks it against the signed-in person (`request.state.user`, put
there by the accounts' layer). An organization the person has nothing to do with answers
404, as one that does not exist (its name is not confirmed either); one they may see but
not change answers 403. A route with no declaration is refused outright, so a route added
later without one fails closed (and tests/test_serve_routes.py fails).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Match

from ..studio.needs import Need, need_of

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

ORG_ACTIONS = ("read", "edit", "build", "download")
CHANGING = ("edit", "build")  # what a facilitator never does


class Person(Protocol):
    id: int
    email: str
    role: str
    orgs: frozenset[str]
    may_create: bool


def permits(person: Person | None, action: str, slug: str | None = None) -> bool:
    """Whether `person` may do `action` (to organization `slug`): the rule every route goes through."""
    if action == "public":
        return True
    if person is None:
        return False
    admin = person.role == "admin"
    if action == "signed_in":
        return True
    if action == "admin":
        return admin
    if action == "create":
        return admin or (person.role == "coordinator" and bool(person.may_create))
    if action in ORG_ACTIONS:
        if slug is None or not (admin or slug in person.orgs):
            return False
        return action not in CHANGING or admin or person.role == "coordinator"
    return False  # an action this layer does not know is never allowed


def shared_file(orgs: Path, slug: str) -> str | None:
    """Why an organization's file is not its own, or None: a link, or one of several names of one
    file (a hard link). Through it, the people of one organization would read and change another's,
    whose people the access rule checks by name; so on a server such a file is never opened."""
    path = orgs / f"{slug}.yaml"
    try:
        info = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError:
        return None  # the route's own reading says what is wrong with it
    if stat.S_ISLNK(info.st_mode):
        return f"content/orgs/{slug}.yaml is a link to another file"
    if stat.S_ISREG(info.st_mode) and info.st_nlink > 1:
        return f"content/orgs/{slug}.yaml is the same file as another name (a hard link)"
    return None


def sees(person: Person | None, slug: str | None) -> bool:
    """Whether the organization is one of the person's (else it is answered as if it did not exist)."""
    return permits(person, "read", slug)


class Keys(Protocol):
    """Maps the keys the server hands out to the organization (and person) they were made for."""

    def preview(self, key: str) -> tuple[str, str | None] | None: ...

    def job(self, key: str) -> str | None: ...


class Access:
    """ASGI middleware over the application's routes (inside the accounts' layer, which knows the person)."""

    def __init__(
        self,
        app: Callable,
        routes: list[BaseRoute],
        keys: Keys,
        refuse_page: Callable[..., Response],
        orgs: Path | None = None,
    ):
        self.app = app
        self.routes = routes
        self.keys = keys
        self.refuse_page = refuse_page
        self.orgs = orgs  # content/orgs: an organization's file must be its own (`shared_file`)

    def route_for(self, scope: Scope) -> tuple[BaseRoute | None, dict[str, Any]]:
        """The route this request reaches (fully, or by its path with another method), and its parameters."""
        partial: tuple[BaseRoute | None, dict[str, Any]] = (None, {})
        for route in self.routes:
            match, child = route.matches(scope)
            if match == Match.FULL:
                return route, child.get("path_params", {})
            if match == Match.PARTIAL and partial[0] is None:
                partial = (route, child.get("path_params", {}))
        return partial

    def subject(self, need: Need, params: dict[str, Any], person: Person | None) -> str | None:
        """The organization a request is about; None when its key is unknown or not this person's."""
        if need.subject == "slug":
            slug = params.get("slug")
            return slug if isinstance(slug, str) else None
        if need.subject == "preview":
            found = self.keys.preview(str(params.get("key", "")))
            if found is None or person is None or found[1] != str(person.id):
                return None  # a preview shows someone's unsaved changes: theirs alone
            return found[0]
        if need.subject == "job":
            return self.keys.job(str(params.get("key", "")))
        return None

    def decide(self, scope: Scope) -> tuple[int, str]:
        """(0, "") to let the request through; else the status and why, in words."""
        route, params = self.route_for(scope)
        if route is None:
            return 0, ""  # no route at all: the application's own 404 (which shows nothing of anyone)
        need = need_of(route)
        if need is None:
            return 500, "This address has no access rule, so it is refused (a fault of the server; please report it)."
        person = (scope.get("state") or {}).get("user")
        if need.action == "public":
            return 0, ""
        if person is None:
            return 401, "Please sign in."
        if need.action in ORG_ACTIONS:
            slug = self.subject(need, params, person)
            if not sees(person, slug):
                return 404, "There is no such organization among yours."
            shared = shared_file(self.orgs, slug) if self.orgs is not None and slug is not None else None
            if shared:
                return 403, (
                    f"{shared}, so the team server does not open it: each organization's file must be "
                    "its own. An administrator can replace the link with a copy of the file."
                )
            if not permits(person, need.action, slug):
                return 403, f"Your role ({person.role}) may see this organization's pages and packets, not change them."
            return 0, ""
        if not permits(person, need.action):
            reasons = {
                "create": "Creating an organization is for administrators and the coordinators they allow to.",
                "admin": "This page is for the server's administrators.",
            }
            return 403, reasons.get(need.action, "You may not use this address.")
        return 0, ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await receive()
                await send({"type": "websocket.close", "code": 1008})
            return  # nothing of the server speaks anything else
        status, reason = self.decide(scope)
        if status == 0:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        api = scope["path"].startswith("/api/")
        if status == 401 and not api and scope["method"] == "GET":
            here = scope["path"] + (f"?{scope['query_string'].decode('latin-1')}" if scope.get("query_string") else "")
            response: Response = RedirectResponse(f"/sign-in?next={quote(here, safe='/')}", 303)
        elif api or scope["path"].endswith((".png", ".pdf")) or "/files/" in scope["path"]:
            response = JSONResponse({"error": reason}, status)
        else:
            response = self.refuse_page(request, status, reason)
        await response(scope, receive, send)
