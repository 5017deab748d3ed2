"""The curriculum: every file under content/ except organizations, loaded and cross-checked.

We collect every problem rather than stopping at the first, because whoever edits the
curriculum wants one list to work through, not a loop of reruns.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..errors import InputError, Problem, display_path
from ..languages import LANGUAGES
from .model import (
    AcknowledgementGuide,
    Deck,
    Facilitation,
    Formats,
    Handout,
    Interface,
    Meta,
    Module,
    NationNames,
    Resources,
    SourceMap,
    Support,
    Timing,
    Wording,
    WorkshopFormat,
    activity_minutes,
)
from .overlay import Overlay
from .sources import YamlDocument, read_yaml
from .validation import M, _read_checked, read_model, suggest, validate_document

NATION_NAMES = "nation-names.yaml"  # names given by others, English names, peoples' own names
SOURCE_MAP = "source-map.yaml"
# Files that hold no printed text to translate: names as Nations write them, and the map
# of the source's ideas (which the French carries through the same ids).
UNTRANSLATED = frozenset({NATION_NAMES, SOURCE_MAP})


@dataclass(frozen=True)
class Project:
    """Where the curriculum, templates and organization files live."""

    root: Path

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @property
    def orgs(self) -> Path:
        return self.content / "orgs"


@dataclass(frozen=True)
class Curriculum:
    meta: Meta
    modules: dict[str, Module]
    formats: dict[str, WorkshopFormat]
    priority: tuple[str, ...]
    timing: Timing
    wording: Wording
    facilitation: Facilitation
    handout: Handout
    acknowledgement: AcknowledgementGuide
    resources: Resources
    interface: Interface
    support: Support
    source_map: SourceMap | None
    deck: Deck
    nation_names: NationNames | None = None
    # "en" or "fr": every text above is in this language; structure is the same in both.
    language: str = "en"

    def all_ids(self) -> set[str]:
        return set(_ids_in(self))


def _ids_in(obj: Any) -> typing.Iterator[str]:
    if isinstance(obj, BaseModel):
        if "id" in type(obj).model_fields and isinstance(getattr(obj, "id", None), str):
            yield obj.id
        for name in type(obj).model_fields:
            yield from _ids_in(getattr(obj, name))
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            yield from _ids_in(item)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from _ids_in(item)
    elif isinstance(obj, Curriculum):
        for name in ("modules", "facilitation", "handout", "acknowledgement", "resources"):
            yield from _ids_in(getattr(obj, name))


def overlay_folder(project: Project, language: str) -> Path:
    """Where a language's overlay lives: content/fr/ for French (English is content/ itself)."""
    return project.content if language == "en" else project.content / language


def english_files(project: Project) -> list[Path]:
    """The curriculum's English files (organizations and overlays are not part of it)."""
    return sorted([*project.content.glob("*.yaml"), *(project.content / "modules").glob("*.yaml")])


def overlay_files(project: Project, language: str) -> list[Path]:
    """The overlay files a language has today (none for English)."""
    if language == "en":
        return []
    folder = overlay_folder(project, language)
    return sorted(folder.rglob("*.yaml")) if folder.is_dir() else []


