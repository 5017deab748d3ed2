"""`packets backup`: the team server's database and content/orgs in one archive, restored and read back."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import pytest

from packets.serve.accounts import Accounts
from packets.serve.backup import backup
from packets.serve.db import open_database

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.xdist_group("serve-accounts")


def _project(base: Path) -> Path:
    """A project of its own: the example organization, a logo, and the folders `packets` looks for."""
    root = base / "project"
    (root / "templates").mkdir(parents=True)
    orgs = root / "content" / "orgs"
    (orgs / "logos").mkdir(parents=True)
    shutil.copy(ROOT / "content" / "orgs" / "example.yaml", orgs / "example.yaml")
    (orgs / "riverside.yaml").write_text('name: "Riverside Clinic — ᓀᐦᐃᔭᐤ and Miʼkmaq"\n', encoding="utf-8")
    (orgs / "logos" / "riverside-logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (orgs / ".studio-draft-1.tmp").write_text("half a draft")
    return root


def _packets(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from packets.cli import main; main()", *args],
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "PACKETS_ROOT": str(root), "HOME": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_backup_restores_the_accounts_and_the_organization_files(tmp_path):
    root = _project(tmp_path)
    added = _packets(root, "users", "add", "ann@example.org", "--role", "coordinator", "--org", "riverside")
    assert added.returncode == 0, added.stderr
    done = _packets(root, "backup")
    assert done.returncode == 0, done.stderr
    assert "Saved the database and 3 files of content/orgs in:" in done.stderr
    archive = Path(done.stdout.strip())
    assert archive.parent == root / "backups" and archive.name.startswith("packets-backup-")
    assert archive.stat().st_mode & 0o077 == 0  # it holds password hashes

    restored = tmp_path / "restored"
    with tarfile.open(archive) as tar:
        names = sorted(tar.getnames())
        tar.extractall(restored, filter="data")
    assert names == [
        "content/orgs/example.yaml",
        "content/orgs/logos",
        "content/orgs/logos/riverside-logo.png",
        "content/orgs/riverside.yaml",
        "packets.db",
    ]
    for name in ("example.yaml", "riverside.yaml", "logos/riverside-logo.png"):
        assert (restored / "content" / "orgs" / name).read_bytes() == (root / "content" / "orgs" / name).read_bytes()
    assert "ᓀᐦᐃᔭᐤ and Miʼkmaq" in (restored / "content" / "orgs" / "riverside.yaml").read_text(encoding="utf-8")
    database = open_database(restored / "packets.db")
    try:
        person = Accounts(database).person("ann@example.org")
        assert person is not None and person.orgs == {"riverside"} and person.role == "coordinator"
    finally:
        database.close()
    listed = _packets(root, "users", "list", "--db", str(restored / "packets.db"))
    assert "ann@example.org  coordinator  riverside  invited until" in listed.stdout


def test_a_backup_taken_while_the_server_writes_is_whole(tmp_path):
    root = _project(tmp_path)
    database = open_database(root / "instance" / "packets.db")
    accounts = Accounts(database)
    stop = threading.Event()
    added: list[str] = []

    def keep_writing() -> None:
        n = 0
        while not stop.is_set():
            accounts.add_user(f"person{n}@example.org", "facilitator", ["riverside"])
            added.append(f"person{n}@example.org")
            n += 1

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        archives = []
        for n in range(4):
            before = len(added)
            done = backup(root / "content" / "orgs", database.path, tmp_path / "b", _moment(n))
            archives.append((before, done.archive))
    finally:
        stop.set()
        writer.join()
        database.close()
    assert len(added) > archives[-1][0]  # the server really wrote during the back-ups
    for before, archive in archives:
        folder = tmp_path / archive.name
        with tarfile.open(archive) as tar:
            tar.extract("packets.db", folder, filter="data")
        with sqlite3.connect(folder / "packets.db") as copy:
            assert copy.execute("pragma integrity_check").fetchone()[0] == "ok"
            assert copy.execute("pragma journal_mode").fetchone()[0] == "delete"
            count = copy.execute("select count(*) from users").fetchone()[0]
            members = copy.execute("select count(*) from memberships").fetchone()[0]
        assert count >= before and members == count  # every account whole: never one without its organization
        assert not list(folder.glob("*-wal"))


def _moment(n: int):
    import datetime as dt

    return dt.datetime(2026, 12, 7, 10, 0, n)


def test_a_backup_before_the_server_ever_ran_holds_the_files_and_says_so(tmp_path):
    root = _project(tmp_path)
    done = _packets(root, "backup", "--to", str(tmp_path / "saved"))
    assert done.returncode == 0, done.stderr
    assert "no database yet" in done.stderr
    with tarfile.open(done.stdout.strip()) as tar:
        assert "packets.db" not in tar.getnames() and "content/orgs/riverside.yaml" in tar.getnames()


def test_a_backup_it_cannot_write_says_where_and_exits_2(tmp_path):
    root = _project(tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = _packets(root, "backup", "--to", str(blocker / "backups"))
    assert done.returncode == 2
    assert f"cannot create {blocker / 'backups'}" in done.stderr and "--to DIR" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
