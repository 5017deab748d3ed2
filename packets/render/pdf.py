"""HTML to PDF with WeasyPrint: our fonts only, our files only, tagged and reproducible.

A `Renderer` is made once per process and reused for every document, because font
configuration and stylesheet parsing are a real share of the cost of a small document.
Nothing here reaches the network: the URL fetcher serves files from the folders it is
given and refuses everything else, loudly.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import multiprocessing.util
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .libraries import import_weasyprint

import_weasyprint()  # before any other import of WeasyPrint: see libraries.py

from weasyprint import CSS, HTML  # noqa: E402
from weasyprint.css.counters import CounterStyle  # noqa: E402
from weasyprint.document import Document  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse  # noqa: E402

from ..cache import LayoutCache  # noqa: E402
from ..files import FileRefused, read_limited  # noqa: E402
from .actual_text import mark_words_with_marks  # noqa: E402
from .leaders import join_leader_dots  # noqa: E402
from .link_text import describe_links  # noqa: E402
from .pageflow import (  # noqa: E402
    decisions_hold,
    end_split_boxes_at_content,
    fill_rules,
    find_tails,
    page_sections,
    probe,
    pull_back_rules,
    section_ids,
    section_slices,
    stranded_rules,
)
from .pageflow import stylesheet as flow_stylesheet  # noqa: E402
from .table_scope import scope_header_cells  # noqa: E402
from .writer import set_up_pydyf  # noqa: E402

STYLESHEETS = ("page.css", "type.css", "blocks.css")
LARGE_PRINT = "large-print.css"
COMPACT_COVER = "cover-compact.css"
COVER_END = "cover-end"  # id of the cover's last element: the page it lands on shows whether the cover fits
MAX_DATA_URL = 2048
MAX_FETCHED_BYTES = 20_000_000  # the largest bundled font is under 1 MB; logos are checked at 2 MB

set_up_pydyf()  # zlib level 6, and page references built once per page count (writer.py)


class ResourceRefused(Exception):
    """A document asked for something outside the allowed folders."""


class ForeignFont(Exception):
    """Text was set in a font that is not one of ours: the machine's fonts leaked in."""


# The @font-face families of templates/css/type.css: the only fonts a packet may embed.
OUR_FAMILIES = frozenset({"Packet Sans", "Packet Syllabics", "Packet Fields"})


class _Refusal(FatalURLFetchingError):
    """WeasyPrint only stops on BaseException subclasses; we want a refused fetch to stop the build."""


