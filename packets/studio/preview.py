"""The cover and the land acknowledgement as they will print, for the page beside the form.

Rendered by the real pipeline (plan, templates, stylesheets, fonts, WeasyPrint), not an
HTML imitation: the guide's HTML is made exactly as for a build, then only the pages
being previewed are kept before layout, because laying out a whole guide takes seconds
and a preview must follow typing. Pages are turned into PNG with PDFium.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

from ..cache import LayoutCache, cache_folder
from ..load.assets import resolve_inside
from ..load.curriculum import Curriculum, Project
from ..load.model import Organization
from ..planning.plan import make_plan
from ..render.html import render_html
from ..render.pdf import Renderer
from ..write.batch import shared_inputs_digest
from ..write.pipeline import creation_time

PREVIEWED = ("cover", "land-acknowledgement")


class _TopLevel(HTMLParser):
    """Finds where each top-level <section> or <nav> of the body starts and ends."""

    BLOCKS = ("section", "nav")

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self._line_starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                self._line_starts.append(i + 1)
        self.depth = 0
        self.blocks: list[tuple[str, int, int]] = []
        self._open: tuple[str, int] | None = None

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            if self.depth == 0:
                self._open = (dict(attrs).get("id") or "", self._offset())
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS and self.depth:
            self.depth -= 1
            if self.depth == 0 and self._open:
                ident, start = self._open
                end = self.rawdata.index(">", self._offset()) + 1
                self.blocks.append((ident, start, end))
                self._open = None


def keep_sections(html: str, keep: tuple[str, ...] = PREVIEWED) -> str:
    """The document with only the top-level sections whose id is in `keep` (head and styles untouched)."""
    parser = _TopLevel(html)
    parser.feed(html)
    parser.close()
    out, position = [], 0
    for ident, start, end in parser.blocks:
        if ident not in keep:
            out.append(html[position:start])
            position = end
    out.append(html[position:])
    return "".join(out)


@dataclass
class Preview:
    pages: list[bytes]  # PNG images, one per printed page
    page_count: int


class Previewer:
    """One renderer for the studio's life (fonts and stylesheets set up once), one render at a time."""

    def __init__(self, project: Project):
        self.project = project
        # The page-flow decisions are kept as a build keeps them: a preview laid out again
        # (an edit undone, a section shown again) takes one layout, not two.
        decisions = LayoutCache(cache_folder(), shared_inputs_digest(project))
        self.renderer = Renderer(project.templates, (project.templates, project.content), decisions=decisions)
        self._lock = threading.Lock()

    def render(
        self,
        slug: str,
        org: Organization,
        curriculum: Curriculum,
        folder: Path,
        keep: tuple[str, ...] = PREVIEWED,
        scale: float = 1.0,
    ) -> Preview:
        """PNG pages of the facilitator guide's sections in `keep`, at `scale` × 72 dpi."""
        import pypdfium2

        logo = resolve_inside(folder, org.logo) if org.logo else None
        plan = make_plan(slug, org, curriculum, logo=logo)
        html = keep_sections(render_html(plan, "facilitator", self.project.templates, creation_time(curriculum)))
        with self._lock:
            self.renderer.roots = (self.project.templates, self.project.content, folder)
            rendered = self.renderer.render(html, base=folder)
        pdf = pypdfium2.PdfDocument(rendered.pdf)
        try:
            images = []
            for page in pdf:
                bitmap = page.render(scale=scale)
                buffer = BytesIO()
                bitmap.to_pil().save(buffer, format="PNG", optimize=False)
                images.append(buffer.getvalue())
        finally:
            pdf.close()
        return Preview(images, rendered.pages)
