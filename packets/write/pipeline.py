"""One organization, start to finish: load -> validate -> plan -> HTML -> PDF -> write.

This is the whole product in one screen. Batches, progress and caching live in
`batch.py`; this module knows nothing about how many organizations there are.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import Problem, display_path
from ..load.assets import resolve_inside
from ..load.curriculum import Curriculum, Project
from ..load.orgfiles import OrgSource
from ..output import (
    OutputRefused,
    cannot_write,
    folder_lock,
    org_folder,
    pdf_name,
    remove_stale_temporaries,
    write_together,
)
from ..planning.organization import LoadedOrg, load_organization
from ..planning.plan import make_plan
from ..render.budget import BudgetExceeded, render_budget
from ..render.html import render_html
from ..render.job import DocumentResult, RenderJob, render_job
from ..render.kit import kit_audience, kit_name
from ..render.slides import slide_sources

if TYPE_CHECKING:
    from ..render.pdf import Renderer


@dataclass(frozen=True)
class BuildOptions:
    audiences: tuple[str, ...] = ("facilitator", "participant")
    paper: str | None = None
    out_dir: Path = Path("output")
    html: bool = False
    large_print: bool = False
    force: bool = False
    kit: tuple[str, ...] = ()  # the delivery kit's kinds (packets/render/kit.py KINDS): slides, booklets, fillable
    # The editions to build, among those each organization asks for (`--language`); empty: all of them.
    languages: tuple[str, ...] = ()


@dataclass
class Written:
    path: Path
    pages: int
    audience: str = "facilitator"
    large_print: bool = False
    kind: str | None = None  # a delivery-kit kind (packets/render/kit.py), or None for a guide or handout
    language: str = "en"


Document = tuple[str, bool, str | None, str]  # audience, large print, delivery-kit kind, language


def asked_languages(options: BuildOptions, editions: tuple[str, ...]) -> tuple[str, ...]:
    """The editions of an organization a build makes: those it asks for, narrowed by `--language`."""
    return tuple(e for e in editions if not options.languages or e in options.languages)


def documents_of(options: BuildOptions, languages: tuple[str, ...] = ("en",)) -> list[Document]:
    """The documents a build asks for, edition by edition: guides and handouts (and large print), then the kit's.

    Each language is a document of its own: its own file, its own manifest entry, its own key.
    """
    sizes = (False, True) if options.large_print else (False,)
    documents: list[Document] = []
    for language in languages:
        documents += [(audience, large, None, language) for audience in options.audiences for large in sizes]
        documents += [(kit_audience(kind), False, kind, language) for kind in options.kit]
    return documents


@dataclass
class OrgResult:
    slug: str
    status: str  # built | skipped | invalid | unwritten (the output folder refused it) | failed
    written: list[Written] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    error: str = ""
    # Documents rebuilt though not asked for, because they were out of date beside the others,
    # and out-of-date files removed (an older build's --html copy, a name no build gives now).
    refreshed: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)


def edition_curricula(project: Project, languages: tuple[str, ...]) -> dict[str, Curriculum]:
    """The curriculum of each language asked for, read once for a whole round of documents:
    English, and the French overlays laid over it (a broken overlay is reported once, here)."""
    from ..load.curriculum import load_curriculum

    return {language: load_curriculum(project, language=language) for language in dict.fromkeys(languages)}


def creation_time(curriculum: Curriculum) -> dt.datetime:
    """Fixed, so the same inputs give byte-identical PDFs; SOURCE_DATE_EPOCH wins when set."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    return dt.datetime.combine(curriculum.meta.published, dt.time(), dt.UTC)


