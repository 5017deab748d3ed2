"""`packets serve`: the studio's own routes, pages, scripts and pipeline, for a team.

Nothing of the studio is copied: `packets.studio.app.studio_routes` builds the same routes
for both faces, and `ServeFace` is the one place where the server's answers differ (who is
signed in, their CSRF token, what the page offers them, the history of every save, one build
at a time per person). In front of the routes, from the outside in:

- forwarded headers (X-Forwarded-For, X-Forwarded-Proto) believed only from the trusted proxy;
- the Host check against `--public-url` (or the loopback address), and HSTS behind HTTPS;
- the accounts' layer: the signed-in person on `request.state.user`, the CSRF check;
- the access layer (`access.py`): each route's declaration checked against that person.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from ..errors import Problem
from ..load.curriculum import Project
from ..load.orgfiles import read_org_file
from ..output import RESERVED, folder_lock, slug_problem, write_atomic
from ..planning.organization import LoadedOrg
from ..studio import needs
from ..studio.app import Face, Pages, Studio, exception_handlers, page_environment, studio_routes
from ..studio.builds import Job
from ..studio.door import NotWritable, writing
from ..studio.needs import declare, need_of
from ..studio.yamlfile import ChangedOnDisk, digest, save
from .access import Access, permits, shared_file
from .config import ServeConfig
from .db import Database, open_database
from .history import OUTSIDE, History, known_review

HERE = Path(__file__).resolve().parent
MAX_FORM_BYTES = 4096  # the restore form: its CSRF token and the version the page saw
HSTS = b"max-age=31536000"
# The accounts' pages (packets/serve/signin.py) and what each needs; a route of theirs not
# named here stays undeclared, so the access layer refuses it and the route-table test fails.
ACCOUNT_NEEDS = {
    "/sign-in": needs.PUBLIC,
    "/sign-out": needs.PUBLIC,
    "/invite/{token}": needs.PUBLIC,
    "/admin/users": needs.ADMIN,
    "/admin/sign-ins": needs.ADMIN,
}


class ServeFace(Face):
    """The studio's routes as many people use them: each answer depends on who is signed in."""

    def __init__(self, history: History, orgs: Path | None = None):
        self.root = ""
        self.orgs = orgs
        self.history = history
        self.lock = threading.Lock()
        self.job_owners: dict[str, int] = {}  # a build waiting or under way: who started it
        self.job_people: dict[str, set[int]] = {}  # and everyone who asked for it (it goes on while one may)

    def csrf(self, request: Request) -> str:
        return str(getattr(request.state, "csrf", "") or "")

    def person(self, request: Request) -> Any:
        return getattr(request.state, "user", None)

    def values(self, request: Request) -> dict[str, Any]:
        person = self.person(request)
        return {"user": person, "may_create": permits(person, "create"), "history": person is not None}

    def may(self, request: Request, action: str, slug: str | None = None) -> bool:
        if slug is not None and self.orgs is not None and shared_file(self.orgs, slug):
            return False  # refused by the access layer too: not listed, not offered
        return permits(self.person(request), action, slug)

    def owner(self, request: Request) -> str | None:
        person = self.person(request)
        return str(person.id) if person is not None else None

    def name_refused(self, slug: str, problem: Problem | None) -> tuple[dict[str, str], int]:
        """A name taken by a file, or reserved, gets one answer: whether a file the person may not
        see exists is never confirmed (a name with characters files cannot have still says why)."""
        if problem is None or slug.lower() in RESERVED:
            return {
                "error": f"the short name '{slug}' cannot be used; choose another short name",
                "field": "slug",
            }, 409
        return super().name_refused(slug, problem)

    def name_used(self, slug: str) -> bool:
        """A short name with versions or people on record belongs to the organization that had it:
        one created under it later would show its whole past to its maker, and give the new
        organization to that one's people. The answer never says which (another's name is not confirmed)."""
        from sqlalchemy import select

        from .accounts import Membership
        from .history import Version

        with self.history.db.session() as session:
            versions = session.scalar(select(Version.id).where(Version.org == slug).limit(1))
            members = session.scalar(select(Membership.user_id).where(Membership.org == slug).limit(1))
        return versions is not None or members is not None

    def seen(self, slug: str, raw: bytes) -> None:
        self.history.catch_up(slug, raw.decode("utf-8", "replace"))

    def save(
        self,
        request: Request,
        studio: Studio,
        slug: str,
        path: Path,
        original: bytes,
        text: str,
        version: str,
        checked: LoadedOrg | None = None,
    ) -> str:
        if checked is not None and checked.doc is not None:
            known_review(text, checked.doc.data)  # the history reads the review from it, not again from the text
        return self.write(studio, self.person(request).email, slug, path, text, version)

    def write(
        self, studio: Studio, author: str, slug: str, path: Path, text: str, version: str, restored: int | None = None
    ) -> str:
        """The studio's save (compare and swap: ChangedOnDisk, never a silent loss), recorded as a version.

        Under the history's lock: a change found on disk first is recorded as made outside the
        server, then the save, with no other save of this server between. The version's row is
        written first and committed once the file is: a database that refuses the row leaves the
        file as it was, and one that fails at the commit gets the file put back, so a save is
        never on disk without its author in the history (NotWritable, 503, says so).
        """
        with self.history.lock:
            raw = read_org_file(studio.project, path)
            disk = raw.decode("utf-8", "replace")
            self.history.catch_up(slug, disk)
            try:
                with self.history.db.sessions() as session:
                    self.history.add(session, slug, author, disk, text, restored_from=restored)
                    with writing(path.parent, "content/orgs"):
                        new = save(studio.project, path, text, version)
                    try:
                        session.commit()
                    except DBAPIError:
                        _put_back(studio, path, raw, new)
                        raise
                    self.history.remember(slug, text)
                if restored is not None:
                    self._restore_logos(studio, author, slug, text, restored)
            except DBAPIError:
                raise NotWritable(
                    "The server could not record this save in its history (its database refused it), so the "
                    "file was left as it was. Try again in a moment; if it keeps happening, tell the server's "
                    "administrator.",
                    503,
                ) from None
        return new

    def place_logo(self, request: Request, studio: Studio, slug: str, upload: Path, final: Path, data: bytes) -> None:
        """The uploaded logo put in place as a version (who, when, which file, its bytes), so a restore
        of an earlier version brings the logo it had back. The logo the file had before, if the
        history does not hold it (put there outside the server), is recorded first, as outside."""
        logo = f"logos/{final.name}"
        with self.history.lock:
            disk = read_org_file(studio.project, studio.project.orgs / f"{slug}.yaml").decode("utf-8", "replace")
            self.history.catch_up(slug, disk)
            old = _logo_bytes(final)
            try:
                with self.history.db.sessions() as session:
                    if old is not None and old != self.history.last_logo(session, slug, logo):
                        self.history.add_logo(session, slug, OUTSIDE, disk, logo, old)
                    self.history.add_logo(session, slug, self.person(request).email, disk, logo, data)
                    os.replace(upload, final)
                    try:
                        session.commit()
                    except DBAPIError:
                        _put_logo_back(final, old, data)
                        raise
            except DBAPIError:
                raise NotWritable(
                    "The server could not record this logo in its history (its database refused it), so the "
                    "logo was left as it was. Try again in a moment; if it keeps happening, tell the server's "
                    "administrator.",
                    503,
                ) from None

    def created(self, request: Request, slug: str, text: str) -> None:
        """The file's first version; a coordinator who creates an organization becomes one of its coordinators
        (else the page the studio opens next, the new organization's, would be refused to them)."""
        from .accounts import Membership

        person = self.person(request)
        self.history.record(slug, person.email, "", text, created=True)
        if person.role == "coordinator":
            with self.history.db.session() as session:
                session.merge(Membership(user_id=person.id, org=slug))

    def submit(self, request: Request, studio: Studio, slug: str, asked: dict[str, Any]) -> Job | str:
        """At most one build at a time per person; the same build asked again follows the one under way."""
        person = self.person(request)
        with self.lock:
            for key in [k for k in self.job_people if _finished(studio, k)]:
                self.job_owners.pop(key, None)  # only builds waiting or under way are counted
                del self.job_people[key]
            for key, owner in self.job_owners.items():
                job = studio.builds.jobs.get(key)
                if owner == person.id and job is not None and not job.finished:
                    if job.slug == slug and job.request == asked:
                        return job
                    return (
                        f"You already have a build under way (for {job.slug}); one build at a time per person, "
                        "so start this one when it has finished."
                    )
            job = studio.builds.submit(slug, asked)
            self.job_owners.setdefault(job.key, person.id)
            self.job_people.setdefault(job.key, set()).add(person.id)
            return job

    def _restore_logos(self, studio: Studio, author: str, slug: str, text: str, number: int) -> None:
        """Each logo file as version `number` left it, put back as a new version where it differs
        (a logo uploaded after that version stays: no version before it had another)."""
        folder = studio.project.orgs / "logos"
        if folder.is_symlink() or not folder.is_dir():
            return
        for logo, data in sorted(self.history.logos_at(slug, number).items()):
            target = studio.project.orgs / logo
            if _logo_bytes(target) == data:
                continue
            with self.history.db.session() as session:
                self.history.add_logo(session, slug, author, text, logo, data, restored_from=number)
                with writing(folder, "content/orgs/logos"):
                    write_atomic(target, data)

    def unfinished(self, studio: Studio) -> dict[str, set[int]]:
        """Each build waiting or under way, and who asked for it."""
        with self.lock:
            return {key: set(ids) for key, ids in self.job_people.items() if not _finished(studio, key)}


