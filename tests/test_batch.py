"""Batch builds: isolation of failures, incremental rebuilds, and parallel workers (never timed)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT, pdf_of_pages, pdf_text, run


def _org(i: int) -> str:
    return (
        f"name: Batch Test Clinic {i}\n"
        "workshop:\n  format: short\n"
        "land_acknowledgement:\n  nations:\n"
        "    - {name: Wendat, english_name: Huron-Wendat, name_pronunciation: WEN-dat}\n"
    )


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A private copy of the project with three small organizations, so tests can touch its files."""
    copy = tmp_path / "project"
    shutil.copytree(ROOT / "templates", copy / "templates")
    shutil.copytree(ROOT / "content", copy / "content", ignore=shutil.ignore_patterns("orgs"))
    (copy / "content/orgs").mkdir()
    for i in range(3):
        (copy / f"content/orgs/clinic-{i}.yaml").write_text(_org(i), encoding="utf-8")
    monkeypatch.setenv("PACKETS_ROOT", str(copy))
    return copy


def _quick_pdf(html: str, large_print: bool, sheets) -> tuple[bytes, int]:
    """A small, sound PDF that stands for the document `html` would make: its bytes change with
    the HTML and the options, and it has one to three pages."""
    digest = hashlib.sha256(f"{large_print}\0{sheets}\0{html}".encode()).hexdigest()
    pages = 1 + int(digest, 16) % 3
    drawings = [f"% {digest} page {n + 1}\n".encode() * 20 + b"0 0 10 10 re f" for n in range(pages)]
    return pdf_of_pages(drawings), pages


def _quick_render(self, html, base, large_print=False, sheets=None, forms=False, keep=None):
    """`Renderer.render`, standing in with `_quick_pdf`; a deck gets a page for each slide,
    each where it starts (a slide that runs over fails the build)."""
    import packets.render.pdf

    if sheets and "slides.css" in sheets:
        count = html.count('<section class="slide ')
        anchors = {f"slide-{n}": n for n in range(1, count + 1)}
        digest = hashlib.sha256(html.encode()).hexdigest()
        pdf = pdf_of_pages([f"% {digest} slide {n}\n".encode() + b"0 0 10 10 re f" for n in range(count)])
        return packets.render.pdf.Rendered(pdf, count, 1, anchors)
    return packets.render.pdf.Rendered(*_quick_pdf(html, large_print, sheets))


@pytest.fixture
def quick(monkeypatch):
    """WeasyPrint replaced by `_quick_pdf`, for the tests of what a build decides to render
    and write, which do not depend on what the pages look like. The tests that compare real
    PDFs, count layouts or read paper sizes keep the real renderer (the one counting set-ups
    keeps the real set-up)."""
    import packets.render.pdf

    # Forked workers inherit the patches.
    monkeypatch.setattr(packets.render.pdf.Renderer, "__post_init__", lambda self: None)
    monkeypatch.setattr(packets.render.pdf.Renderer, "render", _quick_render)


def _build(project: Path, *args: str):
    return run("build", "--out", str(project / "output"), "--audience", "participant", *args)


def _summary(output: str) -> str:
    return next(line for line in output.splitlines() if " built, " in line)


def test_a_bad_org_among_good_ones_does_not_stop_the_others(project, quick):
    (project / "content/orgs/broken.yaml").write_text("name: Broken\npaper: legal\n", encoding="utf-8")
    result = _build(project, "--jobs", "2")
    assert result.exit_code == 2
    assert "broken.yaml:2:" in result.output
    assert _summary(result.output).startswith("3 built, 0 up to date, 1 failed")
    for i in range(3):
        assert (project / f"output/clinic-{i}/clinic-{i}-participant-handout.pdf").is_file()
    assert not (project / "output/broken").exists()


