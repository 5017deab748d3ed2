"""Many organisations: find them, skip what is up to date, render the rest in parallel.

The unit of work is a document, not an organisation: the guide and the handout of one
organisation render at the same time on two cores, and a batch keeps every worker busy.
Each worker process sets WeasyPrint up once (fonts, stylesheets, templates, curriculum)
and reuses it for the documents it is given, up to RECYCLE_AFTER of them. The parent
writes an organisation's files only when all its documents are back, and reports in the
order of the organisations. One organisation failing never stops the others: its result
carries the problem and the batch goes on.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import signal
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import InputError, Problem
from ..files import FileRefused, read_limited
from ..load.assets import MAX_LOGO_BYTES, resolve_inside
from ..load.curriculum import Project
from ..output import folder_lock, leftovers, org_folder, remove_stale_temporaries, write_atomic
from ..planning.organisation import load_organisation
from .pipeline import BuildOptions, Document, DocumentResult, OrgResult, OrgSource, documents_of, write_documents

MANIFEST = ".packets-manifest.json"


# ------------------------------------------------------------------ what a build depends on


# The rendering stack: a new version of any of these can change the HTML or the PDFs.
RENDERER_PACKAGES = (
    *("weasyprint", "pydyf", "fonttools", "tinycss2", "cssselect2", "jinja2", "markdown-it-py", "babel"),
    "pypdf",  # imposes the booklets
)


def _digest_files(h: Any, base: Path, paths: Iterable[Path]) -> None:
    for path in sorted(paths):
        # Names relative to their folder, so a moved or copied checkout stays up to date.
        h.update(path.relative_to(base).as_posix().encode() + b"\0")
        data = path.read_bytes()
        h.update(len(data).to_bytes(8, "big") + data)


def _renderer_versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    versions = []
    for name in RENDERER_PACKAGES:
        try:
            versions.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            versions.append(f"{name}==?")
    return ";".join(versions)


def shared_inputs_digest(project: Project) -> str:
    """Content (not organisations), templates, CSS, fonts, the tool's code and version, and WeasyPrint's."""
    h = hashlib.sha256(f"{__version__};{_renderer_versions()}".encode())
    content = [p for p in project.content.rglob("*") if p.is_file() and project.orgs not in p.parents]
    _digest_files(h, project.content, content)
    _digest_files(h, project.templates, [p for p in project.templates.rglob("*") if p.is_file()])
    code = Path(__file__).parent.parent  # the whole package, every subpackage
    _digest_files(h, code, code.rglob("*.py"))
    return h.hexdigest()


def org_inputs_digest(source: OrgSource, shared: str, options: BuildOptions, project: Project | None = None) -> str:
    """What every document of one organisation is built from, read from the parsed file, not its text.

    Which documents is the manifest's to say. Quoting, comments, anchors, tags and key order
    do not change the key; a change of value does, and so does any change to the logo the
    file names, however the file spells the `logo` key. A file that cannot be read or parsed
    has no key: it is always rebuilt (and so reported).
    """
    from ..files import link_problem
    from ..load.sources import read_yaml

    if project is not None and link_problem(source.path, project.root):
        return ""
    doc = read_yaml(source.path)  # bounded: regular files of at most 1 MB
    if doc.data is None:
        return ""
    h = hashlib.sha256(shared.encode())
    h.update(repr(options.paper).encode())
    h.update(os.environ.get("SOURCE_DATE_EPOCH", "").encode())
    h.update(json.dumps(doc.data, sort_keys=True, ensure_ascii=False, default=repr).encode())
    logo = doc.data.get("logo") if isinstance(doc.data, dict) else None
    if isinstance(logo, str):
        # The same confinement and limits as the build itself: a logo that fails them fails
        # validation, so hashing it would only read what we refuse to use.
        target = resolve_inside(source.path.parent, logo.strip())
        with contextlib.suppress(OSError, FileRefused):
            if target is not None:
                h.update(b"logo\0" + read_limited(target, MAX_LOGO_BYTES))
    return h.hexdigest()


def document_id(audience: str, large_print: bool, paper: str | None, kind: str | None = None) -> str:
    """A document as the manifest knows it: what was asked for, whatever its file came to be named."""
    what = kind or f"{audience}|{'large-print' if large_print else 'regular'}"
    return f"{what}|{paper or 'own-paper'}"


@dataclass
class Manifest:
    """What each document of each organisation was last built from, and the files that build wrote.

    One entry per document, so asking for another one (`--large-print`, `--audience
    participant`, `--paper a4`) renders only that one, and switching back renders nothing.
    """

    path: Path
    entries: dict[str, Any] = field(default_factory=dict)
    changed: bool = False
    updates: dict[str, Any] = field(default_factory=dict)  # slug: new entry, or None when forgotten

    @staticmethod
    def _read(path: Path) -> dict[str, Any]:
        try:
            entries = json.loads(read_limited(path, 50_000_000).decode("utf-8"))
        except (OSError, ValueError, FileRefused):
            return {}
        return entries if isinstance(entries, dict) else {}

    @classmethod
    def load(cls, out_dir: Path) -> Manifest:
        path = out_dir / MANIFEST
        return cls(path, cls._read(path))

    def _documents(self, slug: str) -> dict[str, Any]:
        entry = self.entries.get(slug)
        documents = entry.get("documents") if isinstance(entry, dict) else None
        return documents if isinstance(documents, dict) else {}

    def fresh_pages(self, slug: str, key: str, document: str, folder: Path, html: bool) -> int | None:
        """The page count of a document built from `key` whose files are still as written; None if it needs building."""
        recorded = self._documents(slug).get(document)
        if not key or not isinstance(recorded, dict) or recorded.get("key") != key:
            return None
        files = recorded.get("files")
        pdf = recorded.get("pdf")
        if not isinstance(files, dict) or not isinstance(pdf, str) or pdf not in files:
            return None
        if leftovers(folder):
            return None  # a write never finished there (a killed build): build it again
        wanted = [pdf] + ([str(Path(pdf).with_suffix(".html"))] if html else [])
        for name in wanted:
            stats = files.get(name)
            try:
                st = (folder / name).stat()
            except OSError:
                return None
            if not isinstance(stats, list) or [st.st_size, st.st_mtime_ns] != stats[:2]:
                return None
        pages = recorded.get("pages", 0)
        return pages if isinstance(pages, int) else 0

    def record(self, slug: str, key: str, document: str, files: list[Path], pages: int) -> None:
        self.changed = True
        entry = self.entries.get(slug)
        if not isinstance(entry, dict) or not isinstance(entry.get("documents"), dict):
            entry = self.entries[slug] = {"documents": {}}
        self.updates[slug] = entry
        entry["documents"][document] = {
            "key": key,
            "pdf": files[0].name,
            "files": {p.name: [p.stat().st_size, p.stat().st_mtime_ns] for p in files},
            "pages": pages,
        }

    def forget(self, slug: str) -> None:
        if self.entries.pop(slug, None) is not None:
            self.changed = True
            self.updates[slug] = None

    def save(self) -> None:
        """Written only when something changed, so a failed build leaves the output folder as it was.

        Read again and written under the output folder's lock: a build running at the same
        time keeps what it recorded, and no one sees half a manifest.
        """
        if not self.changed:
            return
        with folder_lock(self.path.parent):
            remove_stale_temporaries(self.path.parent)
            entries = self._read(self.path)
            for slug, entry in self.updates.items():
                if entry is None:
                    entries.pop(slug, None)
                else:
                    entries[slug] = entry
            write_atomic(self.path, json.dumps(entries, indent=1, sort_keys=True).encode())
            self.entries = entries


# ------------------------------------------------------------------ workers

_worker: dict[str, Any] = {}


def _init_worker(root: str, curriculum: Any = None, shared: str = "") -> None:
    """Set up once per worker process: curriculum, fonts, parsed stylesheets (and, lazily, templates).

    `shared` is the digest of the stylesheets, fonts and code: the page-flow decisions the
    renderer keeps between builds are only taken back while it is the same.
    """
    from ..cache import LayoutCache, cache_folder
    from ..load.curriculum import load_curriculum
    from ..render.pdf import Renderer

    project = Project(Path(root))
    decisions = LayoutCache(cache_folder(), shared) if shared else None
    _worker.update(
        project=project,
        curriculum=curriculum if curriculum is not None else load_curriculum(project),
        renderer=Renderer(project.templates, (project.templates, project.content), decisions=decisions),
    )
    # What exists now lives as long as the worker. Freezing it keeps the cyclic garbage collector
    # from walking it again on every full collection while rendering (about 5% of render time,
    # with no change in memory).
    gc.collect()
    gc.freeze()


def _renderer_roots(project: Project, source: OrgSource) -> tuple[Path, ...]:
    return (project.templates, project.content, source.path.parent)


def _render_in_worker(
    source: OrgSource,
    options: BuildOptions,
    debug: bool,
    audience: str,
    large: bool,
    kind: str | None = None,
) -> DocumentResult:
    from . import pipeline

    renderer = _worker["renderer"]
    renderer.roots = _renderer_roots(_worker["project"], source)
    try:
        return pipeline.render_document(
            source, _worker["project"], _worker["curriculum"], options, renderer, audience, large, kind
        )
    except InputError as exc:
        return DocumentResult(source.slug, audience, large, "invalid", kind=kind, problems=exc.problems)
    except Exception as exc:  # isolate one organisation's failure from the rest of the batch
        detail = traceback.format_exc() if debug else ""
        message = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        error = message + ("\n" + detail if detail else "")
        return DocumentResult(source.slug, audience, large, "failed", kind=kind, error=error)


# A worker renders this many documents, then exits and a fresh one takes its place. The
# renderer keeps memory for the documents it has rendered (caches inside WeasyPrint that
# nothing clears: about 0.6 MB per document of the example, measured in bench/results.md),
# so a worker that lived for the whole batch would grow with it. A new worker costs its
# set-up (about 1 s: fonts, stylesheets), which over 24 documents is about 1% of their
# time, while the growth stays under about 15 MB (under 8% of a worker's size) whatever
# the size of the batch.
RECYCLE_AFTER = int(os.environ.get("PACKETS_RECYCLE_AFTER", "") or 24)  # the variable is for bench/run.py

Task = tuple[OrgSource, BuildOptions, bool, str, bool, "str | None"]


def _worker_main(conn: Any, root: str, curriculum: Any, shared: str, limit: int) -> None:
    """A worker's life: set up once, render up to `limit` documents sent down the pipe, exit."""
    try:
        _init_worker(root, curriculum, shared)
        for _ in range(limit):
            try:
                task = conn.recv()
            except EOFError:
                return
            if task is None:
                return
            conn.send(_render_in_worker(*task))
    except KeyboardInterrupt:
        # Ctrl-C: the parent reports it. Returning (rather than dying of it) lets the
        # process's finalizers run, which remove WeasyPrint's temporary font folder.
        return
    finally:
        # From here the worker only cleans up. A Ctrl-C arriving now (the parent passes one
        # on to every worker still alive, and one that is exiting still is) would break
        # off the removal of the font folder with a traceback.
        signal.signal(signal.SIGINT, signal.SIG_IGN)


