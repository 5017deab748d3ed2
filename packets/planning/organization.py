"""One organization file: validated on its own and against the curriculum it will be built with."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from ..errors import Problem
from ..files import link_problem
from ..load import assets
from ..load.curriculum import Curriculum, Project
from ..load.editions import review_editions
from ..load.legibility import review_capitals
from ..load.model import ID_PATTERN, LEAD_SEGMENTS, Organization, Workshop
from ..load.orgfiles import LINK_HINT
from ..load.review import review_acknowledgement
from ..load.sources import YamlDocument
from ..load.validation import read_model, salvage, suggest
from .plan import session_request
from .planner import PlanningError, plan_session


@dataclass
class LoadedOrg:
    slug: str
    path: Path
    org: Organization | None
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


def load_organization(
    path: Path,
    slug: str,
    project: Project,
    curriculum: Curriculum,
    minutes: int | None = None,
    start: str | None = None,
    folder: Path | None = None,
) -> LoadedOrg:
    """Validate one organization file against the model and the curriculum; never raises for bad input.

    `minutes` and `start` try another length or start time without editing the file
    (`packets plan --minutes`); they go through the same rules as the file's own values.
    `folder` is where the file's relative names (its logo) are found: its own folder, unless
    it is the studio's draft, checked from a private folder as if it were in content/orgs/.
    """
    refused = link_problem(path, project.root)
    if refused:
        doc = YamlDocument(path, None)
        problem = Problem(doc.shown_path, 1, f"this organization file is not read: {refused}", LINK_HINT)
        return LoadedOrg(slug, path, None, [problem], doc)
    org, doc, problems = read_model(path, Organization)
    if org is not None and (minutes is not None or start is not None):
        org, override_problems = _override(org, doc, minutes, start)
        problems.extend(override_problems)
    loaded = LoadedOrg(slug, path, org, problems, doc)
    # Checked on the file as written, so a mistake elsewhere in it does not hide these.
    loaded.problems.extend(_against_curriculum(doc, curriculum))
    # The warnings come with the errors: a file with a model error is reviewed on its readable
    # part, so fixing one mistake does not reveal four more.
    readable, unread = (org, doc), []
    if org is None:
        salvaged = salvage(doc, Organization)
        if salvaged is None:
            return loaded
        readable, unread = salvaged[:2], salvaged[2]
    readable_org, readable_doc = readable
    if readable_org.logo:
        line = readable_doc.line_of(("logo",))
        loaded.problems.extend(assets.check_logo(readable_org.logo, folder or path.parent, doc.shown_path, line))
    if org is not None and not any(p.is_error for p in loaded.problems):
        loaded.problems.extend(_plan_problems(org.edition(org.editions[0]), doc, curriculum))
    # Each edition is reviewed as it prints; a warning both editions share is said once.
    reviewed: list[Problem] = []
    for language in readable_org.editions:
        edition = readable_org.edition(language)
        reviewed += review_acknowledgement(edition, readable_doc, project, unread=unread, names=curriculum.nation_names)
        reviewed += review_capitals(edition, readable_doc)
    reviewed += review_editions(readable_org, readable_doc)
    loaded.problems.extend(dict.fromkeys(reviewed))
    if any(p.is_error for p in loaded.problems):
        loaded.org = None
    return loaded


def _override(
    org: Organization, doc: YamlDocument, minutes: int | None, start: str | None
) -> tuple[Organization | None, list[Problem]]:
    changes: dict[str, object] = {}
    if minutes is not None:
        changes["minutes"] = minutes
        changes["format"] = org.workshop.format if org.workshop.modules is None else None
    if start is not None:
        changes["start"] = start
    try:
        workshop = Workshop.model_validate({**org.workshop.model_dump(exclude_unset=True), **changes})
    except ValidationError as exc:
        messages = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        return None, [Problem(doc.shown_path, doc.line_of(("workshop",)), f"--minutes/--start: {messages}")]
    return org.model_copy(update={"workshop": workshop}), []


def _plan_problems(org: Organization, doc: YamlDocument, curriculum: Curriculum) -> list[Problem]:
    """Plan the session now, so a length that cannot hold its modules fails `check`, not `build`."""
    try:
        request = session_request(org, curriculum)
        plan_session(request)
    except PlanningError as exc:
        workshop = doc.data.get("workshop") if isinstance(doc.data, dict) else None
        keys = workshop if isinstance(workshop, dict) else {}
        where = next((("workshop", k) for k in ("minutes", "breaks", "modules", "format") if k in keys), ("workshop",))
        return [Problem(doc.shown_path, doc.line_of(where), str(exc))]
    # Emphasis or a lead on a module the session does not run would silently do nothing.
    run = {m.id for m in request.modules}
    problems = []
    for i, module_id in enumerate(org.workshop.emphasis):
        if module_id in curriculum.modules and module_id not in run:
            problems.append(
                Problem(
                    doc.shown_path,
                    doc.line_of(("workshop", "emphasis", i)),
                    f"'{module_id}' is emphasised but not run in this session",
                    "add it to workshop.modules, or take it out of emphasis",
                    severity="warning",
                )
            )
    for fi, person in enumerate(org.workshop.facilitators):
        for i, key in enumerate(person.leads):
            if key in curriculum.modules and key not in run:
                problems.append(
                    Problem(
                        doc.shown_path,
                        doc.line_of(("workshop", "facilitators", fi, "leads", i)),
                        f"{person.name} leads '{key}', which is not run in this session",
                        "take it out of leads, or run the module",
                        severity="warning",
                    )
                )
    return problems


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
    known = set(curriculum.modules)
    for key in ("emphasis",):
        listed = workshop.get(key)
        for i, module_id in enumerate(listed if isinstance(listed, list) else []):
            if _is_id(module_id) and module_id not in known:
                problems.append(
                    Problem(
                        doc.shown_path,
                        doc.line_of(("workshop", key, i)),
                        f"unknown module '{module_id}' in {key}",
                        suggest(module_id, sorted(known)),
                    )
                )
    people = workshop.get("facilitators")
    for fi, person in enumerate(people if isinstance(people, list) else []):
        leads = person.get("leads") if isinstance(person, dict) else None
        for i, key in enumerate(leads if isinstance(leads, list) else []):
            if _is_id(key) and key not in known and key not in LEAD_SEGMENTS:
                problems.append(
                    Problem(
                        doc.shown_path,
                        doc.line_of(("workshop", "facilitators", fi, "leads", i)),
                        f"'{key}' is not a module or segment anyone can lead",
                        suggest(key, sorted(known | set(LEAD_SEGMENTS)))
                        or "use module ids (see `packets list`), opening, closing or break",
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