def load_curriculum(project: Project, language: str = "en") -> Curriculum:
    """Read every curriculum file in one language; raise InputError listing all problems found.

    French is the English structure with the text of content/fr/ laid over it (overlay.py)
    and validated by the same models, so both languages have the same ids, modules and
    minutes. The English is read first: its problems are the ones to fix first.
    """
    content = project.content
    if language not in LANGUAGES:
        raise InputError(
            [Problem(str(content), 0, f"there is no curriculum in the language '{language}'", "choose en or fr")]
        )
    if language != "en":
        load_curriculum(project)
    problems: list[Problem] = []

    def read(relative: str, model: type[M]) -> tuple[M | None, YamlDocument]:
        path = content / relative
        if language == "en" or relative in UNTRANSLATED:
            value, doc, found = read_model(path, model, trusted=True)
            problems.extend(found)
            return value, doc
        return _read_overlaid(path, overlay_folder(project, language) / relative, model, problems)

    def one(name: str, model: type[M], required: bool = True) -> M | None:
        path = content / name
        if not path.exists():
            if required:
                problems.append(Problem(str(path), 0, "curriculum file is missing"))
            return None
        return read(name, model)[0]

    meta = one("meta.yaml", Meta)
    formats = one("formats.yaml", Formats)
    facilitation = one("facilitation.yaml", Facilitation)
    handout = one("handout.yaml", Handout)
    acknowledgement = one("acknowledgement.yaml", AcknowledgementGuide)
    resources = one("resources.yaml", Resources)
    interface = one("interface.yaml", Interface)
    support = one("support.yaml", Support)
    deck = one("slides.yaml", Deck)
    source_map = one(SOURCE_MAP, SourceMap, required=False)
    nation_names = one(NATION_NAMES, NationNames, required=False)

    modules: dict[str, Module] = {}
    module_docs: dict[str, YamlDocument] = {}
    for path in sorted((content / "modules").glob("*.yaml")):
        module, doc = read(f"modules/{path.name}", Module)
        if module is None:
            continue
        if module.id in modules:
            problems.append(
                Problem(
                    doc.shown_path,
                    doc.line_of(("id",)),
                    f"module id '{module.id}' is also used by {module_docs[module.id].shown_path}",
                )
            )
            continue
        modules[module.id] = module
        module_docs[module.id] = doc
    if not modules and language == "en":  # in French, each module's missing text is named already
        problems.append(Problem(str(content / "modules"), 0, "no curriculum modules found"))

    if formats is not None and modules:
        problems.extend(_check_formats(formats, modules, content / "formats.yaml"))
        for module_id, module in modules.items():
            problems.extend(_check_module_timing(module, module_docs[module_id], formats.timing))

    if deck is not None and facilitation is not None:
        problems.extend(_check_deck(deck, facilitation, content / "slides.yaml"))

    if language != "en":
        problems.extend(_strays(project, language))
    if problems and any(p.is_error for p in problems):
        raise InputError(problems)
    assert meta and formats and facilitation and handout and acknowledgement and resources and interface and support
    assert deck
    curriculum = Curriculum(
        meta=meta.model_copy(update={"language": language}),
        modules=modules,
        formats={f.id: f for f in formats.formats},
        priority=tuple(formats.priority),
        timing=formats.timing,
        wording=formats.wording,
        facilitation=facilitation,
        handout=handout,
        acknowledgement=acknowledgement,
        resources=resources,
        interface=interface,
        support=support,
        source_map=source_map,
        deck=deck,
        nation_names=nation_names,
        language=language,
    )
    duplicates = _duplicate_ids(curriculum)
    if duplicates:
        raise InputError(
            [Problem(str(content), 0, f"id '{i}' is used more than once in the curriculum") for i in duplicates]
        )
    if source_map is not None:
        known = curriculum.all_ids()
        doc = read_yaml(content / "source-map.yaml", trusted=True)
        unknown = [
            Problem(
                doc.shown_path,
                doc.line_of(("ideas", i, "taught_by", j)),
                f"no content has the id '{ref}'",
                suggest(ref, sorted(known)),
            )
            for i, idea in enumerate(source_map.ideas)
            for j, ref in enumerate(idea.taught_by)
            if ref not in known
        ]
        if unknown:
            raise InputError(unknown)
    return curriculum


def _read_overlaid(
    english: Path, french: Path, model: type[M], problems: list[Problem]
) -> tuple[M | None, YamlDocument]:
    """One curriculum file in another language: its overlay laid on the English, then validated."""
    english_doc, _ = _read_checked(english, True)
    if not french.is_file():
        problems.append(
            Problem(
                display_path(french),
                0,
                "this curriculum file has no French text yet",
                f"write it with the same keys as {english_doc.shown_path}, text only (see content/fr/README.md)",
            )
        )
        return None, english_doc
    french_doc, found = _read_checked(french, True)
    problems.extend(found + french_doc.problems)
    if french_doc.data is None or english_doc.data is None:
        return None, french_doc
    overlay = Overlay(english_doc, french_doc)
    merged = overlay.merged()
    problems.extend(overlay.problems)
    value, found = validate_document(merged, model)
    problems.extend(found)
    return value, merged


def _strays(project: Project, language: str) -> list[Problem]:
    """Overlay files with no English file to lay them on: a misspelt name, or a file left behind."""
    folder = overlay_folder(project, language)
    strays = []
    for path in overlay_files(project, language):
        relative = path.relative_to(folder).as_posix()
        if relative in UNTRANSLATED:
            strays.append(
                Problem(
                    display_path(path), 0, f"{relative} is not translated", "remove this file: it holds no printed text"
                )
            )
        elif not (project.content / relative).is_file():
            english = [p.relative_to(project.content).as_posix() for p in english_files(project)]
            strays.append(
                Problem(
                    display_path(path),
                    0,
                    f"there is no English file content/{relative} for this French file",
                    suggest(relative, english) or "remove it, or give it the name of the English file it translates",
                )
            )
    return strays


