"""Shared helpers: run the real CLI, build packets once per session, read PDFs back."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import re
import shutil
import signal
import subprocess
import unicodedata
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from pypdf import PdfReader

import packets.render.pdf  # noqa: F401  (see below)
from packets.cli import main
from packets.load.curriculum import Project, english_files
from packets.load.overlay import OPTIONAL_KEYS, has_text, is_structure
from packets.load.sources import read_yaml

# The builds the tests run fork their workers from this process: with WeasyPrint imported
# here once, no worker imports it again (over a second each, for a few hundred builds).

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SOURCE = ROOT.parent / "shared" / "source" / "allyship-guidance.txt"
SESSIONS = FIXTURES / "sessions"
SLUGS = sorted(p.stem for p in SESSIONS.glob("*.yaml"))

# A suite started in the background of a shell without job control (`make test &`, nohup)
# inherits Ctrl-C ignored, and so would every build it starts: the tests that send Ctrl-C to a
# build would see it finish instead. The builds get Ctrl-C as a person's terminal gives it.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def run(*args: str, input: str | None = None):
    """Invoke the CLI as a user would (from the project root), capturing stdout and stderr."""
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)


def fixture_editions(path: Path) -> tuple[str, ...]:
    """The editions (languages) an organization file asks for, as a build reads them: a French
    fixture's files end in -fr, a bilingual one's come in both."""
    from packets.load.sources import read_yaml
    from packets.write.batch import file_editions

    return file_editions(read_yaml(path))


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def rejoin_marks(text: str) -> str:
    """Undo one pypdf artefact: a line break or space put around a combining mark.

    With the comma above raised to the right of a tall letter (l̓, as Salishan orthographies
    write it), pypdf sees the mark on another baseline and puts a break before (and sometimes
    after) it. It does not read /ActualText, which is how the PDF tells viewers the word;
    the characters and their order are otherwise intact. Viewers' readings are not rejoined.
    """
    text = re.sub(r"\s+([\u0300-\u036f]+)\s+", r"\1", text)
    return re.sub(r"\s+(?=[\u0300-\u036f])", "", text)


def _read_once(reading):
    """Each reading of a PDF is made once per test process: many tests read the same built
    PDF (pypdf takes seconds over a guide), and the file is the same while its size and
    modification time are."""

    @functools.lru_cache(maxsize=256)
    def cached(path: str, size: int, mtime: int):
        return reading(Path(path))

    @functools.wraps(reading)
    def read(path: Path):
        st = Path(path).stat()
        value = cached(str(Path(path).resolve()), st.st_size, st.st_mtime_ns)
        return list(value) if isinstance(value, list) else value

    return read


@_read_once
def _pypdf_pages(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


def pypdf_text(path: Path) -> str:
    """Text of every page, pypdf's reading, NFC-normalised: one of the three readers the
    copy-paste tests compare (it takes about 20 times as long as PDFium)."""
    return nfc(rejoin_marks("\n".join(_pypdf_pages(path))))


@_read_once
def _pdfium_pages(path: Path) -> list[str]:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(path))
    try:
        return [nfc(page.get_textpage().get_text_range().replace("\r\n", "\n")) for page in pdf]
    finally:
        pdf.close()


def pdfium_text(path: Path) -> str:
    """Text of every page as PDFium (Chrome's PDF viewer) copies it, NFC-normalised."""
    return "\n".join(_pdfium_pages(path))


def pdf_text(path: Path) -> str:
    """Text of every page, as a reader copies it (PDFium's reading): what tests that look
    for words read. The tests of copy-paste compare it with pypdf's and Poppler's."""
    return pdfium_text(path)


def page_texts(path: Path) -> list[str]:
    """Each page's text (PDFium's reading), NFC-normalised."""
    return _pdfium_pages(path)


@_read_once
def pdftotext(path: Path) -> str:
    """Poppler's reading, the one most PDF viewers' copy-paste agrees with."""
    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run([exe, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return nfc(out.stdout.decode("utf-8"))


def pdfua_findings(paths: list[Path]) -> list[str]:
    """What the independent PDF/UA checker `pdfua` (as `pdfua check` runs it) finds in each PDF."""
    from pdfua import validate

    found = []
    for path in paths:
        report = validate(str(path))
        found += [f"{path.name}: {f.rule_id} {f.severity.name}: {f.message}" for f in report.findings]
    return found


def pdf_of_pages(contents: list[bytes]) -> bytes:
    """A minimal, sound PDF (pydyf, as WeasyPrint writes them): one Letter page per drawing in `contents`."""
    import io

    import pydyf

    document = pydyf.PDF()
    for content in contents:
        stream = pydyf.Stream([content])
        document.add_object(stream)
        page = pydyf.Dictionary(
            {
                "Type": "/Page",
                "Parent": document.pages.reference,
                "MediaBox": pydyf.Array([0, 0, 612, 792]),
                "Resources": pydyf.Dictionary(),
            }
        )
        page["Contents"] = stream.reference
        document.add_page(page)
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def flat(text: str) -> str:
    """Whitespace folded, so line wrapping in the PDF does not matter."""
    return " ".join(text.split())


@contextlib.contextmanager
def built_once(tmp_path_factory, worker_id: str, name: str):
    """A folder that a session fixture builds into once for the whole run, however many
    pytest-xdist workers share it: the first to take the lock builds, the others wait and
    reuse it. Yields the folder, and whether the caller must build it."""
    if worker_id == "master":  # not under xdist
        yield tmp_path_factory.mktemp(name), True
        return
    shared = tmp_path_factory.getbasetemp().parent  # the same for every worker of this run
    out, done = shared / name, shared / f"{name}.done"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists():
            yield out, False
            return
        shutil.rmtree(out, ignore_errors=True)  # a worker that failed half-way
        out.mkdir()
        yield out, True
        done.touch()


@pytest.fixture(scope="session", autouse=True)
def layout_cache(tmp_path_factory, worker_id) -> Path:
    """One page-flow decision cache for the whole run (packets/cache.py), shared by the
    xdist workers and apart from the user's own: a document laid out again by another test
    takes its decisions back, as a coordinator's second build does. Tests about the cache
    itself give themselves an empty one."""
    base = tmp_path_factory.getbasetemp()
    folder = (base if worker_id == "master" else base.parent) / "layout-cache"
    folder.mkdir(exist_ok=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PACKETS_CACHE", str(folder))
        yield folder


@pytest.fixture(scope="session")
def example_build(tmp_path_factory, worker_id) -> dict[str, Path]:
    """The shipped example org, both documents (and their --html copies), built once for the whole session.

    "output" is what the build printed."""
    with built_once(tmp_path_factory, worker_id, "example-out") as (out, build):
        if build:
            result = run("build", "example", "--html", "--out", str(out), "--jobs", "2")
            assert result.exit_code == 0, result.output
            (out / "build-output.txt").write_text(result.output, encoding="utf-8")
    folder = out / "example"
    return {
        "out": out,
        "output": (out / "build-output.txt").read_text(encoding="utf-8"),
        "facilitator": folder / "example-facilitator-guide.pdf",
        "participant": folder / "example-participant-handout.pdf",
    }


@_read_once
def page_fill(path: Path) -> list[tuple[float, bool]]:
    """For each page: how far down its text area the ink reaches (0 to 1), running heads
    excluded, and whether it is a writing page (three or more ruled lines across it)."""
    import pypdfium2
    from PIL import Image

    pages = []
    for page in pypdfium2.PdfDocument(str(path)):
        area = text_area_ink(page)
        ink = area.getbbox()
        # A ruled line is solid across most of the width; text, averaged over 8-pixel
        # chunks, never is.
        chunks = area.resize((max(1, area.width // 8), area.height), Image.Resampling.BOX)
        data, w = list(chunks.get_flattened_data()), chunks.width
        solid = [sum(1 for v in data[r * w : (r + 1) * w] if v > 180) >= 0.6 * w for r in range(chunks.height)]
        rules = sum(1 for i, s in enumerate(solid) if s and (i == 0 or not solid[i - 1]))
        pages.append((0.0 if ink is None else ink[3] / area.height, rules >= 3))
    return pages


def text_area_ink(page):
    """A page (pypdfium2) at 60 dpi, cropped to its text area (20 mm from the top, 22 mm from
    the foot: no running heads or page numbers), its ink white on black."""
    image = page.render(scale=60 / 72).to_pil().convert("L")
    height = image.height
    mm = height / (page.get_size()[1] / 72 * 25.4)
    top, bottom = round(20 * mm), height - round(22 * mm)
    return image.crop((0, top, image.width, bottom)).point(lambda v: 255 if v < 235 else 0)


@_read_once
def named_destinations(path: Path) -> frozenset[str]:
    """The names a PDF's links can point to (its anchors), read once per test process."""
    return frozenset(PdfReader(str(path)).named_destinations)


@_read_once
def section_pages(path: Path) -> frozenset[int]:
    """Indexes of the pages a top-level section (a bookmark of the first level) starts on."""
    reader = PdfReader(str(path))
    return frozenset(reader.get_destination_page_number(item) for item in reader.outline if not isinstance(item, list))


def short_pages(path: Path) -> list[tuple[int, float]]:
    """Pages (1-based) that continue a section yet hold less than a third of a page.

    The cover, a section's first page (a one-page section, the notes page) and writing
    pages may be short.
    """
    starts = section_pages(path)
    return [
        (index + 1, round(fill, 2))
        for index, (fill, writing) in enumerate(page_fill(path))
        if index > 0 and index not in starts and not writing and fill < 1 / 3
    ]


@pytest.fixture(scope="session")
def fixture_org_builds(tmp_path_factory, worker_id) -> Path:
    """Every fixture organization, both documents and their large-print editions (and their
    --html copies), built once for the session."""
    with built_once(tmp_path_factory, worker_id, "fixtures-out") as (out, build):
        if build:
            orgs = sorted((FIXTURES / "orgs").glob("*.yaml"))
            result = run("build", *map(str, orgs), "--large-print", "--html", "--out", str(out), "--jobs", "2")
            assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def sessions(tmp_path_factory, worker_id) -> dict[str, dict[str, Path]]:
    """Every session fixture, both documents, built once for the whole run (test_curriculum reads them too)."""
    with built_once(tmp_path_factory, worker_id, "sessions-out") as (out, build):
        if build:
            result = run("build", *(str(SESSIONS / f"{s}.yaml") for s in SLUGS), "--out", str(out), "--jobs", "2")
            assert result.exit_code == 0, result.output
    return {
        slug: {
            "facilitator": out / slug / f"{slug}-facilitator-guide.pdf",
            "participant": out / slug / f"{slug}-participant-handout.pdf",
        }
        for slug in SLUGS
    }


@pytest.fixture
def empty_project(tmp_path, monkeypatch) -> Path:
    """The real curriculum and templates, linked, with an organizations folder holding only the example."""
    project = tmp_path / "project"
    (project / "content").mkdir(parents=True)
    for item in (ROOT / "content").iterdir():
        if item.name != "orgs":
            (project / "content" / item.name).symlink_to(item)
    (project / "content/orgs").mkdir()
    (project / "content/orgs/example.yaml").symlink_to(ROOT / "content/orgs/example.yaml")
    (project / "templates").symlink_to(ROOT / "templates")
    monkeypatch.setenv("PACKETS_ROOT", str(project))
    return project


def _pseudo_french(value, listed_by_id: bool = False):
    """A stand-in French overlay made from the English: the same text with a French word
    in front, so a test can see which language printed and the loader sees a full overlay."""
    if isinstance(value, str):
        return "Texte : " + value
    if isinstance(value, list):
        by_id = bool(value) and all(isinstance(v, dict) and "id" in v for v in value)
        return [_pseudo_french(v, by_id) for v in value]
    if isinstance(value, dict):
        return {
            k: v if k == "id" and listed_by_id else _pseudo_french(v)
            for k, v in value.items()
            if (k == "id" and listed_by_id) or (not is_structure(k, v) and k not in OPTIONAL_KEYS and has_text(v))
        }
    return value


def _write_yaml(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")


@pytest.fixture
def french_project(empty_project: Path) -> Path:
    """The real English curriculum with a complete stand-in French overlay in content/fr/
    (each text the English with "Texte : " in front), and the example organization copied:
    a project that builds French editions before the real French text exists."""
    (empty_project / "content" / "fr").unlink(missing_ok=True)
    example = empty_project / "content/orgs/example.yaml"
    example.unlink()
    example.write_bytes((ROOT / "content/orgs/example.yaml").read_bytes())
    project = Project(empty_project)
    for path in english_files(project):
        if path.name in ("nation-names.yaml", "source-map.yaml"):
            continue
        relative = path.relative_to(project.content)
        _write_yaml(project.content / "fr" / relative, _pseudo_french(read_yaml(path, trusted=True).data))
    return empty_project


def comparable(text: str) -> str:
    """Text as words only, for finding a passage in a PDF's reading whatever the typesetting
    did: Markdown marks, line breaks, hyphens (a word hyphenated at a line end, as French
    hyphenation does, reads "compé‐ tence" with U+2010), no-break spaces (French puts them before : ; ? !
    and inside « »), the apostrophe's form and the punctuation those spaces sit beside."""
    text = unicodedata.normalize("NFC", text).replace("\u00ad", "").replace("\u2019", "'").replace("\u02bc", "'")
    text = re.sub(r"[*_`«»“”\"]", " ", text)
    # WeasyPrint's automatic hyphenation inserts U+2010 HYPHEN ("tra‐ vailler"), not "-".
    text = re.sub(r"[-\u2010]\s+", "", text).replace("-", "").replace("\u2010", "")
    text = re.sub(r"\s*([:;?!.,])", r"\1", text)
    return " ".join(text.casefold().split())


def idea_carriers(curriculum) -> dict[tuple[int, ...], list[str]]:
    """For each idea of the source map (by its source lines), the printed texts that teach it
    in every session: the explanations of its module principles (printed in guide and handout
    whatever the length, as reading when the module does not run) and its essentials (said
    aloud in every session), in the curriculum's own language."""
    principles = {p.id: p.explanation for m in curriculum.modules.values() for p in m.principles}
    essentials = {e.id: e.text for e in curriculum.facilitation.essentials}
    return {
        tuple(idea.lines): [
            principles.get(i) or essentials[i] for i in idea.taught_by if i in principles or i in essentials
        ]
        for idea in curriculum.source_map.ideas
    }


def ideas_missing(curriculum, pdf_reading: str, words: int = 12) -> list[tuple[int, ...]]:
    """The source lines of every idea none of whose carriers (`idea_carriers`) reads back in
    `pdf_reading` by its opening words: an empty list when the document teaches them all."""
    text = comparable(pdf_reading)
    return [
        lines
        for lines, carriers in idea_carriers(curriculum).items()
        if not any(" ".join(comparable(c).split()[:words]) in text for c in carriers)
    ]


# The example's delivery kit and whole kit are shared by several files (test_delivery_kit,
# test_print_craft, test_slides, test_packets): built once for the run.
KIT = ("--slides", "--booklet", "--booklet", "guide", "--fillable")


@pytest.fixture(scope="session")
def kit(tmp_path_factory, worker_id) -> dict[str, Path]:
    """Every kind of the kit for two organizations, built once for the run, in a batch with two workers."""
    with built_once(tmp_path_factory, worker_id, "kit-out") as (out, build):
        if build:
            org = ROOT / "content/orgs/example.yaml"
            many = FIXTURES / "orgs/many-nations.yaml"
            args = (str(org), str(many), "--audience", "participant", *KIT, "--out", str(out), "--jobs", "2")
            result = run("build", *args)
            assert result.exit_code == 0, result.output
    folder = out / "example"
    return {
        "out": out,
        "slides": folder / "example-slides.pdf",
        "booklet": folder / "example-participant-handout-booklet.pdf",
        "guide-booklet": folder / "example-facilitator-guide-booklet.pdf",
        "fillable": folder / "example-participant-handout-fillable.pdf",
        "handout": folder / "example-participant-handout.pdf",
        "many-slides": out / "many-nations/many-nations-slides.pdf",
        "many-booklet": out / "many-nations/many-nations-participant-handout-booklet.pdf",
    }


PAPERS = ("letter", "a4")


@pytest.fixture(scope="session")
def whole_kit(tmp_path_factory, worker_id) -> dict[str, Path]:
    """The example's whole kit, on Letter and on A4: guide, handout, their large print,
    both booklets and the fillable handout."""
    found = {}
    for paper in PAPERS:
        with built_once(tmp_path_factory, worker_id, f"whole-kit-{paper}") as (out, build):
            if build:
                args = ("--large-print", "--booklet", "handout", "--booklet", "guide", "--fillable", "--slides")
                result = run("build", "example", *args, "--paper", paper, "--out", str(out), "--jobs", "2")
                assert result.exit_code == 0, result.output
        folder = out / "example"
        for kind in (
            "facilitator-guide",
            "participant-handout",
            "facilitator-guide-large-print",
            "participant-handout-large-print",
            "participant-handout-booklet",
            "facilitator-guide-booklet",
            "participant-handout-fillable",
        ):
            # A paper other than the organization's own is in the name of the guide and handout.
            named = folder / f"example-{kind}-{paper}.pdf"
            found[f"{paper}:{kind}"] = named if named.exists() else folder / f"example-{kind}.pdf"
            assert found[f"{paper}:{kind}"].exists(), found[f"{paper}:{kind}"]
    return found


# The longest tests that build their own documents (over a minute each on the 2-core CI machine,
# by `pytest --durations`), dispatched first of the tests outside an xdist group: `--dist
# loadgroup` hands out the groups first, then the other tests in collection order, so one of
# these last would keep a worker busy alone at the end of the run. Order only: each test is
# whole by itself (xdist runs them in any order already).
SLOW_FIRST = (
    "tests/test_print_craft.py::test_a_range_of_years_and_a_hyphenated_name_stay_whole_in_a_long_territory",
    "tests/test_coordinator.py::test_a_coordinator_on_wolastoqey_territory_inits_checks_builds_edits_and_nothing",
    "tests/test_print_craft.py::test_an_email_address_breaks_only_after_its_at_or_before_a_dot",
    "tests/test_french_ideas.py::test_every_idea_reads_back_in_the_french_guide_and_handout",
    "tests/test_editions.py::test_a_bilingual_organization_rebuilds_only_the_edition_its_change_reaches",
    "tests/test_fuzz.py::test_a_logo_check_passes_is_a_logo_build_draws",
    "tests/test_faults.py::test_a_poisoned_layout_entry_is_never_worse_than_a_miss",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests of SLOW_FIRST moved to the front, in its order; every other test keeps its place."""

    def rank(item: pytest.Item) -> int:
        return next((n for n, prefix in enumerate(SLOW_FIRST) if item.nodeid.startswith(prefix)), len(SLOW_FIRST))

    items.sort(key=rank)
