"""Many organisations: find them, skip what is up to date, render the rest in parallel.

Each worker process sets WeasyPrint up once (fonts, stylesheets, templates, curriculum)
and reuses it for every organisation it is given. One organisation failing never stops
the others: its result carries the problem and the batch goes on.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import re
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .assets import MAX_LOGO_BYTES, resolve_inside
from .curriculum import Project
from .errors import InputError, Problem
from .files import FileRefused, read_limited
from .output import (
    folder_lock,
    leftovers,
    org_folder,
    pdf_name,
    remove_stale_temporaries,
    slug_problem,
    write_atomic,
)
from .pipeline import BuildOptions, OrgResult, OrgSource

MANIFEST = ".packets-manifest.json"


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
                    problems.append(Problem(name, 0, "no such organisation file"))
                paths.append(path)
            elif (project.orgs / f"{name}.yaml").exists() or (project.orgs / f"{name}.yaml").is_symlink():
                paths.append(project.orgs / f"{name}.yaml")
            else:
                problems.append(
                    Problem(name, 0, "unknown organisation", "available: " + (", ".join(available) or "none yet"))
                )
        if problems:
            raise InputError(problems)
    sources = []
    problems = []
    for path in paths:
        slug = re.sub(r"\.ya?ml$", "", path.name)
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
            [Problem(s, 0, "two organisation files would write the same folder", "rename one of them") for s in twice]
        )
    return sources


# ------------------------------------------------------------------ what a build depends on


# The rendering stack: a new version of any of these can change the HTML or the PDFs.
RENDERER_PACKAGES = ("weasyprint", "pydyf", "fonttools", "tinycss2", "cssselect2", "jinja2", "markdown-it-py", "babel")


def _digest_files(h: Any, base: Path, paths: Iterable[Path]) -> None:
    for path in sorted(paths):
        # Names relative to their folder, so a moved or copied checkout stays up to date.
        h.update(path.relative_to(base).as_posix().encode() + b"\0")
        data = path.read_bytes()
        h.update(len(data).to_bytes(8, "big") + data)


def _renderer_versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    versions = []
    for name in RENDERER_PACKAGES:
        try:
            versions.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            versions.append(f"{name}==?")
    return ";".join(versions)


def shared_inputs_digest(project: Project) -> str:
    """Content (not organisations), templates, CSS, fonts, the tool's code and version, and WeasyPrint's."""
    h = hashlib.sha256(f"{__version__};{_renderer_versions()}".encode())
    content = [p for p in project.content.rglob("*") if p.is_file() and project.orgs not in p.parents]
    _digest_files(h, project.content, content)
    _digest_files(h, project.templates, [p for p in project.templates.rglob("*") if p.is_file()])
    code = Path(__file__).parent
    _digest_files(h, code, code.glob("*.py"))
    return h.hexdigest()


def org_inputs_digest(source: OrgSource, shared: str, options: BuildOptions, project: Project | None = None) -> str:
    """What the organisation's packets are made from, read from the parsed file, not its text.

    Quoting, comments, anchors, tags and key order do not change the key; a change of
    value does, and so does any change to the logo the file names, however the file spells
    the `logo` key. A file that cannot be read or parsed has no key: it is always rebuilt
    (and so reported).
    """
    from .files import link_problem
    from .sources import read_yaml

    if project is not None and link_problem(source.path, project.root):
        return ""
    doc = read_yaml(source.path)  # bounded: regular files of at most 1 MB
    if doc.data is None:
        return ""
    h = hashlib.sha256(shared.encode())
    h.update(repr((options.audiences, options.paper, options.html, options.large_print)).encode())
    h.update(os.environ.get("SOURCE_DATE_EPOCH", "").encode())
    h.update(json.dumps(doc.data, sort_keys=True, ensure_ascii=False, default=repr).encode())
    logo = doc.data.get("logo") if isinstance(doc.data, dict) else None
    if isinstance(logo, str):
        # The same confinement and limits as the build itself: a logo that fails them fails
        # validation, so hashing it would only read what we refuse to use.
        target = resolve_inside(source.path.parent, logo.strip())
        with contextlib.suppress(OSError, FileRefused):
            if target is not None:
                h.update(b"logo\0" + read_limited(target, MAX_LOGO_BYTES))
    return h.hexdigest()


def expected_outputs(source: OrgSource, options: BuildOptions) -> list[Path]:
    folder = org_folder(options.out_dir, source.slug)
    names = []
    for audience in options.audiences:
        names.append(pdf_name(source.slug, audience))
        if options.large_print:
            names.append(pdf_name(source.slug, audience, large_print=True))
    paths = [folder / n for n in names]
    if options.html:
        paths += [p.with_suffix(".html") for p in paths]
    return paths


@dataclass
class Manifest:
    """What each organisation was last built from, and what that build wrote."""

    path: Path
    entries: dict[str, Any] = field(default_factory=dict)
    changed: bool = False
    updates: dict[str, Any] = field(default_factory=dict)  # slug: new entry, or None when forgotten

    @staticmethod
    def _read(path: Path) -> dict[str, Any]:
        try:
            entries = json.loads(read_limited(path, 50_000_000).decode("utf-8"))
        except (OSError, ValueError, FileRefused):
            return {}
        return entries if isinstance(entries, dict) else {}

    @classmethod
    def load(cls, out_dir: Path) -> Manifest:
        path = out_dir / MANIFEST
        return cls(path, cls._read(path))

    def up_to_date(self, slug: str, key: str, outputs: list[Path]) -> bool:
        entry = self.entries.get(slug)
        if not key or not isinstance(entry, dict) or entry.get("key") != key:
            return False
        if outputs and leftovers(outputs[0].parent):
            return False  # a write never finished there (a killed build): build it again
        recorded = entry.get("outputs", {})
        if set(recorded) != {p.name for p in outputs}:
            return False
        for path in outputs:
            try:
                st = path.stat()
            except OSError:
                return False
            if [st.st_size, st.st_mtime_ns] != recorded[path.name][:2]:
                return False
        return True

    def record(self, slug: str, key: str, outputs: list[Path], pages: dict[str, int]) -> None:
        self.changed = True
        self.entries[slug] = self.updates[slug] = {
            "key": key,
            "outputs": {p.name: [p.stat().st_size, p.stat().st_mtime_ns, pages.get(p.name, 0)] for p in outputs},
        }

    def pages(self, slug: str) -> int:
        entry = self.entries.get(slug, {})
        return sum(v[2] for v in entry.get("outputs", {}).values() if len(v) > 2)

    def forget(self, slug: str) -> None:
        if self.entries.pop(slug, None) is not None:
            self.changed = True
            self.updates[slug] = None

    def save(self) -> None:
        """Written only when something changed, so a failed build leaves the output folder as it was.

        Read again and written under the output folder's lock: a build running at the same
        time keeps what it recorded, and no one sees half a manifest.
        """
        if not self.changed:
            return
        with folder_lock(self.path.parent):
            remove_stale_temporaries(self.path.parent)
            entries = self._read(self.path)
            for slug, entry in self.updates.items():
                if entry is None:
                    entries.pop(slug, None)
                else:
                    entries[slug] = entry
            write_atomic(self.path, json.dumps(entries, indent=1, sort_keys=True).encode())
            self.entries = entries


# ------------------------------------------------------------------ workers

_worker: dict[str, Any] = {}


def _init_worker(root: str, curriculum: Any = None) -> None:
    """Set up once per worker process: curriculum, fonts, parsed stylesheets (and, lazily, templates)."""
    from .curriculum import load_curriculum
    from .pdf import Renderer

    project = Project(Path(root))
    _worker.update(
        project=project,
        curriculum=curriculum if curriculum is not None else load_curriculum(project),
        renderer=Renderer(project.templates, (project.templates, project.content)),
    )
    # What exists now lives as long as the worker. Freezing it keeps the cyclic garbage collector
    # from walking it again on every full collection while rendering (about 5% of render time,
    # with no change in memory).
    gc.collect()
    gc.freeze()


def _renderer_roots(project: Project, source: OrgSource) -> tuple[Path, ...]:
    return (project.templates, project.content, source.path.parent)


def _build_in_worker(source: OrgSource, options: BuildOptions, debug: bool) -> OrgResult:
    from .pipeline import build_org

    renderer = _worker["renderer"]
    renderer.roots = _renderer_roots(_worker["project"], source)
    try:
        return build_org(source, _worker["project"], _worker["curriculum"], options, renderer)
    except InputError as exc:
        return OrgResult(source.slug, "invalid", problems=exc.problems)
    except Exception as exc:  # isolate one organisation's failure from the rest of the batch
        detail = traceback.format_exc() if debug else ""
        message = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        return OrgResult(source.slug, "failed", error=message + ("\n" + detail if detail else ""))


def _run_pool(
    todo: list[tuple[OrgSource, str]],
    project: Project,
    options: BuildOptions,
    debug: bool,
    workers: int,
    finish: Callable[[OrgResult, OrgSource, str], None],
) -> list[tuple[OrgSource, str]]:
    """Build `todo` in a pool of worker processes; return what was lost when a worker died."""
    lost = []
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(str(project.root),)) as pool:
        futures = {pool.submit(_build_in_worker, s, options, debug): (s, k) for s, k in todo}
        try:
            for future in as_completed(futures):
                source, key = futures[future]
                try:
                    result = future.result()
                except BrokenProcessPool:
                    lost.append((source, key))
                    continue
                except Exception as exc:  # a result that could not come back
                    result = OrgResult(source.slug, "failed", error=f"worker stopped: {exc}")
                finish(result, source, key)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return lost


@dataclass
class Summary:
    built: list[OrgResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    invalid: list[OrgResult] = field(default_factory=list)
    failed: list[OrgResult] = field(default_factory=list)
    pages: int = 0

    @property
    def exit_code(self) -> int:
        if self.failed:
            return 1
        if self.invalid:
            return 2
        return 0


def build_many(
    sources: list[OrgSource],
    project: Project,
    options: BuildOptions,
    jobs: int,
    on_result: Callable[[OrgResult], None],
    debug: bool = False,
) -> Summary:
    if options.out_dir.is_dir():
        with folder_lock(options.out_dir):  # a manifest write killed half-way left its temporary
            remove_stale_temporaries(options.out_dir)
    manifest = Manifest.load(options.out_dir)
    shared = shared_inputs_digest(project)
    summary = Summary()
    todo: list[tuple[OrgSource, str]] = []
    for source in sources:
        key = org_inputs_digest(source, shared, options, project)
        if not options.force and manifest.up_to_date(source.slug, key, expected_outputs(source, options)):
            summary.skipped.append(source.slug)
            summary.pages += manifest.pages(source.slug)
            on_result(OrgResult(source.slug, "skipped"))
        else:
            todo.append((source, key))

    def finish(result: OrgResult, source: OrgSource, key: str) -> None:
        if result.status == "built":
            summary.built.append(result)
            summary.pages += sum(w.pages for w in result.written)
            manifest.record(
                source.slug, key, expected_outputs(source, options), {w.path.name: w.pages for w in result.written}
            )
        else:
            manifest.forget(source.slug)
            (summary.invalid if result.status == "invalid" else summary.failed).append(result)
        on_result(result)

    curriculum = None
    if todo:
        from .curriculum import load_curriculum

        curriculum = load_curriculum(project)  # a broken curriculum is reported once, before any worker starts
    try:
        if todo and (jobs <= 1 or len(todo) == 1):
            _init_worker(str(project.root), curriculum)
            try:
                for source, key in todo:
                    finish(_build_in_worker(source, options, debug), source, key)
            finally:
                gc.unfreeze()  # this process goes on (tests, embedding): let its objects be collected again
                _worker.clear()
        elif todo:
            lost = _run_pool(todo, project, options, debug, min(jobs, len(todo)), finish)
            # A worker that dies (killed, out of memory) takes the pool with it, and every
            # organisation still queued there fails with it. Build those again, each in a
            # worker of its own, so only the one that kills its worker is reported.
            for source, key in lost:
                for again in _run_pool([(source, key)], project, options, debug, 1, finish):
                    finish(OrgResult(again[0].slug, "failed", error="worker stopped while building it"), *again)
    finally:
        manifest.save()
    return summary
