"""A coordinator's first hour (issue 31): init asks what a session needs and resumes, messages
in the user's words, names given by others, nothing stale after an edit, and the set-up script."""

from __future__ import annotations

import os
import re
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


# ---------------------------------------------------------------- messages in the user's words (items 5, 6)


def _wrong_values() -> list[tuple[tuple, object]]:
    """Every field of the organization model (list items through their first one), each with
    a value of the wrong type: a list for text, text for a list or a mapping, and so on."""
    import datetime as dt
    import types
    import typing

    from pydantic import BaseModel

    from packets.load.model import Organization

    def _members(annotation: object) -> list:
        """The types a field takes, Optional, Annotated and unions unwrapped."""
        if typing.get_origin(annotation) is typing.Annotated:
            return _members(typing.get_args(annotation)[0])
        if typing.get_origin(annotation) in (typing.Union, types.UnionType):
            return [m for a in typing.get_args(annotation) if a is not type(None) for m in _members(a)]
        return [annotation]

    cases: list[tuple[tuple, object]] = []

    def walk(model: type[BaseModel], loc: tuple) -> None:
        for name, info in model.model_fields.items():
            here = (*loc, name)
            members = _members(info.annotation)
            first = members[0]
            if typing.get_origin(first) is typing.Literal:
                cases.append((here, 5 if len(members) == 1 else "10:30"))
            elif typing.get_origin(first) is list:
                (item,) = typing.get_args(first)
                inner = _members(item)[0]
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    cases.append((here, "Kim Lee"))
                    walk(inner, (*here, 0))
                else:
                    cases.append((here, "opening" if name in ("leads",) else "welcome"))
            elif isinstance(first, type) and issubclass(first, BaseModel):
                cases.append((here, "yes"))
                walk(first, here)
            elif first is bool:
                cases.append((here, "maybe"))
            elif first is dt.date:
                cases.append((here, ["soon"]))
            elif first is int:
                cases.append((here, ["two hours"]))
            else:
                cases.append((here, ["a", "b"]))

    walk(Organization, ())
    return cases


def _module_id() -> str:
    from packets.load.curriculum import Project, load_curriculum

    return next(iter(load_curriculum(Project(ROOT)).modules))


def _file_with(loc: tuple, value: object) -> dict:
    """A small valid organization with `value` put at `loc` (a list item's parents made as lists of one)."""
    data: dict = {"name": "Type Clinic", "workshop": {"facilitators": [{"name": "Kim Lee"}]}}
    data["land_acknowledgement"] = {
        "nations": [{"name": "Wolastoqiyik", "pronunciation": "x"}],
        "places": [{"name": "Wolastoq", "pronunciation": "x"}],
    }
    data["local_resources"] = [{"name": "Help line"}]
    node = data
    for part, after in zip(loc, loc[1:], strict=False):
        if isinstance(part, int):
            continue
        if isinstance(after, int):
            node = node.setdefault(part, [{}])[0]
        else:
            node = node.setdefault(part, {}) if isinstance(node.get(part, {}), dict) else node
    node[loc[-1]] = value
    return data


JARGON = ("literal[", "list[", "str]", "dict[", "NoneType", "pydantic", "Input should", "union", "type=", "bool", "int")


@pytest.mark.parametrize(
    ("loc", "value"), _wrong_values(), ids=lambda v: ".".join(map(str, v)) if isinstance(v, tuple) else ""
)
def test_every_wrong_type_is_said_in_the_users_words_with_an_example_that_works(tmp_path, loc, value):
    import yaml

    if loc[-1] in ("modules", "emphasis"):
        value = _module_id()
    org = tmp_path / "types.yaml"
    data = _file_with(loc, value)
    org.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = run("check", str(org))
    where = ".".join(p for p in loc if isinstance(p, str))
    lines = [line for line in result.stderr.splitlines() if line.startswith(str(org)) and ": warning:" not in line]
    assert result.exit_code == 2 and len(lines) == 1, result.output
    assert f"'{where}'" in lines[0] or loc[-1] in lines[0], lines[0]
    (line,) = lines
    assert not any(word in line for word in JARGON), line
    assert f"write {loc[-1]}: " in line, f"no example to copy in: {line}"
    example = line.split(f"write {loc[-1]}: ", 1)[1]
    if example.endswith(")") and example.count(")") > example.count("("):
        example = example[:-1]
    # The example is correct: written in, the mistake is gone.
    fixed = _file_with(loc, yaml.safe_load(example))
    org.write_text(yaml.safe_dump(fixed, allow_unicode=True, sort_keys=False), encoding="utf-8")
    again = run("check", str(org))
    message = line.split(": ", 1)[1]
    assert message not in again.stderr, again.output
    assert not re.search(rf"'{re.escape(where)}' (is|should be)", again.stderr), again.output


