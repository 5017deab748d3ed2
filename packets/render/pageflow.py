"""Page flow: no page that is the tail end of a section carries only a line or two.

Sections (modules, the acknowledgement, the run of show, ...) start on a new page, so
when one runs a little over, its last few lines sit alone on a page: a facilitator list,
one name to practise, a single reference. CSS cannot see that, so after a first layout we
look at each page that continues a section and holds less than a third of its height,
and choose a place further up that section to start its last page instead, so both
pages carry a fair share. The chosen places become `break-before: page` rules for a
second layout. Python decides where; CSS still decides how things look.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from weasyprint.document import Document
from weasyprint.formatting_structure.boxes import BlockBox, Box

MIN_FILL = 1 / 3
# Breaking before these keeps a unit whole and never strands a heading above it.
UNITS = {"h2", "h3", "li", "div", "p", "dl", "ul", "ol", "tr"}
HEADINGS = {"h1", "h2", "h3"}
# Sections made of writing lines are meant to be mostly empty.
WRITING = ("notes",)

_METADATA = re.compile(r"<title>[^<]*</title>|<meta [^>]*>")
_SECTION = re.compile(r'<(?:section|nav) class="([^"]*)" id="([^"]+)"')


@dataclass(frozen=True)
class Tail:
    page: int  # index of the short page
    section: Element


def section_ids(html: str) -> dict[str, str]:
    """Ids of the blocks that start a page (major sections, the contents), with their classes."""
    return {m[2]: m[1] for m in _SECTION.finditer(html) if "major" in m[1].split() or "contents" in m[1].split()}


def _cut(html: str) -> tuple[str, str, dict[str, str]] | None:
    """The HTML cut at the sections that begin a page: what comes before the first section,
    the cover, and each page-flow section by id (None when an id repeats)."""
    starts = list(_SECTION.finditer(html))
    if not starts:
        return html, "", {}
    head = html[: starts[0].start()]
    bounds = [m for m in starts if {"major", "contents", "cover"} & set(m[1].split())]
    cover, slices = "", {}
    for here, after in zip(bounds, [*bounds[1:], None], strict=True):
        text = html[here.start() : after.start() if after is not None else len(html)]
        classes = here[1].split()
        if "cover" in classes and not cover:
            cover = text
        elif "major" in classes or "contents" in classes:
            if here[2] in slices:
                return None
            slices[here[2]] = text
    return head, cover, slices


def section_slices(html: str) -> tuple[str, dict[str, str]]:
    """What a section's page-flow decision depends on: the document's head (the part before
    the first section: language, paper, the body's classes; not its metadata) and, for
    each page-flow section, its own HTML, from its start to the start of the next section
    that begins a page.

    A section starts a page (`.major`, or the contents after the cover) and only page counters
    reach into it from outside, so where its last page falls depends on its own HTML and
    this head alone; the contents is the exception (its page numbers are other sections'),
    which `Renderer.render` never takes from what was kept. Empty when an id repeats.
    """
    cut = _cut(html)
    if cut is None:
        return html, {}
    head, _, slices = cut
    # The title and the <meta> lines are the PDF's metadata, never laid out: without them,
    # another organization's module pages share their decisions.
    return _METADATA.sub("", head), slices


def probe(html: str, idents: list[str]) -> str:
    """The document with only its cover and the sections `idents`: laid out, it shows where
    those sections' last pages fall, and whether the cover fits, as the whole document would
    (`section_slices` says why), in a fraction of the time."""
    cut = _cut(html)
    assert cut is not None
    head, cover, slices = cut
    tail = "" if slices and idents and list(slices)[-1] == idents[-1] else "</body></html>\n"
    return head + cover + "".join(slices[ident] for ident in idents) + tail


def page_sections(root: Element) -> list[str] | None:
    """The ids of the body's sections that page flow judges (major sections, the contents),
    when every element of the body is a section that begins a page (those, and the cover):
    then no section's last page is shared with what follows it. None when it is not so."""
    body = next((child for child in root if child.tag == "body"), None)
    if body is None:
        return None
    ids = []
    for child in body:
        classes = set((child.get("class") or "").split())
        if child.tag not in ("section", "nav") or not ({"major", "contents", "cover"} & classes) or not child.get("id"):
            return None
        if classes & {"major", "contents"}:
            ids.append(child.get("id"))
    return ids


def _boxes(box: Box, kept: bool = False) -> Iterator[tuple[Box, bool]]:
    """Every box under `box`, with whether an ancestor asks not to be broken inside."""
    yield box, kept
    inner = kept or box.style["break_inside"] in ("avoid", "avoid-page")
    for child in getattr(box, "children", ()):
        yield from _boxes(child, inner)


def _flow(page) -> Box | None:
    """The page's <body> box: everything laid out in the page area, without running heads."""
    for box in page._page_box.children:
        if getattr(box, "element_tag", None) == "html":
            return next((c for c in box.children if getattr(c, "element_tag", None) == "body"), None)
    return None


def _area(page) -> tuple[float, float]:
    box = page._page_box
    return box.content_box_y(), box.height


def _bottom(page) -> float:
    """Where the ink ends: the lowest line or childless box (a block split across pages
    reaches down to the page's end, so containers do not count)."""
    body = _flow(page)
    top = _area(page)[0]
    if body is None:
        return top
    ends = [b.position_y + b.margin_height() for b, _ in _boxes(body) if not getattr(b, "children", None)]
    return max(ends, default=top)


def _starts_section(page, before, sections: dict[str, str]) -> bool:
    """WeasyPrint lists a split block's id on every page it spans: a section starts on a
    page when the page before does not list it."""
    return any(anchor in sections and anchor not in before.anchors for anchor in page.anchors)


def find_tails(document: Document, sections: dict[str, str]) -> list[Tail]:
    """Pages, after the cover, that continue a section and hold less than a third of a page."""
    tails = []
    pages = document.pages
    for index, page in enumerate(pages[1:], start=1):
        if index + 1 < len(pages) and not _starts_section(pages[index + 1], page, sections):
            continue  # mid-section: only a section's last page is its tail
        if _starts_section(page, pages[index - 1], sections):
            continue
        top, height = _area(page)
        if (_bottom(page) - top) / height >= MIN_FILL:
            continue
        body = _flow(page)
        first = body.children[0] if body is not None and body.children else None
        element = getattr(first, "element", None)
        classes = (element.get("class") or "").split() if element is not None else []
        # Writing pages may be short; the cover is laid out tighter instead (packets/render/pdf.py).
        if element is None or "cover" in classes or any(w in classes for w in WRITING):
            continue
        tails.append(Tail(index, element))
    return tails


def _parents(root: Element) -> dict[Element, Element]:
    return {child: parent for parent in root.iter() for child in parent}


def _selector(element: Element, parents: dict[Element, Element]) -> str | None:
    """A CSS path to the element from its nearest ancestor with an id (our ids are [a-z0-9-])."""
    steps = []
    node = element
    while node is not None:
        ident = node.get("id")
        if ident and re.fullmatch(r"[a-z][a-z0-9-]*", ident):
            return " > ".join([f"#{ident}", *reversed(steps)]) if steps else f"#{ident}"
        parent = parents.get(node)
        if parent is None:
            return None
        position = list(parent).index(node) + 1
        steps.append(f"{node.tag}:nth-child({position})")
        node = parent
    return None


def _good_break(box: Box, parents: dict[Element, Element]) -> bool:
    element = getattr(box, "element", None)
    if element is None or box.element_tag not in UNITS or box.style["break_before"] == "avoid":
        return False
    parent = parents.get(element)
    if parent is None or parent.tag in ("table", "thead", "tr", "td", "th"):
        return False
    if (element.tag == "tr") != (parent.tag == "tbody"):
        return False  # rows break between rows of the body, and nothing breaks inside a row
    siblings = list(parent)
    position = siblings.index(element)
    if position == 0 and element.tag not in HEADINGS:
        return False  # breaking before a first child is the same as breaking before its parent
    before = siblings[position - 1] if position else None
    # Never leave a heading or a label at the foot of the page above.
    return before is None or not (
        before.tag in HEADINGS or "label" in (before.get("class") or "").split() or before.tag == "dt"
    )


def pull_back_rules(document: Document, tails: list[Tail], root: Element) -> dict[str, str]:
    """For each short tail, a place on the page before it where breaking leaves both pages
    fair: the rule's selector by the id of the section it belongs to (a section has one
    last page, so one rule at most), in the order of the pages."""
    parents = _parents(root)
    rules: dict[str, str] = {}
    for tail in tails:
        previous = document.pages[tail.page - 1]
        top, height = _area(previous)
        short = document.pages[tail.page]
        tail_height = _bottom(short) - _area(short)[0]
        bottom = _bottom(previous)
        within = set(tail.section.iter())
        body = _flow(previous)
        if body is None:
            continue
        # The best break leaves the smaller of the two pages as full as it can be; ideally
        # both hold a third of a page or more, and among those it moves least, so the page
        # before stays full (a list of names goes on overleaf rather than leaving 40% of its
        # page empty). One that does no better than now is no use.
        best: tuple[float, float, str] | None = None
        for box, kept in _boxes(body):
            element = getattr(box, "element", None)
            if kept or element is None or element not in within or not _good_break(box, parents):
                continue
            moved = bottom - box.position_y
            # What moves takes its own space below it along (a list item's margin): the tail
            # page gets that much more than its ink.
            keeps, gets = box.position_y - top, tail_height + moved + box.margin_bottom
            if gets > height or moved <= 0:
                continue
            worst = min(keeps, gets) / height
            if worst <= tail_height / height:
                continue
            selector = _selector(element, parents)
            # Among breaks that leave both pages fair, move as little as possible.
            score = (min(worst, MIN_FILL), -moved)
            if selector and (best is None or score > best[:2]):
                best = (*score, selector)
        if best:
            rules[tail.section.get("id") or f"page {tail.page}"] = best[2]
    return rules


def stylesheet(rules: list[str]) -> str:
    """The decisions as CSS: a selector alone is a page break before it; a whole rule (writing
    lines that fill their page, `fill_rules`) is taken as it is."""
    return "\n".join(rule if "{" in rule else f"{rule} {{ break-before: page; }}" for rule in rules)


# ------------------------------------------------------------------ kept decisions, checked

# Two pages whose ink adds up to less than this share of a page could have been one page:
# a rule that split them made the section a page longer than page flow ever would.
SPLIT_FILL = 0.9


def select(root: Element, rule: str) -> Element | None:
    """The one element a selector of ours (`_selector`: an id, then `tag:nth-child(n)` steps)
    picks in `root`, or None when it picks none, or the id is not unique."""
    first, *steps = rule.split(" > ")
    found = [e for e in root.iter() if e.get("id") == first[1:]]
    if len(found) != 1:
        return None
    node = found[0]
    for step in steps:
        match = re.fullmatch(r"([a-z][a-z0-9]*):nth-child\(([1-9][0-9]*)\)", step)
        children = list(node)
        if match is None or int(match[2]) > len(children):
            return None
        node = children[int(match[2]) - 1]
        if node.tag != match[1]:
            return None
    return node


def _allowed_place(element: Element, parents: dict[Element, Element]) -> bool:
    """`_good_break` without the layout: a place page flow may ever break before."""
    parent = parents.get(element)
    if element.tag not in UNITS or parent is None or parent.tag in ("table", "thead", "tr", "td", "th"):
        return False
    if (element.tag == "tr") != (parent.tag == "tbody"):
        return False
    siblings = list(parent)
    position = siblings.index(element)
    if position == 0 and element.tag not in HEADINGS:
        return False
    before = siblings[position - 1] if position else None
    return before is None or not (
        before.tag in HEADINGS or "label" in (before.get("class") or "").split() or before.tag == "dt"
    )


def _fill(page) -> float:
    top, height = _area(page)
    return (_bottom(page) - top) / height


def decisions_hold(document: Document, root: Element, rules: list[str], sections: dict[str, str]) -> bool:
    """Whether `rules`, kept from before, are what page flow could have decided for this
    document, laid out with them: so a kept entry can never make a packet worse than a
    build that decides afresh (a poisoned one once tripled the guide).

    Each rule must pick one element, at a place page flow may break before, inside a
    page-flow section that has no other rule; the page it starts must be that section's
    last page and follow a page of the same section, and the two pages together must hold
    more than a page's worth (`SPLIT_FILL`): else the section would have ended a page sooner.
    """
    parents = _parents(root)
    whole = [rule for rule in rules if "{" in rule]
    for rule in whole:  # writing lines shown to a page's foot, a kept block let break (`fill_rules`, `stranded_rules`)
        element = select(root, rule.split(" {")[0].split(" > .spare")[0])
        if element is None or _section_of(element, parents) not in sections:
            return False
        if ".spare" in rule and "write-lines" not in (element.get("class") or "").split():
            return False
    rules = [rule for rule in rules if "{" not in rule]
    if len(rules) > len(sections):
        return False
    chosen: dict[Element, str] = {}
    for rule in rules:
        element = select(root, rule) if _RULE_SHAPE.fullmatch(rule) else None
        if element is None or not _allowed_place(element, parents):
            return False
        section = parents.get(element)
        while section is not None and section.get("id") not in sections:
            section = parents.get(section)
        if section is None or section.get("id") in chosen.values():
            return False
        chosen[element] = section.get("id")
    if not chosen:
        return True
    pages = document.pages
    starts: dict[Element, int] = {}
    for index, page in enumerate(pages):
        body = _flow(page)
        for box, _ in _boxes(body) if body is not None else ():
            element = getattr(box, "element", None)
            if element in chosen and element not in starts:
                starts[element] = index
    for element in chosen:
        index = starts.get(element)
        if index is None or index == 0:
            return False
        if _starts_section(pages[index], pages[index - 1], sections):
            return False  # the page before belongs to another section
        if index + 1 < len(pages) and not _starts_section(pages[index + 1], pages[index], sections):
            return False  # the section goes on past the page the rule starts
        if _fill(pages[index - 1]) + _fill(pages[index]) < SPLIT_FILL:
            return False
    return True


_RULE_SHAPE = re.compile(r"#[a-z][a-z0-9-]*(?: > [a-z][a-z0-9]*:nth-child\([1-9][0-9]{0,4}\))*")


def _section_of(element: Element, parents: dict[Element, Element]) -> str | None:
    node: Element | None = element
    while node is not None:
        if "major" in (node.get("class") or "").split():
            return node.get("id")
        node = parents.get(node)
    return None


def fill_rules(document: Document, root: Element) -> dict[str, list[str]]:
    """Writing lines that end a page go on to its foot, as the exam class's fill-with-lines
    does: a page never ends with five lines and a blank third of a page under them.

    For each page whose flow ends with a block of writing lines, as many of its spare lines
    (`html.spare_lines`, hidden until then) as the room below holds: the same lines at the
    same pitch. When a short passage follows the page's last writing lines (the closing
    words under the last commitment, in large print alone on a page with half of it empty),
    the lines take the empty room above it and the passage moves down to the foot. Nothing
    else moves: they only take room that was empty. By the id of the section the lines are
    in, in the order of the pages.
    """
    parents = _parents(root)
    found: dict[str, list[str]] = {}
    for page in document.pages:
        body = _flow(page)
        if body is None:
            continue
        top, height = _area(page)
        foot = top + height
        bottom = _bottom(page)
        blocks = []
        for box, _ in _boxes(body):
            element = getattr(box, "element", None)
            if element is None or "write-lines" not in (element.get("class") or "").split():
                continue
            lines = [c for c in getattr(box, "children", ()) if getattr(c, "element_tag", None) == "span"]
            if lines and box.element_tag == "div":
                blocks.append((box, element, lines))
        if not blocks:
            continue
        box, element, lines = blocks[-1]
        end = box.position_y + box.margin_height() - box.margin_bottom
        # The lines end the page, or a passage under them takes less than a third of it.
        if end > bottom + 1.5 or bottom - end > height / 3:
            continue
        pitch = lines[0].margin_height()
        rule = lines[0].style["border_bottom_width"]
        room = foot - bottom - (box.margin_bottom if abs(end - bottom) <= 1.5 else 0) - 1
        count = int(room // pitch)
        selector = _selector(element, parents)
        ident = _section_of(element, parents)
        if count < 1 or pitch <= rule or selector is None or ident is None:
            continue
        children = list(element)
        spares = [n for n, child in enumerate(children, start=1) if "spare" in (child.get("class") or "").split()]
        shown = sum(1 for line in lines if "spare" in (line.element.get("class") or "").split())
        if not spares:
            continue
        last = spares[min(len(spares), shown + count) - 1]  # the last spare line to show
        found.setdefault(ident, []).append(f"{selector} > .spare:nth-child(-n+{last}) {{ display: block; }}")
    return found


def _paints(box: Box) -> bool:
    """Whether a box shows itself: a tint, or a rule on one of its sides."""
    style = box.style
    if style["background_color"].alpha > 0:
        return True
    return any(style[f"border_{side}_width"] > 0 for side in ("left", "right", "top", "bottom"))


def _content_end(box: Box) -> float:
    """Where what a box holds ends: its children's ends, looking through the children that
    show nothing themselves (a split statement inside a split script is stretched to the
    page's foot as well, yet paints nothing there)."""
    ends = []
    for child in box.children:
        if isinstance(child, BlockBox) and child.children and not _paints(child):
            ends.append(_content_end(child))
        else:
            ends.append(child.position_y + child.margin_height())
    return max(ends, default=box.content_box_y())


def end_split_boxes_at_content(document: Document) -> int:
    """Ruled and tinted boxes broken over a page end at their last line, not at the page's foot.

    CSS fragmentation (and WeasyPrint with it) stretches the first fragment of a broken box
    down to the end of the page, so a note whose next line moved overleaf paints an empty
    tint or rule to the foot. The box stays where it is; only the height it paints changes,
    and its background is laid out again for that height. Returns how many were trimmed.
    """
    from weasyprint.layout.background import layout_box_backgrounds

    def no_images(**_kwargs):
        raise AssertionError("only plain tints are trimmed")

    trimmed = 0
    for page in document.pages:
        body = _flow(page)
        if body is None:
            continue
        top, height = _area(page)
        foot = top + height
        # Innermost first: a box's own end depends on its children's trimmed ends.
        for box, _ in reversed(list(_boxes(body))):
            children = getattr(box, "children", None)
            if not children or box is body or not _paints(box) or box.element_tag in ("table", "tr", "td", "th"):
                continue
            if box.style["background_image"] and any(kind != "none" for kind, _ in box.style["background_image"]):
                continue
            bottom = box.position_y + box.margin_height()
            content = _content_end(box)
            if foot - bottom > 1 or bottom - content < 2:
                continue  # not stretched to the foot, or nothing to trim
            box.height = max(0, content - box.content_box_y())
            layout_box_backgrounds(page._page_box, box, no_images, layout_children=False)
            trimmed += 1
    return trimmed


def _kept_block(page) -> Box | None:
    """The first box on a page that asks not to be broken inside (a table, a box)."""
    body = _flow(page)
    if body is None:
        return None
    for box, _ in _boxes(body):
        element = getattr(box, "element", None)
        if element is None or box.element_tag in HEADINGS or box.element_tag in ("li", "tr", "p", "dt", "dd"):
            continue
        if box.style["break_inside"] in ("avoid", "avoid-page") and getattr(box, "children", None):
            return box
    return None


def stranded_rules(document: Document, root: Element) -> dict[str, str]:
    """Blocks kept whole (a run of show, a box) that are taller than the room under their
    heading: WeasyPrint moves them to the next page and breaks them there anyway, leaving
    the heading alone on a near-empty page. Such a block may break: a rule allowing it,
    by the id of its section.
    """
    parents = _parents(root)
    found: dict[str, str] = {}
    pages = document.pages
    for index in range(1, len(pages) - 1):
        top, height = _area(pages[index])
        if (_bottom(pages[index]) - top) / height >= MIN_FILL:
            continue
        block = _kept_block(pages[index + 1])
        if block is None:
            continue
        next_top, next_height = _area(pages[index + 1])
        # It was laid out from the top of an empty page and still reaches its foot.
        if block.position_y - next_top > 0.25 * next_height or block.margin_height() < 0.9 * next_height:
            continue
        selector = _selector(block.element, parents)
        ident = _section_of(block.element, parents)
        if selector and ident and ident not in found:
            found[ident] = f"{selector} {{ break-inside: auto; }}"
    return found
