"""One document made ready to lay out, and laying it out: the part of a build a worker does.

The parent of a build reads and validates each organization file, plans the workshop and
writes the HTML (`write/pipeline.py`, `prepare_document`); what it hands on is a
`RenderJob`, which holds the HTML and what an error in laying it out must say (which file,
which line). A worker lays the job out and checks the PDF (`render_job`). A worker needs
nothing but WeasyPrint and this module, so it can start, and import WeasyPrint, before the
parent has read a single file, and the longest document's worker spends its time on
layout alone. This module imports nothing heavy itself, so the parent can import it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Problem

if TYPE_CHECKING:
    from .pdf import Renderer


@dataclass
class DocumentResult:
    """One rendered document of one organization, not yet written (or why it could not be).

    The unit of work of a build: documents render in parallel, each in whichever worker is
    free, and an organization's files are written only once all its documents are back.
    """

    slug: str
    audience: str
    large_print: bool
    status: str  # rendered | invalid | unwritten (its output folder is refused) | failed
    kind: str | None = None  # a delivery-kit kind, or None for a guide or handout
    language: str = "en"  # the edition: each language of an organization is a document of its own
    files: list[tuple[Path, bytes]] = field(default_factory=list)  # the PDF first, then its --html copy
    pages: int = 0
    warnings: list[Problem] = field(default_factory=list)  # the organization file's, the same for each document
    notes: list[Problem] = field(default_factory=list)  # this document's own (a long cover)
    problems: list[Problem] = field(default_factory=list)  # why it is invalid
    error: str = ""


@dataclass
class RenderJob:
    """A document of a valid organization, ready to lay out: its HTML (or, for the delivery
    kit, the plan it lays out from), where it goes, and how its errors are reported."""

    slug: str
    audience: str
    large_print: bool
    kind: str | None
    language: str  # the edition this document is of ("en", "fr")
    target: Path  # the PDF's path; nothing is written until every document of the organization is back
    base: Path  # the organization's folder: its logo and relative links resolve there
    roots: tuple[Path, ...]  # the folders the renderer may read: templates, content, the organization's folder
    shared: str  # the digest of stylesheets, fonts and code: page-flow decisions are kept under it
    html: str = ""  # a guide or handout
    kit: tuple[Any, Path, dt.datetime] | None = None  # (plan, templates, created): the delivery kit's documents
    html_copy: bytes | None = None  # the --html copy, written next to the PDF
    org_path: str = ""  # the organization file, as messages name it
    logo_line: int = 1  # where a refused file is reported, and a broken PDF when the file names a logo
    has_logo: bool = False
    cover_line: int = 1  # where a cover that runs long is reported: the workshop's line
    # The slides' lines in the organization file, by the key their text comes from (slides.slide_sources):
    # where a slide that cannot fit is reported.
    source_lines: dict[tuple, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # the file's own, kept with an error about it
    warnings: list[Problem] = field(default_factory=list)  # the file's own warnings, reported with the document

    def result(self, status: str, **fields: Any) -> DocumentResult:
        return DocumentResult(
            self.slug, self.audience, self.large_print, status, kind=self.kind, language=self.language, **fields
        )


def render_job(job: RenderJob, renderer: Renderer) -> DocumentResult:
    """Lay the document out, check the PDF it makes, and say what went wrong in the file's own terms."""
    from .budget import BudgetExceeded, render_budget
    from .pdf import ResourceRefused
    from .pdf_check import BrokenPdf, check_pdf
    from .slides import SlideDoesNotFit

    def refused(line: int, message: str, hint: str) -> DocumentResult:
        """Rendering stopped for a reason in the organization's file: that file's error, at its line."""
        return job.result("invalid", problems=[*job.problems, Problem(job.org_path, line, message, hint)])

    renderer.roots = job.roots
    try:
        with render_budget(job.target.name):
            if job.kit is None:
                rendered = renderer.render(job.html, base=job.base, large_print=job.large_print)
            else:
                from .kit import render_kit

                plan, templates, created = job.kit
                rendered = render_kit(job.kind or "", plan, templates, created, renderer, job.base)
        check_pdf(rendered.pdf, rendered.pages)
    except ResourceRefused as exc:
        return refused(
            job.logo_line,
            f"a file or address outside the project was requested while rendering: {exc}",
            "logos must be self-contained files inside the organization's folder",
        )
    except BudgetExceeded as exc:
        return refused(1, f"{exc}; nothing was written", "shorten the file's lists and texts, or use a simpler logo")
    except SlideDoesNotFit as exc:
        if not exc.source:  # a slide of the curriculum's own text: the organization file is not to blame
            problem = Problem("content/slides.yaml", 1, f"{exc} in {job.target.name}", "shorten its lines")
            return job.result("invalid", problems=[*job.problems, problem])
        return refused(
            job.source_lines.get(exc.source, job.source_lines.get(exc.source[:2], 1)),
            f"{exc} in {job.target.name}, even cut as short as it can be (its text never shrinks, so the "
            "room can read it); nothing was written",
            "shorten the longest name, web address or sentence on that slide, or break it into shorter ones",
        )
    except BrokenPdf as exc:
        return refused(
            job.logo_line if job.has_logo else 1,
            f"{job.target.name} came out broken: {exc}; nothing was written",
            "a logo is the usual cause: try it as PNG",
        )
    files = [(job.target, rendered.pdf)]
    if job.html_copy is not None:
        files.append((job.target.with_suffix(".html"), job.html_copy))
    notes = []
    if rendered.cover_pages > 1:
        notes.append(
            Problem(
                job.org_path,
                job.cover_line,
                f"the cover of {job.target.name} runs over {rendered.cover_pages} pages even laid out tightly",
                "shorten the workshop title or place, or list fewer facilitators",
                severity="warning",
            )
        )
    if rendered.warning:
        notes.append(
            Problem(
                job.org_path,
                0,
                f"{rendered.warning} in {job.target.name}",
                "shorten the longest name, title or statement sentence on that slide",
                severity="warning",
            )
        )
    return job.result("rendered", files=files, pages=rendered.pages, warnings=job.warnings, notes=notes)