@dataclass
class _Slot:
    process: Any
    conn: Any
    task: Task | None = None
    done: int = 0


def _run_documents(
    tasks: list[Task],
    root: str,
    curriculum: Any,
    shared: str,
    jobs: int,
    on_document: Callable[[Task, DocumentResult], None],
) -> None:
    """Render `tasks` in `jobs` worker processes, each replaced after RECYCLE_AFTER documents.

    Workers are plain forked processes talking over a pipe, one document at a time, so the
    next document goes to whichever worker is free and the parent holds no threads while it
    forks. A worker that dies (killed, out of memory) loses only the document it was
    rendering: that document fails, and a fresh worker goes on with the rest.
    """
    import multiprocessing
    from collections import deque
    from multiprocessing.connection import wait

    context = multiprocessing.get_context("fork")
    pending = deque(tasks)
    slots: list[_Slot] = []

    def start() -> _Slot:
        parent_end, child_end = context.Pipe()
        process = context.Process(
            target=_worker_main, args=(child_end, root, curriculum, shared, RECYCLE_AFTER), daemon=True
        )
        # Everything the parent holds is frozen across the fork, so the worker's collections
        # (the one in its set-up, and later ones) never walk the parent's objects: walking
        # writes to each object, and every page written is copied into the worker. From a
        # large parent (the studio, the test suite) that copying was most of a worker's start.
        gc.freeze()
        try:
            process.start()
        finally:
            gc.unfreeze()
        child_end.close()
        return _Slot(process, parent_end)

    def give(slot: _Slot) -> None:
        slot.task = pending.popleft()
        slot.conn.send(slot.task)

    def retire(slot: _Slot) -> None:
        with contextlib.suppress(OSError):
            if slot.process.is_alive() and slot.done < RECYCLE_AFTER:
                slot.conn.send(None)
        slot.process.join(timeout=10)
        if slot.process.is_alive():
            slot.process.kill()
            slot.process.join()
        slot.conn.close()

    try:
        for _ in range(min(jobs, len(pending))):
            slot = start()
            slots.append(slot)
            give(slot)
        while any(s.task is not None for s in slots):
            busy = [s for s in slots if s.task is not None]
            wait([s.conn for s in busy] + [s.process.sentinel for s in busy])
            for slot in busy:
                task = slot.task
                assert task is not None
                lost = False
                if slot.conn.poll():
                    try:
                        result = slot.conn.recv()
                    except (EOFError, OSError):
                        lost = True
                elif not slot.process.is_alive():
                    lost = True
                else:
                    continue
                if lost:
                    source, _, _, audience, large, kind = task
                    result = DocumentResult(
                        source.slug, audience, large, "failed", kind=kind, error="worker stopped while building it"
                    )
                slot.task = None
                slot.done += 1
                on_document(task, result)
                if lost or slot.done >= RECYCLE_AFTER or not pending:
                    retire(slot)
                    slots.remove(slot)
                    if pending:
                        slots.append(start())
                        give(slots[-1])
                else:
                    give(slot)
    finally:
        # Interrupted (Ctrl-C, an error here): ask the workers to stop as Ctrl-C would, so
        # they clean up after themselves; one that does not is killed.
        for slot in slots:
            if slot.process.is_alive():
                with contextlib.suppress(OSError):
                    os.kill(slot.process.pid, signal.SIGINT)
        for slot in slots:
            slot.process.join(timeout=10)
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join()
            slot.conn.close()


