"""The command line: parse options, call the pipeline, print what happened.

Exit status: 0 success, 2 a problem in someone's files (each printed as
`path:line: message`), 1 an unexpected failure (one line; `--debug` for the traceback).
Heavy imports (WeasyPrint, pydantic) happen inside commands, so `packets --help` and a
build with nothing to do stay fast.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

import click

from . import __version__
from .errors import InputError, Problem
from .languages import LANGUAGES
from .output import Terminated, raise_terminated

if TYPE_CHECKING:  # the loader is imported lazily: `packets --help` starts without it
    from .load.curriculum import Project

EXAMPLES = {
    "help": "Example: packets help build",
    "build": "Example: packets build riverside --paper a4",
    "check": "Example: packets check riverside --strict",
    "list": "Example: packets list",
    "init": "Example: packets init riverside",
    "schema": "Example: packets schema -o content/orgs/org.schema.json",
}


def find_project_root() -> Path:
    """The folder holding content/ and templates/: PACKETS_ROOT, the working folder, or the checkout."""
    candidates = [os.environ.get("PACKETS_ROOT"), os.getcwd(), str(Path(__file__).resolve().parent.parent)]
    for candidate in candidates:
        if candidate and (Path(candidate) / "content").is_dir() and (Path(candidate) / "templates").is_dir():
            return Path(candidate)
    raise click.ClickException("cannot find the project's content/ and templates/ folders; run from the project")


def _project():
    from .cache import cache_warning
    from .load.curriculum import Project

    warning = cache_warning()  # a cache folder others could write into is not used: say so, once
    if warning:
        click.echo(warning, err=True)
    return Project(find_project_root())


def _print_problems(problems: list[Problem]) -> None:
    """Each file's errors first (what stops the build), then its warnings, each in line order."""
    for problem in sorted(problems, key=lambda p: (p.path, not p.is_error, p.line)):
        click.echo(str(problem), err=True)


class PacketsGroup(click.Group):
    """Turns our errors into exit codes and one-line messages instead of tracebacks."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InputError as exc:
            _print_problems(exc.problems)
            ctx.exit(2)
        except KeyboardInterrupt as exc:
            stopped = "Stopped" if isinstance(exc, Terminated) else "Interrupted"
            click.echo(f"{stopped}; no partial files were left in the output folder.", err=True)
            ctx.exit(143 if isinstance(exc, Terminated) else 130)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except Exception as exc:
            if ctx.meta.get("debug"):
                traceback.print_exc()
            message = str(exc).splitlines()[0] if str(exc) else ""
            click.echo(
                f"error: unexpected failure: {type(exc).__name__}: {message}"
                + ("" if ctx.meta.get("debug") else " (rerun with --debug for details)"),
                err=True,
            )
            ctx.exit(1)


@click.group(cls=PacketsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="packets")
@click.option("--debug", is_flag=True, help="Show full tracebacks for unexpected failures.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Printable allyship workshop packets: a facilitator guide and a participant handout per organization.

    Example: packets build
    """
    ctx.meta["debug"] = debug


def _out_option(help_text: str):
    """`--out`, the same for `build` and `studio` (both write builds into it); only the help differs."""
    return click.option(
        "--out", "out_dir", type=click.Path(path_type=Path), default=Path("output"), show_default=True, help=help_text
    )


def _build_timeout_option(help_text: str):
    """`--build-timeout`, the same for `studio` and `serve` (one build queue); only the help differs."""
    return click.option(
        "--build-timeout", type=click.FloatRange(1, 86400), default=600, show_default=True, help=help_text
    )


def _refuse_out_dir(project: Project, out_dir: Path) -> None:
    """Every face that builds refuses an output folder inside the project's own content, templates,
    code or tests (a build there would overwrite them), with the same message."""
    from .output import check_out_dir

    problem = check_out_dir(
        out_dir, (project.content, project.templates, project.root / "packets", project.root / "tests")
    )
    if problem:
        raise InputError([problem])


@main.command(name="help", epilog=EXAMPLES["help"])
@click.argument("command", required=False)
@click.pass_context
def help_command(ctx: click.Context, command: str | None) -> None:
    """Show the help of packets, or of one COMMAND (the same as `packets COMMAND --help`)."""
    from .load.spelling import close_match

    if not command:
        click.echo(main.get_help(ctx.parent or ctx))
        return
    found = main.get_command(ctx, command)
    if found is None:
        close = close_match(command, main.list_commands(ctx))
        hint = f"did you mean '{close}'?" if close else "commands: " + ", ".join(main.list_commands(ctx))
        raise InputError([Problem(command, 0, "no such command", hint)])
    with click.Context(found, info_name=command, parent=ctx.parent) as sub:
        click.echo(found.get_help(sub))