REVOKED = (
    "This build was stopped: the person who asked for it no longer works with this organization on this "
    "server (their account was removed, or the organization was taken from them)."
)
WATCH_SECONDS = 1.0  # how often the builds' people are looked up again while builds wait or run


class Revocations:
    """Stops a build, with its workers, once nobody who asked for it may still build its organization.

    People are removed and organizations taken away by `packets users` (another process, on the
    same database) or the People page, so the server looks its builds' people up again every
    WATCH_SECONDS while builds wait or run (one small query; nothing at all while none do). A
    build someone else who still may asked for too goes on: it is theirs as well.
    """

    def __init__(self, face: ServeFace, studio: Studio, people: Any):
        self.face = face
        self.studio = studio
        self.people = people  # Accounts.people_by_id
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, name="serve-revocations", daemon=True)
        self.thread.start()

    def check(self) -> None:
        pending = self.face.unfinished(self.studio)
        if not pending:
            return
        now = self.people(set().union(*pending.values()))
        for key, ids in pending.items():
            job = self.studio.builds.jobs.get(key)
            if job is not None and not any(permits(now.get(i), "build", job.slug) for i in ids):
                self.studio.builds.stop(job, REVOKED)

    def _watch(self) -> None:
        failing = False
        while not self.done.wait(WATCH_SECONDS):
            try:
                self.check()
                failing = False
            except Exception:  # a busy database, a build that would not stop: tried again at the next turn
                if not failing:  # said once while it goes on failing, not every second
                    logging.getLogger("packets.serve").exception("looking up the builds' people failed")
                failing = True

    def close(self) -> None:
        self.done.set()
        self.thread.join(timeout=10)