@dataclass
class Summary:
    built: list[OrgResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    invalid: list[OrgResult] = field(default_factory=list)
    failed: list[OrgResult] = field(default_factory=list)
    pages: int = 0

    @property
    def exit_code(self) -> int:
        if self.failed:
            return 1
        if self.invalid:
            return 2
        return 0


def build_many(
    sources: list[OrgSource],
    project: Project,
    options: BuildOptions,
    jobs: int,
    on_result: Callable[[OrgResult], None],
    debug: bool = False,
) -> Summary:
    """Build what is not up to date, every document of every organisation in parallel across `jobs` workers.

    Results come back in the order of `sources` whatever order the documents finish in, and
    an organisation's files are written only when all its documents have rendered.
    """
    if options.out_dir.is_dir():
        with folder_lock(options.out_dir):  # a manifest write killed half-way left its temporary
            remove_stale_temporaries(options.out_dir)
    manifest = Manifest.load(options.out_dir)
    shared = shared_inputs_digest(project)
    summary = Summary()
    todo: list[tuple[OrgSource, str, list[Document]]] = []
    for source in sources:
        key = org_inputs_digest(source, shared, options, project)
        folder = org_folder(options.out_dir, source.slug)
        missing = []
        for audience, large, kind in documents_of(options):
            document = document_id(audience, large, options.paper, kind)
            html = options.html and kind is None
            pages = None if options.force else manifest.fresh_pages(source.slug, key, document, folder, html)
            if pages is None:
                missing.append((audience, large, kind))
            else:
                summary.pages += pages
        if missing:
            todo.append((source, key, missing))
        else:
            summary.skipped.append(source.slug)
            on_result(OrgResult(source.slug, "skipped"))

    def finish(result: OrgResult, source: OrgSource, key: str) -> None:
        if result.status == "built":
            summary.built.append(result)
            summary.pages += sum(w.pages for w in result.written)
            for w in result.written:
                files = [w.path] + ([w.path.with_suffix(".html")] if options.html and w.kind is None else [])
                document = document_id(w.audience, w.large_print, options.paper, w.kind)
                manifest.record(source.slug, key, document, files, w.pages)
        else:
            manifest.forget(source.slug)
            (summary.invalid if result.status == "invalid" else summary.failed).append(result)
        on_result(result)

    if not todo:
        manifest.save()
        return summary
    from ..load.curriculum import load_curriculum

    curriculum = load_curriculum(project)  # a broken curriculum is reported once, before any worker starts
    tasks: list[Task] = [(s, options, debug, a, lg, k) for s, _, documents in todo for a, lg, k in documents]
    index = {(s.slug, a, lg, k): i for s, _, documents in todo for i, (a, lg, k) in enumerate(documents)}
    rendered: dict[str, list[DocumentResult | None]] = {s.slug: [None] * len(d) for s, _, d in todo}
    done: dict[str, OrgResult] = {}
    reported = 0

    def on_document(task: Task, result: DocumentResult) -> None:
        nonlocal reported
        source = task[0]
        documents = rendered[source.slug]
        documents[index[(source.slug, task[3], task[4], task[5])]] = result
        if all(d is not None for d in documents):
            done[source.slug] = write_documents(source, options, [d for d in documents if d is not None])
            del rendered[source.slug]  # the PDFs' bytes are on disk now
        # Reported in the order of the sources, so messages do not depend on which worker was quicker.
        while reported < len(todo) and todo[reported][0].slug in done:
            source, key, _ = todo[reported]
            finish(done.pop(source.slug), source, key)
            reported += 1

    # An organization file that does not validate is reported here, as `check` reports it,
    # without starting a worker for it: a batch of files with mistakes answers at once.
    invalid = {s.slug: problems for s, _, _ in todo if (problems := _mistakes(s, project, curriculum))}
    if invalid:
        for task in tasks:
            source, _, _, audience, large, kind = task
            if source.slug in invalid:
                on_document(
                    task,
                    DocumentResult(source.slug, audience, large, "invalid", kind=kind, problems=invalid[source.slug]),
                )
        tasks = [t for t in tasks if t[0].slug not in invalid]
    try:
        _run_documents(tasks, str(project.root), curriculum, shared, jobs, on_document)
    finally:
        manifest.save()
    return summary


def _mistakes(source: OrgSource, project: Project, curriculum: Any) -> list[Problem]:
    """Why the organization file does not validate, read in the parent (nothing if it does).

    The worker that renders a valid file loads it again (a few milliseconds), so what it
    renders is what it validated itself. An unexpected failure here is left to the worker,
    where it is that organization's error and the batch goes on."""
    try:
        loaded = load_organisation(source.path, source.slug, project, curriculum)
    except Exception:
        return []
    return loaded.problems if loaded.org is None else []
