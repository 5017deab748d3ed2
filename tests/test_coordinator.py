"""A coordinator's first hour (issue 31): init asks what a session needs and resumes, messages
in the user's words, names given by others, nothing stale after an edit, and the set-up script."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, run

SYSTEM_DEPS = ROOT / ".ci" / "system-deps"


# ---------------------------------------------------------------- check's summary


def test_checks_summary_goes_to_stdout_and_its_problems_to_stderr():
    result = run("check", str(FIXTURES / "warnings" / "no-pronunciation.yaml"))
    assert result.exit_code == 0, result.output
    assert "Checked 1 organization file and the curriculum: 0 errors, 1 warning." in result.stdout
    assert "warning: no pronunciation" in result.stderr
    assert "warning:" not in result.stdout


# ---------------------------------------------------------------- .ci/system-deps


def _fake_path(tmp_path: Path, ldconfig_lines: list[str], commands: tuple[str, ...]) -> dict[str, str]:
    """A PATH holding only a fake ldconfig (printing `ldconfig_lines`) and stand-ins for `commands`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    listing = tmp_path / "ldconfig.txt"
    listing.write_text("".join(f"\t{line}\n" for line in ldconfig_lines), encoding="utf-8")
    (bin_dir / "ldconfig").write_text(f"#!/bin/sh\nexec /bin/cat '{listing}'\n", encoding="utf-8")
    for name in commands:
        (bin_dir / name).write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    for path in bin_dir.iterdir():
        path.chmod(0o755)
    return {**os.environ, "PATH": str(bin_dir)}


