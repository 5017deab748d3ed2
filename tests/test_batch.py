"""Batch builds: isolation of failures, incremental rebuilds, and parallel workers (never timed)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import ROOT, run


def _org(i: int) -> str:
    return (
        f"name: Batch Test Clinic {i}\n"
        "workshop:\n  format: short\n"
        "land_acknowledgement:\n  nations:\n    - {name: Wendat, english_name: Huron-Wendat, pronunciation: WEN-dat}\n"
    )


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A private copy of the project with three small organisations, so tests can touch its files."""
    copy = tmp_path / "project"
    shutil.copytree(ROOT / "templates", copy / "templates")
    shutil.copytree(ROOT / "content", copy / "content", ignore=shutil.ignore_patterns("orgs"))
    (copy / "content/orgs").mkdir()
    for i in range(3):
        (copy / f"content/orgs/clinic-{i}.yaml").write_text(_org(i), encoding="utf-8")
    monkeypatch.setenv("PACKETS_ROOT", str(copy))
    return copy


def _build(project: Path, *args: str):
    return run("build", "--out", str(project / "output"), "--audience", "participant", *args)


def _summary(output: str) -> str:
    return next(line for line in output.splitlines() if " built, " in line)


def test_a_bad_org_among_good_ones_does_not_stop_the_others(project):
    (project / "content/orgs/broken.yaml").write_text("name: Broken\npaper: legal\n", encoding="utf-8")
    result = _build(project, "--jobs", "2")
    assert result.exit_code == 2
    assert "broken.yaml:2:" in result.output
    assert _summary(result.output).startswith("3 built, 0 up to date, 1 failed")
    for i in range(3):
        assert (project / f"output/clinic-{i}/clinic-{i}-participant-handout.pdf").is_file()
    assert not (project / "output/broken").exists()


def test_second_build_with_no_changes_renders_nothing(project):
    assert _build(project, "-j1").exit_code == 0
    before = {p: p.stat().st_mtime_ns for p in (project / "output").rglob("*.pdf")}
    again = _build(project, "-j1")
    assert again.exit_code == 0
    assert _summary(again.output).startswith("0 built, 3 up to date, 0 failed")
    assert {p: p.stat().st_mtime_ns for p in (project / "output").rglob("*.pdf")} == before


def test_changing_the_css_rebuilds_everything(project):
    _build(project, "-j1")
    css = project / "templates/css/blocks.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n/* changed */\n", encoding="utf-8")
    assert _summary(_build(project, "-j1").output).startswith("3 built, 0 up to date")


def test_changing_one_org_rebuilds_only_that_org(project):
    _build(project, "-j1")
    org = project / "content/orgs/clinic-1.yaml"
    org.write_text(org.read_text(encoding="utf-8").replace("Clinic 1", "Clinic One"), encoding="utf-8")
    result = _build(project, "-j1")
    assert _summary(result.output).startswith("1 built, 2 up to date")
    assert "clinic-1-participant-handout.pdf" in result.output


def test_changing_the_content_or_a_font_rebuilds(project):
    _build(project, "-j1")
    meta = project / "content/meta.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("2026.11", "2026.12"), encoding="utf-8")
    assert _summary(_build(project, "-j1").output).startswith("3 built")
    font = project / "templates/fonts/OFL-Andika.txt"
    font.write_text(font.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert _summary(_build(project, "-j1").output).startswith("3 built")


def test_force_rebuilds(project):
    _build(project, "-j1")
    assert _summary(_build(project, "-j1", "--force").output).startswith("3 built, 0 up to date")


@pytest.mark.parametrize("damage", ["delete", "truncate"])
def test_a_deleted_or_truncated_output_is_rebuilt(project, damage):
    _build(project, "-j1")
    pdf = project / "output/clinic-2/clinic-2-participant-handout.pdf"
    if damage == "delete":
        pdf.unlink()
    else:
        pdf.write_bytes(pdf.read_bytes()[:100])
    result = _build(project, "-j1")
    assert _summary(result.output).startswith("1 built, 2 up to date")
    assert pdf.stat().st_size > 1000


def test_the_manifest_records_what_each_org_was_built_from(project):
    _build(project, "-j1")
    manifest = json.loads((project / "output/.packets-manifest.json").read_text(encoding="utf-8"))
    assert set(manifest) == {"clinic-0", "clinic-1", "clinic-2"}
    assert all(len(entry["key"]) == 64 for entry in manifest.values())


def test_parallel_workers_write_the_same_files_as_one(project):
    one = run("build", "--out", str(project / "one"), "--audience", "participant", "-j1")
    two = run("build", "--out", str(project / "two"), "--audience", "participant", "-j2")
    assert one.exit_code == two.exit_code == 0
    for pdf in (project / "one").rglob("*.pdf"):
        assert pdf.read_bytes() == (project / "two" / pdf.relative_to(project / "one")).read_bytes()


def test_summary_counts_pages(project):
    result = _build(project, "-j2")
    pages = int(_summary(result.output).split("; ")[1].split(" pages")[0])
    from pypdf import PdfReader

    assert pages == sum(len(PdfReader(str(p)).pages) for p in (project / "output").rglob("*.pdf"))
    assert os.path.exists(project / "output/.packets-manifest.json")