@main.command(epilog=EXAMPLES["build"])
@click.argument("orgs", nargs=-1, metavar="[ORG]...")
@click.option(
    "--audience",
    type=click.Choice(["facilitator", "participant", "both"]),
    default="both",
    show_default=True,
    help="Which document to build.",
)
@click.option(
    "--paper", type=click.Choice(["letter", "a4"]), default=None, help="Paper size, overriding the organization file."
)
@_out_option("Folder to write into; each organization gets a subfolder.")
@click.option("--html", is_flag=True, help="Also write the intermediate HTML next to each PDF.")
@click.option("--large-print", is_flag=True, help="Also write large-print editions (body text 16 pt).")
@click.option("--slides", is_flag=True, help="Also write slides to project (16:9).")
@click.option(
    "--booklet",
    "booklets",
    type=click.Choice(["handout", "guide"]),
    multiple=True,
    is_flag=False,
    flag_value="handout",
    help="Also write a booklet to print, fold and staple: the handout (--booklet), the guide (--booklet guide).",
)
@click.option("--fillable", is_flag=True, help="Also write a handout to fill in on screen, for online sessions.")
@click.option(
    "--language",
    "languages",
    type=click.Choice(LANGUAGES),
    multiple=True,
    help="Build only this edition of organizations that make several (languages: [en, fr]); repeatable.",
)
@click.option(
    "--jobs", "-j", type=click.IntRange(1, 64), default=None, help="Worker processes (default: number of CPUs)."
)
@click.option("--force", is_flag=True, help="Rebuild even when nothing changed.")
@click.option("--quiet", "-q", is_flag=True, help="Print only problems and the summary.")
@click.pass_context
def build(
    ctx: click.Context,
    orgs: tuple[str, ...],
    audience: str,
    paper: str | None,
    out_dir: Path,
    html: bool,
    large_print: bool,
    slides: bool,
    booklets: tuple[str, ...],
    fillable: bool,
    languages: tuple[str, ...],
    jobs: int | None,
    force: bool,
    quiet: bool,
) -> None:
    """Build the packets of the named organizations (slugs in content/orgs/ or paths), or of all of them."""
    from .write.workers import Workers

    # SIGTERM stops a build as Ctrl-C does: the workers are stopped, nothing half-written stays.
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, raise_terminated)
        ctx.call_on_close(lambda: signal.signal(signal.SIGTERM, previous))
    jobs = jobs or os.cpu_count() or 1
    debug = ctx.meta.get("debug", False)
    # The first worker starts before anything else: it imports WeasyPrint while this process
    # imports the rest and reads the files, a third of a second sooner for the first document.
    # The workers are stopped when the command's context closes, however it ends.
    workers = ctx.with_resource(Workers(find_project_root(), jobs, debug=debug))
    workers.warm()
    from .load.orgfiles import find_sources
    from .write.batch import build_many
    from .write.pipeline import BuildOptions

    project = _project()
    _refuse_out_dir(project, out_dir)
    sources = find_sources(project, orgs)
    options = BuildOptions(
        audiences=("facilitator", "participant") if audience == "both" else (audience,),
        paper=paper,
        out_dir=out_dir,
        html=html,
        large_print=large_print,
        force=force,
        kit=(
            *(("slides",) if slides else ()),
            *(f"booklet-{'participant' if b == 'handout' else 'facilitator'}" for b in dict.fromkeys(booklets)),
            *(("fillable",) if fillable else ()),
        ),
        languages=tuple(dict.fromkeys(languages)),
    )
    started = time.monotonic()
    show_bar = not quiet and sys.stderr.isatty() and len(sources) > 1
    bar = click.progressbar(length=len(sources), label="Building", file=sys.stderr) if show_bar else None

    def on_result(result) -> None:
        if bar:
            bar.update(1)
        if result.status == "built" and not quiet:
            for w in result.written:
                line = f"{_shown(w.path)} ({_count(w.pages, 'page')})"
                click.echo(("\n" if bar else "") + line)
        elif result.status == "skipped" and not quiet and not bar:
            click.echo(f"{result.slug}: up to date")
        if result.refreshed and not quiet:
            names = ", ".join(p.name for p in result.refreshed)
            click.echo(f"{result.slug}: also rebuilt, as they were out of date beside the others: {names}")
        for path in result.removed:
            click.echo(f"{result.slug}: removed {_shown(path)}: it was out of date and this build does not make it")
        if result.status in ("built", "invalid", "unwritten"):
            _print_problems(result.problems)
        if result.status == "failed":
            click.echo(
                f"{result.slug}: error: {result.error}" + ("" if debug else " (rerun with --debug for details)"),
                err=True,
            )

    with bar or contextlib.nullcontext():
        summary = build_many(sources, project, options, jobs, on_result, debug=debug, workers=workers)
    elapsed = time.monotonic() - started
    # "Failed" alone read as a crash for a file with a typo: say which of them are mistakes
    # in the file, the one kind a coordinator fixes themselves.
    why = [f"{_count(len(summary.invalid), 'file')} with mistakes"] if summary.invalid else []
    why += [f"{len(summary.unwritten)} that could not be written"] if summary.unwritten else []
    mistakes = f" ({' and '.join(why)}, listed above)" if why else ""
    failed = len(summary.invalid) + len(summary.unwritten) + len(summary.failed)
    kinds = dict.fromkeys(_kind_shown(*document) for document in summary.kinds)
    rebuilt = f" (rebuilt: {', '.join(kinds)})" if kinds else ""
    click.echo(
        f"{summary.built} built, {summary.skipped} up to date, "
        f"{failed} failed{mistakes}; {summary.pages} pages in {elapsed:.1f} s" + rebuilt,
        err=quiet,
    )
    ctx.exit(summary.exit_code)


