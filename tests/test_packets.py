"""The two documents, read back from the PDFs the way a person (or a screen reader) would."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, flat, nfc, page_texts, pdf_text, pdfua_findings, run
from pypdf import PdfReader

from packets.load.curriculum import Project, load_curriculum
from packets.load.model import Organization
from packets.planning.plan import make_plan

EXAMPLE = yaml.safe_load((ROOT / "content/orgs/example.yaml").read_text(encoding="utf-8"))
CURRICULUM = load_curriculum(Project(ROOT))
EXAMPLE_PLAN = make_plan("example", Organization.model_validate(EXAMPLE), CURRICULUM)
PLANNED = [pm.module for pm in EXAMPLE_PLAN.modules]
RUN = {a.id for pm in EXAMPLE_PLAN.modules for a in pm.activities}
MINUTES = EXAMPLE_PLAN.total_minutes


def test_cover_and_running_header_name_the_organization(example_build):
    for audience in ("facilitator", "participant"):
        pages = page_texts(example_build[audience])
        assert EXAMPLE["name"] in flat(pages[0])
        assert all(EXAMPLE["name"] in flat(p) for p in pages[1:]), "running header missing on some page"


def test_pdfua_finds_nothing_in_the_example_packet(example_build):
    """The shipped example's run of show has a clock column and a total row (a row header)."""
    assert pdfua_findings([example_build["facilitator"], example_build["participant"]]) == []


def test_table_header_cells_say_whether_they_head_a_column_or_a_row(example_build):
    import pikepdf

    with pikepdf.open(example_build["facilitator"]) as pdf:
        headers = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Dictionary) and obj.get("/S") == "/TH"]
        scopes = [str(h.A.Scope) for h in headers]
    # Time, Minutes, Segment, Materials on every page the agenda spans (the header repeats); the Total row last.
    *columns, total = scopes
    assert columns and set(columns) == {"/Column"} and len(columns) % 4 == 0 and total == "/Row", scopes


def test_cover_has_no_running_header_or_footer(example_build):
    first = flat(page_texts(example_build["facilitator"])[0])
    assert "Page 1 of" not in first
    assert first.count(EXAMPLE["name"]) == 1


def test_footer_counts_pages(example_build):
    for audience in ("facilitator", "participant"):
        pages = page_texts(example_build[audience])
        n = len(pages)
        assert f"Page 2 of {n}" in flat(pages[1])
        assert f"Page {n} of {n}" in flat(pages[-1])


def test_every_planned_module_title_is_in_both_documents(example_build):
    for audience in ("facilitator", "participant"):
        text = flat(pdf_text(example_build[audience]))
        for module in PLANNED:
            assert flat(module.title) in text, f"{module.title!r} missing from the {audience} document"


def test_facilitator_prompts_are_in_the_guide_and_not_in_the_handout(example_build):
    guide = flat(pdf_text(example_build["facilitator"]))
    handout = flat(pdf_text(example_build["participant"]))
    private = []
    for module in PLANNED:
        for q in module.discussion_questions:
            private += q.prompts + q.listen_for
        for note in module.facilitator_notes:
            private.append(note.title)
        for activity in module.activities:
            if activity.id in RUN:
                private += activity.instructions
        if module.say_aloud:
            private.append(module.say_aloud)
    assert private, "the curriculum has no facilitator-only text to check"
    for text in private:
        assert flat(text) in guide, f"facilitator text missing from the guide: {text!r}"
        assert flat(text) not in handout, f"facilitator-only text leaked into the handout: {text!r}"
    for label in ("Facilitator note", "Listen for", "Run of show", "Say aloud"):
        assert label not in handout


def test_participant_questions_are_in_the_handout(example_build):
    handout = flat(pdf_text(example_build["participant"]))
    for module in PLANNED:
        for q in module.discussion_questions:
            assert flat(q.question) in handout


def _run_of_show_rows(path) -> list[tuple[str, int]]:
    pages = page_texts(path)
    first = next(i for i, t in enumerate(pages) if re.search(r"Run of show\s+(?:Time|Minutes)", t))
    last = next(i for i in range(first, len(pages)) if "Total:" in pages[i])
    text = "\n".join(pages[first : last + 1])
    return [(m[1], int(m[2])) for m in re.finditer(r"(\d\d:\d\d)\s+(\d+)\s", text)]


def test_run_of_show_adds_up_and_starts_on_time(example_build):
    rows = _run_of_show_rows(example_build["facilitator"])
    assert rows[0][0] == EXAMPLE["workshop"]["start"]
    *segments, total = rows
    assert total[1] == MINUTES
    assert sum(minutes for _, minutes in segments) == MINUTES
    h, m = map(int, EXAMPLE["workshop"]["start"].split(":"))
    clock = h * 60 + m
    for time, minutes in segments:
        assert time == f"{clock // 60:02d}:{clock % 60:02d}"
        clock += minutes
    assert total[0] == f"{clock // 60:02d}:{clock % 60:02d}"


def test_run_of_show_is_not_in_the_handout(example_build):
    assert "Run of show" not in pdf_text(example_build["participant"])


