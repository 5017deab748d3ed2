"""One organisation file: validated on its own and against the curriculum it will be built with."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import assets
from .curriculum import Curriculum, Project
from .errors import Problem
from .model import Organisation
from .review import review_acknowledgement
from .sources import YamlDocument
from .validation import read_model, suggest


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
    if org is None:
        return loaded
    wf = org.workshop
    if wf.format not in curriculum.formats:
        loaded.problems.append(
            Problem(
                doc.shown_path,
                doc.line_of(("workshop", "format")),
                f"unknown workshop format '{wf.format}'",
                suggest(wf.format, curriculum.formats),
            )
        )
    for i, module_id in enumerate(wf.modules or []):
        if module_id not in curriculum.modules:
            loaded.problems.append(
                Problem(
                    doc.shown_path,
                    doc.line_of(("workshop", "modules", i)),
                    f"unknown module '{module_id}'",
                    suggest(module_id, curriculum.modules),
                )
            )
    if wf.modules is not None and len(set(wf.modules)) != len(wf.modules):
        loaded.problems.append(
            Problem(
                doc.shown_path,
                doc.line_of(("workshop", "modules")),
                "a module is listed twice",
                "list each module once",
            )
        )
    if org.logo:
        line = doc.line_of(("logo",))
        loaded.problems.extend(assets.check_logo(org.logo, path.parent, doc.shown_path, line))
    if any(p.is_error for p in loaded.problems):
        loaded.org = None
    else:
        loaded.problems.extend(review_acknowledgement(org, doc, project))
    return loaded