KIND_NAMES = {
    "slides": "slides",
    "booklet-participant": "handout booklet",
    "booklet-facilitator": "guide booklet",
    "fillable": "fillable handout",
}


def _kind_shown(audience: str, large_print: bool, kind: str | None, language: str = "en") -> str:
    """A document's kind as the summary names it: "participant handout (large print)", "slides (French)"."""
    from .languages import LANGUAGE_NAMES

    if kind:
        name = KIND_NAMES.get(kind, kind)
    else:
        name = ("facilitator guide" if audience == "facilitator" else "participant handout") + (
            " (large print)" if large_print else ""
        )
    return name + ("" if language == "en" else f" ({LANGUAGE_NAMES.get(language, language)})")


def _one_text(text: str | dict[str, str]) -> str:
    """A text given in both languages, as a file name is made from it: its English."""
    return text if isinstance(text, str) else text.get("en") or next(iter(text.values()))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@main.command(epilog=EXAMPLES["check"])
@click.argument("orgs", nargs=-1, metavar="[ORG]...")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option(
    "--language",
    "languages",
    type=click.Choice(LANGUAGES),
    multiple=True,
    help="Also check the curriculum in this language (its overlay in content/fr/), "
    "e.g. --language fr; organizations that ask for French have it checked anyway.",
)
def check(orgs: tuple[str, ...], strict: bool, languages: tuple[str, ...]) -> None:
    """Validate the curriculum and organization files without rendering; print every problem."""
    from .load.curriculum import load_curriculum
    from .load.orgfiles import find_sources
    from .planning.organization import load_organization

    project = _project()
    curriculum = load_curriculum(project)
    problems: list[Problem] = []
    sources = find_sources(project, orgs)
    wanted = dict.fromkeys(languages)
    for source in sources:
        loaded = load_organization(source.path, source.slug, project, curriculum)
        problems.extend(loaded.problems)
        wanted.update(dict.fromkeys(loaded.org.editions if loaded.org else ()))
    # The curriculum in every other language an organization prints in (or that was asked for).
    for language in wanted:
        if language != "en":
            try:
                load_curriculum(project, language)
            except InputError as exc:
                problems.extend(exc.problems)
    _print_problems(problems)
    errors = [p for p in problems if p.is_error or strict]
    n_errors = len([p for p in problems if p.is_error])
    n_warnings = len(problems) - n_errors
    click.echo(
        f"Checked {_count(len(sources), 'organization file')} and the curriculum: "
        f"{_count(n_errors, 'error')}, {_count(n_warnings, 'warning')}."
    )
    if errors:
        sys.exit(2)


@main.command(name="list", epilog=EXAMPLES["list"])
def list_command() -> None:
    """List the organizations, curriculum modules and workshop formats."""
    from .load.curriculum import load_curriculum

    project = _project()
    curriculum = load_curriculum(project)
    click.echo("Organizations (content/orgs/):")
    for path in sorted(project.orgs.glob("*.yaml")):
        click.echo(f"  {path.stem}")
    click.echo("Modules (least to ideal minutes):")
    for module in curriculum.modules.values():
        span = f"{module.minimum_minutes}-{module.ideal_minutes}"
        click.echo(f"  {module.id:<32} {span:>7} min  {module.title}")
    click.echo("Formats (presets; any length works with workshop.minutes):")
    for fmt in curriculum.formats.values():
        click.echo(f"  {fmt.id:<32} {fmt.minutes:>7} min  {fmt.name}")


