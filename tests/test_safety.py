"""Safe with files from anyone, round two (issue 16): what the batch does with hostile files,
the render budget, leftovers and races, cache keys from the parsed file, and PDFs read back.

Cases that are one file with one message live in tests/bad_inputs/ (test_hostile_inputs.py);
these need a project of their own, a second process, or a renderer made to misbehave.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT, pdf_of_pages, run
from hypothesis import given, settings
from hypothesis import strategies as st

from packets.render.pdf_check import BrokenPdf, check_pdf


def _org(i: int) -> str:
    return (
        f"name: Safety Test Clinic {i}\n"
        "workshop:\n  format: short\n"
        "land_acknowledgement:\n  nations:\n    - {name: Wendat, english_name: Huron-Wendat, pronunciation: WEN-dat}\n"
    )


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A private copy of the project with three small organizations."""
    copy = tmp_path / "project"
    shutil.copytree(ROOT / "templates", copy / "templates")
    shutil.copytree(ROOT / "content", copy / "content", ignore=shutil.ignore_patterns("orgs"))
    (copy / "content/orgs").mkdir()
    for i in range(3):
        (copy / f"content/orgs/clinic-{i}.yaml").write_text(_org(i), encoding="utf-8")
    monkeypatch.setenv("PACKETS_ROOT", str(copy))
    return copy


@pytest.fixture(autouse=True)
def harness_timeout():
    """A generous limit (not a timing assertion): a hang fails the test instead of the suite."""

    def expired(signum, frame):
        raise TimeoutError("over 180 s: it hangs")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(180)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _build(project: Path, *args: str):
    return run("build", "--out", str(project / "output"), "--audience", "participant", *args)


def _summary(output: str) -> str:
    return next(line for line in output.splitlines() if " built, " in line)


def _pdfs(project: Path) -> list[Path]:
    return sorted((project / "output").rglob("*.pdf"))