def test_breaks_written_as_a_time_get_one_message_that_says_to_write_a_list(tmp_path):
    """The issue's own line, `breaks: 10:30`, gave two messages naming pydantic's union members."""
    org = tmp_path / "breaks.yaml"
    org.write_text("name: Break Clinic\nworkshop:\n  start: '09:00'\n  breaks: 10:30\n", encoding="utf-8")
    result = run("check", str(org))
    errors = [line for line in result.stderr.splitlines() if ": warning:" not in line]
    assert errors == [
        f"{org}:4: 'workshop.breaks' is '10:30'; it should be 'auto', 'none' or a list (write breaks: [\"10:30\"])"
    ], result.output


@pytest.mark.parametrize(
    ("written", "minutes"), [("2h30", 150), ("150", 150), ("2 h 30", 150), ("150 min", 150), ("2h", 120)]
)
def test_a_length_is_read_as_people_write_it(tmp_path, written, minutes):
    org = tmp_path / "length.yaml"
    org.write_text(f"name: Length Clinic\nworkshop:\n  minutes: {written}\n", encoding="utf-8")
    result = run("plan", str(org))
    assert result.exit_code == 0, result.output
    assert re.search(rf"^\s*{minutes}\s+Total", result.stdout, re.MULTILINE), result.output


def test_a_date_with_a_zero_left_out_is_read(tmp_path):
    org = tmp_path / "date.yaml"
    org.write_text("name: Date Clinic\nworkshop:\n  date: 2026-10-2\n  start: '09:00'\n", encoding="utf-8")
    result = run("check", str(org))
    assert result.exit_code == 0, result.output
    from packets.load.model import Organization
    from packets.load.sources import read_yaml

    assert str(Organization.model_validate(read_yaml(org).data).workshop.date) == "2026-10-02"


# ---------------------------------------------------------------- init asks what a session needs (items 2, 6)


def _lines(*answers: str) -> str:
    return "\n".join(answers) + "\n"


def _module_titles() -> list[str]:
    from packets.load.curriculum import Project, load_curriculum

    return [m.title for m in load_curriculum(Project(ROOT)).modules.values()]


# The coordinator, as she would answer: quoted time, a length as 2h30, a date with a
# zero left out, an Elder opening, a 10:30 break, who leads what by title and by number.
WOLASTOQEY_START = (
    "",  # the documents' language: English, the default
    "Fredericton Community Health Centre",  # name
    "letter",  # paper
    "",  # accent colour
    "",  # logo
    "",  # title
    "2h30",  # a length as the prompt offers it
    "2026-10-2",  # date, a zero left out
    '"09:00"',  # start time, typed with the quotes the prompt shows
)
WOLASTOQEY_REST = (
    "10:30",  # breaks
    "Room 2, 100 King Street",  # location
    "opening",  # an Elder opens
    "Elder Mary Paul",  # who agreed to be named
    "Sam Nicholas|Community health lead",
    "Ada Leblanc|Nurse educator",
    "",  # no more facilitators
    "opening, 1, Land, colonization and local relationships",  # Sam leads, by number and by title
    "break, closing, 9",  # Ada leads
    "Wolastoqiyik|Maliseet|wo-las-to-GWEE-yik",
    "Miʼkmaq|Micmac|MEEG-mah",
    "Peskotomuhkati|Passamaquoddy|pes-ko-to-MOO-ka-tee",
    "",  # no more Nations
    "",  # places
    "unceded Wolastoqey territory",
    "",  # statement: a draft
    "We pay Elders and knowledge keepers for their time and travel.",
    "",  # no more commitments
    "Wolastoqey Nation health committee",
    "2026-09-15",
    "A conversation with the health committee",
    "",  # local supports
)