def test_metadata_title_author_and_language(example_build):
    for audience, title in (("facilitator", "Facilitator guide"), ("participant", "Participant handout")):
        reader = PdfReader(str(example_build[audience]))
        meta = reader.metadata
        assert title in meta.title and EXAMPLE["name"] in meta.title
        assert meta.author == EXAMPLE["name"]
        assert meta.subject
        assert reader.trailer["/Root"]["/Lang"] == "en-CA"


def test_sections_are_bookmarked(example_build):
    reader = PdfReader(str(example_build["facilitator"]))
    titles = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(item.title)

    walk(reader.outline)
    for expected in ("Run of show", "Land acknowledgement", *[m.title for m in PLANNED], "Attribution"):
        assert expected in titles


def test_nation_names_read_back_exactly(example_build):
    for audience in ("facilitator", "participant"):
        text = pdf_text(example_build[audience])
        for nation in EXAMPLE["land_acknowledgement"]["nations"]:
            assert nfc(nation["name"]) in text


def test_letter_by_default_and_a4_by_option(example_build, whole_kit):
    """The A4 handout is the whole kit's, built with `--paper a4` (conftest.py)."""
    box = PdfReader(str(example_build["participant"])).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    assert whole_kit["a4:participant-handout"].name == "example-participant-handout-a4.pdf"
    box = PdfReader(str(whole_kit["a4:participant-handout"])).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_a4_from_the_organization_file(tmp_path):
    org = tmp_path / "a4-org.yaml"
    org.write_text("name: Paper Test Clinic\npaper: a4\n", encoding="utf-8")
    result = run("build", str(org), "--audience", "participant", "--out", str(tmp_path / "out"), "-j1")
    assert result.exit_code == 0, result.output
    box = PdfReader(str(tmp_path / "out/a4-org/a4-org-participant-handout.pdf")).pages[0].mediabox
    assert round(float(box.width)) == 595


def test_attribution_credits_ipac(example_build):
    for audience in ("facilitator", "participant"):
        text = flat(pdf_text(example_build[audience]))
        assert "Attribution" in text
        assert "Indigenous Physicians Association of Canada" in text


def test_commitment_worksheet_in_handout(example_build):
    text = flat(pdf_text(example_build["participant"]))
    for stem in CURRICULUM.handout.commitments.stems:
        assert flat(stem.text) in text


# ---------------------------------------------------------------- CLI


def test_build_prints_each_file_with_its_page_count(example_build):
    for name in ("example-facilitator-guide.pdf", "example-participant-handout.pdf"):
        path = example_build["out"] / "example" / name
        pages = len(PdfReader(str(path)).pages)
        assert re.search(rf"{re.escape(name)} \({pages} pages\)", example_build["output"])


def test_build_all_builds_every_org_in_content_orgs(tmp_path):
    result = run("build", "--out", str(tmp_path), "-j1", "--audience", "participant")
    assert result.exit_code == 0, result.output
    for org in (ROOT / "content/orgs").glob("*.yaml"):
        assert (tmp_path / org.stem / f"{org.stem}-participant-handout.pdf").is_file()


