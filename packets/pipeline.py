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
from .budget import BudgetExceeded, render_budget
from .curriculum import Curriculum, Project
from .errors import Problem, display_path
from .html import render_html
from .organisation import LoadedOrg, load_organisation
from .output import folder_lock, org_folder, pdf_name, remove_stale_temporaries, write_atomic
from .pdf_check import BrokenPdf, check_pdf
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


@dataclass(frozen=True)
class OrgSource:
    slug: str
    path: Path


@dataclass
class Written:
    path: Path
    pages: int


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
    source: OrgSource, project: Project, curriculum: Curriculum, options: BuildOptions, renderer: Renderer
) -> OrgResult:
    from .pdf import ResourceRefused

    loaded = load_organisation(source.path, source.slug, project, curriculum)
    if loaded.org is None:
        return OrgResult(source.slug, "invalid", problems=loaded.problems)
    created = creation_time(curriculum)
    logo = resolve_inside(source.path.parent, loaded.org.logo) if loaded.org.logo else None
    editions = [False, True] if options.large_print else [False]
    documents: list[tuple[Path, bytes, int]] = []
    notes: list[Problem] = []
    folder = org_folder(options.out_dir, source.slug)
    for audience in options.audiences:
        for large in editions:
            target = folder / pdf_name(source.slug, audience, large)
            try:
                with render_budget(target.name):
                    plan = make_plan(
                        source.slug, loaded.org, curriculum, paper=options.paper, large_print=large, logo=logo
                    )
                    html = render_html(plan, audience, project.templates, created)
                    rendered = renderer.render(html, base=source.path.parent, large_print=large)
                check_pdf(rendered.pdf, rendered.pages)
            except ResourceRefused as exc:
                refused = Problem(
                    display_path(source.path),
                    loaded.line_of(("logo",)),
                    f"a file or address outside the project was requested while rendering: {exc}",
                    "logos must be self-contained files inside the organisation's folder",
                )
                return OrgResult(source.slug, "invalid", problems=[*loaded.problems, refused])
            except BudgetExceeded as exc:
                over = Problem(
                    display_path(source.path),
                    1,
                    f"{exc}; nothing was written",
                    "shorten the file's lists and texts, or use a simpler logo",
                )
                return OrgResult(source.slug, "invalid", problems=[*loaded.problems, over])
            except BrokenPdf as exc:
                broken = Problem(
                    display_path(source.path),
                    loaded.line_of(("logo",)) if loaded.org.logo else 1,
                    f"{target.name} came out broken: {exc}; nothing was written",
                    "a logo is the usual cause: try it as PNG",
                )
                return OrgResult(source.slug, "invalid", problems=[*loaded.problems, broken])
            documents.append((target, rendered.pdf, rendered.pages))
            if rendered.cover_pages > 1:
                notes.append(_long_cover(source, loaded, target, rendered.cover_pages))
            if options.html:
                documents.append((target.with_suffix(".html"), _browsable(html, project, large).encode(), 0))
    # Write only once every document rendered, so a failure never leaves half a packet.
    written = []
    with folder_lock(folder):  # another build of this organisation waits; its files are never touched
        remove_stale_temporaries(folder)
        for target, data, pages in documents:
            write_atomic(target, data)
            if target.suffix == ".pdf":
                written.append(Written(target, pages))
    return OrgResult(source.slug, "built", written=written, problems=[*loaded.warnings, *notes])


def _long_cover(source: OrgSource, loaded: LoadedOrg, target: Path, pages: int) -> Problem:
    return Problem(
        display_path(source.path),
        loaded.line_of(("workshop",)),
        f"the cover of {target.name} runs over {pages} pages even laid out tightly",
        "shorten the workshop title or place, or list fewer facilitators",
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
