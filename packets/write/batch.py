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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .. import __version__
from ..cache import digest_files
from ..errors import InputError, Problem
from ..files import FileRefused, read_limited
from ..languages import LANGUAGE_NAMES, LANGUAGES
from ..load.assets import MAX_LOGO_BYTES, resolve_inside
from ..load.curriculum import Project
from ..load.sources import YamlDocument
from ..output import (
    DOCUMENT_FILES,
    OutputRefused,
    cannot_write,
    folder_lock,
    leftovers,
    org_folder,
    pdf_name,
    remove_stale_temporaries,
    write_atomic,
)
from ..planning.organization import LoadedOrg, load_organization
from ..render.job import DocumentResult, RenderJob
from ..render.kit import KINDS, kit_audience, kit_name
from .pipeline import (
    BuildOptions,
    Document,
    OrgResult,
    OrgSource,
    asked_languages,
    documents_of,
    edition_curricula,
    prepare_document,
    write_documents,
)
from .workers import Workers, failure, release_memory

MANIFEST = ".packets-manifest.json"
PAPERS = ("letter", "a4")
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


def org_inputs_digest(
    source: OrgSource,
    shared: str,
    options: BuildOptions,
    project: Project | None = None,
    doc: YamlDocument | None = None,
    language: str = "en",
) -> str:
    """What every document of one edition (`language`) of an organization is built from, read
    from the parsed file, not its text.

    Which documents is the manifest's to say. Quoting, comments, anchors, tags and key order
    do not change the key; a change of value does, and so does any change to the logo the
    file names, however the file spells the `logo` key. Text given per language (`{en: ...,
    fr: ...}`) counts in the language the edition prints: changing only the French of a
    bilingual organization leaves its English documents as they are. A file that cannot be
    read or parsed has no key: it is always rebuilt (and so reported).
    """
    from ..files import link_problem
    from ..load.sources import read_yaml

    if project is not None and link_problem(source.path, project.root):
        return ""
    doc = doc or read_yaml(source.path)  # bounded: regular files of at most 1 MB; `doc` when already read
    if doc.data is None:
        return ""
    h = hashlib.sha256(shared.encode())
    h.update(repr(options.paper).encode())
    h.update(f"language={language}".encode())
    h.update(os.environ.get("SOURCE_DATE_EPOCH", "").encode())
    data = in_language(doc.data, language)
    h.update(json.dumps(data, sort_keys=True, ensure_ascii=False, default=repr).encode())
    logo = doc.data.get("logo") if isinstance(doc.data, dict) else None
    if isinstance(logo, str):
        # The same confinement and limits as the build itself: a logo that fails them fails
        # validation, so hashing it would only read what we refuse to use.
        target = resolve_inside(source.path.parent, logo.strip())
        with contextlib.suppress(OSError, FileRefused):
            if target is not None:
                h.update(b"logo\0" + read_limited(target, MAX_LOGO_BYTES))
    return h.hexdigest()


def in_language(data: Any, language: str) -> Any:
    """The organization's data as one edition reads it: each `{en: ..., fr: ...}` text taken in
    `language` (or in the other language when only that one is given, as the edition falls back).

    Only for the key of an edition's documents: the model (`Organization.edition`) decides what
    prints; this decides only what a change of text reaches.
    """
    if isinstance(data, dict):
        if data and set(data) <= set(LANGUAGES):
            chosen = data.get(language, next(iter(data.values())))
            return in_language(chosen, language)
        return {k: in_language(v, language) for k, v in data.items()}
    if isinstance(data, list):
        return [in_language(v, language) for v in data]
    return data


def file_editions(doc: YamlDocument) -> tuple[str, ...]:
    """The languages the organization's file asks for (`language: fr`, `languages: [en, fr]`),
    read from the parsed file before it is validated; English when it says nothing readable.

    Validation reports a wrong value; this only decides which documents a build looks at.
    """
    data = doc.data if isinstance(doc.data, dict) else {}
    many, one = data.get("languages"), data.get("language")
    asked = many if isinstance(many, list) else [one]
    editions = tuple(language for language in LANGUAGES if language in asked)
    return editions or ("en",)


def edition_keys(
    source: OrgSource,
    shared: str,
    options: BuildOptions,
    project: Project | None = None,
    doc: YamlDocument | None = None,
) -> dict[str, str]:
    """The key (`org_inputs_digest`) of each edition a build of the organization makes, by language."""
    from ..load.sources import read_yaml

    doc = doc or read_yaml(source.path)
    languages = asked_languages(options, file_editions(doc))
    return {language: org_inputs_digest(source, shared, options, project, doc, language) for language in languages}


