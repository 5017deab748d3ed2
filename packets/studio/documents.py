"""An organization's built documents as the studio lists them: every kind present, each current or out of date.

"Current" is decided by the build's own rule (`write.batch.document_states`, the manifest and
the inputs' digest), asked for every paper and edition a build could have used; a file no
build recorded (an older version's, or one copied in) cannot be shown current.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

from ..files import FileRefused
from ..languages import LANGUAGE_NAMES, LANGUAGES
from ..load.curriculum import Project
from ..load.orgfiles import OrgSource, built_file
from ..output import DOCUMENT_FILES, pdf_name
from ..render.kit import KINDS, kit_name
from ..write.batch import Manifest, document_id, document_states, edition_keys, shared_inputs_digest
from ..write.pipeline import BuildOptions

PAPERS = (None, "letter", "a4")  # the organization's own paper, or one given for the build


def document_names(slug: str) -> dict[str, str]:
    """Every file name a build can write for this organization, in every edition, with what it is,
    in the words of the page ("participant handout, A4, French")."""
    names = {}
    what = {"facilitator": "facilitator guide", "participant": "participant handout"}
    kinds = {
        "slides": "slides",
        "booklet-participant": "handout booklet",
        "booklet-facilitator": "guide booklet",
        "fillable": "fillable handout",
    }
    for language in LANGUAGES:
        edition = "" if language == "en" else f", {LANGUAGE_NAMES[language]}"
        for audience, large, paper in itertools.product(DOCUMENT_FILES, (False, True), PAPERS):
            label = what[audience] + (", large print" if large else "") + (f", {paper.upper()}" if paper else "")
            names[pdf_name(slug, audience, large, paper, language)] = label + edition
        for kind in KINDS:
            names[kit_name(slug, kind, language)] = kinds.get(kind, kind) + edition
    return names


def current_files(project: Project, out_dir: Path, source: OrgSource) -> set[str]:
    """The names of the files a build would leave exactly as they are now."""
    manifest = Manifest.load(out_dir)
    shared = shared_inputs_digest(project)
    current = set()
    for paper in PAPERS:
        options = BuildOptions(paper=paper, out_dir=out_dir, large_print=True, kit=tuple(KINDS))
        keys = edition_keys(source, shared, options, project)
        for (audience, large, kind, language), pages in document_states(source, options, manifest, keys):
            name = manifest.recorded_pdf(source.slug, document_id(audience, large, paper, kind, language))
            if pages is not None and name:
                current.add(name)
    return current


def built_documents(
    project: Project, out_dir: Path, source: OrgSource, url: str, states: bool = True
) -> list[dict[str, Any]]:
    """The documents in the organization's output folder, newest first, each marked current or not
    (`states` False leaves that out: it reads the inputs again).

    `url` is the address of the folder's downloads (the file's name is added to it).
    """
    names = document_names(source.slug)
    found = []
    for name, label in names.items():
        try:  # the same door as the downloads: a link or a special file is never listed
            stat = built_file(out_dir, source.slug, name).stat()
        except (OSError, FileRefused):
            continue
        found.append(
            {
                "name": name,
                "what": label,
                "url": f"{url}/{name}",
                "bytes": stat.st_size,
                "when": dt.datetime.fromtimestamp(stat.st_mtime).strftime("%Y-%m-%d %H:%M"),
                "mtime": stat.st_mtime,
            }
        )
    if found and states:
        current = current_files(project, out_dir, source)
        for f in found:
            f["current"] = f["name"] in current
    return sorted(found, key=lambda f: -f["mtime"])
