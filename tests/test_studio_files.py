"""The studio's files: what it reads, saves, creates and serves goes through the loader's own door.

Driven from outside, as the issues were found: a real `packets studio` on loopback, real
HTTP, links and named files made on disk, concurrent requests from threads, a folder made
read-only (by chmod, or by a read-only bind mount when the tests run as root).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT
from test_studio import PNG, Studio, _packets, running_studio

pytestmark = pytest.mark.xdist_group("studio-files")

SECRET = "OUTSIDE-THE-PROJECT-7f3a"
ROUNDS = 6  # each race is run this many times: on today's main about half the rounds lost one edit


@pytest.fixture(scope="module")
def studio(tmp_path_factory) -> Iterator[Studio]:
    with running_studio(tmp_path_factory.mktemp("studio-files")) as started:
        yield started


def _orgs(studio: Studio) -> Path:
    return studio.root / "content" / "orgs"


def _example_text() -> str:
    return (ROOT / "content" / "orgs" / "example.yaml").read_text(encoding="utf-8")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _every_read(studio: Studio, slug: str, data: dict, version: str) -> dict[str, tuple[int, bytes]]:
    """The answer of every route that reads the organization's file."""
    answers = {}
    for method, path, body in [
        ("GET", "/", None),
        ("GET", f"/orgs/{slug}", None),
        ("GET", f"/api/orgs/{slug}", None),
        ("GET", f"/orgs/{slug}/cover.png", None),
        ("POST", f"/api/orgs/{slug}/review", {"data": data}),
        ("POST", f"/api/orgs/{slug}/preview", {"data": data}),
        ("POST", f"/api/orgs/{slug}/save", {"data": data, "version": version}),
    ]:
        status, _, raw = studio.request(method, path, body)
        answers[f"{method} {path}"] = (status, raw)
    return answers


# ------------------------------------------------------------------------------ 1: one door, no way out


def test_a_linked_file_outside_the_project_is_never_shown_reviewed_or_saved(studio, tmp_path):
    outside = tmp_path / "elsewhere.yaml"
    text = _example_text().replace("Riverside", f"Riverside {SECRET}", 1)
    assert SECRET in text
    outside.write_text(text, encoding="utf-8")
    link = _orgs(studio) / "linked.yaml"
    link.symlink_to(outside)
    try:
        data = {"name": f"Saved {SECRET}"}
        answers = _every_read(studio, "linked", data, _digest(outside.read_bytes()))
        for route, (status, raw) in answers.items():
            assert SECRET.encode() not in raw, route
            assert status < 500, route
        status, raw = answers["GET /api/orgs/linked"]
        assert status == 422
        error = json.loads(raw)["error"]
        assert "content/orgs/linked.yaml" in error and "link to a file outside the project" in error
        assert "copy the file into content/orgs/" in error
        assert answers["POST /api/orgs/linked/save"][0] == 422
        assert answers["POST /api/orgs/linked/review"][0] == 422
        assert answers["GET /orgs/linked/cover.png"][0] == 404
        assert link.is_symlink() and outside.read_text(encoding="utf-8") == text  # nothing copied in, nothing written
    finally:
        link.unlink()


def test_the_studios_environment_is_never_shown_through_a_link_to_proc(studio):
    link = _orgs(studio) / "environ.yaml"
    link.symlink_to("/proc/self/environ")
    try:
        answers = _every_read(studio, "environ", {"name": "x"}, _digest(b""))
        for route, (status, raw) in answers.items():
            assert SECRET.encode() not in raw and b"PACKETS_ROOT" not in raw, route
            assert status < 500, route
        assert answers["GET /api/orgs/environ"][0] == 422
    finally:
        link.unlink()


def test_check_refuses_a_system_file_that_claims_to_be_empty(studio):
    """/proc files say they hold 0 bytes and then give the process's secrets: never a file to read."""
    done = _packets(studio, "check", "/proc/self/environ")
    assert done.returncode == 2
    assert "PACKETS_ROOT" not in done.stdout + done.stderr
    assert "not a plain file" in done.stderr