def document_id(
    audience: str, large_print: bool, paper: str | None, kind: str | None = None, language: str = "en"
) -> str:
    """A document as the manifest knows it: what was asked for, whatever its file came to be named.

    An English document keeps the id it always had; another edition's has its language before the paper.
    """
    what = kind or f"{audience}|{'large-print' if large_print else 'regular'}"
    edition = "" if language == "en" else f"|{language}"
    return f"{what}{edition}|{paper or 'own-paper'}"


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

    def documents(self, slug: str) -> dict[str, Any]:
        """The organization's recorded documents: document id -> what it was built from and wrote."""
        entry = self.entries.get(slug)
        documents = entry.get("documents") if isinstance(entry, dict) else None
        return documents if isinstance(documents, dict) else {}

    def fresh_pages(self, slug: str, key: str, document: str, folder: Path, html: bool) -> int | None:
        """The page count of a document built from `key` whose files are still as written; None if it needs building."""
        recorded = self.documents(slug).get(document)
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

    def recorded_pdf(self, slug: str, document: str) -> str | None:
        """The name of the PDF the last build of this document wrote, if one did."""
        recorded = self.documents(slug).get(document)
        pdf = recorded.get("pdf") if isinstance(recorded, dict) else None
        return pdf if isinstance(pdf, str) else None

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
                # One entry per file: the same file asked for on another paper's name is this document now.
                written = {r["pdf"]: document for document, r in update["documents"].items()}
                for other, recorded in list(entry["documents"].items()):
                    pdf = recorded.get("pdf") if isinstance(recorded, dict) else None
                    if pdf in written and written[pdf] != other:
                        del entry["documents"][other]
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
    kinds: dict[Document, None] = field(default_factory=dict)  # each kind of document built, in order

    @property
    def exit_code(self) -> int:
        if self.failed:
            return 1
        if self.invalid or self.unwritten:
            return 2
        return 0


def document_states(
    source: OrgSource, options: BuildOptions, manifest: Manifest, keys: dict[str, str]
) -> list[tuple[Document, int | None]]:
    """Each document `options` asks for in each edition of `keys`, with its page count if its
    files are what a build would make now from its edition's key (`edition_keys`), or None if
    it needs building.

    The one rule for "up to date": the build uses it to skip, the studio to mark each file
    current or out of date and to count the documents a build will make.
    """
    folder = org_folder(options.out_dir, source.slug)
    states: list[tuple[Document, int | None]] = []
    for audience, large, kind, language in documents_of(options, tuple(keys)):
        document = document_id(audience, large, options.paper, kind, language)
        html = options.html and kind is None
        key = keys[language]
        pages = None if options.force else manifest.fresh_pages(source.slug, key, document, folder, html)
        states.append(((audience, large, kind, language), pages))
    return states


# ------------------------------------------------------------------ what is in the folder already


def parse_document_id(document: str) -> tuple[Document, str | None] | None:
    """`document_id` read back: the document and the paper it was asked on (None: the organization's own)."""
    parts = document.split("|")
    paper = None if parts[-1] == "own-paper" else parts[-1]
    if paper not in (None, *PAPERS):
        return None
    language = "en"
    if len(parts) > 2 and parts[-2] in LANGUAGES and parts[-2] != "en":
        language, parts = parts[-2], parts[:-2] + parts[-1:]
    if len(parts) == 2 and parts[0] in KINDS:
        return (kit_audience(parts[0]), False, parts[0], language), paper
    if len(parts) == 3 and parts[0] in DOCUMENT_FILES and parts[1] in ("regular", "large-print"):
        return (parts[0], parts[1] == "large-print", None, language), paper
    return None


def file_name(slug: str, document: Document, paper: str | None, own_paper: str) -> str:
    """The file a document is written to, as `prepare_document` names it."""
    audience, large, kind, language = document
    if kind is not None:
        return kit_name(slug, kind, language)
    return pdf_name(slug, audience, large, paper if paper and paper != own_paper else None, language)


def own_paper(doc: YamlDocument) -> str:
    """The paper the organization's file asks for (letter when it says nothing, or nothing readable)."""
    paper = doc.data.get("paper") if isinstance(doc.data, dict) else None
    return paper if paper in PAPERS else "letter"