def prepare_document(
    source: OrgSource,
    project: Project,
    curriculum: Curriculum,
    options: BuildOptions,
    audience: str,
    large: bool,
    kind: str | None = None,
    shared: str = "",
    loaded: LoadedOrg | None = None,
    language: str = "en",
    edition_curriculum: Curriculum | None = None,
) -> RenderJob | DocumentResult:
    """Validate the organization, plan the workshop and write one document's HTML: the job a
    worker lays out (`render/job.py`), or why there is none. Writes nothing.

    `loaded` is the organization file already read for another of its documents; `shared`
    is the digest under which the renderer keeps its page-flow decisions. `language` is the
    edition: the organization is resolved to that language's text (`Organization.edition`)
    and planned with `edition_curriculum`, the curriculum in that language (`curriculum`,
    the one the file was validated against, when not given).
    """
    if loaded is None:
        loaded = load_organization(source.path, source.slug, project, curriculum)
    failed = {"kind": kind, "language": language}
    if loaded.org is None:
        return DocumentResult(source.slug, audience, large, "invalid", **failed, problems=loaded.problems)
    org = loaded.org.edition(language)  # plain text in that language: planning never sees a mapping
    edition_curriculum = edition_curriculum or curriculum
    created = creation_time(curriculum)
    logo = resolve_inside(source.path.parent, org.logo) if org.logo else None
    try:
        folder = org_folder(options.out_dir, source.slug)
    except OutputRefused as exc:
        return DocumentResult(source.slug, audience, large, "unwritten", **failed, problems=[exc.problem])
    # A paper other than the organization's own goes into the file names.
    other_paper = options.paper if options.paper and options.paper != org.paper else None
    name = (
        pdf_name(source.slug, audience, large, other_paper, language)
        if kind is None
        else kit_name(source.slug, kind, language)
    )
    job = RenderJob(
        source.slug,
        audience,
        large,
        kind,
        language,
        target=folder / name,
        base=source.path.parent,
        roots=(project.templates, project.content, source.path.parent),
        shared=shared,
        org_path=display_path(source.path),
        logo_line=loaded.line_of(("logo",)),
        has_logo=bool(loaded.org.logo),
        cover_line=loaded.line_of(("workshop",)),
        problems=loaded.problems,
        warnings=loaded.warnings,
    )
    try:
        with render_budget(name):
            plan = make_plan(source.slug, org, edition_curriculum, paper=options.paper, large_print=large, logo=logo)
            if kind is None:
                job.html = render_html(plan, audience, project.templates, created)
                if options.html:
                    job.html_copy = _browsable(job.html, project, large).encode()
            else:
                job.kit = (plan, project.templates, created)
                if kind == "slides":
                    job.source_lines = {loc: loaded.line_of(loc) for loc in slide_sources(org)}
    except BudgetExceeded as exc:
        problem = Problem(
            job.org_path, 1, f"{exc}; nothing was written", "shorten the file's lists and texts, or use a simpler logo"
        )
        return job.result("invalid", problems=[*loaded.problems, problem])
    return job


def render_document(
    source: OrgSource,
    project: Project,
    curriculum: Curriculum,
    options: BuildOptions,
    renderer: Renderer,
    audience: str,
    large: bool,
    kind: str | None = None,
    language: str = "en",
) -> DocumentResult:
    """Validate the organization and render one of its documents in this process; writes nothing."""
    edition = edition_curricula(project, (language,))[language] if language != curriculum.language else curriculum
    job = prepare_document(
        source, project, curriculum, options, audience, large, kind, language=language, edition_curriculum=edition
    )
    if isinstance(job, DocumentResult):
        return job
    return render_job(job, renderer)


def write_documents(source: OrgSource, options: BuildOptions, documents: list[DocumentResult]) -> OrgResult:
    """All of an organization's documents, in the order asked for, or nothing if any of them failed.

    The first failure in document order is the one reported, so the result does not depend
    on which worker finished first.
    """
    for doc in documents:
        if doc.status in ("invalid", "unwritten"):
            return OrgResult(source.slug, doc.status, problems=doc.problems)
        if doc.status != "rendered":
            return OrgResult(source.slug, "failed", error=doc.error)
    # Write only once every document rendered, and all together (`write_together`), so
    # neither a failure nor a full disk ever leaves half a packet.
    try:
        folder = org_folder(options.out_dir, source.slug)
    except OutputRefused as exc:
        return OrgResult(source.slug, "unwritten", problems=[exc.problem])
    try:
        with folder_lock(folder):  # another build of this organization waits; its files are never touched
            remove_stale_temporaries(folder)
            write_together(folder, [file for doc in documents for file in doc.files])
    except OSError as exc:
        return OrgResult(source.slug, "unwritten", problems=[cannot_write(folder, exc)])
    written = [
        Written(doc.files[0][0], doc.pages, doc.audience, doc.large_print, doc.kind, doc.language) for doc in documents
    ]
    warnings = documents[0].warnings if documents else []
    return OrgResult(
        source.slug, "built", written=written, problems=[*warnings, *(n for d in documents for n in d.notes)]
    )


def build_org(
    source: OrgSource,
    project: Project,
    curriculum: Curriculum,
    options: BuildOptions,
    renderer: Renderer,
    documents: list[Document] | None = None,
) -> OrgResult:
    """Render the organization's `documents` (all those `options` ask for in English by default) in
    turn, and write them."""
    rendered = []
    for audience, large, kind, language in documents if documents is not None else documents_of(options):
        doc = render_document(source, project, curriculum, options, renderer, audience, large, kind, language)
        if doc.status != "rendered":
            return write_documents(source, options, [doc])
        rendered.append(doc)
    return write_documents(source, options, rendered)


def _browsable(html: str, project: Project, large_print: bool) -> str:
    """The --html copy links the stylesheets by absolute path, so it opens styled in a browser."""
    from ..render.pdf import LARGE_PRINT, STYLESHEETS

    sheets = STYLESHEETS + ((LARGE_PRINT,) if large_print else ())
    links = "".join(
        f'<link rel="stylesheet" href="{(project.templates / "css" / s).resolve().as_uri()}">\n' for s in sheets
    )
    return html.replace("</head>", links + "</head>", 1)