def _logo_bytes(path: Path) -> bytes | None:
    """A logo file's bytes (None when there is none); never through a link, never past the logo limit."""
    from ..files import FileRefused, read_limited
    from ..load.assets import MAX_LOGO_BYTES

    if path.is_symlink() or not path.is_file():
        return None
    try:
        return read_limited(path, MAX_LOGO_BYTES)
    except (FileRefused, OSError):
        return None


def _put_logo_back(final: Path, old: bytes | None, placed: bytes) -> None:
    """The logo as it was before an upload whose version could not be recorded (unless changed since)."""
    if _logo_bytes(final) != placed:
        return
    if old is None:
        final.unlink(missing_ok=True)
    else:
        write_atomic(final, old)


def _put_back(studio: Studio, path: Path, raw: bytes, written: str) -> None:
    """The file as it was before a save whose version could not be recorded (unless changed since)."""
    with writing(path.parent, "content/orgs"), folder_lock(path.parent):
        if digest(read_org_file(studio.project, path)) == written:
            write_atomic(path, raw)


def _finished(studio: Studio, key: str) -> bool:
    job = studio.builds.jobs.get(key)
    return job is None or job.finished


class Keys:
    """The organization a preview's or a build's key was handed out for (access.Keys)."""

    def __init__(self, studio: Studio):
        self.studio = studio

    def preview(self, key: str) -> tuple[str, str | None] | None:
        kept = self.studio.previews.get(key)
        return (kept.slug, kept.owner) if kept is not None else None

    def job(self, key: str) -> str | None:
        job = self.studio.builds.jobs.get(key)
        return job.slug if job is not None else None