class ConfinedFetcher(URLFetcher):
    """Serves `file:` URLs inside `roots` (after resolving links and `..`) and nothing else."""

    def __init__(self, roots: tuple[Path, ...]):
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False, fail_on_errors=True)
        self.roots = tuple(r.resolve() for r in roots)
        self.refused: list[str] = []

    def allows(self, url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            return None
        try:
            path = Path(unquote(parts.path)).resolve()
            if any(path == r or r in path.parents for r in self.roots) and path.is_file():
                return path
        except (OSError, ValueError):  # a NUL byte, a name too long, a loop of links
            pass
        return None

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if url.startswith("data:") and len(url) <= MAX_DATA_URL:
            return super().fetch(url, headers)
        path = self.allows(url)
        if path is None:
            self.refused.append(url[:200])
            raise _Refusal(f"refused to fetch {url[:200]}")
        try:
            data = read_limited(path, MAX_FETCHED_BYTES)  # a file swapped for a FIFO since `check` cannot hang us
        except FileRefused as exc:
            self.refused.append(f"{url[:200]} ({exc})")
            raise _Refusal(f"refused to fetch {url[:200]}: {exc}") from None
        return URLFetcherResponse(path.as_uri(), data, {"Content-Type": _mime(path)})


def _remove_font_folder(fonts: FontConfiguration) -> None:
    folder = getattr(fonts, "_folder", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        fonts._folder = None  # so WeasyPrint's own __del__, run during shutdown, has nothing left to do


def _mime(path: Path) -> str:
    return {
        ".css": "text/css",
        ".ttf": "font/ttf",
        ".otf": "font/otf",
        ".png": "image/png",
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
        ".svg": "image/svg+xml",
    }.get(path.suffix.lower(), "application/octet-stream")


@dataclass
class Rendered:
    pdf: bytes
    pages: int
    cover_pages: int = 1
    anchors: dict[str, int] = field(default_factory=dict)  # element id -> the page number it starts on
    warning: str = ""  # a layout that could not be made as designed, for the build to report


_FILE_URL = re.compile(r"file://[^\s\"'<>)]+")


def layout_key(
    html: str, large_print: bool, sheets: tuple[str, ...] | None, forms: bool, fetcher: ConfinedFetcher
) -> str:
    """What a document's layout is made from, besides the stylesheets, fonts and code (the
    cache's salt): the HTML, the options, and the bytes of the local files it shows (a
    logo keeps its name when its drawing changes)."""
    h = hashlib.sha256(f"{large_print}\0{sheets}\0{forms}\0{html}".encode())
    _add_files(h, html, fetcher)
    return h.hexdigest()


def section_keys(html: str, large_print: bool, forms: bool, fetcher: ConfinedFetcher) -> dict[str, str]:
    """The key of each page-flow section's own decision: what `layout_key` is made of, for the
    document's head and that section alone (`pageflow.section_slices`). An edit to the
    acknowledgement leaves every other section's key as it was."""
    head, slices = section_slices(html)
    keys = {}
    for ident, part in slices.items():
        h = hashlib.sha256(f"section\0{large_print}\0{forms}\0{head}\0{part}".encode())
        _add_files(h, part, fetcher)
        keys[ident] = h.hexdigest()
    return keys


def _add_files(h: hashlib._Hash, html: str, fetcher: ConfinedFetcher) -> None:
    for url in sorted(set(_FILE_URL.findall(html))):
        path = fetcher.allows(url)
        if path is not None:
            with contextlib.suppress(OSError, FileRefused):
                h.update(b"\0" + url.encode() + b"\0" + read_limited(path, MAX_FETCHED_BYTES))


@dataclass
class Renderer:
    """WeasyPrint set up once: fonts, parsed stylesheets and the confined fetcher."""

    templates: Path
    roots: tuple[Path, ...]
    fonts: FontConfiguration = field(init=False)
    counters: CounterStyle = field(init=False)  # @counter-style rules of our sheets (the contents' page numbers)
    sheets: list[CSS] = field(init=False)
    named_sheets: dict[str, CSS] = field(init=False, default_factory=dict)
    decisions: LayoutCache | None = None  # page-flow decisions kept between builds (cache.py)

    def __post_init__(self) -> None:
        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        self.fonts = FontConfiguration()
        self.counters = CounterStyle()
        # WeasyPrint copies @font-face files into a temporary folder that it only removes when
        # the configuration is garbage-collected, which never happens at process exit (nor in
        # pool workers): remove it ourselves when the process ends.
        multiprocessing.util.Finalize(self, _remove_font_folder, args=(self.fonts,), exitpriority=10)
        css_dir = self.templates / "css"
        fetcher = ConfinedFetcher((self.templates,))
        self.sheets = [
            CSS(filename=str(css_dir / name), font_config=self.fonts, counter_style=self.counters, url_fetcher=fetcher)
            for name in STYLESHEETS
        ]

    def stylesheet(self, name: str) -> CSS:
        """One of templates/css/, parsed on first use and kept: the large-print and compact-cover
        sheets and the delivery kit's, which most documents never need."""
        if name not in self.named_sheets:
            fetcher = ConfinedFetcher((self.templates,))
            self.named_sheets[name] = CSS(
                filename=str(self.templates / "css" / name),
                font_config=self.fonts,
                counter_style=self.counters,
                url_fetcher=fetcher,
            )
        return self.named_sheets[name]

    @property
    def _sections(self) -> LayoutCache:
        assert self.decisions is not None
        return self.decisions.part("sections")

    def _section_parts(
        self,
        html: str,
        page: HTML,
        large_print: bool,
        sheets: tuple[str, ...] | None,
        forms: bool,
        fetcher: ConfinedFetcher,
        contents: set[str],
        trust: bool = True,
    ) -> dict[str, tuple[str, dict | None]]:
        """Each page-flow section's key and the decision kept under it, in the order of the
        document; none when there is no cache, for slides and booklets (their own sheets), or
        when the body holds anything but sections that begin a page (`pageflow.page_sections`).
        The decision of the `contents` is never taken back: its page numbers are the other
        sections'."""
        if self.decisions is None or sheets is not None:
            return {}
        keys = section_keys(html, large_print, forms, fetcher)
        # The HTML's sections, as its text is cut (section_slices) and as it was parsed,
        # must be the same ones in the same order, or a rule could go unattributed.
        if page_sections(page.etree_element) != list(keys):
            return {}
        return {
            ident: (part_key, None if ident in contents or not trust else self._sections.get(part_key))
            for ident, part_key in keys.items()
        }

    def _kept_decisions_hold(
        self,
        document: Document,
        page: HTML,
        html: str,
        rules: list[str],
        compact: bool,
        known: dict | None,
        chosen: list[CSS],
        options: dict,
        fetcher: ConfinedFetcher,
    ) -> bool:
        """Whether decisions taken back from the cache are ones page flow could have made
        here (`pageflow.decisions_hold`), and the cover's: one that was not laid out tighter
        fits its page; one that was (a whole document's kept decision) would not have fit
        without, as a layout of the cover alone shows."""
        if not decisions_hold(document, page.etree_element, rules, section_ids(html)):
            return False
        if not compact:
            return _cover_pages(document) == 1
        if known is None or not known["compact"]:
            return True  # decided here, not kept
        alone = HTML(string=probe(html, []), base_url=page.base_url, url_fetcher=fetcher)
        return _cover_pages(alone.render(stylesheets=chosen, **options)) > 1

    def _judge_alone(
        self,
        html: str,
        idents: list[str],
        ids: dict[str, str],
        base_url: str,
        chosen: list[CSS],
        options: dict,
        fetcher: ConfinedFetcher,
    ) -> tuple[bool, dict[str, str]]:
        """Whether the cover needs laying out tighter, and the rules of the sections `idents`,
        from a layout of the cover and those sections alone (`pageflow.probe`)."""
        alone = HTML(string=probe(html, idents), base_url=base_url, url_fetcher=fetcher)
        document = alone.render(stylesheets=chosen, **options)
        return _cover_pages(document) > 1, pull_back_rules(document, find_tails(document, ids), alone.etree_element)

    def _second(self, compact: bool, rules: list[str], fetcher: ConfinedFetcher) -> list[CSS]:
        """The stylesheets a layout with these decisions adds: the tighter cover, the rules."""
        return ([self.stylesheet(COMPACT_COVER)] if compact else []) + ([self._flow(rules, fetcher)] if rules else [])

    def _flow(self, rules: list[str], fetcher: ConfinedFetcher) -> CSS:
        return CSS(string=flow_stylesheet(rules), font_config=self.fonts, url_fetcher=fetcher)

    def render(
        self,
        html: str,
        base: Path,
        large_print: bool = False,
        sheets: tuple[str, ...] | None = None,
        forms: bool = False,
    ) -> Rendered:
        """Lay `html` out (again when the cover, a section's tail, a block too tall to keep
        whole or writing lines that can fill their page need it) and write the PDF.

        `sheets` replaces the usual stylesheets (slides, booklet); `forms` keeps form fields.
        The decisions of the first layout are kept in `decisions` (when the renderer has
        them): the same document laid out again takes them back and is laid out once, which
        gives the same bytes as the two layouts (the decisions are a function of what the
        key and the cache's salt are made from). Each section's own decision is kept as well:
        a new document (an edited file, another organization) takes back the decisions of
        the sections it shares with earlier ones, judges its new sections on a layout of
        those alone with the cover, and is laid out once; what it writes is what two
        layouts would.

        What was kept is checked before its PDF is written (`_kept_decisions_hold`): when
        it is not what page flow could have decided, the document is made again deciding
        afresh, so a kept entry is never worse than none.
        """
        return self._render(html, base, large_print, sheets, forms, trust=True)

    def _render(
        self,
        html: str,
        base: Path,
        large_print: bool,
        sheets: tuple[str, ...] | None,
        forms: bool,
        trust: bool,
    ) -> Rendered:
        """`render`, taking kept decisions back only when `trust` (a second try does not)."""
        fetcher = ConfinedFetcher(self.roots)
        if sheets is not None:
            chosen = [self.stylesheet(name) for name in sheets]
        else:
            chosen = self.sheets + ([self.stylesheet(LARGE_PRINT)] if large_print else [])
        options = {"font_config": self.fonts, "counter_style": self.counters, "pdf_tags": True, "pdf_forms": forms}
        key = layout_key(html, large_print, sheets, forms, fetcher)
        known = self.decisions.get(key) if self.decisions is not None and trust else None
        try:
            base_url = base.resolve().as_uri() + "/"
            page = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
            tried: list[str] | None = None  # the rules the first layout was made with
            settled: bool | None = None  # whether the cover is laid out tighter, when known before
            from_cache = known is not None  # decisions taken back: checked before they are written
            if known is not None:
                compact, rules = known["compact"], known["rules"]
                document = None
            else:
                ids = section_ids(html)
                contents = {ident for ident, classes in ids.items() if "contents" in classes.split()}
                # Each section's own decision, kept from earlier documents with the very same
                # section and head: an edit to one section leaves the others' decisions good.
                parts = self._section_parts(html, page, large_print, sheets, forms, fetcher, contents, trust)
                kept = {ident: decided["rules"] for ident, (_, decided) in parts.items() if decided is not None}
                from_cache = bool(kept)
                new = [ident for ident in parts if ident not in kept and ident not in contents]
                if kept and new:
                    # Some sections are new (an edited file, another organization): they are
                    # judged laid out alone with the cover, and the document is laid out once.
                    settled, judged = self._judge_alone(html, new, ids, base_url, chosen, options, fetcher)
                    kept |= {ident: [judged[ident]] if ident in judged else [] for ident in new}
                tried = [rule for ident in parts if ident in kept for rule in kept[ident]]
                first = [self.stylesheet(COMPACT_COVER)] if settled else []
                first += [self._flow(tried, fetcher)] if tried else []
                # With nothing kept, the plain first layout; else one with the decisions known,
                # on which only the others (the contents) are judged.
                document = page.render(stylesheets=[*chosen, *first], **options)
                # A long title, a long place or many facilitators push the cover onto a second
                # page, where it has no running head and splits the details: lay it out tighter.
                compact = settled if settled is not None else _cover_pages(document) > 1
                tails = [t for t in find_tails(document, ids) if t.section.get("id") not in kept]
                found = pull_back_rules(document, tails, page.etree_element)
                # A section has one last page, so one rule at most; the rules go in the order of
                # the sections (the order of the pages, as `found` is).
                own = {ident: kept.get(ident, [found[ident]] if ident in found else []) for ident in parts}
                rules = [rule for rules_of in own.values() for rule in rules_of] if kept else [*found.values()]
                for ident, (part_key, decided) in parts.items():
                    if decided is None and ident not in contents:
                        self._sections.put(part_key, {"compact": False, "rules": own[ident]})
            second = [self.stylesheet(COMPACT_COVER)] if compact else []
            if rules:
                second.append(self._flow(rules, fetcher))
            if document is None or compact != bool(settled) or rules != tried:
                # One more layout, never more: the cover is its own page, so the two fixes
                # do not move each other. When the kept decisions were all there was to
                # decide, the layout made with them is already the one to write.
                document = page.render(stylesheets=[*chosen, *second], **options)
            if from_cache and not self._kept_decisions_hold(
                document, page, html, rules, compact, known, chosen, options, fetcher
            ):
                return self._render(html, base, large_print, sheets, forms, trust=False)
            # A block kept whole yet taller than the room under its heading (a long run of
            # show) is let break, and its last page judged again: rare, and then two more
            # layouts, kept with the other decisions like them.
            found_stranded = stranded_rules(document, page.etree_element)
            stranded = {ident: [rule] for ident, rule in found_stranded.items() if rule not in rules}
            if stranded:
                rules = [*rules, *(rule for more in stranded.values() for rule in more)]
                document = page.render(stylesheets=[*chosen, *self._second(compact, rules, fetcher)], **options)
                tails = [t for t in find_tails(document, section_ids(html)) if t.section.get("id") in stranded]
                for ident, rule in pull_back_rules(document, tails, page.etree_element).items():
                    stranded[ident].append(rule)
                    rules = [*rules, rule]
                if tails:
                    document = page.render(stylesheets=[*chosen, *self._second(compact, rules, fetcher)], **options)
            # Writing lines that end a page fill it (pageflow.fill_rules): decided on the
            # layout that is written, since they take only room that page left empty, and
            # kept with the other decisions, so the next build of this document lays out once.
            fills = fill_rules(document, page.etree_element)
            if fills:
                rules = [*rules, *(rule for section in fills.values() for rule in section)]
                document = page.render(stylesheets=[*chosen, *self._second(compact, rules, fetcher)], **options)
            if known is None and (fills or stranded):
                for ident, (part_key, decided) in parts.items():
                    if decided is None and (ident in fills or ident in stranded) and ident not in contents:
                        more = stranded.get(ident, []) + fills.get(ident, [])
                        self._sections.put(part_key, {"compact": False, "rules": own[ident] + more})
            end_split_boxes_at_content(document)  # no empty tint to the foot of a page (pageflow.py)
            join_leader_dots(document)  # the contents' dots, drawn in runs (leaders.py)
            # No file identifier (/ID, optional in PDF 1.7, on which PDF/UA-1 is built):
            # pydyf computes it by serializing and compressing every object a second
            # time, 15% of writing a guide.
            pdf = document.write_pdf(
                pdf_variant="pdf/ua-1",
                uncompressed_pdf=False,
                pdf_forms=forms,
                finisher=_finish,
            )
        except FatalURLFetchingError as exc:
            raise ResourceRefused(", ".join(fetcher.refused) or str(exc)) from None
        if fetcher.refused:
            # WeasyPrint draws SVG images inside `except BaseException`, so a refusal from an
            # <image> in an SVG is swallowed there; it must still stop the build.
            raise ResourceRefused(", ".join(fetcher.refused))
        anchors: dict[str, int] = {}
        for number, page in enumerate(document.pages, start=1):
            for name in page.anchors:
                anchors.setdefault(name, number)
        if known is None and self.decisions is not None:
            self.decisions.put(key, {"compact": compact, "rules": rules})
        return Rendered(pdf, len(document.pages), _cover_pages(document), anchors)


def _finish(document: Document, pdf: object) -> None:
    """Last touches on the PDF before it is written: text that copies out as printed,
    links that say where they go, and table headers that say what they head. First, a
    check that WeasyPrint only logs: a glyph it could not find in our fonts is silently
    taken from whatever the machine has installed, and the packet would then look
    different on every machine."""
    foreign = sorted({font.family for font in document.fonts.values()} - OUR_FAMILIES)
    if foreign:
        raise ForeignFont(
            f"text was set in {', '.join(foreign)}, which is not a bundled font "
            "(check templates/fonts/ and the @font-face rules in templates/css/type.css)"
        )
    mark_words_with_marks(document, pdf)
    describe_links(document, pdf)
    scope_header_cells(document, pdf)
    draw_field_appearances(pdf)


def draw_field_appearances(pdf: object) -> int:
    """Give every empty text field its own appearance, so no viewer has to make one up.

    WeasyPrint writes form fields with no appearance stream and asks viewers to draw them
    (/NeedAppearances), which some never do and which PDF 2.0 deprecates. An empty field
    looks like nothing but its box, and the box is drawn on the page (fillable.css): its
    appearance is an empty text-field drawing of its own size. When every field has one,
    viewers are no longer asked to draw them. Returns how many were drawn.
    """
    import pydyf

    widgets = [
        obj
        for obj in pdf.objects  # type: ignore[attr-defined]
        if isinstance(obj, pydyf.Dictionary) and obj.get("Subtype") == "/Widget" and "AP" not in obj
    ]
    drawn = 0
    for widget in widgets:
        value = widget.get("V")
        if widget.get("FT") != "/Tx" or (isinstance(value, pydyf.String) and value.string):
            continue
        x1, y1, x2, y2 = (float(v) for v in widget["Rect"])
        appearance = pydyf.Stream(
            [b"/Tx BMC", b"EMC"],
            extra={
                "Type": "/XObject",
                "Subtype": "/Form",
                "BBox": pydyf.Array([0, 0, round(abs(x2 - x1), 3), round(abs(y2 - y1), 3)]),
                "Resources": pydyf.Dictionary(),
            },
        )
        pdf.add_object(appearance)  # type: ignore[attr-defined]
        widget["AP"] = pydyf.Dictionary({"N": appearance.reference})
        drawn += 1
    form = pdf.catalog.get("AcroForm")  # type: ignore[attr-defined]
    if form is not None and drawn == len(widgets):
        form["NeedAppearances"] = "false"
    return drawn


def _cover_pages(document: Document) -> int:
    """How many pages the cover takes: the number of the page its last element is on."""
    for number, page in enumerate(document.pages, start=1):
        if COVER_END in page.anchors:
            return number
    return 1