def _check_deck(deck: Deck, facilitation: Facilitation, path: Path) -> list[Problem]:
    """A slide line for an essential that does not exist is a typo in its id: it would never be shown."""
    known = [e.id for e in facilitation.essentials]
    doc = read_yaml(path, trusted=True)
    return [
        Problem(
            doc.shown_path,
            doc.line_of(("essentials", ident)),
            f"no essential in facilitation.yaml has the id '{ident}'",
            suggest(ident, known),
        )
        for ident in deck.essentials
        if ident not in known
    ]


def _duplicate_ids(curriculum: Curriculum) -> list[str]:
    seen: set[str] = set()
    dupes = []
    for i in _ids_in(curriculum):
        if i in seen:
            dupes.append(i)
        seen.add(i)
    return dupes


def _check_formats(formats: Formats, modules: dict[str, Module], path: Path) -> list[Problem]:
    """Presets name real modules, and the priority order names each module once."""
    doc = read_yaml(path, trusted=True)
    shown = doc.shown_path
    problems = []
    for fi, fmt in enumerate(formats.formats):
        for key in ("modules", "emphasis"):
            for mi, module_id in enumerate(getattr(fmt, key) or []):
                if module_id not in modules:
                    problems.append(
                        Problem(
                            shown,
                            doc.line_of(("formats", fi, key, mi)),
                            f"format '{fmt.id}' names an unknown module '{module_id}'",
                            suggest(module_id, modules),
                        )
                    )
    listed = formats.priority
    for module_id in sorted(set(modules) - set(listed)):
        problems.append(Problem(shown, doc.line_of(("priority",)), f"module '{module_id}' is missing from priority"))
    for pi, module_id in enumerate(listed):
        if module_id not in modules:
            problems.append(
                Problem(
                    shown,
                    doc.line_of(("priority", pi)),
                    f"priority names an unknown module '{module_id}'",
                    suggest(module_id, modules),
                )
            )
        elif listed.index(module_id) != pi:
            problems.append(Problem(shown, doc.line_of(("priority", pi)), f"module '{module_id}' is listed twice"))
    return problems


def module_needs(module: Module, timing: Timing) -> tuple[int, int]:
    """The least minutes a module's content needs to run, and to run in full.

    Core questions and core activities always run; every question discussed gets at least
    `timing.question` minutes, every activity its stated minutes (and the time to move into
    pairs or groups and back, when it uses them).
    """
    core_questions = sum(1 for q in module.discussion_questions if q.core)
    optional_questions = len(module.discussion_questions) - core_questions
    core_activities = sum(activity_minutes(a, timing) for a in module.activities if a.core)
    other_activities = sum(activity_minutes(a, timing) for a in module.activities if not a.core)
    least = timing.module_introduction + timing.question * core_questions + core_activities
    return least, least + timing.question * optional_questions + other_activities


def _check_module_timing(module: Module, doc: YamlDocument, timing: Timing) -> list[Problem]:
    """A module's declared minutes must hold its content, so no plan can squeeze it."""
    least, full = module_needs(module, timing)
    problems = []
    if not any(q.core for q in module.discussion_questions):
        problems.append(
            Problem(doc.shown_path, doc.line_of(("discussion_questions",)), "a module needs at least one core question")
        )
    if module.minimum_minutes < least:
        problems.append(
            Problem(
                doc.shown_path,
                doc.line_of(("minimum_minutes",)),
                f"minimum_minutes {module.minimum_minutes} cannot hold the introduction, core questions and core "
                f"activities ({least} minutes)",
                f"give minimum_minutes: {least} or more",
            )
        )
    if module.ideal_minutes < max(full, module.minimum_minutes):
        problems.append(
            Problem(
                doc.shown_path,
                doc.line_of(("ideal_minutes",)),
                f"ideal_minutes {module.ideal_minutes} cannot hold every question and activity "
                f"({max(full, module.minimum_minutes)} minutes)",
                f"give ideal_minutes: {max(full, module.minimum_minutes)} or more",
            )
        )
    return problems
