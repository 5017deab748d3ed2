"""One organisation file: validated on its own and against the curriculum it will be built with."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from . import assets
from .curriculum import Curriculum, Project
from .errors import Problem
from .legibility import review_capitals
from .model import ID_PATTERN, Organisation
from .review import review_acknowledgement
from .sources import YamlDocument
from .validation import read_model, salvage, suggest


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
    org, doc, problems = read_model(path, Organisation)
    loaded = LoadedOrg(slug, path, org, problems, doc)
    # Checked on the file as written, so a mistake elsewhere in it does not hide these.
    loaded.problems.extend(_against_curriculum(doc, curriculum))
    # The warnings come with the errors: a file with a model error is reviewed on its readable
    # part, so fixing one mistake does not reveal four more.
    readable, unread = (org, doc), []
    if org is None:
        salvaged = salvage(doc, Organisation)
        if salvaged is None:
            return loaded
        readable, unread = salvaged[:2], salvaged[2]
    readable_org, readable_doc = readable
    if readable_org.logo:
        line = readable_doc.line_of(("logo",))
        loaded.problems.extend(assets.check_logo(readable_org.logo, path.parent, doc.shown_path, line))
    loaded.problems.extend(review_acknowledgement(readable_org, readable_doc, project, unread=unread))
    loaded.problems.extend(review_capitals(readable_org, readable_doc))
    if any(p.is_error for p in loaded.problems):
        loaded.org = None
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