def history_routes(studio: Studio, face: ServeFace, page: Pages) -> list[BaseRoute]:
    """An organization's history (newest first), one version's change, and restore."""
    history = face.history

    def org_path(request: Request) -> tuple[str, Path]:
        slug = request.path_params["slug"]
        path = studio.project.orgs / f"{slug}.yaml"
        number = request.path_params.get("number", 0)
        # The CLI's own slug rule, a file that is there, a version number the database can hold.
        if slug_problem(slug, "slug") or not path.is_file() or number >= 2**63:
            raise _missing()
        return slug, path

    def current(slug: str, path: Path) -> bytes:
        raw = read_org_file(studio.project, path)
        face.seen(slug, raw)  # a change made outside the server enters the record before it is shown
        return raw

    async def listing(request: Request) -> Response:
        slug, path = org_path(request)
        raw = await run_in_threadpool(current, slug, path)
        entries = await run_in_threadpool(history.entries, slug)
        return page(
            request,
            "history.html",
            slug=slug,
            entries=entries,
            disk_version=digest(raw),
            disk_text=raw.decode("utf-8", "replace"),
            may_edit=face.may(request, "edit", slug),
            when=_when,
            outside=OUTSIDE,
            restored=request.query_params.get("restored", "")[:12],
        )

    async def one(request: Request) -> Response:
        slug, path = org_path(request)
        raw = await run_in_threadpool(current, slug, path)
        version = await run_in_threadpool(history.version, slug, request.path_params["number"])
        if version is None:
            raise _missing()
        return page(
            request,
            "version.html",
            slug=slug,
            version=version,
            lines=_diff_lines(version["diff"]),
            disk_version=digest(raw),
            is_current=version["after"] == raw.decode("utf-8", "replace")
            and (not version["logo"] or _logo_bytes(studio.project.orgs / version["logo"]) == version["logo_data"]),
            may_edit=face.may(request, "edit", slug),
            when=_when,
        )

    async def restore(request: Request) -> Response:
        slug, path = org_path(request)
        number = request.path_params["number"]
        form = await _form(request)
        version = await run_in_threadpool(history.version, slug, number)
        if version is None:
            raise _missing()
        try:
            await run_in_threadpool(
                face.write,
                studio,
                face.person(request).email,
                slug,
                path,
                version["after"],
                form.get("version", ""),
                number,
            )
        except ChangedOnDisk:
            return page(
                request,
                "changed.html",
                409,
                slug=slug,
                number=number,
            )
        return RedirectResponse(f"/orgs/{slug}/history?restored={number}", 303)

    return [
        declare(Route("/orgs/{slug}/history", listing), needs.read()),
        declare(Route("/orgs/{slug}/history/{number:int}", one), needs.read()),
        declare(Route("/orgs/{slug}/history/{number:int}/restore", restore, methods=["POST"]), needs.edit()),
    ]


