"""A coordinator's first hour (issue 31): init asks what a session needs and resumes, messages
in the user's words, names given by others, nothing stale after an edit, and the set-up script."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

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
