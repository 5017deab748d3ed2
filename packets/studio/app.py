"""The studio's web routes: thin functions over the loader, the review, the preview and the CLI build.

Pages are Jinja templates (autoescaped) and one plain script; the form itself is drawn by
the script from `form_spec()`, which comes from the model. Everything the page loads is
served from this package or from templates/fonts/, never from elsewhere.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import InputError, Problem
from ..files import FileRefused, link_problem
from ..languages import LANGUAGE_NAMES
from ..load import assets
from ..load.curriculum import Curriculum, Project, load_curriculum
from ..load.orgfiles import OrgFileRefused, OrgSource, built_file, read_org_file
from ..load.sources import MAX_FILE_BYTES
from ..output import slug_problem
from ..planning.organization import LoadedOrg
from ..planning.plan import duration_text
from ..write.batch import file_editions
from . import draft as drafts
from . import needs
from .builds import BUILD_SECONDS, BuildQueue, build_request
from .documents import built_documents, document_names
from .door import NotWritable, RequestRefused, parse_request, write_new, writing
from .form import all_paths, curriculum_options, form_spec
from .guard import Guard, allowed_hosts, csrf_token, studio_root
from .loaded import LoadedOrgs
from .needs import declare
from .preview import Previewer
from .yamlfile import CannotWrite, ChangedOnDisk, digest, save

if TYPE_CHECKING:
    from .builds import Job

HERE = Path(__file__).resolve().parent
PREVIEWS_KEPT = 24
# Pictures of pages (previews, covers) are drawn one at a time (the previewer's lock); at most
# this many wait for it in a thread. The rest wait without holding one of the threads every
# other request needs, so a flood of previews never stalls anyone's pages.
RENDERS_IN_THREADS = 2
MAX_REQUEST_BYTES = 2 * MAX_FILE_BYTES  # the form's values as JSON: never more than a file could hold
UPLOAD_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg")


class NoSuchOrganization(HTTPException):
    def __init__(self, slug: str):
        super().__init__(404)
        self.slug = slug


@dataclass(frozen=True)
class Preview:
    """A preview's pictures, the organization they show and (on a server) the person who asked."""

    slug: str
    owner: str | None
    pages: list[bytes]


class Face:
    """What differs between the two faces over the same routes: `packets studio` for one person
    (this class: whoever passed the Guard may do everything) and `packets serve` for many
    (`packets.serve.app.ServeFace`, whose access layer has checked the route before it runs).

    The routes, pages, scripts and pipeline are the same objects for both; only these answers change.
    """

    def __init__(self, token: str):
        self.root = studio_root(token)  # every address on a page is under the secret path
        self.token = csrf_token(token)

    def csrf(self, request: Request) -> str:
        return self.token

    def values(self, request: Request) -> dict[str, Any]:
        """What every page is given besides its own values (the person signed in, on a server)."""
        return {"may_create": True}

    def may(self, request: Request, action: str, slug: str | None = None) -> bool:
        """Whether the page shows what `action` needs (the access layer checks it again on the request)."""
        return True

    def owner(self, request: Request) -> str | None:
        return None

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
        """Write the file unless it changed since `version` (ChangedOnDisk); the new version.
        `checked`: the review's result for `text` (what the loader read from it), when there is one."""
        with writing(path.parent, "content/orgs"):
            return save(studio.project, path, text, version)

    def created(self, request: Request, slug: str, text: str) -> None:
        """A new organization file was written."""

    def place_logo(self, request: Request, studio: Studio, slug: str, upload: Path, final: Path, data: bytes) -> None:
        """Put an uploaded logo, checked, in its place (a server records it in the history first)."""
        os.replace(upload, final)

    def name_refused(self, slug: str, problem: Problem | None) -> tuple[dict[str, str], int]:
        """The answer to a new organization whose short name cannot be used: `problem` is the
        slug rule's (bad characters, a reserved name), None when a file has the name already."""
        if problem is None:
            exists = f"content/orgs/{slug}.yaml already exists; choose another short name"
            return {"error": exists, "field": "slug"}, 409
        return {"error": f"{problem.message} ({problem.hint})", "field": "slug"}, 400

    def name_used(self, slug: str) -> bool:
        """Whether a new organization may not take this short name though no file has it
        (on a server: an organization that had it left a history and people behind)."""
        return False

    def seen(self, slug: str, raw: bytes) -> None:
        """The file as the page is about to show it (a server records a change made outside it)."""

    def submit(self, request: Request, studio: Studio, slug: str, asked: dict[str, Any]) -> Job | str:
        """The build asked for, or why it was not started (in words for the page)."""
        return studio.builds.submit(slug, asked)


