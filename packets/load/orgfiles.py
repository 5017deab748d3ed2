"""Which organization files a command is about, and the one door every read of them goes through.

Its own module, so `check`, `list` and `plan` find their files without importing the
build (the pipeline, the templates, the renderer). The studio reads, saves and serves
through the same functions as the CLI (`read_org_file`, `built_file`), so a file the CLI
refuses (a link out of the project, a FIFO, a device, /proc, a file past the size limit)
is never shown, copied or served by the studio either.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError, Problem, display_path
from ..files import FileRefused, link_problem, read_limited
from ..output import slug_problem
from .sources import MAX_FILE_BYTES, REFUSAL_HINT
from .spelling import close_match

if TYPE_CHECKING:
    from .curriculum import Project


@dataclass(frozen=True)
class OrgSource:
    slug: str
    path: Path


def find_sources(project: Project, names: Iterable[str]) -> list[OrgSource]:
    """ORG arguments are slugs in content/orgs/ or paths to YAML files; no argument means all."""
    names = list(names)
    available = sorted(p.stem for p in project.orgs.glob("*.yaml"))
    if not names:
        paths = [project.orgs / f"{slug}.yaml" for slug in available]
    else:
        paths = []
        problems = []
        for name in names:
            if name.endswith((".yaml", ".yml")) or os.sep in name or "/" in name:
                path = Path(name)
                if not (path.exists() or path.is_symlink()):  # a FIFO or a link is reported when read
                    problems.append(Problem(name, 0, "no such organization file"))
                paths.append(path)
            elif (project.orgs / f"{name}.yaml").exists() or (project.orgs / f"{name}.yaml").is_symlink():
                paths.append(project.orgs / f"{name}.yaml")
            else:
                close = close_match(name, available)
                listed = "available: " + (", ".join(available) or "none yet")
                hint = f"did you mean '{close}'? {listed}" if close else listed
                problems.append(Problem(name, 0, "unknown organization", hint))
        if problems:
            raise InputError(problems)
    sources = []
    problems = []
    for path in paths:
        slug = re.sub(r"\.ya?ml\Z", "", path.name)
        problem = slug_problem(slug, str(path))
        if problem:
            problems.append(problem)
        sources.append(OrgSource(slug, path))
    if problems:
        raise InputError(problems)
    slugs = [s.slug for s in sources]
    twice = sorted({s for s in slugs if slugs.count(s) > 1})
    if twice:
        raise InputError(
            [Problem(s, 0, "two organization files would write the same folder", "rename one of them") for s in twice]
        )
    return sources


LINK_HINT = "copy the file into content/orgs/ instead of linking to it"


class OrgFileRefused(FileRefused):
    """An organization file that is not read; the message is the whole sentence, hint included."""


def shown_org_path(project: Project, path: Path) -> str:
    """`content/orgs/x.yaml` for a file of the project's folder (as the studio's pages name it)."""
    if path.parent == project.orgs:
        return f"content/orgs/{path.name}"
    return display_path(path)


def read_org_file(project: Project, path: Path) -> bytes:
    """The bytes of an organization file, after the loader's own checks; OrgFileRefused otherwise.

    The checks `load_organization` makes before it reads (no link out of the project, a
    regular file, the size limit from `stat` before a byte is read, and again while reading),
    for every caller that needs the file's bytes themselves: the studio's state, review,
    preview, save and thumbnail.
    """
    shown = shown_org_path(project, path)
    if not (path.exists() or path.is_symlink()):
        raise OrgFileRefused(f"{shown} does not exist (it was removed or renamed)")
    refused = link_problem(path, project.root)
    if refused:
        raise OrgFileRefused(f"{shown} is not read: {refused} ({LINK_HINT})")
    try:
        return read_limited(path, MAX_FILE_BYTES)
    except FileRefused as exc:
        raise OrgFileRefused(f"{shown} is not read: {exc} ({REFUSAL_HINT})") from None


def built_file(out_dir: Path, slug: str, name: str) -> Path:
    """A built PDF that may be served: a plain file in `out_dir/slug`, where neither is a link.

    FileNotFoundError when there is no such file; FileRefused, in the person's words, when
    the folder or the file leads elsewhere (a link there would serve any file of the machine).
    """
    folder = out_dir / slug
    shown = f"{out_dir.name}/{slug}"
    try:
        folder_mode = os.lstat(folder).st_mode
    except FileNotFoundError:
        raise FileNotFoundError(folder) from None
    if stat.S_ISLNK(folder_mode) or folder.resolve().parent != out_dir.resolve():
        raise FileRefused(
            f"{shown} links to a folder elsewhere, so the studio does not serve files from it; "
            f"remove the link (the next build makes a folder of its own there)"
        )
    if not stat.S_ISDIR(folder_mode):
        raise FileRefused(f"{shown} is not a folder; remove it, then build again")
    target = folder / name
    mode = os.lstat(target).st_mode  # FileNotFoundError: nothing built under that name
    if not stat.S_ISREG(mode):
        raise FileRefused(f"{shown}/{name} is not a plain file (a link or a special file); remove it, then build again")
    return target
