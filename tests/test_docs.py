"""The README and docs/: short enough to read, every link leading somewhere, no stale figures.

A broken link in the documentation is a dead end for a coordinator, so every relative link
(and every #anchor, as GitHub makes them from headings) is followed here, as a reader would.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import ROOT

README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
README_MAX_LINES = 250

_FENCE = re.compile(r"^(```|~~~)")
_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_INLINE_CODE = re.compile(r"`+[^`]*`+")


def _prose_lines(text: str) -> list[tuple[int, str]]:
    """The lines outside fenced code blocks, inline code removed (a link shown as code is not a link)."""
    lines, fenced = [], False
    for number, line in enumerate(text.splitlines(), 1):
        if _FENCE.match(line.strip()):
            fenced = not fenced
            continue
        if not fenced:
            lines.append((number, _INLINE_CODE.sub("", line)))
    return lines


def _anchors(page: Path) -> set[str]:
    """The #anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for _, line in _prose_lines(page.read_text(encoding="utf-8")):
        match = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not match:
            continue
        slug = re.sub(r"[^\w\- ]", "", match[1].strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def _links(page: Path) -> list[tuple[int, str]]:
    return [
        (number, target)
        for number, line in _prose_lines(page.read_text(encoding="utf-8"))
        for target in _LINK.findall(line)
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target)  # http:, https:, mailto: lead elsewhere
    ]


def _broken(page: Path, root: Path = ROOT) -> list[str]:
    broken = []
    for number, target in _links(page):
        path_part, _, anchor = target.partition("#")
        destination = (page.parent / path_part).resolve() if path_part else page
        where = f"{page.relative_to(root)}:{number}: {target}"
        if not destination.exists():
            broken.append(f"{where} (no such file)")
        elif anchor and destination.suffix == ".md" and anchor not in _anchors(destination):
            broken.append(f"{where} (no heading makes #{anchor})")
        elif not destination.is_relative_to(root.resolve()):
            broken.append(f"{where} (outside the project)")
    return broken


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_anchor_leads_somewhere(page):
    assert _broken(page) == []


def test_the_link_check_finds_a_missing_file_and_a_missing_heading(tmp_path):
    """The check above can fail: a page with a dead link and a dead anchor is caught, a good one is not."""
    (tmp_path / "a.md").write_text("# Title\n\n## Sessions of any length\n", encoding="utf-8")
    page = tmp_path / "b.md"
    page.write_text(
        "See [a](a.md#sessions-of-any-length), [gone](gone.md), [bad](a.md#no-such-heading),\n"
        "[site](https://example.org/x.md) and `[code](nowhere.md)`.\n"
        "```\n[fenced](nowhere.md)\n```\n",
        encoding="utf-8",
    )
    assert _broken(page, tmp_path) == [
        "b.md:1: gone.md (no such file)",
        "b.md:1: a.md#no-such-heading (no heading makes #no-such-heading)",
    ]


def test_the_readme_is_short_enough_to_read_in_five_minutes():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; move detail to docs/"


def test_the_docs_index_links_every_page_and_the_readme_links_the_index():
    index = {target.partition("#")[0] for _, target in _links(DOCS / "index.md")}
    pages = {p.name for p in DOCS.glob("*.md")} - {"index.md"}
    assert pages <= index, f"docs/index.md does not link {sorted(pages - index)}"
    assert "docs/index.md" in {target for _, target in _links(README)}


def test_the_readme_states_no_figure_that_goes_stale():
    """The test count and the suite's time change with every commit and machine: the README gives neither."""
    text = README.read_text(encoding="utf-8")
    assert not re.search(r"\b\d[\d,]* tests\b", text)
    assert not re.search(r"\b\d+ ?(min|minutes?)\b.{0,20}\b\d+ ?s\b", text)
    assert not re.search(r"(suite|make test)[^\n.]{0,80}\b\d+ (minutes|min|seconds|s)\b", text)


def test_the_readme_says_how_to_ask_for_french_and_links_the_pages():
    text = " ".join(README.read_text(encoding="utf-8").split())
    assert "language: fr" in text and "languages: [en, fr]" in text and "-fr" in text
    assert "(docs/editions.md)" in text and "(docs/hosting.md)" in text
    assert "English only" not in text and "issue 32" not in text