@main.command(epilog="Example: packets plan riverside --minutes 120 --start 13:00")
@click.argument("org", metavar="ORG")
@click.option("--minutes", type=int, help="Try another length (45 to 360) without editing the file.")
@click.option("--start", help='Try another start time, "HH:MM".')
@click.option(
    "--language",
    "languages",
    type=click.Choice(LANGUAGES),
    multiple=True,
    help="The edition whose run of show to print, for an organization that makes several (default: each of them).",
)
def plan(org: str, minutes: int | None, start: str | None, languages: tuple[str, ...]) -> None:
    """Print the run of show of one organization's session, in each of its editions' languages, without
    rendering any PDF."""
    from .load.curriculum import load_curriculum
    from .load.orgfiles import find_sources
    from .planning.organization import load_organization
    from .planning.runofshow import plan_table
    from .write.batch import file_editions, no_edition_problem

    project = _project()
    curriculum = load_curriculum(project)
    (source,) = find_sources(project, (org,))
    loaded = load_organization(source.path, source.slug, project, curriculum, minutes=minutes, start=start)
    if loaded.org is None:
        raise InputError(loaded.problems)
    # The same editions a build makes, by the same rule; the words of each come from its curriculum.
    editions = file_editions(loaded.doc) if loaded.doc else ("en",)
    chosen = [language for language in editions if not languages or language in languages]
    if not chosen:
        raise InputError([no_edition_problem(loaded.doc, languages, editions)])
    _print_problems(loaded.warnings)
    tables = []
    for language in chosen:
        edition = curriculum if language == curriculum.language else load_curriculum(project, language)
        tables.append(plan_table(source.slug, loaded.org.edition(language), edition))
    click.echo("\n\n".join(tables))