@dataclass
class Studio:
    project: Project
    out_dir: Path
    token: str = ""
    curriculum: Curriculum = field(init=False)
    previewer: Previewer = field(init=False)
    previews: OrderedDict[str, Preview] = field(default_factory=OrderedDict)
    thumbnails: dict[tuple[str, str], bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    build_timeout: float = BUILD_SECONDS
    builds: BuildQueue = field(init=False)
    other_curricula: dict[str, Curriculum] = field(default_factory=dict)  # by language, once one is asked for
    renders: anyio.CapacityLimiter = field(default_factory=lambda: anyio.CapacityLimiter(RENDERS_IN_THREADS))

    def __post_init__(self) -> None:
        self.builds = BuildQueue(self.project.root, self.out_dir, self.build_timeout)
        for stale in self.project.orgs.glob(f"{drafts.DRAFT_PREFIX}*.tmp"):
            with contextlib.suppress(OSError):  # a read-only folder keeps them; they are never read
                stale.unlink(missing_ok=True)  # left by an older studio killed mid-review
        self.curriculum = load_curriculum(self.project)
        self.previewer = Previewer(self.project)
        self.orgs = LoadedOrgs(self.project, self.curriculum)  # results kept by the file's digest
        self.spec = form_spec(curriculum_options(self.curriculum))
        self.fields = sorted(all_paths(self.spec))

    def curriculum_in(self, language: str) -> Curriculum:
        """The curriculum an edition is planned with: the English one, or another language's,
        read once (a broken overlay raises InputError, which the page reports)."""
        if language == self.curriculum.language:
            return self.curriculum
        with self.lock:
            if language not in self.other_curricula:
                self.other_curricula[language] = load_curriculum(self.project, language)
            return self.other_curricula[language]

    def keep_preview(self, pages: list[bytes], slug: str = "", owner: str | None = None) -> str:
        """A new key for the preview's pictures; its organization and who asked are kept with it."""
        key = uuid.uuid4().hex
        with self.lock:
            self.previews[key] = Preview(slug, owner, pages)
            while len(self.previews) > PREVIEWS_KEPT:
                self.previews.popitem(last=False)
        return key


def _problem_json(problem: Problem) -> dict[str, Any]:
    return {"severity": problem.severity, "message": problem.message, "hint": problem.hint, "line": problem.line}


def _status(problems: list[Problem]) -> dict[str, Any]:
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    word = "errors" if errors else "warnings" if warnings else "ready"
    return {"errors": errors, "warnings": warnings, "word": word}


def _editions(loaded: LoadedOrg) -> tuple[str, ...]:
    """The editions the organization's file asks for, by the build's own rule."""
    return file_editions(loaded.doc) if loaded.doc else ("en",)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _built(studio: Studio, slug: str, states: bool = True) -> list[dict[str, Any]]:
    """The documents already in the output folder for this organization, newest first, each current or not
    (unless `states` is False: the list of organizations shows only when they were built)."""
    path = studio.project.orgs / f"{slug}.yaml"
    return built_documents(studio.project, studio.out_dir, OrgSource(slug, path), f"/orgs/{slug}/files", states)


def page_environment(root: str, *more: Path) -> Environment:
    """The studio's pages (autoescaped), and any folder of pages a face adds that extend them."""
    pages = Environment(
        loader=FileSystemLoader([*more, HERE / "pages"]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    pages.globals["root"] = root
    return pages


class Pages:
    """Renders a page with what every page of this face is given (the CSRF token, the person)."""

    def __init__(self, environment: Environment, face: Face):
        self.environment = environment
        self.face = face

    def __call__(self, request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        shown = {"csrf": self.face.csrf(request), **self.face.values(request), **values}
        body = self.environment.get_template(name).render(**shown)
        return HTMLResponse(body, status_code=status)


def create_app(studio: Studio, host: str, port: int) -> Starlette:
    """The Starlette application, wrapped in the Guard (every request checked before any route)."""
    face = Face(studio.token)
    page = Pages(page_environment(face.root), face)
    app = Starlette(routes=studio_routes(studio, face, page), exception_handlers=exception_handlers(page))
    return Guard(app, studio.token, allowed_hosts(host, port), port)  # type: ignore[return-value]


def studio_routes(studio: Studio, face: Face, page: Pages) -> list[BaseRoute]:
    """Every route of the studio, each declaring what it needs (`needs.py`), built once for both faces."""

    def org_file(request: Request) -> tuple[str, Path]:
        """The slug in the address and its file in content/orgs/, after the CLI's own slug rule
        (so no address leads outside the folder); a 404 when there is no such name. What the
        name is (a link, a FIFO, a huge file) is the door's to judge when it is read."""
        slug = request.path_params["slug"]
        path = studio.project.orgs / f"{slug}.yaml"
        if slug_problem(slug, "slug") or not (path.exists() or path.is_symlink()):
            raise NoSuchOrganization(slug[:80])
        return slug, path

    def read(path: Path) -> bytes:
        return read_org_file(studio.project, path)

    def summary(slug: str, path: Path) -> dict[str, Any]:
        loaded = studio.orgs.load(slug, path)
        org = loaded.org
        workshop = org.workshop if org else None
        fmt = studio.curriculum.formats.get((workshop.format if workshop else None) or "standard")
        # Every organization's length in the same words, whether the file gives minutes or a format.
        minutes = getattr(workshop, "minutes", None) or (fmt.minutes if fmt else None)
        length = duration_text(minutes) if minutes else ""
        built = _built(studio, slug, states=False)
        return {
            "slug": slug,
            "name": " / ".join(dict.fromkeys(org.edition(lang).name for lang in _editions(loaded))) if org else slug,
            "status": _status(loaded.problems),
            "length": length,
            "paper": org.paper if org else "",
            "built": built[0]["when"] if built else "",
            "valid": org is not None,
        }

    async def index(request: Request) -> Response:
        paths = sorted(studio.project.orgs.glob("*.yaml"))
        shown = [p for p in paths if not slug_problem(p.stem, "") and face.may(request, "read", p.stem)]
        orgs = await run_in_threadpool(lambda: [summary(p.stem, p) for p in shown])
        for org in orgs:
            org["may_edit"] = face.may(request, "edit", org["slug"])
        return page(request, "index.html", orgs=orgs, count=_count)

    async def new(request: Request) -> Response:
        return page(request, "new.html", formats=studio.curriculum.formats.values())

    async def edit(request: Request) -> Response:
        slug, _path = org_file(request)
        return page(
            request,
            "edit.html",
            slug=slug,
            may_edit=face.may(request, "edit", slug),
            may_build=face.may(request, "build", slug),
        )

    async def org_state(request: Request) -> Response:
        slug, path = org_file(request)
        raw = await run_in_threadpool(read, path)
        await run_in_threadpool(face.seen, slug, raw)
        loaded = await run_in_threadpool(studio.orgs.load, slug, path, raw)
        data = loaded.doc.data if loaded.doc else None
        return JSONResponse(
            {
                "slug": slug,
                "file": f"content/orgs/{slug}.yaml",
                "version": digest(raw),
                "spec": studio.spec,
                "data": data if isinstance(data, dict) else None,
                "problems": drafts.place(loaded.problems, data, studio.fields),
                "unknown_keys": _unknown_keys(data, studio.fields),
                "text": raw.decode("utf-8", "replace"),
                "built": _built(studio, slug),
            }
        )

    async def review(request: Request) -> Response:
        slug, path = org_file(request)
        body = await _json(request)
        if body is None:
            return JSONResponse({"error": "the request was not JSON"}, 400)
        data = body.get("data") or {}
        original = await run_in_threadpool(read, path)
        reviewed = await run_in_threadpool(
            drafts.review, studio.project, studio.curriculum, slug, original, data, studio.fields, _keep(body)
        )
        return JSONResponse(
            {
                "problems": reviewed.problems,
                "status": _status(reviewed.loaded.problems),
                "lost_comments": reviewed.draft.lost_comments,
            }
        )

    def render_preview(slug: str, path: Path, body: dict[str, Any], owner: str | None) -> dict[str, Any]:
        started = time.monotonic()
        data = body.get("data") or {}
        original = read(path)
        reviewed = drafts.review(studio.project, studio.curriculum, slug, original, data, studio.fields, _keep(body))
        org = reviewed.loaded.org
        if org is None:
            return {"pages": [], "reason": "The preview waits until the errors are fixed."}
        try:  # each edition's cover and acknowledgement, in its own language
            pages, labels = [], []
            editions = _editions(reviewed.loaded)
            for language in editions:
                edition = studio.curriculum_in(language)
                shown = studio.previewer.render(slug, org.edition(language), edition, studio.project.orgs).pages
                which = f", {LANGUAGE_NAMES[language]} edition" if len(editions) > 1 else ""
                labels += [("the cover" if i == 0 else "the land acknowledgement") + which for i in range(len(shown))]
                pages += shown
        except InputError as exc:
            return {"pages": [], "reason": "; ".join(p.message for p in exc.problems)}
        except Exception as exc:  # the preview says why instead of breaking the page
            return {"pages": [], "reason": f"The preview could not be made: {type(exc).__name__}: {exc}"[:300]}
        key = studio.keep_preview(pages, slug, owner)
        return {
            "pages": [f"/preview/{key}/{i}.png" for i in range(len(pages))],
            "labels": labels,
            "ms": round((time.monotonic() - started) * 1000),
        }

    async def preview(request: Request) -> Response:
        slug, path = org_file(request)
        body = await _json(request)
        if body is None:
            return JSONResponse({"error": "the request was not JSON"}, 400)
        owner = face.owner(request)
        made = await anyio.to_thread.run_sync(render_preview, slug, path, body, owner, limiter=studio.renders)
        return JSONResponse(made)

    async def preview_image(request: Request) -> Response:
        kept = studio.previews.get(request.path_params["key"])
        number = request.path_params["number"]
        if kept is None or number >= len(kept.pages):
            return Response("gone", 404)
        return Response(kept.pages[number], media_type="image/png")

    def thumbnail_png(slug: str, path: Path) -> bytes | None:
        try:
            raw = read(path)
        except OrgFileRefused:
            return None
        key = (slug, digest(raw))
        if key not in studio.thumbnails:
            loaded = studio.orgs.load(slug, path, raw)
            if loaded.org is None:
                return None
            try:  # the cover of the first edition the file asks for, in its own language
                language = _editions(loaded)[0]
                shot = studio.previewer.render(
                    slug,
                    loaded.org.edition(language),
                    studio.curriculum_in(language),
                    path.parent,
                    keep=("cover",),
                    scale=0.3,
                )
            except Exception:
                return None
            for old in [k for k in studio.thumbnails if k[0] == slug]:
                del studio.thumbnails[old]  # one cover per organization: the file's latest
            studio.thumbnails[key] = shot.pages[0]
        return studio.thumbnails[key]

    async def thumbnail(request: Request) -> Response:
        slug, path = org_file(request)
        png = await anyio.to_thread.run_sync(thumbnail_png, slug, path, limiter=studio.renders)
        return Response(png, media_type="image/png") if png else Response("no cover yet", 404)

    async def save_org(request: Request) -> Response:
        slug, path = org_file(request)
        body = await _json(request)
        if body is None or not isinstance(body.get("version"), str):
            return JSONResponse({"error": "the request was not a save from the studio"}, 400)

        def run() -> JSONResponse:
            data = body.get("data") or {}
            original = read(path)
            reviewed = drafts.review(
                studio.project, studio.curriculum, slug, original, data, studio.fields, _keep(body)
            )
            try:
                if digest(original) != body["version"]:  # the form's values go onto the version the page saw
                    raise ChangedOnDisk(original.decode("utf-8", "replace"))
                version = face.save(
                    request, studio, slug, path, original, reviewed.draft.text, body["version"], reviewed.loaded
                )
            except ChangedOnDisk as exc:
                return JSONResponse(
                    {
                        "error": "The file changed on disk since this page loaded it, so it was not overwritten.",
                        "disk": exc.disk,
                        "disk_version": digest(exc.disk.encode("utf-8")),
                        "mine": reviewed.draft.text,
                    },
                    409,
                )
            # The file now holds the text the review checked: its result stands, nothing is parsed again.
            studio.orgs.keep(slug, version, path, reviewed.loaded)
            return JSONResponse(
                {
                    "version": version,
                    "status": _status(reviewed.loaded.problems),
                    "problems": reviewed.problems,
                    "lost_comments": reviewed.draft.lost_comments,
                }
            )

        return await run_in_threadpool(run)

    async def create(request: Request) -> Response:
        body = await _json(request)
        if body is None:
            return JSONResponse({"error": "the request was not JSON"}, 400)
        return await run_in_threadpool(
            _create,
            studio,
            body,
            lambda slug, text: face.created(request, slug, text),
            face.name_refused,
            face.name_used,
        )

    async def upload_logo(request: Request) -> Response:
        slug, _path = org_file(request)
        name = request.headers.get("x-filename", "")
        suffix = Path(name).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            return JSONResponse({"error": f"logo '{name[:80]}' must be PNG, JPEG or SVG"}, 400)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > assets.MAX_LOGO_BYTES:
            return JSONResponse(_too_big(int(declared)), 413)
        data = bytearray()
        async for chunk in request.stream():
            data += chunk
            if len(data) > assets.MAX_LOGO_BYTES:
                return JSONResponse(_too_big(len(data)), 413)
        place = functools.partial(face.place_logo, request, studio, slug)
        return await run_in_threadpool(_store_logo, studio, slug, suffix, bytes(data), place)

    async def start_build(request: Request) -> Response:
        slug, path = org_file(request)
        body = await _json(request) or {}
        loaded = await run_in_threadpool(studio.orgs.load, slug, path)
        if loaded.org is None:
            errors = [_problem_json(p) for p in loaded.errors]
            return JSONResponse({"error": "This file has errors, so it cannot be built yet.", "problems": errors}, 409)
        job = face.submit(request, studio, slug, build_request(body))
        if isinstance(job, str):
            return JSONResponse({"error": job}, 429)
        return JSONResponse({"job": f"/api/jobs/{job.key}"})

    async def job_state(request: Request) -> Response:
        job = studio.builds.jobs.get(request.path_params["key"])
        if job is None:
            return JSONResponse({"error": "no such build"}, 404)
        state = {
            "status": job.status,
            "place": studio.builds.place(job),
            "done": job.done,
            "total": job.total,
            "problems": job.problems,
            "error": job.error,
            "files": [],
        }
        if job.finished:
            built = await run_in_threadpool(_built, studio, job.slug)
            state["files"] = [{k: v for k, v in f.items() if k != "mtime"} for f in built]
        return JSONResponse(state)

    async def download(request: Request) -> Response:
        slug, _path = org_file(request)
        name = request.path_params["name"]
        if name not in document_names(slug):
            return Response("no such file", 404)
        try:
            target = built_file(studio.out_dir, slug, name)
        except FileNotFoundError:
            return Response("no such file", 404)
        except FileRefused as exc:
            return Response(f"This file is not served: {exc}.", 403, media_type="text/plain; charset=utf-8")
        return FileResponse(target, media_type="application/pdf", filename=name)

    return [
        declare(Route("/", index), needs.SIGNED_IN),
        declare(Route("/new", new), needs.CREATE),
        declare(Route("/orgs/{slug}", edit), needs.read()),
        declare(Route("/orgs/{slug}/cover.png", thumbnail), needs.read()),
        declare(Route("/orgs/{slug}/files/{name}", download), needs.download()),
        declare(Route("/preview/{key}/{number:int}.png", preview_image), needs.read("preview")),
        declare(Route("/api/orgs", create, methods=["POST"]), needs.CREATE),
        declare(Route("/api/orgs/{slug}", org_state), needs.read()),
        declare(Route("/api/orgs/{slug}/review", review, methods=["POST"]), needs.read()),
        declare(Route("/api/orgs/{slug}/preview", preview, methods=["POST"]), needs.read()),
        declare(Route("/api/orgs/{slug}/save", save_org, methods=["POST"]), needs.edit()),
        declare(Route("/api/orgs/{slug}/logo", upload_logo, methods=["POST"]), needs.edit()),
        declare(Route("/api/orgs/{slug}/build", start_build, methods=["POST"]), needs.build()),
        declare(Route("/api/jobs/{key}", job_state), needs.read("job")),
        declare(Mount("/static", StaticFiles(directory=HERE / "static"), name="static"), needs.PUBLIC),
        declare(Mount("/fonts", StaticFiles(directory=studio.project.templates / "fonts"), name="fonts"), needs.PUBLIC),
    ]


def exception_handlers(page: Pages) -> dict[Any, Any]:
    """How the studio answers a missing page, a file it cannot write back, a request it refuses."""

    async def not_found(request: Request, exc: Exception) -> Response:
        slug = exc.slug if isinstance(exc, NoSuchOrganization) else None
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "no such organization" if slug else "no such address"}, 404)
        if request.url.path.endswith((".png", ".pdf")):
            return Response("not found", 404)
        return page(request, "missing.html", 404, slug=slug)

    async def cannot_write(request: Request, exc: Exception) -> Response:
        return JSONResponse(
            {
                "error": f"The studio cannot write this file back as it is ({exc}); "
                "fix what `packets check` reports in a text editor first."
            },
            422,
        )

    async def refused(request: Request, exc: Exception) -> Response:
        """A file the loader's door does not read, a request past a bound, a folder not writable."""
        if isinstance(exc, NotWritable):
            return JSONResponse({"error": str(exc)}, exc.status)
        return JSONResponse({"error": str(exc)}, 400 if isinstance(exc, RequestRefused) else 422)

    return {
        404: not_found,
        405: not_found,
        CannotWrite: cannot_write,
        OrgFileRefused: refused,
        RequestRefused: refused,
        NotWritable: refused,
    }


async def _json(request: Request) -> dict[str, Any] | None:
    """The request's JSON object, or None; never more than an organization file could hold."""
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_REQUEST_BYTES:
            return None
    return parse_request(bytes(raw))  # its depth bounded before it is parsed


def _keep(body: dict[str, Any]) -> frozenset[str]:
    """The fields the page left as the file has them (values of a shape the form cannot show)."""
    keep = body.get("keep")
    return frozenset(k for k in keep if isinstance(k, str)) if isinstance(keep, list) else frozenset()


def _unknown_keys(data: Any, fields: list[str], prefix: str = "") -> list[str]:
    """Keys in the file that no field of the form shows: kept as they are when saving."""
    if not isinstance(data, dict):
        return []
    found = []
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if path not in fields and not any(f.startswith(path + ".") for f in fields):
            found.append(path)
        elif isinstance(value, dict):
            found.extend(_unknown_keys(value, fields, path))
    return found


def _too_big(size: int) -> dict[str, str]:
    return {
        "error": f"the logo is {size:,} bytes or more; the limit is {assets.MAX_LOGO_BYTES:,} "
        "(export a smaller image: about 600 px wide is plenty)"
    }


_INIT_TEXT = ("title", "date", "start", "location", "territory", "reviewed_by", "reviewed_on")


def _create(
    studio: Studio,
    body: dict[str, Any],
    created: Callable[[str, str], None],
    name_refused: Callable[[str, Problem | None], tuple[dict[str, str], int]],
    used: Callable[[str], bool] = lambda slug: False,
) -> JSONResponse:
    """The same checks and the same file as `packets init`; `used` says whether a name no file has
    is still taken (a server's history and memberships of an organization that had it)."""
    from slugify import slugify

    from ..interview import interview_words
    from ..scaffold import NewOrganization, organization_yaml

    name = str(body.get("name") or "").strip()
    if not name:
        return JSONResponse({"error": "an organization name is needed", "field": "name"}, 400)
    slug = str(body.get("slug") or "").strip() or slugify(name, max_length=60, word_boundary=True)
    problem = slug_problem(slug, "slug")
    if problem:
        return JSONResponse(*name_refused(slug, problem))
    target = studio.project.orgs / f"{slug}.yaml"
    if target.exists() or target.is_symlink() or used(slug):
        return JSONResponse(*name_refused(slug, None))
    fmt = str(body.get("format") or "standard")
    if fmt not in studio.curriculum.formats:
        return JSONResponse({"error": f"unknown format '{fmt[:40]}'", "field": "format"}, 400)
    paper = body.get("paper") if body.get("paper") in ("letter", "a4") else "letter"
    text = {k: str(body.get(k) or "").strip() or None for k in _INIT_TEXT}
    dates = {}
    for key in ("date", "reviewed_on"):
        value = text.pop(key)
        try:
            dates[key] = dt.date.fromisoformat(value) if value else None
        except ValueError:
            return JSONResponse({"error": "please write the date as YYYY-MM-DD, e.g. 2027-03-14", "field": key}, 400)
    # The documents' language, as init's first question: English, French, or both side by side.
    editions = {"en": ("en",), "fr": ("fr",), "both": ("en", "fr")}.get(str(body.get("language") or "en"))
    if editions is None:
        return JSONResponse({"error": "choose English, French or both for the documents", "field": "language"}, 400)
    new = NewOrganization(name=name, editions=editions, paper=paper, format=fmt, **text, **dates)
    # Its comments in French for a French organization, as init writes them.
    content = organization_yaml(new, interview_words(studio.project, "fr" if editions == ("fr",) else "en"))
    loaded = drafts.check_text(studio.project, studio.curriculum, slug, content)  # checked before it is placed
    if loaded.errors:
        return JSONResponse({"error": "; ".join(p.message for p in loaded.errors)}, 400)
    with writing(studio.project.orgs, "content/orgs"):
        if not write_new(target, content.encode("utf-8")):  # another create took the name meanwhile
            return JSONResponse(*name_refused(slug, None))
    created(slug, content)
    return JSONResponse({"slug": slug, "url": f"/orgs/{slug}"}, 201)


def _store_logo(
    studio: Studio, slug: str, suffix: str, data: bytes, place: Callable[[Path, Path, bytes], None]
) -> JSONResponse:
    """Checked by the CLI's own logo check, in place, before it takes the logo's name (`place` moves it there)."""
    folder = studio.project.orgs / "logos"
    linked = link_problem(folder, studio.project.root) if folder.exists() or folder.is_symlink() else None
    if linked:  # the logo would be written wherever the link leads
        error = f"content/orgs/logos is not used: {linked}; make it a folder of its own, then upload again"
        return JSONResponse({"error": error}, 403)
    with writing(studio.project.orgs, "content/orgs"):
        folder.mkdir(exist_ok=True)
    with writing(folder, "content/orgs/logos"):
        fd, name = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=suffix)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        except OSError:
            os.unlink(name)  # a full disk leaves no half logo behind
            raise
    relative = f"logos/{Path(name).name}"
    problems = assets.check_logo(relative, studio.project.orgs, "upload", 0)
    if problems:
        os.unlink(name)
        message = problems[0].message.replace(f"'{relative}'", "").replace("  ", " ")
        return JSONResponse({"error": message + (f" ({problems[0].hint})" if problems[0].hint else "")}, 400)
    final = folder / f"{slug}-logo{suffix}"
    with writing(folder, "content/orgs/logos"):
        os.chmod(name, 0o644)
        try:
            place(Path(name), final, data)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)  # not placed (the history refused it): no upload left behind
    return JSONResponse({"logo": f"logos/{final.name}"})
