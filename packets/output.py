"""Where packets are written, and writing them so that a reader never sees half a file.

Every output goes to a temporary file in the same folder and is renamed into place,
so an interrupted build (an error, Ctrl-C, a killed worker) leaves either the old
file or the new one, never a partial PDF that someone might print.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import Problem, display_path

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

# Matched whole (`fullmatch`): with `match` and `$`, "trail\n" passed and became a folder name.
SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}")
RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
DOCUMENT_FILES = {"facilitator": "facilitator-guide", "participant": "participant-handout"}
TEMP_PREFIX = ".partial-"
STALE_SECONDS = 3600  # writing one file takes milliseconds; a temporary this old is nobody's
STOPS = {signal.SIGINT, signal.SIGTERM}  # Ctrl-C, and a service's (or the studio's) stop


def slug_problem(slug: str, shown: str) -> Problem | None:
    """Slugs become folder and file names, so only plain names are allowed."""
    if not SLUG.fullmatch(slug):
        return Problem(
            shown,
            0,
            f"'{slug[:80]}' cannot be used as an organization name in file names",
            "name the file with letters, digits, '-' and '_' only, e.g. riverside-chc.yaml",
        )
    if slug.lower() in RESERVED:
        return Problem(shown, 0, f"'{slug}' is a reserved file name on some systems", "choose another file name")
    return None


def edition_suffix(language: str = "en") -> str:
    """What a language adds to a file name: nothing for English (today's names stay), `-fr`
    for French. The one rule for every document, so both editions of a bilingual organization
    lie side by side and never overwrite each other."""
    return "" if language == "en" else f"-{language}"


def pdf_name(
    slug: str, audience: str, large_print: bool = False, paper: str | None = None, language: str = "en"
) -> str:
    """One name per document: the edition, a paper other than the organization's own, and a
    language other than English are in it, in that order.

    So a build with `--paper a4` or `--large-print` never overwrites another build's file,
    and the files say what they are (`riverside-participant-handout-a4-fr.pdf`).
    """
    large = "-large-print" if large_print else ""
    other_paper = f"-{paper}" if paper else ""
    return f"{slug}-{DOCUMENT_FILES[audience]}{large}{other_paper}{edition_suffix(language)}.pdf"


class OutputRefused(ValueError):
    """The output cannot take an organization's files (a folder linked elsewhere, a full or
    read-only disk); `problem` names the path and what to do, in the user's words."""

    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))


def org_folder(out_dir: Path, slug: str) -> Path:
    """The organization's folder, guaranteed to lie inside `out_dir` and not to be a link.

    A link there (to another disk, someone else's folder) would send the packet somewhere
    nobody asked for: it is refused, with what to do.
    """
    base = out_dir.resolve()
    named = base / slug
    folder = named.resolve()
    if named.is_symlink() or folder.parent != base:
        raise OutputRefused(
            Problem(
                display_path(out_dir / slug),
                0,
                "this output folder is a link to somewhere else, and packets are only written into --out itself",
                "remove the link (the packets will be written in a new folder there), or choose another --out",
            )
        )
    return folder