def test_init_stopped_half_way_says_so_without_aborted_and_init_goes_on_from_the_kept_answers(empty_project):
    first = run("init", input=_lines(*WOLASTOQEY_START))  # the input ends: as Ctrl-D, or Ctrl-C
    assert first.exit_code == 1
    assert "Stopped. Your answers so far are kept; run `packets init fredericton-community-health-centre`" in (
        first.stderr
    )
    assert "Aborted!" not in first.output
    orgs = empty_project / "content/orgs"
    assert not (orgs / "fredericton-community-health-centre.yaml").exists(), "no file is written half-answered"
    kept = orgs / ".init-fredericton-community-health-centre.json"
    assert kept.stat().st_mode & 0o077 == 0, "the kept answers are the owner's only"
    # Run again as the message says: nothing already answered is asked again.
    again = run("init", "fredericton-community-health-centre", input=_lines(*WOLASTOQEY_REST))
    assert again.exit_code == 0, again.output
    assert "Organization name" not in again.output and "Start time" not in again.output
    assert not kept.exists()
    import yaml

    data = yaml.safe_load((orgs / "fredericton-community-health-centre.yaml").read_text(encoding="utf-8"))
    workshop = data["workshop"]
    assert data["name"] == "Fredericton Community Health Centre"
    assert workshop["minutes"] == 150 and workshop["start"] == "09:00" and str(workshop["date"]) == "2026-10-02"
    assert workshop["breaks"] == ["10:30"]
    assert workshop["knowledge_keeper"] == {"name": "Elder Mary Paul", "opening": True, "closing": False}
    sam, ada = workshop["facilitators"]
    assert sam["leads"][0] == "opening" and len(sam["leads"]) == 3
    assert ada["leads"][:2] == ["break", "closing"]
    checked = run("check", "fredericton-community-health-centre")
    assert checked.exit_code == 0, checked.output
    # Maliseet and Micmac are only english_name here, so nothing is said about them.
    assert "name others gave" not in checked.output


def test_init_again_without_the_slug_asks_the_name_then_goes_on(empty_project):
    assert run("init", input=_lines(*WOLASTOQEY_START)).exit_code == 1
    again = run("init", input=_lines("", "Fredericton Community Health Centre", *WOLASTOQEY_REST))
    assert again.exit_code == 0, again.output
    assert "Going on from the answers you gave before" in again.output
    assert "--force" not in again.output


def test_init_refuses_what_check_refuses_and_asks_again(empty_project):
    answers = (
        "",  # English
        "Check Clinic",
        "",
        "",
        "",
        "",
        "weekly",  # refused, with every kind of answer the question offers
        "2 h 30",
        "",
        "",  # no start time
        "10:30",  # refused: a break time needs the start time
        "auto",
        "",
        "sometimes",  # refused
        "both",
        "",  # no name until they agree
        "Kim Lee",
        "",
        "module seven",  # refused: no such title
        "The spotlight and the credit",
        *[""] * 12,
    )
    result = run("init", input=_lines(*answers))
    assert result.exit_code == 0, result.output
    assert "unknown format 'weekly'; give one of: short (60 min), standard (90 min), half-day (180 min); " in (
        result.stderr
    )
    assert "or any length from 45 to 360 minutes, e.g. 150 or 2h30" in result.stderr
    assert "break times need the session's start time" in result.stderr
    assert "'sometimes' is not one of: no, opening, closing, both" in result.stderr
    assert "nothing in the list is called 'module seven'" in result.stderr
    for number, title in enumerate(_module_titles(), start=1):
        assert f"{number:>2}. {title}" in result.stdout  # modules are chosen by title, not id
    import yaml

    workshop = yaml.safe_load((empty_project / "content/orgs/check-clinic.yaml").read_text(encoding="utf-8"))[
        "workshop"
    ]
    assert workshop["minutes"] == 150 and workshop["breaks"] == "auto"
    assert workshop["knowledge_keeper"] == {"opening": True, "closing": True}
    assert len(workshop["facilitators"][0]["leads"]) == 1


def test_init_with_a_file_there_and_no_kept_answers_says_what_to_do(empty_project):
    (empty_project / "content/orgs/there.yaml").write_text("name: There\n", encoding="utf-8")
    result = run("init", "there")
    assert result.exit_code == 2
    assert "this organization file already exists (edit it and run `packets check there`" in result.output
    assert "Organization name" not in result.output


# ---------------------------------------------------------------- the coordinator, start to finish