@dataclass(frozen=True)
class Existing:
    """A document already in the organization's folder: its file, what it is, and its manifest entry."""

    name: str
    document: Document
    paper: str | None
    recorded: str | None  # its document id in the manifest, None when only its file was found


def existing_documents(slug: str, folder: Path, manifest: Manifest) -> list[Existing]:
    """Every document of the organization that is in its folder: those the manifest recorded
    (whatever the paper), and files named as a build names them (a manifest lost or older)."""
    found: dict[str, Existing] = {}
    for document, recorded in manifest.documents(slug).items():
        parsed = parse_document_id(document)
        pdf = recorded.get("pdf") if isinstance(recorded, dict) else None
        if parsed and isinstance(pdf, str) and pdf not in found and (folder / pdf).is_file():
            found[pdf] = Existing(pdf, parsed[0], parsed[1], document)
    names: list[tuple[str, Document, str | None]] = []
    for language in LANGUAGES:
        names += [(kit_name(slug, k, language), (kit_audience(k), False, k, language), None) for k in KINDS]
        for audience in DOCUMENT_FILES:
            for large in (False, True):
                for paper in (None, *PAPERS):
                    name = pdf_name(slug, audience, large, paper, language)
                    names.append((name, (audience, large, None, language), paper))
    for name, document, paper in names:
        if name not in found and (folder / name).is_file():
            found[name] = Existing(name, document, paper, None)
    return list(found.values())


@dataclass
class OrgWork:
    """What one build does for one organization: documents to render, on which paper, and files to remove."""

    source: OrgSource
    # paper: (the key of each edition, by language; documents)
    rounds: dict[str | None, tuple[dict[str, str], list[Document]]] = field(default_factory=dict)
    asked: set[tuple[Document, str | None]] = field(default_factory=set)
    remove: list[Path] = field(default_factory=list)
    no_edition: Problem | None = None  # `--language` asked for an edition the organization does not make


def plan_work(
    source: OrgSource, options: BuildOptions, manifest: Manifest, shared: str, project: Project, summary: Summary
) -> OrgWork:
    """The documents asked for that are not up to date, and every other document in the folder
    that is not either: a build never leaves an out-of-date document beside fresh ones.

    A document already there is rebuilt on the paper it was built on; one whose name is no
    longer the one a build gives it (its paper became the organization's own), or of an
    edition the organization no longer asks for (`language:` changed), is removed.
    """
    from ..files import link_problem
    from ..load.sources import read_yaml

    work = OrgWork(source)
    slug = source.slug
    # Read once for the key of each paper and the paper of its own; never a file the build refuses.
    doc = YamlDocument(source.path, None) if link_problem(source.path, project.root) else read_yaml(source.path)
    keys = edition_keys(source, shared, options, project, doc)
    editions = file_editions(doc)
    if not keys and isinstance(doc.data, dict):
        work.no_edition = no_edition_problem(doc, options.languages, editions)
        return work
    folder = org_folder(options.out_dir, slug)
    own = own_paper(doc)
    missing: list[Document] = []
    asked_names = set()
    for document, pages in document_states(source, options, manifest, keys):
        asked_names.add(file_name(slug, document, options.paper, own))
        work.asked.add((document, options.paper))
        if pages is None:
            missing.append(document)
        else:
            summary.pages += pages
    if missing:
        work.rounds[options.paper] = (keys, missing)
    for existing in existing_documents(slug, folder, manifest):
        if existing.name in asked_names:
            continue
        paper, language = existing.paper, existing.document[3]
        readable = isinstance(doc.data, dict)  # a file that cannot be read says nothing of its editions
        if file_name(slug, existing.document, paper, own) != existing.name or (readable and language not in editions):
            work.remove.append(folder / existing.name)
            continue
        if (paper or own) == (options.paper or own):
            paper = options.paper  # the same file as on the paper asked for: built with the others
        paper_key = (
            keys[language]
            if paper == options.paper and language in keys
            else org_inputs_digest(source, shared, replace(options, paper=paper), project, doc, language)
        )
        fresh = manifest.fresh_pages(slug, paper_key, existing.recorded, folder, False) if existing.recorded else None
        # --force is for what was asked: the rest is rebuilt only when out of date, so a
        # caller that forces one document at a time (the studio) renders each of them once.
        if fresh is None:
            round_keys, documents = work.rounds.setdefault(paper, ({}, []))
            round_keys.setdefault(language, paper_key)
            if existing.document not in documents:
                documents.append(existing.document)
    for _, documents in work.rounds.values():
        documents.sort(key=EVERY_DOCUMENT.index)  # guides and handouts, large print, then the kit, as asked
    return work