def test_a_logo_is_never_written_through_a_linked_logos_folder(studio, tmp_path):
    logos = _orgs(studio) / "logos"
    kept = _orgs(studio) / "logos.kept"
    if logos.exists():
        logos.rename(kept)
    logos.symlink_to(tmp_path, target_is_directory=True)
    try:
        status, _, raw = studio.request("POST", "/api/orgs/example/logo", PNG, {"X-Filename": "logo.png"})
        assert status == 403
        assert "content/orgs/logos is not used: it is a link to a file outside the project" in json.loads(raw)["error"]
        assert list(tmp_path.iterdir()) == []
    finally:
        logos.unlink()
        if kept.exists():
            kept.rename(logos)


def test_a_named_pipe_in_the_folder_does_not_hang_the_studio(studio):
    pipe = _orgs(studio) / "pipe.yaml"
    os.mkfifo(pipe)
    try:
        status, body = studio.json("GET", "/api/orgs/pipe")
        assert status in (404, 422)
        assert studio.request("GET", "/")[0] == 200
    finally:
        pipe.unlink()


# ---------------------------------------------------------------------- 17: a huge file is never read


def test_a_huge_file_is_refused_without_being_read(studio):
    huge = _orgs(studio) / "huge.yaml"
    with open(huge, "wb") as handle:  # sparse: 600 MB that take no room on disk
        handle.truncate(600 * 1024 * 1024)
    try:
        before = _peak_memory(studio.process.pid)
        answers = _every_read(studio, "huge", {"name": "Huge"}, _digest(b""))
        for route, (status, _raw) in answers.items():
            assert status < 500, route
        status, raw = answers["GET /api/orgs/huge"]
        assert status == 422
        assert "629,145,600 bytes; the limit is 1,000,000" in json.loads(raw)["error"]
        assert _peak_memory(studio.process.pid) - before < 200 * 1024 * 1024  # the file was never in memory
        assert huge.stat().st_size == 600 * 1024 * 1024  # and never written over
        checked = _packets(studio, "check", "huge")
        assert checked.returncode == 2 and "the limit is 1,000,000" in checked.stderr
    finally:
        huge.unlink()


def _peak_memory(pid: int) -> int:
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        pytest.skip("needs /proc to read the studio's peak memory")
    return int(re.search(r"VmHWM:\s+(\d+) kB", status.read_text())[1]) * 1024


# ---------------------------------------------------------------------------- 6: deep nesting


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("route", ["review", "preview", "save"])
def test_a_value_nested_500_deep_is_refused_plainly(studio, route):
    body = '{"version": "0", "data": {"name": ' + _nested(500) + "}}"
    status, _, raw = studio.request(
        "POST", f"/api/orgs/example/{route}", body.encode(), {"Content-Type": "application/json"}
    )
    assert status == 400
    assert "nested more than" in json.loads(raw)["error"]
    deep_create = '{"name": "Deep", "territory": ' + _nested(500) + "}"
    status, _, raw = studio.request("POST", "/api/orgs", deep_create.encode(), {"Content-Type": "application/json"})
    assert status == 400 and "nested more than" in json.loads(raw)["error"]
    assert not (_orgs(studio) / "deep.yaml").exists()


@pytest.mark.parametrize("route", ["review", "preview", "save"])
def test_an_unpaired_surrogate_is_refused_plainly(studio, route):
    """JSON can carry half a character (\\ud800) that no UTF-8 file can hold."""
    body = b'{"version": "0", "data": {"name": "Riverside \\ud800"}}'
    status, _, raw = studio.request("POST", f"/api/orgs/example/{route}", body, {"Content-Type": "application/json"})
    assert status == 400
    assert "unpaired surrogate" in json.loads(raw)["error"]


def test_brackets_inside_text_are_text_not_nesting(studio):
    _, state = studio.json("GET", "/api/orgs/example")
    data = {**state["data"], "name": "Riverside " + "[" * 200 + "{" * 200}
    status, reviewed = studio.json("POST", "/api/orgs/example/review", {"data": data})
    assert status == 200 and "status" in reviewed


# ------------------------------------------------------------------- 5 and 14: saves and creates at once