def _missing() -> Exception:
    from starlette.exceptions import HTTPException

    return HTTPException(404)


def _when(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _diff_lines(diff: str) -> list[tuple[str, str]]:
    """Each line of the diff with its kind, for the page to mark (the CSS decides how)."""
    kinds = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            kinds.append(("file", line))
        elif line.startswith("@@"):
            kinds.append(("hunk", line))
        elif line.startswith("+"):
            kinds.append(("added", line))
        elif line.startswith("-"):
            kinds.append(("removed", line))
        else:
            kinds.append(("same", line))
    return kinds


async def _form(request: Request) -> dict[str, str]:
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_FORM_BYTES:
            return {}
    return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))


class HostCheck:
    """ASGI middleware: only the Host names of this server (no DNS rebinding, no other site's name),
    and, behind HTTPS, HSTS on every answer."""

    def __init__(self, app: Any, hosts: set[str], secure: bool):
        self.app = app
        self.hosts = {h.lower() for h in hosts}
        self.secure = secure

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "").lower()

        async def send_with_hsts(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and self.secure:
                message["headers"] = [*message.get("headers", []), (b"strict-transport-security", HSTS)]
            await send(message)

        if host not in self.hosts:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            body = b"This address is not the one this server answers to."
            await send_with_hsts(
                {
                    "type": "http.response.start",
                    "status": 400,
                    "headers": [
                        (b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send_with_hsts({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send_with_hsts)


class Served:
    """The server's parts, kept together so the command (and the tests) can stop them."""

    def __init__(self, app: Any, starlette: Starlette, studio: Studio, db: Database, watch: Revocations):
        self.app = app
        self.starlette = starlette
        self.studio = studio
        self.db = db
        self.watch = watch

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)

    @property
    def routes(self) -> list[BaseRoute]:
        return self.starlette.routes

    def close(self) -> None:
        self.watch.close()
        self.studio.builds.stop_all()
        self.db.close()


def create_app(config: ServeConfig) -> Served:
    """The hosted studio as one ASGI application (`.routes` is the table the access layer checks)."""
    from .accounts import Accounts
    from .signin import AccountLayer, account_routes

    config.check()
    db = open_database(config.database)
    studio = Studio(Project(config.root), config.out_dir.resolve(), build_timeout=config.build_timeout)
    studio.builds.at_once = max(1, config.builds_at_once)
    studio.builds.nice = config.build_nice
    face = ServeFace(History(db), studio.project.orgs)
    page = Pages(page_environment("", HERE / "views"), face)
    accounts = Accounts(db, session_minutes=config.session_minutes)
    theirs = account_routes(accounts, config.base_url, studio.project.orgs)
    for route in theirs:
        path = getattr(route, "path", None)
        if need_of(route) is None and path in ACCOUNT_NEEDS:
            declare(route, ACCOUNT_NEEDS[path])
    routes = [*theirs, *history_routes(studio, face, page), *studio_routes(studio, face, page)]
    starlette = Starlette(routes=routes, exception_handlers=exception_handlers(page))

    def refused(request: Request, status: int, reason: str) -> HTMLResponse:
        return page(request, "refused_here.html", status, reason=reason, status_code=status)

    app: Any = Access(starlette, starlette.routes, Keys(studio), refused, studio.project.orgs)
    app = AccountLayer(app, accounts, secure=config.secure)
    app = HostCheck(app, config.hosts(), config.secure)
    if config.proxies:
        app = ProxyHeadersMiddleware(app, trusted_hosts=config.proxies)
    return Served(app, starlette, studio, db, Revocations(face, studio, accounts.people_by_id))