def no_edition_problem(doc: YamlDocument, asked: tuple[str, ...], editions: tuple[str, ...]) -> Problem:
    """`--language fr` for an organization that makes only English documents (or the other way round)."""
    wanted = " or ".join(LANGUAGE_NAMES[language] for language in asked)
    made = " and ".join(LANGUAGE_NAMES[language] for language in editions)
    where = next((k for k in ("languages", "language") if isinstance(doc.data, dict) and k in doc.data), None)
    return Problem(
        doc.shown_path,
        doc.line_of((where,)) if where else 1,
        f"this organization has no {wanted} edition: its file asks for {made} only",
        "add the language to the file (e.g. languages: [en, fr]), or build it without --language",
    )


EVERY_DOCUMENT = documents_of(BuildOptions(large_print=True, kit=tuple(KINDS)), LANGUAGES)


def _merge(first: OrgResult, then: OrgResult) -> OrgResult:
    """One organization's result over several rounds (papers): the first problem wins, files add up."""
    if first.status != "built":
        return first
    if then.status != "built":
        return then
    first.written += then.written
    first.problems += [p for p in then.problems if p not in first.problems]
    return first


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

    What is not up to date: the documents asked for, and every other document already in an
    organization's folder (slides, booklets, large print, another paper) that its last build
    made from other inputs. Results come back in the order of `sources` whatever order the
    documents finish in, and an organization's files are written only when all its documents
    have rendered. `workers` may already be running (the command line starts one first, `Workers.warm`).
    """
    if options.out_dir.is_dir():
        with folder_lock(options.out_dir):  # a manifest write killed half-way left its temporary
            remove_stale_temporaries(options.out_dir)
    manifest = Manifest.load(options.out_dir)
    shared = shared_inputs_digest(project)
    summary = Summary()
    work: dict[str, OrgWork] = {}
    for source in sources:
        try:
            org_folder(options.out_dir, source.slug)
        except OutputRefused:  # reported when its documents are made ready
            keys = edition_keys(source, shared, options, project)
            work[source.slug] = OrgWork(source, {options.paper: (keys, documents_of(options, tuple(keys)))})
            continue
        planned = plan_work(source, options, manifest, shared, project, summary)
        if planned.no_edition:
            refused = OrgResult(source.slug, "invalid", problems=[planned.no_edition])
            summary.invalid.append(refused)
            on_result(refused)
            continue
        if planned.rounds:
            work[source.slug] = planned
            continue
        summary.skipped += 1
        result = OrgResult(source.slug, "skipped")
        result.removed = _remove(planned.remove)
        on_result(result)

    manifest.done_reading()
    saved = time.monotonic()
    # Rounds left for each organization: it is reported once, when its last one is back.
    left = {slug: len(w.rounds) for slug, w in work.items()}
    merged: dict[str, OrgResult] = {}

    def finish(result: OrgResult, source: OrgSource, keys: dict[str, str], paper: str | None) -> None:
        nonlocal saved
        planned = work[source.slug]
        if result.status == "built":
            html = options.html and paper == options.paper
            for w in result.written:
                files = [w.path] + ([w.path.with_suffix(".html")] if html and w.kind is None else [])
                document = document_id(w.audience, w.large_print, paper, w.kind, w.language)
                manifest.record(source.slug, keys[w.language], document, files, w.pages)
                if ((w.audience, w.large_print, w.kind, w.language), paper) not in planned.asked:
                    result.refreshed.append(w.path)
                copy = w.path.with_suffix(".html")
                if w.kind is None and not html and copy.is_file():
                    planned.remove.append(copy)  # the --html copy of an older build
        else:
            manifest.forget(source.slug)
        slug = source.slug
        merged[slug] = _merge(merged[slug], result) if slug in merged else result
        left[slug] -= 1
        if left[slug]:
            return
        final = merged.pop(slug)
        del left[slug]  # nothing of a reported organization is kept
        if final.status == "built":
            final.removed = _remove(planned.remove)
            summary.built += 1
            summary.pages += sum(w.pages for w in final.written)
            summary.kinds.update(dict.fromkeys((w.audience, w.large_print, w.kind, w.language) for w in final.written))
        else:
            lists = {"invalid": summary.invalid, "unwritten": summary.unwritten}
            lists.get(final.status, summary.failed).append(final)
        on_result(final)
        if time.monotonic() - saved > SAVE_EVERY:  # the manifest written as the build goes
            _save(manifest)
            saved = time.monotonic()

    papers = list(dict.fromkeys(p for w in work.values() for p in w.rounds))
    if not papers:
        _save(manifest)
        return summary
    try:
        with contextlib.ExitStack() as stack:
            if workers is None:
                workers = stack.enter_context(Workers(project.root, jobs, debug))
            for paper in papers:
                todo = [(w.source, *w.rounds[paper]) for w in work.values() if paper in w.rounds]
                round_options = replace(options, paper=paper, html=options.html and paper == options.paper)
                _render_round(todo, project, round_options, shared, finish, debug, workers)
    except BaseException:
        with contextlib.suppress(InputError):  # what stopped the build is the one to report
            _save(manifest)
        raise
    _save(manifest)
    return summary


def _remove(paths: list[Path]) -> list[Path]:
    """Out-of-date files a build does not make again, removed under the folder's lock; the ones removed."""
    removed = []
    for path in paths:
        with folder_lock(path.parent), contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path)
    return removed