def _at_once(*calls) -> list:
    """Each call in its own thread, released together."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i: int, call) -> None:
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def test_two_saves_of_one_version_never_both_succeed(studio):
    target = _orgs(studio) / "race-save.yaml"
    for round_ in range(ROUNDS):
        target.write_text(_example_text(), encoding="utf-8")
        _, state = studio.json("GET", "/api/orgs/race-save")
        edits = [f"Riverside edit {round_}-{who}" for who in ("a", "b")]
        answers = _at_once(
            *[
                lambda body=body: studio.json("POST", "/api/orgs/race-save/save", body)
                for body in [{"data": {**state["data"], "name": n}, "version": state["version"]} for n in edits]
            ]
        )
        statuses = sorted(status for status, _ in answers)
        assert statuses == [200, 409], f"round {round_}: {statuses}"
        winner = edits[[status for status, _ in answers].index(200)]
        loser = next(body for status, body in answers if status == 409)
        assert "changed on disk" in loser["error"]
        assert winner in target.read_text(encoding="utf-8")
    target.unlink()


def _create_body(slug: str, name: str, **more: str) -> dict:
    return {"name": name, "slug": slug, "territory": "Treaty 3 territory", **more}


def test_two_creates_of_one_name_give_one_file(studio):
    for round_ in range(ROUNDS):
        slug = f"race-create-{round_}"
        names = [f"Clinic {round_} a", f"Clinic {round_} b"]
        answers = _at_once(
            *[lambda b=b: studio.json("POST", "/api/orgs", b) for b in [_create_body(slug, n) for n in names]]
        )
        statuses = [status for status, _ in answers]
        assert sorted(statuses) == [201, 409], f"round {round_}: {statuses}"
        refused = next(body for status, body in answers if status == 409)
        assert f"content/orgs/{slug}.yaml already exists" in refused["error"]
        text = (_orgs(studio) / f"{slug}.yaml").read_text(encoding="utf-8")
        assert names[statuses.index(201)] in text
        (_orgs(studio) / f"{slug}.yaml").unlink()


def test_a_create_that_fails_never_removes_another_creates_file(studio):
    for round_ in range(ROUNDS):
        slug = f"race-invalid-{round_}"
        good = _create_body(slug, f"Good Clinic {round_}")
        bad = _create_body(slug, f"Bad Clinic {round_}", start="half past nine")
        (status_good, _), (status_bad, body_bad) = _at_once(
            lambda g=good: studio.json("POST", "/api/orgs", g), lambda b=bad: studio.json("POST", "/api/orgs", b)
        )
        assert status_good == 201, f"round {round_}"
        assert status_bad in (400, 409), f"round {round_}"
        target = _orgs(studio) / f"{slug}.yaml"
        assert target.is_file(), f"round {round_}: the created file was removed"
        assert f"Good Clinic {round_}" in target.read_text(encoding="utf-8")
        target.unlink()


# ----------------------------------------------------------------------- 7 and 21: the built files


def test_an_a4_build_from_the_studio_lists_and_downloads_its_files(studio):
    status, started = studio.json("POST", "/api/orgs/example/build", {"paper": "a4"})
    assert status == 200
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        _, job = studio.json("GET", started["job"])
        if job["status"] not in ("queued", "running"):  # another test's build may be ahead in the queue
            break
        time.sleep(1)
    assert job["status"] == "built", (job["error"], job["problems"])
    names = sorted(f["name"] for f in job["files"])
    assert names == ["example-facilitator-guide-a4.pdf", "example-participant-handout-a4.pdf"]
    for file in job["files"]:
        status, headers, data = studio.request("GET", file["url"])
        assert status == 200 and headers["content-type"] == "application/pdf"
        assert data == (studio.out / "example" / file["name"]).read_bytes()
        width, height = _first_page_size(data)
        assert (round(width), round(height)) == (595, 842)  # A4 in points
    _, state = studio.json("GET", "/api/orgs/example")
    assert {f["name"] for f in state["built"]} >= set(names)


def _first_page_size(pdf: bytes) -> tuple[float, float]:
    from io import BytesIO

    from pypdf import PdfReader

    box = PdfReader(BytesIO(pdf)).pages[0].mediabox
    return float(box.width), float(box.height)


def test_an_output_folder_linked_elsewhere_is_refused_plainly(studio, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "example-facilitator-guide.pdf").write_bytes(b"%PDF-1.7 " + SECRET.encode())
    folder = studio.out / "example"
    kept = studio.out / "example.kept"
    if folder.exists():
        folder.rename(kept)
    studio.out.mkdir(parents=True, exist_ok=True)
    folder.symlink_to(elsewhere, target_is_directory=True)
    try:
        status, headers, raw = studio.request("GET", "/orgs/example/files/example-facilitator-guide.pdf")
        assert status == 403
        assert SECRET.encode() not in raw
        assert "output/example" in raw.decode() or "example" in raw.decode()
        assert "links to a folder elsewhere" in raw.decode()
        status, state = studio.json("GET", "/api/orgs/example")
        assert status == 200 and state["built"] == []
    finally:
        folder.unlink()
        if kept.exists():
            kept.rename(folder)


def test_a_built_file_replaced_by_a_link_is_not_served(studio, tmp_path):
    outside = tmp_path / "secret.pdf"
    outside.write_bytes(b"%PDF-1.7 " + SECRET.encode())
    folder = studio.out / "example"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "example-participant-handout-large-print.pdf"
    target.unlink(missing_ok=True)
    target.symlink_to(outside)
    try:
        status, _, raw = studio.request("GET", "/orgs/example/files/example-participant-handout-large-print.pdf")
        assert status in (403, 404) and SECRET.encode() not in raw
    finally:
        target.unlink()


# -------------------------------------------------------------------- 19: a folder the studio cannot write


def _read_only_mount(folder: Path) -> list[str]:
    """A command prefix that runs its command with `folder` mounted read-only, for it alone."""
    mount = f"mount --bind '{folder}' '{folder}' && mount -o remount,ro,bind '{folder}' && exec \"$@\""
    return ["unshare", "-m", "--propagation", "private", "sh", "-c", mount, "sh"]


@pytest.fixture(scope="module")
def read_only_studio(tmp_path_factory) -> Iterator[Studio]:
    """A studio whose content/orgs/ it cannot write: by chmod, or (as root, where chmod does not
    bind) by a read-only bind mount in a mount namespace of its own."""
    base = tmp_path_factory.mktemp("studio-read-only")
    orgs = base / "project" / "content" / "orgs"
    if os.geteuid() != 0:
        with running_studio(base, wrapper=["sh", "-c", f"chmod a-w '{orgs}' && exec \"$@\"", "sh"]) as started:
            try:
                yield started
            finally:
                orgs.chmod(0o755)
        return
    trial = tmp_path_factory.mktemp("mount-trial")
    if (
        not shutil.which("unshare")
        or subprocess.run([*_read_only_mount(trial), "true"], capture_output=True).returncode
    ):
        pytest.skip("running as root, where chmod does not stop writes, and no read-only bind mount is allowed here")
    with running_studio(base, wrapper=_read_only_mount(orgs)) as started:
        yield started


def test_a_read_only_folder_can_be_reviewed_and_previewed(read_only_studio):
    studio = read_only_studio
    before = sorted(os.listdir(_orgs(studio)))
    status, state = studio.json("GET", "/api/orgs/example")
    assert status == 200
    data = {**state["data"], "name": "Riverside Read-Only"}
    status, reviewed = studio.json("POST", "/api/orgs/example/review", {"data": data})
    assert status == 200 and reviewed["status"]["errors"] == 0
    status, preview = studio.json("POST", "/api/orgs/example/preview", {"data": data})
    assert status == 200 and preview["pages"], preview.get("reason")
    status, _, png = studio.request("GET", preview["pages"][0])
    assert status == 200 and png.startswith(b"\x89PNG")
    assert sorted(os.listdir(_orgs(studio))) == before


def test_a_read_only_folder_refuses_saves_creates_and_logos_in_words(read_only_studio):
    studio = read_only_studio
    _, state = studio.json("GET", "/api/orgs/example")
    text = (_orgs(studio) / "example.yaml").read_bytes()
    data = {**state["data"], "name": "Riverside Read-Only"}
    answers = [
        studio.json("POST", "/api/orgs/example/save", {"data": data, "version": state["version"]}),
        studio.json("POST", "/api/orgs", _create_body("read-only-new", "Read-Only Clinic")),
    ]
    status, _, raw = studio.request("POST", "/api/orgs/example/logo", PNG, {"X-Filename": "logo.png"})
    answers.append((status, json.loads(raw)))
    for status, body in answers:
        assert status == 403, body
        assert "cannot write in content/orgs" in body["error"]
        assert "make the folder writable" in body["error"]
    assert (_orgs(studio) / "example.yaml").read_bytes() == text
    assert not (_orgs(studio) / "read-only-new.yaml").exists()


# ------------------------------------------------------------------------- a disk with no room left


@pytest.fixture(scope="module")
def full_disk_studio(tmp_path_factory) -> Iterator[Studio]:
    """A studio whose content/orgs/ is a small file system filled to the last byte (a tmpfs
    mounted in a mount namespace of its own), skipped where mounting is not allowed."""
    base = tmp_path_factory.mktemp("studio-full-disk")
    orgs = base / "project" / "content" / "orgs"
    stash = base / "stash"
    fill = (
        f"cp -a '{orgs}/.' '{stash}' && mount -t tmpfs -o size=2m tmpfs '{orgs}' && cp -a '{stash}/.' '{orgs}' "
        # In this shell, not a subshell: `exec` makes the studio the process the test stops.
        f"&& {{ cat /dev/zero > '{orgs}/.filler' 2>/dev/null; exec \"$@\"; }}"
    )
    wrapper = ["unshare", "-m", "--propagation", "private", "sh", "-c", fill, "sh"]
    trial = tmp_path_factory.mktemp("tmpfs-trial")
    probe = f"mount -t tmpfs -o size=64k tmpfs '{trial}'"
    if (
        not shutil.which("unshare")
        or subprocess.run(
            ["unshare", "-m", "--propagation", "private", "sh", "-c", probe], capture_output=True
        ).returncode
    ):
        pytest.skip("mounting a small file system is not allowed here")
    stash.mkdir()
    with running_studio(base, wrapper=wrapper) as started:
        yield started


def test_a_full_disk_refuses_saves_creates_and_logos_in_words(full_disk_studio):
    studio = full_disk_studio
    status, state = studio.json("GET", "/api/orgs/example")
    assert status == 200
    data = {**state["data"], "name": "Riverside With Room"}
    answers = [
        studio.json("POST", "/api/orgs/example/save", {"data": data, "version": state["version"]}),
        studio.json("POST", "/api/orgs", _create_body("no-room", "No Room Clinic")),
    ]
    status, _, raw = studio.request("POST", "/api/orgs/example/logo", PNG, {"X-Filename": "logo.png"})
    answers.append((status, json.loads(raw)))
    for status, body in answers:
        assert status == 507, body
        assert "is full, so nothing was saved" in body["error"] and "content/orgs" in body["error"]
    status, after = studio.json("GET", "/api/orgs/example")
    assert after["version"] == state["version"]  # the file is as it was, not half-written
    assert studio.json("GET", "/api/orgs/no-room")[0] == 404
    listed = studio.request("GET", "/")[2].decode()
    assert "No Room Clinic" not in listed and ".partial-" not in listed


def test_an_organization_is_loaded_again_when_its_file_or_its_logo_changes(tmp_path):
    """The studio keeps `load_organization`'s result by the file's digest: a file or a logo changed
    on disk (an editor, a copy) is seen at once, an unchanged one is not parsed again."""
    from test_studio import PNG, _project_copy

    from packets.load.curriculum import Project, load_curriculum
    from packets.studio.loaded import LoadedOrgs

    root = _project_copy(tmp_path)
    project = Project(root)
    orgs = LoadedOrgs(project, load_curriculum(project))
    path = root / "content/orgs/example.yaml"
    first = orgs.load("example", path)
    assert first.org is not None and orgs.load("example", path) is first
    text = path.read_text(encoding="utf-8").replace("Room 2B, 120 River Street", "Room 9, the new wing")
    path.write_text("logo: logos/mark.png\n" + text, encoding="utf-8")
    missing = orgs.load("example", path)
    assert missing.org is None and any("mark.png" in p.message for p in missing.errors)
    assert missing.doc.data["workshop"]["location"] == "Room 9, the new wing"
    (root / "content/orgs/logos").mkdir(exist_ok=True)
    (root / "content/orgs/logos/mark.png").write_bytes(PNG)
    found = orgs.load("example", path)
    assert found.org is not None and found.org.logo == "logos/mark.png"
    (root / "content/orgs/logos/mark.png").write_bytes(b"no picture here at all")
    assert orgs.load("example", path).org is None
