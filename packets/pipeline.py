"""One organisation, start to finish: load -> validate -> plan -> HTML -> PDF -> write.

This is the whole product in one screen. Batches, progress and caching live in
`batch.py`; this module knows nothing about how many organisations there are.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .assets import resolve_inside
from .curriculum import Curriculum, Project
from .errors import Problem, display_path
from .html import render_html
from .kit import kit_audience, kit_name, render_kit
from .organisation import LoadedOrg, load_organisation
from .output import org_folder, pdf_name, remove_stale_temporaries, write_atomic
from .plan import make_plan

if TYPE_CHECKING:
    from .pdf import Renderer


@dataclass(frozen=True)
class BuildOptions:
    audiences: tuple[str, ...] = ("facilitator", "participant")
    paper: str | None = None
    out_dir: Path = Path("output")
    html: bool = False
    large_print: bool = False
    force: bool = False
    kit: tuple[str, ...] = ()  # the delivery kit's kinds (packets/kit.py KINDS): slides, booklets, fillable


@dataclass(frozen=True)
class OrgSource:
    slug: str
    path: Path


@dataclass
class Written:
    path: Path
    pages: int
    audience: str = "facilitator"
    large_print: bool = False
    kind: str | None = None  # a delivery-kit kind (packets/kit.py), or None for a guide or handout


Document = tuple[str, bool, str | None]  # audience, large print, delivery-kit kind


def documents_of(options: BuildOptions) -> list[Document]:
    """The documents a build asks for: guides and handouts (and large print), then the kit's."""
    editions = (False, True) if options.large_print else (False,)
    documents: list[Document] = [(audience, large, None) for audience in options.audiences for large in editions]
    return documents + [(kit_audience(kind), False, kind) for kind in options.kit]


@dataclass
class OrgResult:
    slug: str
    status: str  # built | skipped | invalid | failed
    written: list[Written] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    error: str = ""


def creation_time(curriculum: Curriculum) -> dt.datetime:
    """Fixed, so the same inputs give byte-identical PDFs; SOURCE_DATE_EPOCH wins when set."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    return dt.datetime.combine(curriculum.meta.published, dt.time(), dt.UTC)


def build_org(
    source: OrgSource,
    project: Project,
    curriculum: Curriculum,
    options: BuildOptions,
    renderer: Renderer,
    documents: list[Document] | None = None,
) -> OrgResult:
    """Render the organisation's `documents` (all those `options` ask for by default) and write them."""
    from .pdf import ResourceRefused

    loaded = load_organisation(source.path, source.slug, project, curriculum)
    if loaded.org is None:
        return OrgResult(source.slug, "invalid", problems=loaded.problems)
    created = creation_time(curriculum)
    logo = resolve_inside(source.path.parent, loaded.org.logo) if loaded.org.logo else None
    rendered_files: list[tuple[Path, bytes, int, str, bool, str | None]] = []
    notes: list[Problem] = []
    folder = org_folder(options.out_dir, source.slug)
    # A paper other than the organisation's own goes into the file names.
    other_paper = options.paper if options.paper and options.paper != loaded.org.paper else None
    for audience, large, kind in documents if documents is not None else documents_of(options):
        plan = make_plan(source.slug, loaded.org, curriculum, paper=options.paper, large_print=large, logo=logo)
        try:
            if kind is None:
                html = render_html(plan, audience, project.templates, created)
                rendered = renderer.render(html, base=source.path.parent, large_print=large)
            else:
                rendered = render_kit(kind, plan, project.templates, created, renderer, source.path.parent)
        except ResourceRefused as exc:
            refused = Problem(
                display_path(source.path),
                loaded.line_of(("logo",)),
                f"a file or address outside the project was requested while rendering: {exc}",
                "logos must be self-contained files inside the organisation's folder",
            )
            return OrgResult(source.slug, "invalid", problems=[*loaded.problems, refused])
        name = pdf_name(source.slug, audience, large, other_paper) if kind is None else kit_name(source.slug, kind)
        target = folder / name
        rendered_files.append((target, rendered.pdf, rendered.pages, audience, large, kind))
        if rendered.cover_pages > 1:
            notes.append(_long_cover(source, loaded, target, rendered.cover_pages))
        if rendered.warning:
            notes.append(_layout_warning(source, f"{rendered.warning} in {target.name}"))
        if kind is None and options.html:
            html_bytes = _browsable(html, project, large).encode()
            rendered_files.append((target.with_suffix(".html"), html_bytes, 0, audience, large, kind))
    # Write only once every document rendered, so a failure never leaves half a packet.
    remove_stale_temporaries(folder)
    written = []
    for target, data, pages, audience, large, kind in rendered_files:
        write_atomic(target, data)
        if target.suffix == ".pdf":
            written.append(Written(target, pages, audience, large, kind))
    return OrgResult(source.slug, "built", written=written, problems=[*loaded.warnings, *notes])


def _long_cover(source: OrgSource, loaded: LoadedOrg, target: Path, pages: int) -> Problem:
    return Problem(
        display_path(source.path),
        loaded.line_of(("workshop",)),
        f"the cover of {target.name} runs over {pages} pages even laid out tightly",
        "shorten the workshop title or place, or list fewer facilitators",
        severity="warning",
    )


def _layout_warning(source: OrgSource, message: str) -> Problem:
    return Problem(
        display_path(source.path),
        0,
        message,
        "shorten the longest name, title or statement sentence on that slide",
        severity="warning",
    )


def _browsable(html: str, project: Project, large_print: bool) -> str:
    """The --html copy links the stylesheets by absolute path, so it opens styled in a browser."""
    from .pdf import LARGE_PRINT, STYLESHEETS

    sheets = STYLESHEETS + ((LARGE_PRINT,) if large_print else ())
    links = "".join(
        f'<link rel="stylesheet" href="{(project.templates / "css" / s).resolve().as_uri()}">\n' for s in sheets
    )
    return html.replace("</head>", links + "</head>", 1)
