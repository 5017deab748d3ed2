"""Many organizations: find them, skip what is up to date, render the rest in parallel.

The unit of work is a document, not an organization: the guide and the handout of one
organization render at the same time on two cores, and a batch keeps every worker busy.
This process reads, validates and plans each document and writes its HTML; the workers
(`workers.py`) lay it out. It writes an organization's files only when all its documents
are back, and reports in the order of the organizations. One organization failing never stops the others: its result
carries the problem and the batch goes on.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..cache import digest_files
from ..errors import InputError
from ..files import FileRefused, read_limited
from ..load.assets import MAX_LOGO_BYTES, resolve_inside
from ..load.curriculum import Project
from ..output import (
    OutputRefused,
    cannot_write,
    folder_lock,
    leftovers,
    org_folder,
    remove_stale_temporaries,
    write_atomic,
)
from ..planning.organization import LoadedOrg, load_organization
from ..render.job import DocumentResult, RenderJob
from .pipeline import BuildOptions, Document, OrgResult, OrgSource, documents_of, prepare_document, write_documents
from .workers import Workers, failure, release_memory

MANIFEST = ".packets-manifest.json"
# Seconds: the manifest is written as the build goes, at most this often (so a batch killed
# half-way does not build again what it finished). The variable is for the tests.
SAVE_EVERY = float(os.environ.get("PACKETS_MANIFEST_SECONDS", "") or 10)


# ------------------------------------------------------------------ what a build depends on


# The rendering stack: a new version of any of these can change the HTML or the PDFs.
RENDERER_PACKAGES = (
    *("weasyprint", "pydyf", "fonttools", "tinycss2", "cssselect2", "jinja2", "markdown-it-py", "babel"),
    "pypdf",  # imposes the booklets
)


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
    """Content (not organizations), templates, CSS, fonts, the tool's code and version, and WeasyPrint's."""
    h = hashlib.sha256(f"{__version__};{_renderer_versions()}".encode())
    content = [p for p in project.content.rglob("*") if p.is_file() and project.orgs not in p.parents]
    digest_files(h, project.content, content)
    digest_files(h, project.templates, [p for p in project.templates.rglob("*") if p.is_file()])
    code = Path(__file__).parent.parent  # the whole package, every subpackage
    digest_files(h, code, code.rglob("*.py"))
    return h.hexdigest()


def org_inputs_digest(source: OrgSource, shared: str, options: BuildOptions, project: Project | None = None) -> str:
    """What every document of one organization is built from, read from the parsed file, not its text.

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
    """What each document of each organization was last built from, and the files that build wrote.

    One entry per document, so asking for another one (`--large-print`, `--audience
    participant`, `--paper a4`) renders only that one, and switching back renders nothing.
    """

    path: Path
    entries: dict[str, Any] = field(default_factory=dict)
    changed: bool = False
    updates: dict[str, Any] = field(default_factory=dict)  # slug: its new documents, or None when forgotten
    known: set[str] = field(default_factory=set)  # the slugs the file held, once `done_reading`

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
        """One document built: kept in `updates` until the next `save` merges it into the file."""
        self.changed = True
        update = self.updates.get(slug)
        if not isinstance(update, dict):
            update = self.updates[slug] = {"documents": {}}
        update["documents"][document] = {
            "key": key,
            "pdf": files[0].name,
            "files": {p.name: [p.stat().st_size, p.stat().st_mtime_ns] for p in files},
            "pages": pages,
        }

    def forget(self, slug: str) -> None:
        if slug in self.entries or slug in self.known:
            self.changed = True
            self.updates[slug] = None

    def done_reading(self) -> None:
        """Every up-to-date check is made: from now on only what changes is held, so a batch
        of any size keeps no more than the slugs it started with (the file holds the rest)."""
        self.known = set(self.entries)
        self.entries = {}

    def save(self) -> None:
        """Written only when something changed, so a failed build leaves the output folder as it was.

        Read again and written under the output folder's lock, each document's record merged
        into what the file holds: a build running at the same time keeps what it recorded,
        and no one sees half a manifest. What was written is no longer held here.
        """
        if not self.changed:
            return
        with folder_lock(self.path.parent):
            remove_stale_temporaries(self.path.parent)
            entries = self._read(self.path)
            for slug, update in self.updates.items():
                entry = entries.get(slug)
                if update is None:
                    entries.pop(slug, None)
                    continue
                if not isinstance(entry, dict) or not isinstance(entry.get("documents"), dict):
                    entry = entries[slug] = {"documents": {}}
                entry["documents"].update(update["documents"])
            write_atomic(self.path, json.dumps(entries, indent=1, sort_keys=True).encode())
        self.updates.clear()
        self.changed = False


@dataclass
class Summary:
    """What a build did, counted as it goes: nothing of a built organization is kept (a batch
    of thousands holds no more than a batch of one); the ones that failed are kept to report."""

    built: int = 0
    skipped: int = 0
    invalid: list[OrgResult] = field(default_factory=list)
    unwritten: list[OrgResult] = field(default_factory=list)  # the output refused them (full, read-only, a link)
    failed: list[OrgResult] = field(default_factory=list)
    pages: int = 0

    @property
    def exit_code(self) -> int:
        if self.failed:
            return 1
        if self.invalid or self.unwritten:
            return 2
        return 0