def cannot_write(path: Path, exc: OSError) -> Problem:
    """What a failed write says: the path, the system's reason, and what the person can do."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        hint = "free some space on that disk, or choose another folder with --out; nothing was written"
    elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        hint = "make the folder writable, or choose another folder with --out; nothing was written"
    else:
        hint = "check the folder, or choose another one with --out; nothing was written"
    reason = exc.strerror or type(exc).__name__
    return Problem(display_path(path), 0, f"cannot write here: {reason.lower()}", hint)


def write_together(folder: Path, files: list[tuple[Path, bytes]]) -> None:
    """Write an organization's files (all in `folder`) so that either all of them are new or
    none is: each is first written to a temporary folder inside `folder` (the same disk, so
    moving is a rename), and only when every byte is on disk are they moved into place.

    A full or read-only disk fails while the temporary folder is written: the old files stay
    as they were. A move that fails puts back the files moved before it. OSError says why.
    Ctrl-C (or SIGTERM) waits for the whole write, a fraction of a second: one arriving just
    after the temporary folder was made, or while it is being removed, left it behind.
    Call it holding `folder_lock(folder)`.
    """
    with interrupts_held():
        staging = Path(tempfile.mkdtemp(dir=folder, prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=".tmp"))
        try:
            for target, data in files:
                with open(staging / target.name, "xb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.chmod(staging / target.name, 0o644)
            _move_together(staging, files)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _move_together(staging: Path, files: list[tuple[Path, bytes]]) -> None:
    """Move the staged files into place, or, when one move fails, put back those moved before it."""
    moved: list[tuple[Path, bool, Path | None]] = []  # target, whether it existed, its old file
    try:
        for target, _ in files:
            existed, backup = target.exists(), staging / f"previous-{target.name}"
            try:
                os.link(target, backup)  # no copy: the old file under a second name
            except OSError:
                backup = None  # none before, or a disk without links: nothing to put back
            os.replace(staging / target.name, target)
            moved.append((target, existed, backup))
    except OSError:
        for target, existed, backup in reversed(moved):
            with contextlib.suppress(OSError):
                if backup is not None:
                    os.replace(backup, target)
                elif not existed:
                    target.unlink()
        raise


def check_out_dir(out_dir: Path, protected: tuple[Path, ...]) -> Problem | None:
    """--out must be a folder of its own, never one holding the project's inputs."""
    resolved = out_dir.resolve()
    if resolved.exists() and not resolved.is_dir():
        return Problem(str(out_dir), 0, "--out must be a folder, and this is a file", "choose a folder name")
    if resolved == Path(resolved.anchor) or resolved == Path.home().resolve():
        return Problem(str(out_dir), 0, "--out cannot be the root or your home folder", "use e.g. output/")
    for p in protected:
        p = p.resolve()
        if resolved == p or p in resolved.parents or resolved in p.parents:
            return Problem(
                str(out_dir),
                0,
                f"--out cannot be inside or above the project's {p.name}/ folder",
                "use a separate folder such as output/",
            )
    return None


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Ctrl-C (or SIGTERM) waits until the block is done, then arrives as usual.

    A KeyboardInterrupt raised between creating the temporary file and the `try` that
    removes it would leave the file behind; writing one PDF takes milliseconds.

    The signals are blocked in this thread only: a process's other threads must never take
    them (`start_without_stops`), or the kernel hands the signal to one of them and Python
    runs its handler in the main thread all the same, inside the block.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, STOPS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


class Terminated(KeyboardInterrupt):
    """SIGTERM (a service stopping, the studio's stop, `kill`): a build unwinds as for Ctrl-C,
    finishing a write under way and stopping its workers."""


def raise_terminated(signum: int, frame: object) -> None:
    """SIGTERM's handler for a build (`packets build`, the studio's build job): Terminated, once."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one stop is enough; the unwinding is not broken off
    raise Terminated


def start_without_stops(thread: threading.Thread) -> None:
    """Start a helper thread with Ctrl-C and SIGTERM blocked in it for its whole life, so that
    they always reach the main thread, which holds them while it writes (`interrupts_held`)."""
    if not hasattr(signal, "pthread_sigmask"):
        thread.start()
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, STOPS)  # a new thread starts with its creator's mask
    try:
        thread.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _temporary_prefix(target: Path) -> str:
    """The process id is in the name, so a clean-up can tell whose temporary a file is."""
    return f"{TEMP_PREFIX}{os.getpid()}-{target.name}."


def write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with interrupts_held():
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=_temporary_prefix(target), suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Only one build at a time writes into `folder`, and holds it for the whole write.

    The lock is on the folder itself (no lock file to leave behind), and the system releases
    it when the process ends, however it ends: a killed build never leaves a folder locked.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if fcntl is None:  # pragma: no cover - not POSIX
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _owner_alive(name: str) -> bool:
    match = re.match(rf"^{re.escape(TEMP_PREFIX)}(\d+)-", name)
    if not match:
        return False  # an older name without its process: nobody can still be writing it
    pid = int(match[1])
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists (owned by someone else)
    return True


def leftovers(folder: Path) -> list[Path]:
    """Temporary files (and folders: `write_together`) of writes that never finished (a
    killed build), or of one under way."""
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{TEMP_PREFIX}*.tmp"))


def remove_stale_temporaries(folder: Path) -> None:
    """A build killed mid-write leaves its temporary file behind; the next build removes it.

    Only files of processes that are gone, or older than STALE_SECONDS (a process id can be
    reused), are removed: another build's file in flight is left alone. Call it holding
    `folder_lock(folder)`.
    """
    now = time.time()
    for stale in leftovers(folder):
        with contextlib.suppress(OSError):
            if not _owner_alive(stale.name) or now - stale.lstat().st_mtime > STALE_SECONDS:
                if stale.is_dir() and not stale.is_symlink():
                    shutil.rmtree(stale)  # the temporary folder of a build's files (write_together)
                else:
                    stale.unlink()