@main.command(epilog=EXAMPLES["init"])
@click.argument("slug", required=False)
@click.option(
    "--language",
    "edition",
    type=click.Choice(["en", "fr", "both"]),
    help="The documents' language: en, fr, or both (an English and a French edition); asked first.",
)
@click.option("--name", help="Organization name as it should print.")
@click.option("--paper", type=click.Choice(["letter", "a4"]), help="Paper size.")
@click.option("--accent-colour", help='Colour for headings and rules, "#rrggbb".')
@click.option("--logo", help="Logo file (PNG, JPEG or SVG), relative to content/orgs/.")
@click.option("--logo-alt", help="What the logo shows, read aloud (defaults to the name).")
@click.option("--format", "format_id", help="Workshop format id or its length in minutes (see `packets list`).")
@click.option("--title", help="Workshop title (optional).")
@click.option("--date", "date_", help="Session date, YYYY-MM-DD.")
@click.option("--start", help='Start time, "HH:MM".')
@click.option("--location", help="Where the session takes place.")
@click.option("--breaks", help='auto, none, or the times breaks start, e.g. "10:30" or "10:30, 14:15".')
@click.option(
    "--knowledge-keeper",
    type=click.Choice(["no", "opening", "closing", "both"]),
    help="Whether an Elder or knowledge keeper, invited under local protocol, opens or closes the session.",
)
@click.option("--knowledge-keeper-name", help="Their name as they wish it printed, once they agreed to it.")
@click.option("--facilitator", "facilitators", multiple=True, help='"Name|Role|Contact"; repeat for each facilitator.')
@click.option(
    "--nation",
    "nations",
    multiple=True,
    help='"own-language name|English name|how to say the English name|how to say the own name"; '
    "repeat for each Nation.",
)
@click.option(
    "--place",
    "places",
    multiple=True,
    help='A place name to practise, "own-language name|English name|English pronunciation|own-name pronunciation".',
)
@click.option("--territory", help='e.g. "unceded" or "Treaty 6 territory".')
@click.option("--statement", help="Your acknowledgement, written with the Nations (a draft is composed without it).")
@click.option("--commitment", "commitments", multiple=True, help="What the organization is doing; repeatable.")
@click.option("--reviewed-by", help="Who from the community reviewed the acknowledgement.")
@click.option("--reviewed-on", help="When it was reviewed, YYYY-MM-DD.")
@click.option("--based-on", help="What the acknowledgement is based on.")
@click.option(
    "--support", "supports", multiple=True, help='A local support, "Name|Contact|What it offers"; repeatable.'
)
@click.option("--no-input", is_flag=True, help="Ask nothing; use the flags and defaults.")
@click.option("--force", is_flag=True, help="Overwrite an existing organization file.")
def init(
    slug: str | None,
    edition: str | None,
    name: str | None,
    paper: str | None,
    accent_colour: str | None,
    logo: str | None,
    logo_alt: str | None,
    format_id: str | None,
    title: str | None,
    date_: str | None,
    start: str | None,
    location: str | None,
    breaks: str | None,
    knowledge_keeper: str | None,
    knowledge_keeper_name: str | None,
    facilitators: tuple[str, ...],
    nations: tuple[str, ...],
    places: tuple[str, ...],
    territory: str | None,
    statement: str | None,
    commitments: tuple[str, ...],
    reviewed_by: str | None,
    reviewed_on: str | None,
    based_on: str | None,
    supports: tuple[str, ...],
    no_input: bool,
    force: bool,
) -> None:
    """Create content/orgs/SLUG.yaml step by step (or from flags with --no-input).

    Each answer is checked as it is given and asked again when the model refuses it.
    Once written, the file is never deleted: a problem found afterwards is reported
    with what to fix in it.
    """
    from slugify import slugify

    from .interview import (
        Interview,
        ask_breaks,
        ask_edition,
        ask_format,
        ask_knowledge_keeper,
        ask_leads,
        ask_text,
        interview_words,
        kept_answers_path,
        lead_choices,
        nation_parts,
    )
    from .load.curriculum import load_curriculum
    from .output import slug_problem, write_atomic
    from .planning.organization import load_organization
    from .scaffold import NewOrganization, organization_yaml

    project = _project()
    curriculum = load_curriculum(project)
    q = Interview(no_input, project.orgs, interview_words(project))
    la = "land_acknowledgement"

    def where_to(chosen: str) -> tuple[Path, Path]:
        """The file to write and the answers kept from an init stopped half-way; refuses to overwrite."""
        problem = slug_problem(chosen, "init")
        if problem:
            raise InputError([problem])
        target, kept = project.orgs / f"{chosen}.yaml", kept_answers_path(project.orgs, chosen)
        if kept.is_file() and not force:
            import json

            with contextlib.suppress(OSError, ValueError):
                answers = json.loads(kept.read_text(encoding="utf-8"))
                if isinstance(answers, dict):
                    q.kept.update({k: v for k, v in answers.items() if k not in q.answers})
                    click.echo(f"Going on from the answers you gave before for {chosen} (kept in {_shown(kept)}).")
                    return target, kept
        if target.exists() and not force:
            raise InputError(
                [
                    Problem(
                        str(target),
                        0,
                        "this organization file already exists",
                        f"edit it and run `packets check {chosen}`; or choose another name, "
                        "or pass --force to start it again from the questions",
                    )
                ]
            )
        return target, kept

    target = kept = None
    if slug:
        target, kept = where_to(slug)
    new = NewOrganization(name="")
    try:
        # The language first: a French organization is asked every other question in French.
        new.editions = ask_edition(q, edition)
        asked_in = "fr" if new.editions == ("fr",) else "en"
        if asked_in != "en":
            q.words = interview_words(project, asked_in)
            curriculum = load_curriculum(project, asked_in)  # the module titles a facilitator chooses from
        words, both = q.words, len(new.editions) > 1
        new.name = name = ask_text(q, both, ("name",), words.name, name, required=True)
        if not slug:
            slug = slugify(_one_text(name), max_length=60, word_boundary=True)
            target, kept = where_to(slug)
        new.paper = q.ask(("paper",), words.paper, paper, default="letter")
        new.accent_colour = q.ask(("accent_colour",), words.accent_colour, accent_colour)
        new.logo = q.ask(("logo",), words.logo, logo, extra=q.logo_problem)
        if new.logo:
            new.logo_alt = ask_text(q, both, ("logo_alt",), words.logo_alt, logo_alt)
        new.title = ask_text(q, both, ("workshop", "title"), words.title, title)
        new.format = ask_format(q, curriculum.formats, format_id)
        new.date = q.ask(("workshop", "date"), words.date, date_)
        new.start = q.ask(("workshop", "start"), words.start, start)
        new.breaks = ask_breaks(q, new.start, breaks)
        new.location = ask_text(q, both, ("workshop", "location"), words.location, location)
        new.knowledge_keeper = ask_knowledge_keeper(q, knowledge_keeper, knowledge_keeper_name)
        new.facilitators = q.ask_many(
            ("workshop", "facilitators"), words.facilitator, ("name", "role", "contact"), facilitators, "--facilitator"
        )
        choices = lead_choices(curriculum.modules, words)
        unanswered = [i for i in range(len(new.facilitators)) if f"workshop.facilitators.{i}.leads" not in q.kept]
        if unanswered and not no_input:
            click.echo(words.leads_intro)
            for number, (_, what) in enumerate(choices, start=1):
                click.echo(f"  {number:>2}. {what}")
        if new.facilitators:
            new.facilitators = [
                (*person, ask_leads(q, person[0], i, choices)) for i, person in enumerate(new.facilitators)
            ]
        new.name_parts = nation_parts(new.editions)
        new.nations = q.ask_many(
            (la, "nations"), words.nation_both if both else words.nation, new.name_parts, nations, "--nation"
        )
        new.places = q.ask_many(
            (la, "places"), words.place_both if both else words.place, new.name_parts, places, "--place"
        )
        new.territory = ask_text(q, both, (la, "territory"), words.territory, territory)
        new.statement = ask_text(q, both, (la, "statement"), words.statement, statement)
        new.commitments = [
            c[0] for c in q.ask_many((la, "commitments"), words.commitment, ("",), commitments, "--commitment")
        ]
        new.reviewed_by = ask_text(q, both, (la, "reviewed_by"), words.reviewed_by, reviewed_by)
        if new.reviewed_by or reviewed_on:
            new.reviewed_on = q.ask((la, "reviewed_on"), words.reviewed_on, reviewed_on)
        new.based_on = ask_text(q, both, (la, "based_on"), words.based_on, based_on)
        new.local_resources = q.ask_many(
            ("local_resources",), words.support, ("name", "contact", "note"), supports, "--support"
        )
    except click.Abort:
        # Stopping half-way (Ctrl-C, end of input) keeps what was typed, in a file of its own:
        # `init SLUG` goes on from there. No organization file is written half-answered.
        if kept is None:
            click.echo("\nStopped before the organization's name; nothing was kept.", err=True)
        else:
            q.save(kept)
            click.echo(
                f"\nStopped. Your answers so far are kept; run `packets init {slug}` to go on from where you stopped.",
                err=True,
            )
        raise click.exceptions.Exit(1) from None
    assert target is not None and kept is not None and slug
    write_atomic(target, organization_yaml(new, q.words).encode("utf-8"))  # its comments in the questions' language
    kept.unlink(missing_ok=True)
    click.echo(f"Wrote {_shown(target)}")
    loaded = load_organization(target, slug, project, curriculum)
    _print_problems(loaded.problems)
    if loaded.errors:
        # Kept, never deleted: every answer is in it; say what to fix.
        click.echo(
            f"Fix the {_count(len(loaded.errors), 'error')} above in {_shown(target)}, then `packets check {slug}`."
        )
        sys.exit(2)
    click.echo(f"Next: edit it, then `packets check {slug}` and `packets build {slug}`.")