def _dead_pid() -> int:
    """The id of a process that has ended (ours, so it is not reused while the test runs)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


# ------------------------------------------------------------------ files that are not files


def test_a_fifo_a_dev_zero_link_and_an_outside_link_in_content_orgs_are_refused_and_the_rest_build(project, tmp_path):
    orgs = project / "content/orgs"
    os.mkfifo(orgs / "pipe.yaml")
    (orgs / "zero.yaml").symlink_to("/dev/zero")
    secret = tmp_path / "elsewhere.yaml"
    secret.write_text("name: Secret Clinic Text\n", encoding="utf-8")
    (orgs / "outside.yaml").symlink_to(secret)
    (orgs / "inside.yaml").symlink_to(orgs / "clinic-0.yaml")  # a link within the project is fine

    checked = run("check")
    assert checked.exit_code == 2 and "Traceback" not in checked.output
    assert "content/orgs/pipe.yaml:1: this is a named pipe (FIFO), not a file" in checked.output
    assert "content/orgs/zero.yaml:1: this organization file is not read: it is a link to a file outside" in (
        checked.output
    )
    assert "content/orgs/outside.yaml:1: this organization file is not read" in checked.output
    assert "Secret Clinic Text" not in checked.output

    built = _build(project, "pipe", "zero", "outside", "inside", "-j1")
    assert built.exit_code == 2, built.output
    assert _summary(built.output).startswith("1 built, 0 up to date, 3 failed")
    assert {p.parent.name for p in _pdfs(project)} == {"inside"}


# ------------------------------------------------------------------ the render budget


def _stalling_renderer(monkeypatch, slug: str):
    """A renderer that computes for ever for one organization and catches the first
    interruption (as WeasyPrint's SVG drawing does); the others get a small sound PDF at once,
    so how busy the machine is does not matter."""
    import packets.render.pdf

    def render(self, html, base, large_print=False, **layout):
        if f"Clinic {slug[-1]}" not in html:
            return packets.render.pdf.Rendered(_pdf_drawing(b"q 1 0 0 1 0 0 cm Q"), 1)
        caught = False
        while True:
            try:
                sum(range(10_000))
            except BaseException:
                if caught:
                    raise
                caught = True

    monkeypatch.setattr(packets.render.pdf.Renderer, "render", render)


def test_a_document_over_its_time_budget_is_that_orgs_error_and_the_batch_goes_on(project, monkeypatch):
    """In pool workers (forked, so they inherit the stalling renderer): the worker stops it."""
    monkeypatch.setenv("PACKETS_RENDER_SECONDS", "3")
    _stalling_renderer(monkeypatch, "clinic-1")
    result = _build(project, "-j", "2")
    assert "Traceback" not in result.output
    assert result.exit_code == 2, result.output
    assert (
        "clinic-1.yaml:1: rendering clinic-1-participant-handout.pdf took over 3 s of processor time "
        "(the limit per document); nothing was written"
    ) in result.output
    assert _summary(result.output).startswith("2 built, 0 up to date, 1 failed")
    assert {p.parent.name for p in _pdfs(project)} == {"clinic-0", "clinic-2"}


def test_a_document_stuck_waiting_is_stopped_too(project, monkeypatch):
    import packets.render.pdf

    monkeypatch.setenv("PACKETS_RENDER_SECONDS", "0.5")

    def render(self, html, base, large_print=False, **layout):
        while True:  # waiting, not computing: only the wall clock moves
            time.sleep(0.01)

    monkeypatch.setattr(packets.render.pdf.Renderer, "render", render)
    result = _build(project, "clinic-0", "-j1")
    assert result.exit_code == 2, result.output
    assert "rendering clinic-0-participant-handout.pdf was stuck for over 2 s; nothing was written" in result.output
    assert _pdfs(project) == []


def test_a_worker_that_dies_takes_only_its_own_org_with_it(project, monkeypatch):
    """A worker killed outright (the system out of memory) breaks its pool; the organizations
    queued with it are built again, each on its own, so only the one that kills is lost."""
    import packets.render.job

    real = packets.render.job.render_job

    def render_job(job, renderer):
        if job.slug == "clinic-1":
            os._exit(9)  # what the kernel's out-of-memory killer looks like from here
        return real(job, renderer)

    monkeypatch.setattr(packets.render.job, "render_job", render_job)  # forked workers inherit it
    result = _build(project, "-j", "2")
    assert "Traceback" not in result.output
    assert result.exit_code == 1, result.output
    assert "clinic-1: error: worker stopped while building it" in result.output
    assert _summary(result.output).startswith("2 built, 0 up to date, 1 failed")
    assert {p.parent.name for p in _pdfs(project)} == {"clinic-0", "clinic-2"}


def test_a_document_over_its_memory_budget_is_stopped(project, monkeypatch):
    import packets.render.pdf

    monkeypatch.setenv("PACKETS_RENDER_MB", "200")
    hoard = []

    def render(self, html, base, large_print=False, **layout):
        while True:  # grows by 8 MB at a time until stopped
            hoard.append(bytearray(8_000_000))
            time.sleep(0.005)

    monkeypatch.setattr(packets.render.pdf.Renderer, "render", render)
    result = _build(project, "clinic-0", "-j1")
    hoard.clear()
    assert result.exit_code == 2, result.output
    assert "rendering clinic-0-participant-handout.pdf needed over 200 MB (the limit per document)" in result.output
    assert _pdfs(project) == []


# ------------------------------------------------------------------ leftovers and races


def test_a_leftover_temporary_makes_its_org_dirty_and_is_removed(project):
    for i in (1, 2):
        (project / f"content/orgs/clinic-{i}.yaml").unlink()
    assert _build(project, "-j1").exit_code == 0
    folder = project / "output/clinic-0"
    stale = folder / f".partial-{_dead_pid()}-clinic-0-participant-handout.pdf.abc123.tmp"
    stale.write_bytes(b"%PDF-1.7 half a file")
    old_style = folder / ".partial-clinic-0-participant-handout.pdf.x.tmp"  # before names held a process id
    old_style.write_bytes(b"%PDF")
    result = _build(project, "-j1")
    assert _summary(result.output).startswith("1 built, 0 up to date"), result.output
    assert not stale.exists() and not old_style.exists()
    assert _summary(_build(project, "-j1").output).startswith("0 built, 1 up to date")


def test_another_builds_temporary_in_flight_is_left_alone(project):
    assert _build(project, "clinic-0", "-j1").exit_code == 0
    writer = subprocess.Popen(["sleep", "60"])  # stands for a build writing this folder right now
    try:
        in_flight = project / f"output/clinic-0/.partial-{writer.pid}-clinic-0-participant-handout.pdf.q1.tmp"
        in_flight.write_bytes(b"%PDF being written")
        assert _build(project, "clinic-0", "-j1", "--force").exit_code == 0
        assert in_flight.read_bytes() == b"%PDF being written"
    finally:
        writer.kill()
        writer.wait()
    assert _build(project, "clinic-0", "-j1").exit_code == 0  # its writer is gone now
    assert not in_flight.exists()


def test_a_manifest_write_killed_half_way_leaves_nothing_for_long(project):
    assert _build(project, "clinic-0", "-j1").exit_code == 0
    leftover = project / f"output/.partial-{_dead_pid()}-.packets-manifest.json.zz.tmp"
    leftover.write_bytes(b'{"clinic-0": ')
    result = _build(project, "clinic-0", "-j1")
    assert _summary(result.output).startswith("0 built, 1 up to date")
    assert not leftover.exists()


def test_the_folder_lock_is_held_for_the_whole_write(tmp_path):
    import fcntl

    from packets.output import folder_lock

    holding, release = threading.Event(), threading.Event()

    def hold():
        with folder_lock(tmp_path / "org"):
            holding.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(30)
    fd = os.open(tmp_path / "org", os.O_RDONLY)
    try:
        with pytest.raises(BlockingIOError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        release.set()
        holder.join(30)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free once the writer is done
    finally:
        os.close(fd)
    assert list((tmp_path / "org").iterdir()) == []  # no lock file left behind


def test_two_builds_of_the_same_org_at_once_both_succeed_and_leave_nothing(project):
    command = [sys.executable, str(ROOT / "build.py"), "build", "clinic-0", "--audience", "participant"]
    command += ["--out", str(project / "output"), "-j1", "--force"]
    env = {**os.environ, "PACKETS_ROOT": str(project)}
    builds = [subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE) for _ in range(2)]
    outputs = [b.communicate(timeout=170) for b in builds]
    assert [b.returncode for b in builds] == [0, 0], outputs
    assert not [p for p in (project / "output").rglob(".partial-*")]
    (pdf,) = _pdfs(project)
    from pypdf import PdfReader

    check_pdf(pdf.read_bytes(), len(PdfReader(str(pdf)).pages))
    assert '"clinic-0"' in (project / "output/.packets-manifest.json").read_text(encoding="utf-8")


# ------------------------------------------------------------------ cache keys from the parsed file


@pytest.mark.parametrize(
    "spelling",
    [
        "logo: logos/a.png",
        '"logo": logos/a.png',
        "'logo' : \"logos/a.png\"",
        "logo: &picture logos/a.png",
        "logo: !!str logos/a.png",
        "logo: logos/a.png # the #1 logo",
        "? logo\n: logos/a.png",
    ],
)
def test_a_logo_change_is_seen_however_the_logo_key_is_written(project, spelling):
    from PIL import Image

    from packets.write.batch import org_inputs_digest
    from packets.write.pipeline import BuildOptions, OrgSource

    (project / "content/orgs/logos").mkdir()
    org = project / "content/orgs/clinic-0.yaml"
    org.write_text(_org(0) + spelling + "\n", encoding="utf-8")
    source = OrgSource("clinic-0", org)
    keys = []
    for colour in ((20, 90, 60), (120, 30, 60)):
        Image.new("RGB", (8, 8), colour).save(project / "content/orgs/logos/a.png")
        keys.append(org_inputs_digest(source, "shared", BuildOptions()))
    assert keys[0] and keys[0] != keys[1]


def test_the_cache_key_does_not_change_with_quoting_or_comments(project):
    from packets.write.batch import org_inputs_digest
    from packets.write.pipeline import BuildOptions, OrgSource

    org = project / "content/orgs/clinic-0.yaml"
    org.write_text('name: "Same Clinic"\nworkshop: {format: short}\n', encoding="utf-8")
    first = org_inputs_digest(OrgSource("clinic-0", org), "shared", BuildOptions())
    org.write_text("# a comment\nname: 'Same Clinic'\nworkshop:\n  format: \"short\"\n", encoding="utf-8")
    assert org_inputs_digest(OrgSource("clinic-0", org), "shared", BuildOptions()) == first


# ------------------------------------------------------------------ the curriculum kept between runs


def _curriculum(project: Path):
    from packets.load.curriculum import Project, load_curriculum

    return load_curriculum(Project(project))


def test_a_curriculum_read_again_is_taken_from_the_cache_as_it_was(project, tmp_path, monkeypatch):
    import packets.load.validation as validation
    from packets.load import kept

    monkeypatch.setenv("PACKETS_CACHE", str(tmp_path / "cache"))
    first = _curriculum(project)
    entries = list((tmp_path / "cache/curriculum").rglob("*.json"))
    # Every file the English curriculum is read from (not the French overlays, nor init's questions).
    from packets.interview import INTERVIEW
    from packets.load.curriculum import Project, english_files

    read = [p for p in english_files(Project(project)) if p.name != INTERVIEW]
    assert len(entries) == len(read)

    def no_parsing(*args, **kwargs):
        raise AssertionError("a kept file was parsed again")

    monkeypatch.setattr(validation, "parse_yaml_bytes", no_parsing)
    monkeypatch.setattr(validation.glyphs, "check_document", no_parsing)
    again = _curriculum(project)
    assert again == first
    # Lines survive: messages about a kept file point where a freshly read one does.
    path = project / "content/facilitation.yaml"
    raw, kept_doc = kept.recall(path)
    fresh = validation.read_yaml(path, trusted=True)
    assert kept_doc is not None and kept_doc.data == fresh.data
    for loc in [(key,) for key in fresh.data] + [(key, 0) for key, v in fresh.data.items() if isinstance(v, list)]:
        assert kept_doc.line_of(loc) == fresh.line_of(loc), loc


def test_an_edited_curriculum_file_is_read_again_and_its_mistake_reported(project, tmp_path, monkeypatch):
    monkeypatch.setenv("PACKETS_CACHE", str(tmp_path / "cache"))
    _curriculum(project)
    meta = project / "content/meta.yaml"
    text = meta.read_text(encoding="utf-8")
    meta.write_text(text + "colour_of_the_sky: blue\n", encoding="utf-8")
    result = run("check")
    line = text.count("\n") + 1
    assert result.exit_code == 2
    assert f"meta.yaml:{line}: unknown key 'colour_of_the_sky'" in result.output
    meta.write_text(text + "title: [\n", encoding="utf-8")  # and a file that no longer parses
    result = run("check")
    assert result.exit_code == 2 and "meta.yaml:" in result.output


@pytest.mark.parametrize(
    "entry",
    [
        b"",
        b"not json",
        b"[1, 2]",
        b'{"m": 1, "k": [["id", -4, "x"]]}',
        b'{"m": 1, "k": [["id", 1, "x"], ["id", 2, "y"]]}',
        b'{"m": 1, "k": [["id", 1, [1, 2]]]}',
        b'{"s": 1, "i": [[1, "x"]]}',
        b'{"m": 1, "k": [["id", 1, {"m": 1}]]}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"m": 1, "k": []}' + b" " * 5_000_000,
    ],
)
def test_a_kept_entry_that_is_not_what_we_write_is_not_used(tmp_path, monkeypatch, entry):
    from packets.load import kept

    monkeypatch.setenv("PACKETS_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "meta.yaml"
    path.write_text("title: Allyship\nminutes: 90\n", encoding="utf-8")
    raw, doc = kept.recall(path)
    assert raw is not None and doc is None
    slot = kept._entry(raw)
    slot.parent.mkdir(parents=True)
    slot.write_bytes(entry)
    assert kept.recall(path) == (raw, None)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=20,
    )
)
@settings(max_examples=200, deadline=None)
def test_what_is_kept_reads_back_the_same_with_its_lines(value):
    from packets.load import kept
    from packets.load.sources import LineDict, LineList

    counter = iter(range(1, 10_000))

    def lined(v):
        if isinstance(v, dict):
            out = LineDict((k, lined(x)) for k, x in v.items())
            out.line, out.key_lines = next(counter), {k: next(counter) for k in v}
            return out
        if isinstance(v, list):
            items = LineList(lined(x) for x in v)
            items.line, items.item_lines = next(counter), [next(counter) for _ in v]
            return items
        return v

    def lines(v):
        if isinstance(v, LineDict):
            return (v.line, v.key_lines, {k: lines(x) for k, x in v.items()})
        if isinstance(v, LineList):
            return (v.line, v.item_lines, [lines(x) for x in v])
        return v

    data = lined(value)
    back = kept._decode(json.loads(json.dumps(kept._encode(data))))
    assert back == data and lines(back) == lines(data)


# ------------------------------------------------------------------ PDFs read back


def _pdf_drawing(content: bytes, pages: int = 1) -> bytes:
    return pdf_of_pages([content] * pages)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"q nan 0 0 1 0 0 cm 0 0 10 10 re f Q", "holds what is not PDF (nan)"),
        (b"q 1 0 0 1 inf 0 cm Q", "holds what is not PDF (inf)"),
        (b"q 1e+308 0 0 1 0 0 cm Q", "holds what is not PDF"),
        (b"q 1 0 0 1 0 0 cm 0 0 99999999999 10 re f Q", "off any page"),
        (b"BT /F1 12 Tf (unclosed Tj ET", "holds what is not PDF (unclosed)"),
        (b"q 1 0 0 1 0 0 cm \x01 Q", "does not parse"),
    ],
)
def test_a_pdf_with_impossible_numbers_is_refused(content, fragment):
    with pytest.raises(BrokenPdf, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        check_pdf(_pdf_drawing(content), 1)


def test_a_sound_pdf_passes_and_a_cut_or_miscounted_one_does_not(example_build):
    from pypdf import PdfReader

    data = example_build["participant"].read_bytes()
    pages = len(PdfReader(io.BytesIO(data)).pages)
    check_pdf(data, pages)
    check_pdf(_pdf_drawing(b"q 0.5 0 0 0.5 0 0 cm (a \\) string (nested)) Tj Q", 2), 2)
    with pytest.raises(BrokenPdf, match="pages, not the"):
        check_pdf(data, pages + 1)
    with pytest.raises(BrokenPdf, match="cannot be read back"):
        check_pdf(data[: len(data) // 2], pages)


def test_every_drawing_of_a_real_packet_is_read_in_one_match(example_build):
    """The one-pattern reading is what runs on real packets: every page and form of the
    guide matches it whole, so none of them needs the slower passes."""
    import pikepdf

    from packets.render.pdf_check import _SOUND

    with pikepdf.open(example_build["facilitator"]) as pdf:
        streams = [page.obj.Contents.read_bytes() for page in pdf.pages]
    assert len(streams) > 40
    assert [n for n, data in enumerate(streams, start=1) if not _SOUND.fullmatch(data)] == []


_TOKENS = [
    b" ",
    b"\n",
    b"0",
    b"12",
    b"-3.5",
    b".5",
    b"1.",
    b"123456789",
    b"1234567890",
    b"99999999999.5",
    b"1e5",
    b"nan",
    b"inf",
    b"NaN",
    b"q",
    b"Q",
    b"cm",
    b"BDC",
    b"EMC",
    b"Tj",
    b"TJ",
    b"T*",
    b"'",
    b'"',
    b"Tf12",
    b"xyz",
    b"/F1",
    b"/a1.0",
    b"/",
    b"<<",
    b">>",
    b"[",
    b"]",
    b"<0012ab>",
    b"<>",
    b"<zz>",
    b"(a)",
    b"(a(b)c)",
    b"(\\))",
    b"(",
    b")",
    b"%c\n",
    b"\x01",
    b"{",
    b"}",
    b"<",
    b">",
]


@given(st.lists(st.sampled_from(_TOKENS), max_size=30))
@settings(max_examples=1000, deadline=None)
def test_the_one_match_accepts_nothing_the_passes_refuse(tokens):
    from packets.render.pdf_check import _SOUND, _explain

    data = b"".join(tokens)
    if _SOUND.fullmatch(data):
        _explain(data, "the stream")  # raises BrokenPdf if the passes would refuse it


def test_a_broken_pdf_is_never_written_and_the_old_one_stays(project, monkeypatch):
    import packets.render.pdf

    assert _build(project, "clinic-0", "-j1").exit_code == 0
    (old,) = _pdfs(project)
    before = old.read_bytes()

    def render(self, html, base, large_print=False, **layout):
        return packets.render.pdf.Rendered(_pdf_drawing(b"q nan 0 0 nan 0 0 cm Q"), 1)

    monkeypatch.setattr(packets.render.pdf.Renderer, "render", render)
    result = _build(project, "clinic-0", "-j1", "--force")
    assert result.exit_code == 2, result.output
    assert "clinic-0.yaml:1: clinic-0-participant-handout.pdf came out broken: page 1 holds what is not PDF (nan)" in (
        result.output
    )
    assert old.read_bytes() == before
    assert not [p for p in (project / "output").rglob(".partial-*")]


# ------------------------------------------------------------------ text that cannot masquerade


def test_a_message_is_always_one_line_with_control_characters_escaped():
    from packets.errors import Problem

    shown = str(
        Problem("x.yaml", 3, 'start "9\ncontent/orgs/example.yaml:12: error: forged\r\x1b[31m\u202e\u2060"', "h\nint")
    )
    assert "\n" not in shown and "\r" not in shown and "\x1b" not in shown and "\u202e" not in shown
    assert shown == (
        'x.yaml:3: start "9\\ncontent/orgs/example.yaml:12: error: forged\\r\\x1b[31m\\u202e\\u2060" (h\\nint)'
    )


def test_a_stylesheet_that_capitalizes_text_makes_the_glyph_check_cover_capitals(tmp_path):
    from packets.load.glyphs import case_forms, css_transforms

    (tmp_path / "a.css").write_text(".name { text-transform: uppercase; }\n.x { text-transform: none; }\n")
    transforms = css_transforms(tmp_path)
    assert transforms == {"uppercase"}
    assert "Μ" in case_forms("Café µ-wide", transforms)  # MICRO SIGN in capitals is Greek MU
    assert case_forms("µ-wide", frozenset()) == ""
    assert case_forms("µ-wide", frozenset(), capital_first=True) == "Μ"