def test_a_coordinator_on_wolastoqey_territory_inits_checks_builds_edits_and_nothing_is_left_stale(
    empty_project, tmp_path
):
    """Three Nations, an Elder opening, a 10:30 break in a 150-minute session, large print,
    slides and a booklet: init from standard input, check, build, an edit (a commitment
    added, as the studio adds it), then `packets build SLUG` alone brings every document up
    to date, read back from the PDFs."""
    from conftest import flat, pdf_text

    slug = "fredericton-community-health-centre"
    made = run("init", input=_lines(*WOLASTOQEY_START, *WOLASTOQEY_REST))
    assert made.exit_code == 0, made.output
    checked = run("check", slug)
    assert checked.exit_code == 0, checked.output
    assert "Checked 1 organization file and the curriculum: 0 errors" in checked.stdout
    out = tmp_path / "out"
    first = run("build", slug, "--large-print", "--slides", "--booklet", "--out", str(out), "-j2")
    assert first.exit_code == 0, first.output
    folder = out / slug
    names = {
        "guide": f"{slug}-facilitator-guide.pdf",
        "guide-large": f"{slug}-facilitator-guide-large-print.pdf",
        "handout": f"{slug}-participant-handout.pdf",
        "handout-large": f"{slug}-participant-handout-large-print.pdf",
        "slides": f"{slug}-slides.pdf",
        "booklet": f"{slug}-participant-handout-booklet.pdf",
    }
    assert sorted(p.name for p in folder.glob("*.pdf")) == sorted(names.values())
    guide = flat(pdf_text(folder / names["guide"]))
    assert "Elder Mary Paul" in guide and "10:30" in guide
    handout = flat(pdf_text(folder / names["handout"]))
    # The participants see the session too: who opens, when the break comes, when it ends.
    assert "Opening Elder Mary Paul" in handout and "a break from 10:30 to" in handout and "to 11:30" in handout
    for name in ("Wolastoqiyik", "Miʼkmaq", "Peskotomuhkati"):
        assert name in handout, name
    before = {key: (folder / name).stat().st_mtime_ns for key, name in names.items()}

    org = empty_project / f"content/orgs/{slug}.yaml"
    added = "We hold every session in a room the health committee chose."
    text = org.read_text(encoding="utf-8")
    anchor = '    - "We pay Elders and knowledge keepers for their time and travel."\n'
    assert anchor in text
    org.write_text(text.replace(anchor, anchor + f'    - "{added}"\n'), encoding="utf-8")

    again = run("build", slug, "--out", str(out), "-j2")
    assert again.exit_code == 0, again.output
    assert "also rebuilt, as they were out of date beside the others" in again.stdout
    assert again.stdout.rstrip().endswith(
        "(rebuilt: facilitator guide, facilitator guide (large print), participant handout, "
        "participant handout (large print), slides, handout booklet)"
    ), again.stdout
    for key, name in names.items():
        assert (folder / name).stat().st_mtime_ns != before[key], f"{name} was left out of date"
        assert added in flat(pdf_text(folder / name)), f"{name} does not have the new commitment"
    assert run("build", slug, "--out", str(out), "-j2").stdout.startswith(f"{slug}: up to date")


def test_init_without_input_takes_the_breaks_and_the_elder_from_flags(empty_project):
    args = ("init", "flags-clinic", "--no-input", "--name", "Flags Clinic", "--format", "2h30", "--start", '"09:00"')
    refused = run(*args[:-2], "--breaks", "10:30")
    assert refused.exit_code == 2 and "init: --breaks: break times need the session's start time" in refused.output
    assert not (empty_project / "content/orgs/flags-clinic.yaml").exists()
    result = run(*args, "--breaks", "10:30", "--knowledge-keeper", "opening", "--knowledge-keeper-name", "Elder Ann")
    assert result.exit_code == 0, result.output
    import yaml

    workshop = yaml.safe_load((empty_project / "content/orgs/flags-clinic.yaml").read_text(encoding="utf-8"))[
        "workshop"
    ]
    assert workshop["breaks"] == ["10:30"] and workshop["minutes"] == 150 and workshop["start"] == "09:00"
    assert workshop["knowledge_keeper"] == {"name": "Elder Ann", "opening": True, "closing": False}


def test_force_renders_what_was_asked_and_the_rest_only_when_out_of_date(project, quick):  # noqa: F811
    """The studio forces one audience at a time: the slides are rendered once, not once per audience."""
    assert _build(project, "clinic-0", "-j1", "--slides").exit_code == 0
    _edit(project)
    forced = _build(project, "clinic-0", "-j1", "--force")
    assert _written(forced.output) == ["clinic-0-participant-handout.pdf", "clinic-0-slides.pdf"]
    again = _build(project, "clinic-0", "-j1", "--force")
    assert _written(again.output) == ["clinic-0-participant-handout.pdf"]