def build_many(
    sources: list[OrgSource],
    project: Project,
    options: BuildOptions,
    jobs: int,
    on_result: Callable[[OrgResult], None],
    debug: bool = False,
    workers: Workers | None = None,
) -> Summary:
    """Build what is not up to date, every document of every organization in parallel across `jobs` workers.

    Results come back in the order of `sources` whatever order the documents finish in, and
    an organization's files are written only when all its documents have rendered.
    `workers` may already be running (the command line starts one first, `Workers.warm`).
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
        try:
            folder = org_folder(options.out_dir, source.slug)
        except OutputRefused:
            todo.append((source, key, documents_of(options)))  # reported when its documents are made ready
            continue
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
            summary.skipped += 1
            on_result(OrgResult(source.slug, "skipped"))

    manifest.done_reading()
    saved = time.monotonic()

    def finish(result: OrgResult, source: OrgSource, key: str) -> None:
        if result.status == "built":
            summary.built += 1
            summary.pages += sum(w.pages for w in result.written)
            for w in result.written:
                files = [w.path] + ([w.path.with_suffix(".html")] if options.html and w.kind is None else [])
                document = document_id(w.audience, w.large_print, options.paper, w.kind)
                manifest.record(source.slug, key, document, files, w.pages)
        else:
            manifest.forget(source.slug)
            lists = {"invalid": summary.invalid, "unwritten": summary.unwritten}
            lists.get(result.status, summary.failed).append(result)
        on_result(result)
        nonlocal saved
        if time.monotonic() - saved > SAVE_EVERY:  # the manifest written as the build goes
            _save(manifest)
            saved = time.monotonic()

    if not todo:
        _save(manifest)
        return summary
    from ..load.curriculum import load_curriculum

    curriculum = load_curriculum(project)  # a broken curriculum is reported once, before any document
    index = {(s.slug, a, lg, k): i for s, _, documents in todo for i, (a, lg, k) in enumerate(documents)}
    by_slug = {s.slug: s for s, _, _ in todo}
    rendered: dict[str, list[DocumentResult | None]] = {s.slug: [None] * len(d) for s, _, d in todo}
    done: dict[str, OrgResult] = {}
    reported = 0

    def on_document(result: DocumentResult) -> None:
        nonlocal reported
        documents = rendered[result.slug]
        documents[index[(result.slug, result.audience, result.large_print, result.kind)]] = result
        if all(d is not None for d in documents):
            done[result.slug] = write_documents(by_slug[result.slug], options, [d for d in documents if d is not None])
            del rendered[result.slug], documents  # the PDFs' bytes are on disk now
            release_memory()
        # Reported in the order of the sources, so messages do not depend on which worker was quicker.
        while reported < len(todo) and todo[reported][0].slug in done:
            source, key, _ = todo[reported]
            finish(done.pop(source.slug), source, key)
            reported += 1

    # Each document is made ready here, in order, while the workers lay out the ones before:
    # the file read once for all its documents, validated as `check` validates it (a file with
    # mistakes is answered at once, without a worker), planned, and its HTML written.
    pending = deque((s, a, lg, k, i == len(d) - 1) for s, _, d in todo for i, (a, lg, k) in enumerate(d))
    loaded: dict[str, LoadedOrg] = {}

    def next_job() -> RenderJob | None:
        while pending:
            source, audience, large, kind, last = pending.popleft()
            try:
                if source.slug not in loaded:
                    loaded[source.slug] = load_organization(source.path, source.slug, project, curriculum)
                job = prepare_document(
                    source, project, curriculum, options, audience, large, kind, shared, loaded[source.slug]
                )
            except InputError as exc:
                job = DocumentResult(source.slug, audience, large, "invalid", kind=kind, problems=exc.problems)
            except Exception as exc:  # one organization's failure is its own, the batch goes on
                job = DocumentResult(source.slug, audience, large, "failed", kind=kind, error=failure(exc, debug))
            if last:
                loaded.pop(source.slug, None)
            if isinstance(job, RenderJob):
                return job
            on_document(job)
        return None

    try:
        with contextlib.ExitStack() as stack:
            if workers is None:
                workers = stack.enter_context(Workers(project.root, jobs, debug))
            workers.run(next_job, on_document)
    except BaseException:
        with contextlib.suppress(InputError):  # what stopped the build is the one to report
            _save(manifest)
        raise
    _save(manifest)
    return summary


def _save(manifest: Manifest) -> None:
    """The manifest written, or an error naming it: a full or read-only disk is the person's to fix.

    Without it the next build only builds again what this one wrote (it is not recorded).
    """
    try:
        manifest.save()
    except OSError as exc:
        raise InputError([cannot_write(manifest.path, exc)]) from None