@main.command(epilog=EXAMPLES["schema"])
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    default=None,
    help="Write to this file instead of standard output.",
)
def schema(output: Path | None) -> None:
    """Write the JSON Schema of organization files, for editor completion and validation."""
    import json

    from .load.model import Organization

    text = json.dumps(Organization.model_json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output:
        from .output import write_atomic

        write_atomic(output, text.encode())
        click.echo(f"Wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


# Where the generated organization-file reference lives (between its two markers).
REFERENCE_PAGE = "docs/organization-file.md"


@main.command(epilog="Example: packets reference --update-docs")
@click.option("--update-docs", is_flag=True, help=f"Rewrite the reference section of {REFERENCE_PAGE} in place.")
def reference(update_docs: bool) -> None:
    """Print the organization-file reference (Markdown), generated from the model."""
    from .output import write_atomic
    from .reference import org_reference, replace_between_markers

    body = org_reference()
    if not update_docs:
        click.echo(body, nl=False)
        return
    page = find_project_root() / REFERENCE_PAGE
    write_atomic(page, replace_between_markers(page.read_text(encoding="utf-8"), body).encode("utf-8"))
    click.echo(f"Updated {REFERENCE_PAGE}", err=True)


# ---------------------------------------------------------------------------- the team server's accounts


def _db_option(command):
    return click.option(
        "--db",
        "db_path",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="The team server's database file (default: instance/packets.db in the project).",
    )(command)


def _public_url_option(command):
    return click.option(
        "--public-url",
        envvar="PACKETS_PUBLIC_URL",
        default=None,
        help="Where people reach the server, for the links (default: `packets serve`'s own address on this "
        "computer; or PACKETS_PUBLIC_URL).",
    )(command)


@contextlib.contextmanager
def _accounts(db_path: Path | None):
    """The accounts over the database, which is created and brought up to date on first use."""
    from .serve.accounts import AccountProblem, Accounts
    from .serve.db import DatabaseRefused, default_path, open_database

    path = db_path or default_path(find_project_root())
    try:
        db = open_database(path)
    except DatabaseRefused as exc:
        click.echo(f"error: {exc}", err=True)
        raise click.exceptions.Exit(2) from None
    try:
        yield Accounts(db)
    except AccountProblem as exc:
        click.echo(f"error: {exc}", err=True)
        raise click.exceptions.Exit(2) from None
    finally:
        db.close()


def _link_base(public_url: str | None) -> str:
    from urllib.parse import urlsplit

    from .serve.config import DEFAULT_PORT

    url = (public_url or f"http://127.0.0.1:{DEFAULT_PORT}").rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
        click.echo(f"error: --public-url must be like https://packets.example.org, not '{url[:80]}'", err=True)
        raise click.exceptions.Exit(2)
    return url


def _print_invitation(email: str, base: str, token: str) -> None:
    from .serve.accounts import INVITATION_DAYS

    click.echo(f"Invitation link for {email} (it works once, for {INVITATION_DAYS} days):", err=True)
    click.echo(f"{base}/invite/{token}")
    click.echo(
        "Hand it to them yourself (no mail is sent); they open it to choose a password. It is not shown again.",
        err=True,
    )


def _require_org_files(orgs: tuple[str, ...], or_else: str = "") -> None:
    """Someone is given only organizations that exist: a typo would give them nothing, silently."""
    root = find_project_root()
    for org in orgs:
        if not (root / "content" / "orgs" / f"{org}.yaml").is_file():
            click.echo(
                f"error: there is no organization file content/orgs/{org}.yaml; check the name "
                f"(`packets list` shows them){or_else}",
                err=True,
            )
            raise click.exceptions.Exit(2)


@main.group(epilog="Example: packets users add ann@example.org --role coordinator --org riverside")
def users() -> None:
    """Accounts of the team server (`packets serve`): add, list, orgs, remove, invite."""


@users.command(name="add", epilog="Example: packets users add ann@example.org --role coordinator --org riverside")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(["admin", "coordinator", "facilitator"]),
    required=True,
    help="admin: every organization and the people; coordinator: prepares and builds their organizations; "
    "facilitator: downloads their organizations' packets.",
)
@click.option("--org", "orgs", multiple=True, metavar="SLUG", help="An organization they work with; repeatable.")
@click.option("--may-create", is_flag=True, help="A coordinator who may create new organizations.")
@_db_option
@_public_url_option
def users_add(
    email: str, role: str, orgs: tuple[str, ...], may_create: bool, db_path: Path | None, public_url: str | None
) -> None:
    """Add someone and print their one-time invitation link (they choose their password there)."""
    base = _link_base(public_url)
    _require_org_files(orgs, ", or create it first with `packets init`")
    with _accounts(db_path) as accounts:
        person = accounts.add_user(email, role, orgs, may_create)
        _print_invitation(person.email, base, accounts.invite(person.email))


@users.command(name="invite", epilog="Example: packets users invite ann@example.org")
@click.argument("email")
@_db_option
@_public_url_option
def users_invite(email: str, db_path: Path | None, public_url: str | None) -> None:
    """Print a new invitation link for someone (a forgotten password, an expired link); older links stop working."""
    base = _link_base(public_url)
    with _accounts(db_path) as accounts:
        token = accounts.invite(email)
        _print_invitation(email.strip().lower(), base, token)


@users.command(name="list", epilog="Example: packets users list")
@_db_option
def users_list(db_path: Path | None) -> None:
    """Everyone who can sign in or has been invited: role, organizations, state, last sign-in (UTC)."""
    with _accounts(db_path) as accounts:
        found = accounts.accounts()
    if not found:
        click.echo("No accounts yet. Add the first admin: packets users add EMAIL --role admin")
        return
    for account in found:
        person = account.person
        orgs = "every organization" if person.is_admin else ", ".join(sorted(person.orgs)) or "no organization"
        role = person.role + (" (may create organizations)" if person.may_create else "")
        state = account.state
        if state == "invited" and account.invited_until:
            state += f" until {account.invited_until:%Y-%m-%d %H:%M}"
        last = f"{account.last_sign_in:%Y-%m-%d %H:%M}" if account.last_sign_in else "never"
        click.echo(f"{person.email}  {role}  {orgs}  {state}  last signed in: {last}")


@users.command(name="orgs", epilog="Example: packets users orgs ann@example.org --add lakeside --remove riverside")
@click.argument("email")
@click.option("--add", "add", multiple=True, metavar="SLUG", help="An organization to give them; repeatable.")
@click.option("--remove", "remove", multiple=True, metavar="SLUG", help="An organization to take away; repeatable.")
@_db_option
def users_orgs(email: str, add: tuple[str, ...], remove: tuple[str, ...], db_path: Path | None) -> None:
    """Give someone organizations or take some away; taking one away signs them out at once and stops
    their builds of it."""
    if not add and not remove:
        click.echo("error: name an organization with --add SLUG or --remove SLUG", err=True)
        raise click.exceptions.Exit(2)
    _require_org_files(add)
    with _accounts(db_path) as accounts:
        person = accounts.change_orgs(email, add, remove)
    now = ", ".join(sorted(person.orgs)) or "no organization"
    click.echo(f"{person.email} now has: {now}.")
    if remove:
        click.echo("They were signed out; a build of theirs of an organization taken away is stopped.")


@users.command(name="remove", epilog="Example: packets users remove ann@example.org")
@click.argument("email")
@_db_option
def users_remove(email: str, db_path: Path | None) -> None:
    """Remove someone's account: they are signed out at once, their links stop working and their builds stop."""
    with _accounts(db_path) as accounts:
        accounts.remove_user(email)
    click.echo(f"Removed {email.strip().lower()}; the sign-in log keeps their past sign-ins.")


@main.command(epilog="Example: packets backup --to /var/backups/packets")
@click.option(
    "--to",
    "to_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder to write the archive into (default: backups/ in the project).",
)
@_db_option
def backup(to_dir: Path | None, db_path: Path | None) -> None:
    """Save the team server's database and content/orgs in one archive (safe while `packets serve` runs)."""
    from .serve.backup import BackupRefused
    from .serve.backup import backup as write_backup
    from .serve.db import default_path

    root = find_project_root()
    try:
        done = write_backup(root / "content" / "orgs", db_path or default_path(root), to_dir or root / "backups")
    except BackupRefused as exc:
        click.echo(f"error: {exc}", err=True)
        raise click.exceptions.Exit(2) from None
    held = "the database and " if done.database else "no database yet (the team server has not run here), "
    click.echo(f"Saved {held}{_count(done.files, 'file')} of content/orgs in:", err=True)
    click.echo(str(done.archive))


@main.command(epilog="Example: packets studio --port 8765")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port to listen on (default: a free one).")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; anything but this computer's own (127.0.0.1) lets others on the network in.",
)
@click.option("--no-browser", is_flag=True, help="Print the address without opening a browser.")
@_out_option("Folder that builds from the studio write into.")
@_build_timeout_option(
    "Seconds a build from the studio may take before it is stopped, with its workers, and reported as failed."
)
def studio(port: int, host: str, no_browser: bool, out_dir: Path, build_timeout: float) -> None:
    """Open a local web page to prepare organization files, review them and build their packets."""
    from .studio.server import CannotStart, serve

    project = _project()
    _refuse_out_dir(project, out_dir)
    try:
        serve(
            project.root,
            out_dir,
            host=host,
            port=port,
            open_browser=not no_browser,
            say=click.echo,
            build_timeout=build_timeout,
        )
    except CannotStart as exc:
        raise click.ClickException(str(exc)) from None