def test_an_org_file_with_a_mistake_is_reported_without_rendering_it(project, monkeypatch, quick):
    """The parent validates each file before giving its documents to a worker: a file with a
    mistake is answered at once (as `check` answers it), and only the others are rendered."""
    import packets.write.workers

    log = project / "rendered.log"
    real = packets.write.workers.render_in_worker

    def logged(renderer, job, debug):
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(job.slug + "\n")
        return real(renderer, job, debug)

    monkeypatch.setattr(packets.write.workers, "render_in_worker", logged)  # forked workers inherit it
    (project / "content/orgs/broken.yaml").write_text("name: Broken\nnations: []\n", encoding="utf-8")
    result = _build(project, "--jobs", "2")
    assert result.exit_code == 2
    assert "broken.yaml:2: unknown key 'nations'" in result.output
    assert _summary(result.output).startswith("3 built, 0 up to date, 1 failed (1 file with mistakes, listed above);")
    assert sorted(log.read_text(encoding="utf-8").split()) == ["clinic-0", "clinic-1", "clinic-2"]

    log.unlink()
    only_broken = run("build", str(project / "content/orgs/broken.yaml"), "--out", str(project / "output"))
    assert only_broken.exit_code == 2 and "broken.yaml:2: unknown key 'nations'" in only_broken.output
    assert not log.exists()  # nothing to render: no worker was given anything


def test_a_failure_while_the_parent_prepares_a_document_is_that_orgs_alone(project, monkeypatch, quick):
    """Reading, planning and writing the HTML happen in the parent: an unexpected failure
    there is that organization's error, and the batch goes on with the others."""
    import packets.write.batch

    real = packets.write.batch.load_organization

    def broken(path, slug, *args):
        if slug == "clinic-1":
            raise RuntimeError("the validation fell over")
        return real(path, slug, *args)

    monkeypatch.setattr(packets.write.batch, "load_organization", broken)
    result = _build(project, "--jobs", "2")
    assert result.exit_code == 1, result.output
    assert "clinic-1: error: RuntimeError: the validation fell over" in result.output
    assert _summary(result.output).startswith("2 built, 0 up to date, 1 failed; ")
    assert not (project / "output/clinic-1").exists()


def test_an_unexpected_failure_is_reported_the_others_still_build_and_the_exit_status_is_1(project, monkeypatch, quick):
    import packets.render.job

    real = packets.render.job.render_job

    def render_job(job, renderer):
        if job.slug == "clinic-1":
            raise RuntimeError("the renderer fell over")
        return real(job, renderer)

    monkeypatch.setattr(packets.render.job, "render_job", render_job)  # forked workers inherit it
    result = _build(project, "-j1")
    assert result.exit_code == 1
    assert "clinic-1: error: RuntimeError: the renderer fell over" in result.output
    assert _summary(result.output).startswith("2 built, 0 up to date, 1 failed; ")  # not a file's mistake
    assert not (project / "output/clinic-1").exists()
    # The failed org is not recorded as built, so the next build tries it again.
    monkeypatch.setattr(packets.render.job, "render_job", real)
    assert _summary(_build(project, "-j1").output).startswith("1 built, 2 up to date")


def test_second_build_with_no_changes_renders_nothing(project, quick):
    assert _build(project, "-j1").exit_code == 0
    before = {p: p.stat().st_mtime_ns for p in (project / "output").rglob("*.pdf")}
    again = _build(project, "-j1")
    assert again.exit_code == 0
    assert _summary(again.output).startswith("0 built, 3 up to date, 0 failed")
    assert {p: p.stat().st_mtime_ns for p in (project / "output").rglob("*.pdf")} == before


def test_changing_the_css_rebuilds_everything(project, quick):
    _build(project, "-j1")
    css = project / "templates/css/blocks.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n/* changed */\n", encoding="utf-8")
    assert _summary(_build(project, "-j1").output).startswith("3 built, 0 up to date")


def test_changing_one_org_rebuilds_only_that_org(project, quick):
    _build(project, "-j1")
    org = project / "content/orgs/clinic-1.yaml"
    org.write_text(org.read_text(encoding="utf-8").replace("Clinic 1", "Clinic One"), encoding="utf-8")
    result = _build(project, "-j1")
    assert _summary(result.output).startswith("1 built, 2 up to date")
    assert "clinic-1-participant-handout.pdf" in result.output


