"""One organisation file: validated on its own and against the curriculum it will be built with."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from . import assets
from .curriculum import Curriculum, Project
from .errors import Problem
from .files import link_problem
from .legibility import review_capitals
from .model import ID_PATTERN, Organisation
from .review import review_acknowledgement
from .sources import YamlDocument
from .validation import read_model, suggest

_LINK_HINT = "copy the file into content/orgs/ instead of linking to it"


@dataclass
class LoadedOrg:
    slug: str
    path: Path
    org: Organisation | None
    problems: list[Problem] = field(default_factory=list)
    doc: YamlDocument | None = None

    def line_of(self, loc: tuple) -> int:
        return self.doc.line_of(loc) if self.doc else 1

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]


def load_organisation(path: Path, slug: str, project: Project, curriculum: Curriculum) -> LoadedOrg:
    """Validate one organisation file against the model and the curriculum; never raises for bad input."""
    refused = link_problem(path, project.root)
    if refused:
        doc = YamlDocument(path, None)
        problem = Problem(doc.shown_path, 1, f"this organisation file is not read: {refused}", _LINK_HINT)
        return LoadedOrg(slug, path, None, [problem], doc)
    org, doc, problems = read_model(path, Organisation)
    loaded = LoadedOrg(slug, path, org, problems, doc)
    # Checked on the file as written, so a mistake elsewhere in it does not hide these.
    loaded.problems.extend(_against_curriculum(doc, curriculum))
    if org is None:
        return loaded
    if org.logo:
        line = doc.line_of(("logo",))
        loaded.problems.extend(assets.check_logo(org.logo, path.parent, doc.shown_path, line))
    if any(p.is_error for p in loaded.problems):
        loaded.org = None
    else:
        loaded.problems.extend(review_acknowledgement(org, doc, project))
        loaded.problems.extend(review_capitals(org, doc))
    return loaded


def _is_id(value: object) -> bool:
    """Values that are not ids at all are the model's to report, once."""
    return isinstance(value, str) and len(value) <= 80 and re.fullmatch(ID_PATTERN, value) is not None


def _against_curriculum(doc: YamlDocument, curriculum: Curriculum) -> list[Problem]:
    """The workshop's format and modules must exist in the curriculum the packet is built from."""
    workshop = doc.data.get("workshop") if isinstance(doc.data, dict) else None
    if not isinstance(workshop, dict):
        return []
    problems = []
    fmt = workshop.get("format")
    if _is_id(fmt) and fmt not in curriculum.formats:
        problems.append(
            Problem(
                doc.shown_path,
                doc.line_of(("workshop", "format")),
                f"unknown workshop format '{fmt}'",
                suggest(fmt, curriculum.formats),
            )
        )
    modules = workshop.get("modules")
    if not isinstance(modules, list):
        return problems
    for i, module_id in enumerate(modules):
        if _is_id(module_id) and module_id not in curriculum.modules:
            problems.append(
                Problem(
                    doc.shown_path,
                    doc.line_of(("workshop", "modules", i)),
                    f"unknown module '{module_id}'",
                    suggest(module_id, curriculum.modules),
                )
            )
    ids = [m for m in modules if _is_id(m)]
    if len(set(ids)) != len(ids):
        problems.append(
            Problem(
                doc.shown_path,
                doc.line_of(("workshop", "modules")),
                "a module is listed twice",
                "list each module once",
            )
        )
    return problems
