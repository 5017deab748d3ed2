"""What `packets check` would say about the form as it stands, placed beside the fields.

The form's values are written into the file's text (as saving would) and that text is
checked by `load_organization`, the CLI's own function, from a file in a private temporary
folder (0700), with its logo looked up in content/orgs/ as it will be at build time. Reading
never writes in the project: a review works in a read-only folder. Each problem's line then
names the field it is about. No rule is written here.
"""

from __future__ import annotations

import contextlib
import errno
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import Problem
from ..load.curriculum import Curriculum, Project
from ..load.sources import LineDict, LineList
from ..planning.organization import LoadedOrg, load_organization
from .door import NotWritable
from .form import model_tree
from .yamlfile import Draft, apply_form

DRAFT_PREFIX = ".studio-draft-"


@dataclass
class Reviewed:
    draft: Draft
    loaded: LoadedOrg
    problems: list[dict[str, Any]]


def _lines(node: Any, prefix: str, found: list[tuple[int, str]]) -> None:
    if isinstance(node, LineDict):
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            found.append((node.key_lines.get(key, 0), path))
            _lines(value, path, found)
    elif isinstance(node, LineList):
        for i, (value, line) in enumerate(zip(node, node.item_lines, strict=True)):
            path = f"{prefix}[{i}]"
            found.append((line, path))
            _lines(value, path, found)


def _depth(path: str) -> int:
    return path.count(".") + path.count("[")


def _mentioned_child(path: str, problem: Problem, children: list[str]) -> str | None:
    """A problem about a whole mapping (`land_acknowledgement`) goes beside the field its words name."""
    text = f"{problem.message} {problem.hint}"
    best: tuple[int, str] | None = None
    for child in children:
        if not child.startswith(path + ".") or "[]" in child:
            continue
        key = child.rsplit(".", 1)[-1]
        for word in (child, key):
            match = re.search(rf"(?<![\w.]){re.escape(word)}(?!\w)", text)
            if match and (best is None or match.start() < best[0]):
                best = (match.start(), child)
    return best[1] if best else None


def place(problems: list[Problem], data: Any, fields: list[str]) -> list[dict[str, Any]]:
    """Each problem with `at`: the deepest value on its line (a path such as `workshop.facilitators[1].name`)."""
    lines: list[tuple[int, str]] = []
    _lines(data, "", lines)
    placed = []
    for problem in problems:
        on_line = [path for line, path in lines if line == problem.line]
        at = max(on_line, key=_depth) if on_line else ""
        if at and re.sub(r"\[\d+\]", "[]", at) not in fields:
            at = _mentioned_child(at, problem, fields) or at
        placed.append(
            {
                "severity": problem.severity,
                "message": problem.message,
                "hint": problem.hint,
                "line": problem.line,
                "at": at,
            }
        )
    return placed


def check_text(project: Project, curriculum: Curriculum, slug: str, text: str) -> LoadedOrg:
    """`load_organization` on `text` as if it were content/orgs/<slug>.yaml, without writing there.

    The text is put in a folder only this user can open (`TemporaryDirectory`: mode 0700),
    removed as soon as it is read.
    """
    with contextlib.ExitStack() as cleanup:
        try:
            folder = cleanup.enter_context(tempfile.TemporaryDirectory(prefix=DRAFT_PREFIX))
            path = Path(folder) / f"{slug}.yaml"
            path.write_bytes(text.encode("utf-8"))
        except OSError as exc:
            raise NotWritable(
                f"The studio cannot check the form: its temporary folder {tempfile.gettempdir()} cannot be "
                f"written ({(exc.strerror or type(exc).__name__).lower()}). Free some space there, or start the "
                "studio with TMPDIR set to a folder you can write in.",
                507 if exc.errno == errno.ENOSPC else 500,
            ) from None
        return load_organization(path, slug, project, curriculum, folder=project.orgs)


def review(
    project: Project,
    curriculum: Curriculum,
    slug: str,
    original: bytes,
    data: dict[str, Any],
    fields: list[str],
    keep: frozenset[str] = frozenset(),
) -> Reviewed:
    """Check the form's values exactly as `packets check` would check the saved file.

    `original`: the file's bytes as read through the loader's door (`read_org_file`).
    `keep`: fields whose value in the file the form could not show, left as the file has them."""
    if not isinstance(data, dict):
        data = {}
    draft = apply_form(original.decode("utf-8", errors="replace"), data, model_tree(), keep)
    loaded = check_text(project, curriculum, slug, draft.text)
    data_lines = loaded.doc.data if loaded.doc else None
    problems = sorted(loaded.problems, key=lambda p: (p.line, p.message))
    return Reviewed(draft, loaded, place(problems, data_lines, fields))