def test_changing_the_content_or_a_font_rebuilds(project, quick):
    _build(project, "-j1")
    meta = project / "content/meta.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("2026.11", "2026.12"), encoding="utf-8")
    assert _summary(_build(project, "-j1").output).startswith("3 built")
    font = project / "templates/fonts/OFL-Andika.txt"
    font.write_text(font.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert _summary(_build(project, "-j1").output).startswith("3 built")


def test_changing_a_logo_rebuilds_only_its_org(project, quick):
    from PIL import Image

    logos = project / "content/orgs/logos"
    logos.mkdir()
    Image.new("RGB", (8, 8), (20, 90, 60)).save(logos / "clinic.png")
    org = project / "content/orgs/clinic-0.yaml"
    org.write_text(org.read_text(encoding="utf-8") + "logo: logos/clinic.png\n", encoding="utf-8")
    assert _summary(_build(project, "-j1").output).startswith("3 built")
    Image.new("RGB", (8, 8), (120, 30, 60)).save(logos / "clinic.png")
    assert _summary(_build(project, "-j1").output).startswith("1 built, 2 up to date")


def test_a_new_renderer_version_rebuilds_everything(project, monkeypatch, quick):
    import packets.write.batch

    _build(project, "-j1")
    monkeypatch.setattr(packets.write.batch, "RENDERER_PACKAGES", (*packets.write.batch.RENDERER_PACKAGES, "pytest"))
    assert _summary(_build(project, "-j1").output).startswith("3 built, 0 up to date")


def test_a_build_with_nothing_to_do_does_not_load_weasyprint(project, quick):
    """What keeps a no-op rebuild of many organizations well under a second."""
    _build(project, "-j1")
    script = (
        "import sys\n"
        "from packets.cli import main\n"
        f"code = main(['build', '-q', '--audience', 'participant', '--out', {str(project / 'output')!r}],"
        " standalone_mode=False)\n"
        "print(code, 'weasyprint' in sys.modules)\n"
    )
    env = {**os.environ, "PACKETS_ROOT": str(project), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert "0 built, 3 up to date" in out.stderr
    assert out.stdout.split() == ["0", "False"]


def test_force_rebuilds(project, quick):
    _build(project, "-j1")
    assert _summary(_build(project, "-j1", "--force").output).startswith("3 built, 0 up to date")


@pytest.mark.parametrize("damage", ["delete", "truncate"])
def test_a_deleted_or_truncated_output_is_rebuilt(project, damage, quick):
    _build(project, "-j1")
    pdf = project / "output/clinic-2/clinic-2-participant-handout.pdf"
    if damage == "delete":
        pdf.unlink()
    else:
        pdf.write_bytes(pdf.read_bytes()[:100])
    result = _build(project, "-j1")
    assert _summary(result.output).startswith("1 built, 2 up to date")
    assert pdf.stat().st_size > 1000


def test_the_manifest_records_what_each_org_was_built_from(project, quick):
    _build(project, "-j1")
    manifest = json.loads((project / "output/.packets-manifest.json").read_text(encoding="utf-8"))
    assert set(manifest) == {"clinic-0", "clinic-1", "clinic-2"}
    for slug, entry in manifest.items():
        (document,) = entry["documents"].values()  # one document was asked for
        assert len(document["key"]) == 64 and document["pdf"] == f"{slug}-participant-handout.pdf"


def _written(output: str) -> list[str]:
    return sorted(Path(line.split(" (")[0]).name for line in output.splitlines() if re.search(r"\(\d+ pages?\)$", line))


def test_switching_options_renders_only_the_documents_that_are_new(project, quick):
    """Each document has its own manifest entry: large print, the other audience or another
    paper renders only that document, and switching back renders nothing."""
    one = ("clinic-0", "-j1")
    assert _written(_build(project, *one).output) == ["clinic-0-participant-handout.pdf"]
    handout = project / "output/clinic-0/clinic-0-participant-handout.pdf"
    first = handout.stat().st_mtime_ns
    participant = ("--audience", "participant")
    steps = [
        ((*participant, "--large-print"), ["clinic-0-participant-handout-large-print.pdf"]),
        (participant, []),
        (("--audience", "both"), ["clinic-0-facilitator-guide.pdf"]),
        (("--audience", "both", "--large-print"), ["clinic-0-facilitator-guide-large-print.pdf"]),
        ((*participant, "--paper", "a4"), ["clinic-0-participant-handout-a4.pdf"]),
        ((*participant, "--paper", "a4", "--large-print"), ["clinic-0-participant-handout-large-print-a4.pdf"]),
        (("--audience", "both", "--large-print"), []),
    ]
    for args, expected in steps:
        result = run("build", "--out", str(project / "output"), *one, *args)
        assert result.exit_code == 0, result.output
        assert _written(result.output) == expected, (args, result.output)
        if not expected:
            assert _summary(result.output).startswith("0 built, 1 up to date"), result.output
    assert handout.stat().st_mtime_ns == first, "the first handout was never rendered again"


def test_paper_other_than_the_organizations_own_is_in_the_file_name(project):
    """`--paper a4` no longer overwrites the Letter files under the same names."""
    org = project / "content/orgs/clinic-1.yaml"
    org.write_text(org.read_text(encoding="utf-8") + "paper: a4\n", encoding="utf-8")
    for paper in ("letter", "a4"):
        assert _build(project, "clinic-0", "clinic-1", "-j1", "--paper", paper).exit_code == 0
    from pypdf import PdfReader

    names = {p.name: p for p in (project / "output").rglob("*.pdf")}
    assert set(names) == {
        "clinic-0-participant-handout.pdf",  # letter is clinic-0's own paper
        "clinic-0-participant-handout-a4.pdf",
        "clinic-1-participant-handout-letter.pdf",
        "clinic-1-participant-handout.pdf",  # a4 is clinic-1's own paper
    }
    widths = {name: round(float(PdfReader(str(p)).pages[0].mediabox.width)) for name, p in names.items()}
    assert widths["clinic-0-participant-handout.pdf"] == widths["clinic-1-participant-handout-letter.pdf"] == 612
    assert widths["clinic-0-participant-handout-a4.pdf"] == widths["clinic-1-participant-handout.pdf"] == 595


def test_parallel_workers_write_the_same_files_as_one(project):
    one = run("build", "--out", str(project / "one"), "--audience", "participant", "-j1")
    two = run("build", "--out", str(project / "two"), "--audience", "participant", "-j2")
    assert one.exit_code == two.exit_code == 0
    for pdf in (project / "one").rglob("*.pdf"):
        assert pdf.read_bytes() == (project / "two" / pdf.relative_to(project / "one")).read_bytes()


def test_one_orgs_documents_render_in_parallel_and_write_the_same_bytes_as_one_worker(project, monkeypatch, tmp_path):
    """The common case: one organization, its guide and handout on two cores at once."""
    import packets.render.pdf

    log = tmp_path / "renders.log"
    real = packets.render.pdf.Renderer.render

    def render(self, html, base, large_print=False, **_):
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()}\n")
        return real(self, html, base, large_print)

    monkeypatch.setattr(packets.render.pdf.Renderer, "render", render)  # forked workers inherit it
    one = run("build", "clinic-0", "--out", str(project / "one"), "--audience", "both", "-j1")
    log.unlink()
    two = run("build", "clinic-0", "--out", str(project / "two"), "--audience", "both", "-j2")
    assert one.exit_code == two.exit_code == 0, one.output + two.output
    assert len(set(log.read_text(encoding="utf-8").split())) == 2  # each document in a worker of its own
    names = sorted(p.name for p in (project / "one/clinic-0").glob("*.pdf"))
    assert names == ["clinic-0-facilitator-guide.pdf", "clinic-0-participant-handout.pdf"]
    for name in names:
        assert (project / "one/clinic-0" / name).read_bytes() == (project / "two/clinic-0" / name).read_bytes()
    # The messages come in the order the documents were asked for, whichever finished first.
    assert one.output.replace("/one/", "/two/").splitlines()[:2] == two.output.splitlines()[:2]
    assert "facilitator-guide" in two.output.splitlines()[0]


@pytest.fixture
def layouts(monkeypatch, tmp_path):
    """How many layouts WeasyPrint has made since the last call (forked workers included)."""
    import packets.render.pdf

    log = tmp_path / "layouts.log"
    real = packets.render.pdf.HTML.render

    def render(self, *args, **kwargs):
        document = real(self, *args, **kwargs)
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{len(document.pages)}\n")
        return document

    monkeypatch.setattr(packets.render.pdf.HTML, "render", render)  # forked workers inherit it

    class Layouts:
        """`layouts()`: how many since the last look; `layouts.pages()`: the pages of each."""

        def pages(self) -> list[int]:
            made = [int(n) for n in log.read_text(encoding="utf-8").split()] if log.exists() else []
            log.unlink(missing_ok=True)
            return made

        def __call__(self) -> int:
            return len(self.pages())

    return Layouts()


# The test handout laid out with nothing kept: once to decide, once with a section's tail
# pulled back, once with the writing lines that end a page filled to its foot (pageflow.py).
COLD_LAYOUTS = 3


def test_a_document_laid_out_again_lays_out_once_and_writes_the_same_bytes(project, monkeypatch, tmp_path, layouts):
    """The page-flow decisions of a layout are kept (packets/cache.py), so the very
    same document built again, forced or into another folder, skips the second layout; the
    PDFs are the bytes a build from nothing writes."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("PACKETS_CACHE", str(cache))
    args = ("clinic-0", "--audience", "participant", "-j1")  # a section tail of the handout needs a second layout
    assert run("build", *args, "--out", str(project / "fresh")).exit_code == 0
    assert layouts() == COLD_LAYOUTS
    assert run("build", *args, "--out", str(project / "elsewhere")).exit_code == 0
    assert layouts() == 1
    assert run("build", *args, "--force", "--out", str(project / "elsewhere")).exit_code == 0
    assert layouts() == 1
    for pdf in (project / "fresh").rglob("*.pdf"):
        assert pdf.read_bytes() == (project / "elsewhere" / pdf.relative_to(project / "fresh")).read_bytes()
    # A cache entry edited to slip other CSS in is not taken back, nor is a section's: the
    # decisions are made afresh.
    (entry,) = sorted((cache / "layout").rglob("*.json"))
    slipped = json.dumps({"compact": False, "rules": ["body { color: red } #x"]})
    entry.write_text(slipped, encoding="utf-8")
    sections = sorted((cache / "sections").rglob("*.json"))
    assert len(sections) >= 5  # the handout's page-flow sections, the contents aside
    for section in sections:
        section.write_text(slipped, encoding="utf-8")
    assert run("build", *args, "--force", "--out", str(project / "elsewhere")).exit_code == 0
    assert layouts() == COLD_LAYOUTS
    for pdf in (project / "fresh").rglob("*.pdf"):
        assert pdf.read_bytes() == (project / "elsewhere" / pdf.relative_to(project / "fresh")).read_bytes()
    # A change to a stylesheet (part of the cache's salt) makes them afresh, and so would any
    # change to the HTML (it is the key).
    css = project / "templates/css/blocks.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n/* edited */\n", encoding="utf-8")
    assert run("build", *args, "--force", "--out", str(project / "elsewhere")).exit_code == 0
    assert layouts() == COLD_LAYOUTS
    assert len(sorted((cache / "layout").rglob("*.json"))) == 2
    # With the cache off, nothing is kept or taken back.
    monkeypatch.setenv("PACKETS_CACHE", "off")
    assert run("build", *args, "--force", "--out", str(project / "elsewhere")).exit_code == 0
    assert layouts() == COLD_LAYOUTS
    assert len(sorted((cache / "layout").rglob("*.json"))) == 2


def test_after_an_edit_the_sections_it_left_alone_keep_their_decisions_and_the_bytes_are_a_fresh_builds(
    project, monkeypatch, tmp_path, layouts
):
    """The common case: a coordinator edits the organization file and builds again. Each
    section's page-flow decision is kept under that section's own HTML, so an edit to the
    cover leaves the handout's other decisions good: one layout instead of two, and the
    very bytes a build with no cache at all writes of the edited file. An edit to a section
    costs a layout of that section alone (with the cover) and one of the whole."""
    monkeypatch.setenv("PACKETS_CACHE", str(tmp_path / "cache"))
    args = ("clinic-0", "--audience", "participant", "-j1")
    assert run("build", *args, "--out", str(project / "output")).exit_code == 0
    assert layouts() == COLD_LAYOUTS
    org = project / "content/orgs/clinic-0.yaml"
    edited = org.read_text(encoding="utf-8").replace("format: short", "format: short\n  location: Room 2, east wing")
    org.write_text(edited, encoding="utf-8")
    assert run("build", *args, "--out", str(project / "output")).exit_code == 0
    assert layouts() == 1
    assert "Room 2, east wing" in pdf_text(project / "output/clinic-0/clinic-0-participant-handout.pdf")
    _same_as_a_cold_build(project, monkeypatch, args, "cold", layouts)
    # An edit to a section (the acknowledgement's commitments): that section is laid out
    # alone with the cover to judge it, then the whole handout once.
    commitment = "  commitments:\n    - We meet the Wendat Nation's health committee each season and act on it.\n"
    org.write_text(edited + commitment, encoding="utf-8")
    assert run("build", *args, "--out", str(project / "output")).exit_code == 0
    alone, whole = layouts.pages()
    assert alone <= whole / 4
    _same_as_a_cold_build(project, monkeypatch, args, "cold-again", layouts)


def _same_as_a_cold_build(project: Path, monkeypatch, args: tuple[str, ...], folder: str, layouts) -> None:
    """The handout just built is the very bytes of a build with nothing kept, which lays it out twice."""
    with monkeypatch.context() as patched:
        patched.setenv("PACKETS_CACHE", "off")
        assert run("build", *args, "--out", str(project / folder)).exit_code == 0
    assert layouts() == COLD_LAYOUTS
    pdf = "clinic-0/clinic-0-participant-handout.pdf"
    assert (project / "output" / pdf).read_bytes() == (project / folder / pdf).read_bytes()


def test_a_sections_decision_key_is_its_own_html_and_the_head_without_metadata(tmp_path):
    """What makes a section's kept decision usable by another document: the same section and
    the same head, whatever the title or the other sections say; and nothing is shared when
    the body holds anything but sections that begin a page."""
    # WeasyPrint is imported through pdf.py (libraries.py).
    from packets.render.pdf import HTML, ConfinedFetcher, page_sections, section_keys

    def document(title: str, acknowledgement: str, paper: str = "letter", stray: str = "") -> str:
        return (
            f'<html lang="en"><head><title>{title}</title><meta name="author" content="{title}">'
            f"<style>@page {{ size: {paper}; }}</style></head><body>"
            '<section class="cover" id="cover"><p>Cover</p></section>'
            '<nav class="contents" id="contents"><p>Contents</p></nav>'
            f'<section class="major acknowledgement" id="land">{acknowledgement}</section>{stray}'
            '<section class="major module" id="trust"><p>Trust takes time.</p></section></body></html>'
        )

    fetcher = ConfinedFetcher((tmp_path,))
    first = section_keys(document("Clinic A", "<p>On the land of the Wendat.</p>"), False, False, fetcher)
    other = section_keys(document("Clinic B", "<p>On the land of the xʷməθkʷəy̓əm.</p>"), False, False, fetcher)
    assert list(first) == ["contents", "land", "trust"]
    assert first["trust"] == other["trust"] and first["contents"] == other["contents"]
    assert first["land"] != other["land"]
    a4 = section_keys(document("Clinic A", "<p>On the land of the Wendat.</p>", "A4"), False, False, fetcher)
    large = section_keys(document("Clinic A", "<p>On the land of the Wendat.</p>"), True, False, fetcher)
    assert a4["trust"] != first["trust"] and large["trust"] != first["trust"]
    assert page_sections(HTML(string=document("A", "<p>x</p>")).etree_element) == ["contents", "land", "trust"]
    stray = document("A", "<p>x</p>", stray="<p>Runs on after the acknowledgement.</p>")
    assert page_sections(HTML(string=stray).etree_element) is None


def test_summary_counts_pages(project, quick):
    result = _build(project, "-j2")
    pages = int(_summary(result.output).split("; ")[1].split(" pages")[0])
    from pypdf import PdfReader

    assert pages == sum(len(PdfReader(str(p)).pages) for p in (project / "output").rglob("*.pdf"))
    assert os.path.exists(project / "output/.packets-manifest.json")


def test_each_worker_sets_weasyprint_up_once_and_the_parent_jinja(project, monkeypatch, tmp_path):
    """Fonts and stylesheets are made once per worker, and the template environment once in
    the parent (which writes the HTML), whatever the batch size."""
    import packets.render.html
    import packets.render.pdf

    log = tmp_path / "setups.log"

    def logged(cls, what):
        class Logged(cls):
            def __init__(self, *args, **kwargs):
                # A document's own page-flow rules are a small stylesheet from a string;
                # the set-up that must happen once is everything read from files.
                if what != "css" or "filename" in kwargs:
                    with open(log, "a", encoding="utf-8") as handle:
                        handle.write(f"{what} {os.getpid()}\n")
                super().__init__(*args, **kwargs)

        return Logged

    # Worker processes are forked from this one, so they inherit these patches. The set-up is
    # real; the documents are stand-ins (`_quick_pdf`), as what is counted is made before any.
    monkeypatch.setattr(packets.render.pdf.Renderer, "render", _quick_render)
    monkeypatch.setattr(packets.render.pdf, "FontConfiguration", logged(packets.render.pdf.FontConfiguration, "fonts"))
    monkeypatch.setattr(packets.render.pdf, "CSS", logged(packets.render.pdf.CSS, "css"))
    monkeypatch.setattr(packets.render.html, "Environment", logged(packets.render.html.Environment, "jinja"))
    for i in range(3, 7):
        (project / f"content/orgs/clinic-{i}.yaml").write_text(_org(i), encoding="utf-8")
    result = _build(project, "-j2")
    assert _summary(result.output).startswith("7 built")
    setups = Counter(tuple(line.split()) for line in log.read_text(encoding="utf-8").splitlines())
    workers = {pid for what, pid in setups if what != "jinja"}
    assert 1 <= len(workers) <= 2
    assert str(os.getpid()) not in workers
    for pid in workers:
        # One font configuration and the three stylesheets (the large-print one and the tight
        # cover are read only by a document that needs them), and no Jinja environment.
        assert (setups["fonts", pid], setups["css", pid], setups["jinja", pid]) == (1, 3, 0)
    assert setups["jinja", str(os.getpid())] == 1


@pytest.mark.parametrize("logo", ["../../secret.png", "/SECRET", "logos/huge.png"])
def test_deciding_what_to_rebuild_reads_no_logo_the_build_would_refuse(project, logo):
    """The up-to-date check runs before validation, so it keeps to the same limits as the build."""
    from packets.load.assets import MAX_LOGO_BYTES
    from packets.write.batch import org_inputs_digest
    from packets.write.pipeline import BuildOptions, OrgSource

    secret = project / "secret.png"
    (project / "content/orgs/logos").mkdir()
    huge = project / "content/orgs/logos/huge.png"
    org = project / "content/orgs/clinic-0.yaml"
    org.write_text(org.read_text(encoding="utf-8") + f"logo: {logo.replace('/SECRET', str(secret))}\n", "utf-8")
    source = OrgSource("clinic-0", org)
    digests = set()
    for fill in (b"a", b"b"):
        secret.write_bytes(b"\x89PNG\r\n\x1a\n" + fill * 64)
        huge.write_bytes(b"\x89PNG\r\n\x1a\n" + fill * MAX_LOGO_BYTES)
        digests.add(org_inputs_digest(source, "shared", BuildOptions()))
    assert len(digests) == 1
    assert _build(project, "-j1").exit_code == 2