def _wanted(env: dict[str, str]) -> list[str]:
    done = subprocess.run(
        [shutil.which("bash") or "/bin/bash", str(SYSTEM_DEPS), "--print"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


LIBS = [
    "libpango-1.0.so.0 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libpango-1.0.so.0",
    "libharfbuzz-subset.so.0 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libharfbuzz-subset.so.0",
]


def test_system_deps_wants_nothing_when_everything_is_there_even_in_a_long_library_cache(tmp_path):
    """The libraries come first in a long cache: `ldconfig -p | grep -q` under pipefail
    failed here (grep stops at the first match, ldconfig dies writing the rest)."""
    filler = [f"libfiller{i}.so.1 (libc6,x86-64) => /usr/lib/libfiller{i}.so.1" for i in range(60_000)]
    env = _fake_path(tmp_path, LIBS + filler, ("pdftotext", "chromium", "chromedriver"))
    for _ in range(3):
        assert _wanted(env) == []


def test_system_deps_wants_what_is_missing(tmp_path):
    env = _fake_path(tmp_path, [LIBS[1], "libc.so.6 (libc6,x86-64) => /lib/libc.so.6"], ("chromium", "chromedriver"))
    assert _wanted(env) == ["libpango-1.0-0", "libpangoft2-1.0-0", "poppler-utils"]


# ---------------------------------------------------------------- nothing stale (item 1)
# The quick renderer and the three-clinic project of test_batch.py: what a build decides to
# render and write does not depend on what the pages look like.
from test_batch import _build, _summary, _written, project, quick  # noqa: E402, F401


def _edit(root: Path, slug: str = "clinic-0") -> None:
    org = root / f"content/orgs/{slug}.yaml"
    org.write_text(org.read_text(encoding="utf-8").replace("Clinic 0", "Clinic Zero"), encoding="utf-8")


def _mtimes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}


def test_a_build_after_an_edit_rebuilds_the_slides_fillable_and_large_print_built_before(project, quick):  # noqa: F811 (the fixtures of test_batch.py)
    first = _build(project, "clinic-0", "-j1", "--slides", "--fillable", "--large-print")
    assert first.exit_code == 0, first.output
    folder = project / "output/clinic-0"
    before = _mtimes(folder)
    assert set(before) == {
        "clinic-0-participant-handout.pdf",
        "clinic-0-participant-handout-large-print.pdf",
        "clinic-0-slides.pdf",
        "clinic-0-participant-handout-fillable.pdf",
    }
    _edit(project)
    again = _build(project, "clinic-0", "-j1")
    assert again.exit_code == 0, again.output
    assert _written(again.output) == sorted(before)
    assert all(t != before[name] for name, t in _mtimes(folder).items()), "a document was left out of date"
    assert (
        "clinic-0: also rebuilt, as they were out of date beside the others: "
        "clinic-0-participant-handout-large-print.pdf, clinic-0-slides.pdf, clinic-0-participant-handout-fillable.pdf"
    ) in again.stdout
    summary = _summary(again.output)
    assert summary.startswith("1 built, 0 up to date, 0 failed")
    kinds = "participant handout, participant handout (large print), slides, fillable handout"
    assert summary.endswith(f"(rebuilt: {kinds})")
    # Everything is fresh now: nothing more to do, and nothing touched.
    after = _mtimes(folder)
    third = _build(project, "clinic-0", "-j1")
    assert _summary(third.output).startswith("0 built, 1 up to date") and "rebuilt" not in third.output
    assert _mtimes(folder) == after


def test_documents_left_fresh_beside_an_asked_one_are_not_rendered_again(project, quick):  # noqa: F811 (the fixtures of test_batch.py)
    assert _build(project, "clinic-0", "-j1", "--slides").exit_code == 0
    slides = project / "output/clinic-0/clinic-0-slides.pdf"
    made = slides.stat().st_mtime_ns
    result = run("build", "clinic-0", "--out", str(project / "output"), "-j1")  # the guide is new, the rest fresh
    assert _written(result.output) == ["clinic-0-facilitator-guide.pdf"]
    assert slides.stat().st_mtime_ns == made and "also rebuilt" not in result.output


def test_a_document_on_another_paper_is_rebuilt_on_that_paper(project, quick):  # noqa: F811 (the fixtures of test_batch.py)
    assert _build(project, "clinic-0", "-j1").exit_code == 0
    assert _build(project, "clinic-0", "-j1", "--paper", "a4").exit_code == 0
    a4 = project / "output/clinic-0/clinic-0-participant-handout-a4.pdf"
    made = a4.stat().st_mtime_ns
    _edit(project)
    result = _build(project, "clinic-0", "-j1")
    assert result.exit_code == 0, result.output
    assert _written(result.output) == ["clinic-0-participant-handout-a4.pdf", "clinic-0-participant-handout.pdf"]
    assert a4.stat().st_mtime_ns != made
    assert _summary(result.output).startswith("1 built, 0 up to date")
    assert _summary(_build(project, "clinic-0", "-j1", "--paper", "a4").output).startswith("0 built, 1 up to date")


def test_documents_found_in_the_folder_are_rebuilt_when_the_manifest_is_lost(project, quick):  # noqa: F811 (the fixtures of test_batch.py)
    assert _build(project, "clinic-0", "-j1", "--fillable").exit_code == 0
    (project / "output/.packets-manifest.json").unlink()
    result = _build(project, "clinic-0", "-j1")
    assert _written(result.output) == ["clinic-0-participant-handout-fillable.pdf", "clinic-0-participant-handout.pdf"]


def test_an_older_html_copy_is_removed_and_the_build_says_so(project, quick):  # noqa: F811 (the fixtures of test_batch.py)
    assert _build(project, "clinic-0", "-j1", "--html").exit_code == 0
    copy = project / "output/clinic-0/clinic-0-participant-handout.html"
    assert copy.is_file()
    assert _summary(_build(project, "clinic-0", "-j1").output).startswith("0 built, 1 up to date")
    assert copy.is_file(), "a fresh copy stays"
    _edit(project)
    result = _build(project, "clinic-0", "-j1")
    assert not copy.exists()
    assert "clinic-0: removed " in result.output and "clinic-0-participant-handout.html: it was out of date" in (
        result.output
    )


def test_a_file_whose_paper_became_the_organizations_own_is_removed_and_the_build_says_so(project, quick):  # noqa: F811 (the fixtures of test_batch.py)
    assert _build(project, "clinic-0", "-j1", "--paper", "a4").exit_code == 0
    old = project / "output/clinic-0/clinic-0-participant-handout-a4.pdf"
    assert old.is_file()
    org = project / "content/orgs/clinic-0.yaml"
    org.write_text(org.read_text(encoding="utf-8") + "paper: a4\n", encoding="utf-8")
    result = _build(project, "clinic-0", "-j1")
    assert result.exit_code == 0, result.output
    assert _written(result.output) == ["clinic-0-participant-handout.pdf"]
    assert not old.exists() and "clinic-0-participant-handout-a4.pdf: it was out of date" in result.output


# ---------------------------------------------------------------- names given by others (item 4)


def _nations_file(tmp_path: Path, nations: list[tuple[str, str | None]]) -> Path:
    rows = "".join(
        f'    - {{name: "{name}"' + (f', english_name: "{english}"' if english else "") + ', pronunciation: "x"}\n'
        for name, english in nations
    )
    org = tmp_path / "names.yaml"
    org.write_text(
        "name: Names Clinic\nland_acknowledgement:\n  nations:\n"
        + rows
        + "  commitments: [We fund a community-chosen patient navigator.]\n"
        + "  reviewed_by: Health committee\n  reviewed_on: 2026-10-01\n",
        encoding="utf-8",
    )
    return org


GIVEN = {
    "Maliseet": "Wolastoqiyik",
    "Malecite": "Wolastoqiyik",
    "Micmac": "Miʼkmaq",
    "Montagnais": "Innu",
    "Sarcee": "Tsuutʼina",
    "Eskimo": "Inuit",
    "Iroquois": "Haudenosaunee",
    "Nootka": "Nuu-chah-nulth",
    "Bella Coola": "Nuxalk",
}


@pytest.mark.parametrize("given", sorted(GIVEN))
def test_a_name_given_by_others_is_warned_about_with_the_nations_own_name(tmp_path, given):
    result = run("check", str(_nations_file(tmp_path, [(given, None)])))
    assert result.exit_code == 0, result.output
    own = GIVEN[given]
    assert f"names.yaml:4: warning: '{given}' is a name others gave this Nation; its own name is {own}" in (
        result.stderr
    )
    assert f"write name: {own}" in result.stderr
    assert f"write it again as english_name: {given}" in result.stderr
    said = run("check", "--strict", str(_nations_file(tmp_path, [(given, given)])))
    assert said.exit_code == 0 and "warning" not in said.stderr, said.output


def test_names_peoples_use_for_themselves_in_english_are_never_flagged(tmp_path):
    own = ["Passamaquoddy", "Stoney Nakoda", "Blood Tribe", "Naskapi", "Wolastoqiyik", "Miʼkmaq", "Mi’kmaq", "Innu"]
    result = run("check", "--strict", str(_nations_file(tmp_path, [(n, None) for n in own])))
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr


def test_every_name_given_by_others_has_a_source_a_reviewer_can_find():
    import yaml

    data = yaml.safe_load((ROOT / "content/nation-names.yaml").read_text(encoding="utf-8"))
    for entry in data["given_by_others"] + data["own"]:
        assert len(entry["source"]) > 20 and any(c.isupper() for c in entry["source"]), entry
    listed = {g for entry in data["given_by_others"] for g in entry["given"]}
    assert set(GIVEN) <= listed
    own = {n for entry in data["own"] for n in entry["names"]}
    assert not listed & own and not set(data["english"]) & own