def test_html_option_writes_the_intermediate_html(example_build):
    """The example's shared build is made with --html (conftest.py)."""
    html = (example_build["out"] / "example/example-participant-handout.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and 'rel="stylesheet"' in html


def test_check_reports_a_broken_file_with_its_line(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: Broken Clinic\nland_acknowledgement:\n  nation:\n    - name: X\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run("check", str(bad))
    assert result.exit_code == 2
    # The misspelt `nation` is not also reported as "no Nations": it was given, under another name.
    assert "1 organization file and the curriculum: 1 error, 2 warnings." in result.output
    assert "no Nations are listed" not in result.output
    assert re.search(r"broken\.yaml:3: unknown key 'nation' \(did you mean 'nations'\?\)", result.output)
    assert "Traceback" not in result.output
    result = run("build", str(bad), "--out", str(out), "-j1")
    assert result.exit_code == 2
    assert not any(out.rglob("*.pdf"))


def test_check_reports_every_problem_not_just_the_first(tmp_path):
    bad = tmp_path / "many.yaml"
    bad.write_text("name: Many Problems\npaper: legal\nworkshop:\n  format: weekly\n  colour: red\n", encoding="utf-8")
    result = run("check", str(bad))
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.startswith(str(bad)) or "many.yaml:" in line]
    assert any(":2:" in line and "paper" in line for line in lines)
    assert any(":4:" in line and "unknown workshop format 'weekly'" in line for line in lines)
    assert any(":5:" in line and "colour" in line for line in lines)
    errors = [line for line in lines if ": warning: " not in line]
    assert [line.split(":")[1] for line in errors] == ["2", "4", "5"]
    assert lines[: len(errors)] == errors, "errors come first, then the warnings"
    assert "Checked 1 organization file and the curriculum: 3 errors, 3 warnings." in result.output


def test_a_file_with_an_error_still_shows_its_warnings(tmp_path):
    """Fixing the one error must not reveal four more: the rest of the file is reviewed too."""
    org = tmp_path / "one-error.yaml"
    org.write_text(
        "name: Prairie Roots\n"
        "workshop:\n"
        '  start: "1:00 pm"\n'
        "land_acknowledgement:\n"
        "  nations:\n"
        "    - name: Cree\n"
        "    - name: ᓀᐦᐃᔭᐤ\n"
        "      pronunciation: neh-HIY-aw\n"
        "  statement: We acknowledge the Cree, who were the original people of this land.\n"
        "  reviewed_on: 2027-02-30\n",
        encoding="utf-8",
    )
    for command in ("check", "build"):
        result = (
            run(command, str(org), "--out", str(tmp_path / "out")) if command == "build" else run(command, str(org))
        )
        assert result.exit_code == 2, result.output
        rows = [row for row in result.output.splitlines() if "one-error.yaml:" in row]
        kinds = ["warning" if ": warning: " in row else "error" for row in rows]
        assert kinds == sorted(kinds), rows  # errors first
        text = "\n".join(rows)
        assert "one-error.yaml:3: start time" in text
        assert "one-error.yaml:10: 'land_acknowledgement.reviewed_on' is '2027-02-30'" in text
        assert "one-error.yaml:6: warning: no pronunciation is given for 'Cree'" in text
        assert "one-error.yaml:6: warning: 'Cree' looks like an English name" in text
        assert "one-error.yaml:9: warning: the statement speaks of the Nations in the past tense" in text
        assert "warning: the acknowledgement lists no commitments" in text
        assert "reviewed the acknowledgement" in text  # no reviewer named
    assert "2 errors, 5 warnings" in run("check", str(org)).output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.pdf"))


def test_check_passes_the_shipped_example():
    result = run("check", "example")
    assert result.exit_code == 0, result.output


def test_unknown_org_lists_the_available_ones():
    result = run("build", "no-such-org")
    assert result.exit_code == 2
    assert "unknown organization" in result.output and "example" in result.output
    assert "Traceback" not in result.output


def test_a_misspelt_org_gets_did_you_mean(empty_project_with, tmp_path):
    empty_project_with("prairie-roots")
    for command in ("build", "check"):
        result = (
            run(command, "prairie-root", "--out", str(tmp_path / "out"))
            if command == "build"
            else run(command, "prairie-root")
        )
        assert result.exit_code == 2
        assert "prairie-root: unknown organization (did you mean 'prairie-roots'?" in result.output
    far = run("build", "riverside", "--out", str(tmp_path / "out"))
    assert "did you mean" not in far.output and "available: example, prairie-roots" in far.output


@pytest.fixture
def empty_project_with(tmp_path, monkeypatch):
    """A project with the real curriculum and templates, and organization files with the given slugs."""

    def make(*slugs: str) -> Path:
        project = tmp_path / "project"
        (project / "content/orgs").mkdir(parents=True)
        for item in (ROOT / "content").iterdir():
            if item.name != "orgs":
                (project / "content" / item.name).symlink_to(item)
        (project / "templates").symlink_to(ROOT / "templates")
        for slug in ("example", *slugs):
            (project / "content/orgs" / f"{slug}.yaml").symlink_to(ROOT / "content/orgs/example.yaml")
        monkeypatch.setenv("PACKETS_ROOT", str(project))
        return project

    return make


@pytest.mark.parametrize("command", ["build", "check", "init", "list"])
def test_packets_help_command_shows_a_commands_help(command):
    assert run("help", command).output == run(command, "--help").output
    overall = run("help")
    assert overall.exit_code == 0 and "Commands:" in overall.output and "help" in overall.output


def test_packets_help_with_an_unknown_command_suggests_one():
    result = run("help", "biuld")
    assert result.exit_code == 2 and "biuld: no such command (did you mean 'build'?)" in result.output


def test_list_shows_orgs_modules_and_formats():
    result = run("list")
    assert result.exit_code == 0
    assert "example" in result.output
    for module in CURRICULUM.modules.values():
        assert module.id in result.output
    for fmt in ("short", "standard", "half-day"):
        assert fmt in result.output


@pytest.mark.parametrize("command", ["build", "check", "list", "init", "schema"])
def test_every_command_has_help_with_an_example(command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Example: packets" in result.output


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and re.search(r"\d+\.\d+\.\d+", result.output)


def test_build_py_is_the_same_command():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "build.py", "--version"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0 and "packets" in out.stdout


def test_make_is_quiet_unless_asked_and_the_readme_names_the_two_commands():
    """`make` printed dozens of package-installer notices; `make V=1` still shows them."""
    import shutil
    import subprocess

    if shutil.which("make") is None:
        pytest.skip("make is not installed")

    def recipe(*args: str) -> str:
        done = subprocess.run(["make", "-n", "-B", "-C", str(ROOT), *args, ".venv/.installed"], capture_output=True)
        return done.stdout.decode()

    quiet, detailed = recipe(), recipe("V=1")
    pip_lines = [line for line in quiet.splitlines() if "pip install" in line]
    assert pip_lines and all("-qq" in line for line in pip_lines), quiet
    assert "-qq" not in detailed and "pip install" in detailed
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(r"make test +# runs the whole test suite", readme)
