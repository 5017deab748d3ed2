"""The studio's organizations as `load_organization` found them, kept by the file's digest.

Every page of the list, every organization's state and every build's first check loaded and
validated the file again, though it rarely changes between two requests: on a team server,
twenty people opening their pages made the server parse and check the same files all day.
A result is kept for the file's exact bytes and its logo's size and time, and used only
while both are the same; a save puts the review's own result in (the text it wrote is the
text the review checked), so the page after a save parses nothing again. The curriculum is
the studio's own, loaded once, so it is not part of the key.

Whoever takes a result from here only reads it (its organization, problems and values).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from ..load.curriculum import Curriculum, Project
from ..load.orgfiles import OrgFileRefused, read_org_file
from ..planning.organization import LoadedOrg, load_organization
from .yamlfile import digest

KEPT = 256  # organizations kept; one result is a few hundred kilobytes at most


def _logo_state(folder: Path, loaded: LoadedOrg) -> tuple[str, int, int] | None:
    """The logo the file names, with its size and modification time (None when it names none or it is missing)."""
    data = loaded.doc.data if loaded.doc else None
    logo = data.get("logo") if isinstance(data, dict) else None
    if not isinstance(logo, str) or not logo:
        return None
    try:
        found = (folder / logo).stat()
    except (OSError, ValueError):
        return (logo, -1, -1)
    return (logo, found.st_size, found.st_mtime_ns)


class LoadedOrgs:
    """`load_organization` for the files of content/orgs, by slug, each result kept for its file's digest."""

    def __init__(self, project: Project, curriculum: Curriculum):
        self.project = project
        self.curriculum = curriculum
        self.kept: OrderedDict[str, tuple[str, tuple[str, int, int] | None, LoadedOrg]] = OrderedDict()
        self.lock = threading.Lock()

    def load(self, slug: str, path: Path, raw: bytes | None = None) -> LoadedOrg:
        """The file as `load_organization` finds it; `raw`: its bytes if just read through the door."""
        if raw is None:
            try:
                raw = read_org_file(self.project, path)
            except OrgFileRefused:  # a pipe, a link, a file past the limit: the loader says why
                return load_organization(path, slug, self.project, self.curriculum)
        version = digest(raw)
        with self.lock:
            kept = self.kept.get(slug)
        fresh = kept is not None and kept[0] == version and kept[2].path == path
        if kept is not None and fresh and _logo_state(path.parent, kept[2]) == kept[1]:
            return kept[2]
        loaded = load_organization(path, slug, self.project, self.curriculum)
        try:
            unchanged = digest(read_org_file(self.project, path)) == version
        except OrgFileRefused:
            unchanged = False
        if unchanged:  # kept only when the bytes it read are the ones digested
            self.keep(slug, version, path, loaded)
        return loaded

    def keep(self, slug: str, version: str, path: Path, loaded: LoadedOrg) -> None:
        """Keep a result known to be the file `version` of `path` (a save's review, for one)."""
        with self.lock:
            self.kept[slug] = (version, _logo_state(path.parent, loaded), _at(loaded, path))
            self.kept.move_to_end(slug)
            while len(self.kept) > KEPT:
                self.kept.popitem(last=False)


def _at(loaded: LoadedOrg, path: Path) -> LoadedOrg:
    """The result as if read from `path` (a review reads the same text from a private folder)."""
    if loaded.path == path:
        return loaded
    return LoadedOrg(loaded.slug, path, loaded.org, loaded.problems, loaded.doc)
