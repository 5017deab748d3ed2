"""Safe under faults and a hostile neighbour, round three (issue 30): real signals to real
`packets build` processes, a full, read-only or linked output folder, slugs matched whole,
a cache that cannot lie, and what a kept entry may change.

Each test drives the real command from outside (a subprocess, or the CLI as a user runs it)
and looks at what a user would: exit status, messages, the files left, the processes left
(read from /proc), the text of the PDFs.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, pdftotext, run


def _org(i: int) -> str:
    return (
        f"name: Fault Test Clinic {i}\n"
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
        raise TimeoutError("over 240 s: it hangs")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(240)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _pdfs(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.pdf")) if folder.exists() else []


def _leftovers(folder: Path) -> list[Path]:
    return sorted(folder.rglob(".partial-*")) if folder.exists() else []


# ------------------------------------------------------------------ processes, read from /proc


def _state(pid: int) -> str | None:
    """The process's state letter, or None when it is gone (a zombie counts as gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    state = text.rsplit(")", 1)[1].split()[0]
    return None if state in ("Z", "X") else state


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
            kids.append(int(stat.parent.name))
    return kids


def _wait_for(condition, limit: float = 120.0, step: float = 0.05):
    """Poll until `condition()` is true (or the harness's limit): not a timing assertion, the
    test fails on what is (or is not) there when it gives up."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return condition()


def _start_build(project: Path, *args: str, new_session: bool = False) -> subprocess.Popen:
    env = {**os.environ, "PACKETS_ROOT": str(project)}
    command = [sys.executable, "-c", "from packets.cli import main; main()", "build", *args]
    return subprocess.Popen(
        command,
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=new_session,
    )


def _gone(pids: list[int]) -> bool:
    return all(_state(pid) is None for pid in pids)


def _kill_all(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


_STARTED: list[int] = []  # every worker a test saw: none may outlive the test, whatever it finds


@pytest.fixture(autouse=True)
def no_worker_left_behind():
    yield
    _kill_all(_STARTED)
    _STARTED.clear()


def _with_workers(build: subprocess.Popen, count: int = 2) -> list[int]:
    """The build's workers, once `count` of them run (each forked by the build itself)."""
    workers = _wait_for(lambda: len(_children(build.pid)) >= count and _children(build.pid))
    assert workers, "the build never started its workers"
    _STARTED.extend(workers)
    return list(workers)


# ------------------------------------------------------------------ slugs (case 13)


def test_a_file_name_with_a_trailing_newline_is_no_slug(project):
    bad = project / "content/orgs/trail\n.yaml"
    bad.write_text(_org(9), encoding="utf-8")
    result = run("build", str(bad), "--out", str(project / "output"), "-j1")
    assert result.exit_code == 2, result.output
    assert "cannot be used as an organization name in file names" in result.output
    assert _pdfs(project / "output") == []
    from packets.output import slug_problem

    assert slug_problem("trail\n", "x") is not None
    assert slug_problem("trail", "x") is None


# ------------------------------------------------------------------ signals (cases 11 and 18)


def test_sigkill_of_the_build_leaves_no_worker_alive(project):
    build = _start_build(project, "--force", "-j2", "--out", str(project / "output"))
    try:
        workers = _with_workers(build)
        time.sleep(0.5)  # into their first documents
        build.kill()
        build.wait()
        assert _wait_for(lambda: _gone(workers)), f"workers outlived their build: {workers}"
    finally:
        build.kill()
        build.wait()
        _kill_all(_children(build.pid))


def test_sigterm_stops_the_build_and_its_workers_with_a_short_message(project):
    build = _start_build(project, "--force", "-j2", "--out", str(project / "output"))
    try:
        workers = _with_workers(build)
        time.sleep(0.5)
        build.terminate()
        _, err = build.communicate(timeout=120)
    finally:
        build.kill()
    assert build.returncode == 143, err.decode()
    assert "Traceback" not in err.decode()
    assert "Stopped; no partial files were left in the output folder." in err.decode()
    assert _gone(workers), "a worker outlived its build"
    assert _leftovers(project / "output") == []


@pytest.mark.parametrize("moment", [0.0, 0.3, 1.5, 4.0])
def test_ctrl_c_stops_the_build_without_a_traceback_at_any_moment(project, moment):
    """Ctrl-C at a terminal reaches the whole process group: the build and its workers."""
    build = _start_build(project, "--force", "-j2", "--out", str(project / "output"), new_session=True)
    try:
        workers = _with_workers(build)
        time.sleep(moment)
        os.killpg(build.pid, signal.SIGINT)
        _, err = build.communicate(timeout=120)
    finally:
        build.kill()
    assert "Traceback" not in err.decode(), err.decode()
    assert build.returncode == 130, err.decode()
    assert "Interrupted; no partial files were left in the output folder." in err.decode()
    assert _gone(workers)
    assert _leftovers(project / "output") == []


def test_stop_build_stops_a_build_process_and_its_workers(project):
    """The studio's way to stop a build it started (packets.write.workers.stop_build)."""
    from packets.write.workers import stop_build

    build = _start_build(project, "--force", "-j2", "--out", str(project / "output"))
    workers = _with_workers(build)
    assert stop_build(build, grace=60) == 143
    assert _gone(workers)
    assert "Traceback" not in build.stderr.read().decode()


def test_stop_build_kills_a_build_that_does_not_stop_and_its_workers_die_with_it(project):
    from packets.write.workers import stop_build

    build = _start_build(project, "--force", "-j2", "--out", str(project / "output"))
    workers = _with_workers(build)
    os.kill(build.pid, signal.SIGSTOP)  # a build that cannot answer
    assert stop_build(build, grace=0.5) == -signal.SIGKILL
    assert _wait_for(lambda: _gone(workers)), f"workers outlived their build: {workers}"