def _save(manifest: Manifest) -> None:
    """The manifest written, or an error naming it: a full or read-only disk is the person's to fix.

    Without it the next build only builds again what this one wrote (it is not recorded).
    """
    try:
        manifest.save()
    except OSError as exc:
        raise InputError([cannot_write(manifest.path, exc)]) from None


def _render_round(
    todo: list[tuple[OrgSource, dict[str, str], list[Document]]],
    project: Project,
    options: BuildOptions,
    shared: str,
    finish: Callable[[OrgResult, OrgSource, dict[str, str], str | None], None],
    debug: bool,
    workers: Workers,
) -> None:
    """Render and write the documents of `todo` on one paper (`options.paper`), in parallel."""
    # A broken curriculum (or a broken French overlay) is reported once, before any document;
    # organization files are validated against the English one (the ids are the same).
    curricula = edition_curricula(project, ("en", *(doc[3] for _, _, documents in todo for doc in documents)))
    curriculum = curricula["en"]
    index = {(s.slug, *document): i for s, _, documents in todo for i, document in enumerate(documents)}
    by_slug = {s.slug: s for s, _, _ in todo}
    rendered: dict[str, list[DocumentResult | None]] = {s.slug: [None] * len(d) for s, _, d in todo}
    done: dict[str, OrgResult] = {}
    reported = 0

    def on_document(result: DocumentResult) -> None:
        nonlocal reported
        documents = rendered[result.slug]
        documents[index[(result.slug, result.audience, result.large_print, result.kind, result.language)]] = result
        if all(d is not None for d in documents):
            done[result.slug] = write_documents(by_slug[result.slug], options, [d for d in documents if d is not None])
            del rendered[result.slug], documents  # the PDFs' bytes are on disk now
            release_memory()
        # Reported in the order of the sources, so messages do not depend on which worker was quicker.
        while reported < len(todo) and todo[reported][0].slug in done:
            source, key, _ = todo[reported]
            finish(done.pop(source.slug), source, key, options.paper)
            reported += 1

    # Each document is made ready here, in order, while the workers lay out the ones before:
    # the file read once for all its documents, validated as `check` validates it (a file with
    # mistakes is answered at once, without a worker), planned, and its HTML written.
    pending = deque((s, document, i == len(d) - 1) for s, _, d in todo for i, document in enumerate(d))
    loaded: dict[str, LoadedOrg] = {}

    def next_job() -> RenderJob | None:
        while pending:
            source, (audience, large, kind, language), last = pending.popleft()
            what = {"kind": kind, "language": language}
            try:
                if source.slug not in loaded:
                    loaded[source.slug] = load_organization(source.path, source.slug, project, curriculum)
                job = prepare_document(
                    source,
                    project,
                    curriculum,
                    options,
                    audience,
                    large,
                    kind,
                    shared,
                    loaded[source.slug],
                    language=language,
                    edition_curriculum=curricula[language],
                )
            except InputError as exc:
                job = DocumentResult(source.slug, audience, large, "invalid", **what, problems=exc.problems)
            except Exception as exc:  # one organization's failure is its own, the batch goes on
                job = DocumentResult(source.slug, audience, large, "failed", **what, error=failure(exc, debug))
            if last:
                loaded.pop(source.slug, None)
            if isinstance(job, RenderJob):
                return job
            on_document(job)
        return None

    workers.run(next_job, on_document)
