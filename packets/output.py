"""Where packets are written, and writing them so that a reader never sees half a file.

Every output goes to a temporary file in the same folder and is renamed into place,
so an interrupted build (an error, Ctrl-C, a killed worker) leaves either the old
file or the new one, never a partial PDF that someone might print.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import Problem

SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$")
RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
DOCUMENT_FILES = {"facilitator": "facilitator-guide", "participant": "participant-handout"}
TEMP_PREFIX = ".partial-"


def slug_problem(slug: str, shown: str) -> Problem | None:
    """Slugs become folder and file names, so only plain names are allowed."""
    if not SLUG.match(slug):
        return Problem(
            shown,
            0,
            f"'{slug[:80]}' cannot be used as an organisation name in file names",
            "name the file with letters, digits, '-' and '_' only, e.g. riverside-chc.yaml",
        )
    if slug.lower() in RESERVED:
        return Problem(shown, 0, f"'{slug}' is a reserved file name on some systems", "choose another file name")
    return None


def pdf_name(slug: str, audience: str, large_print: bool = False, paper: str | None = None) -> str:
    """One name per document: the edition, and a paper other than the organisation's own, are in it.

    So a build with `--paper a4` or `--large-print` never overwrites another build's file,
    and the files say what they are (`riverside-participant-handout-a4.pdf`).
    """
    return f"{slug}-{DOCUMENT_FILES[audience]}{'-large-print' if large_print else ''}{f'-{paper}' if paper else ''}.pdf"


def org_folder(out_dir: Path, slug: str) -> Path:
    """The organisation's folder, guaranteed to lie inside `out_dir`."""
    base = out_dir.resolve()
    folder = (base / slug).resolve()
    if folder.parent != base:
        raise ValueError(f"refusing to write outside {base}: {slug!r}")
    return folder


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
def _interrupts_held() -> Iterator[None]:
    """Ctrl-C (or SIGTERM) waits until the block is done, then arrives as usual.

    A KeyboardInterrupt raised between creating the temporary file and the `try` that
    removes it would leave the file behind; writing one PDF takes milliseconds.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with _interrupts_held():
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f"{TEMP_PREFIX}{target.name}.", suffix=".tmp")
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


def remove_stale_temporaries(folder: Path) -> None:
    """A worker killed mid-write leaves its temporary file behind; the next build removes it."""
    if folder.is_dir():
        for stale in folder.glob(f"{TEMP_PREFIX}*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()
