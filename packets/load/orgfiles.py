"""Which organization files a command is about: slugs in content/orgs/ or paths, checked before anything is read.

Its own module, so `check`, `list` and `plan` find their files without importing the
build (the pipeline, the templates, the renderer).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError, Problem
from ..output import slug_problem
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