@main.command(epilog="Example: packets serve --public-url https://packets.example.org")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback: behind a proxy).")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="Port to listen on.")
@click.option(
    "--db",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The accounts and history database (default: instance/packets.db in the project).",
)
@click.option(
    "--public-url",
    default=None,
    help="The https:// address people reach the server at through a reverse proxy (Host check, cookies, links).",
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    help="Address of the reverse proxy whose X-Forwarded-For/-Proto are believed (with --public-url: 127.0.0.1).",
)
@_out_option("Folder that builds from the server write into.")
@_build_timeout_option("Seconds a build may take before it is stopped, with its workers, and reported as failed.")
def serve(
    host: str,
    port: int,
    db: Path | None,
    public_url: str | None,
    trusted_proxies: tuple[str, ...],
    out_dir: Path,
    build_timeout: float,
) -> None:
    """Run the studio for a team: accounts, each person's own organizations, the history of every save."""
    from .serve.config import ConfigProblem, ServeConfig
    from .studio.server import CannotStart

    project = _project()
    _refuse_out_dir(project, out_dir)
    config = ServeConfig(
        root=project.root,
        out_dir=out_dir,
        db=db,
        host=host,
        port=port,
        public_url=public_url,
        trusted_proxies=trusted_proxies,
        build_timeout=build_timeout,
    )
    try:
        config.check()
    except ConfigProblem as exc:
        raise InputError([Problem("packets serve", 0, str(exc))]) from None
    from .serve.db import DatabaseRefused
    from .serve.server import serve as run

    try:
        run(config, say=click.echo)
    except (CannotStart, DatabaseRefused) as exc:
        raise InputError([Problem("packets serve", 0, str(exc))]) from None
