"""Benchmark batch builds side by side, in one run, on this machine.

Takes a snapshot of the checkout (packets/, build.py, templates/, content/ without the
organizations) so that edits made while it runs change nothing, generates synthetic
organizations in copies of it (PACKETS_ROOT pointing at the copy), and measures whole
processes: wall time (time.perf_counter around the subprocess) and peak resident memory
of the largest single process (getrusage RUSAGE_CHILDREN, so a pool's workers count).
A run during which other processes kept the machine busy is run again (see Disturbance).

On one sample of organizations, the same documents four ways:
  1. the baseline a user would otherwise run: one `weasyprint` command per document, on
     the very HTML our pipeline produces (`packets build --html`), PDF/UA-1 as we write;
     its page counts are checked against ours;
  2. WeasyPrint alone rendering that HTML in one process (tagged, and untagged to
     measure the cost of tagging): the floor for our pipeline;
  3. `packets build --jobs 1` on the same organizations.
For each batch size N: `packets build --jobs 1` and `--jobs <CPUs>` (forced), a no-op
rebuild, and the peak memory of each.

The synthetic organizations repeat every 12 (paper size, number of Nations, ...), so a
sample of 12 has exactly the mix of documents of a batch of 24 or 96.

The common case, also side by side in one run:
  - one organization (the shipped example), `packets build example --force` against the bare
    `weasyprint` command run on the same two HTML documents one after the other;
  - the quick commands (`check`, `list`, `plan`, `init --help`, `schema`, `reference`, `help`,
    `--help`), whole processes;
  - one worker's memory and time per document over 48 documents (why workers are replaced
    after RECYCLE_AFTER documents), and pages per second.

Against an earlier commit (`--parts earlier`, `--earlier REV`, default EARLIER): the example
built by this version and by REV (its files taken with `git archive`), A B A B, `--force`
over an earlier build and into a new folder with nothing kept; seconds per page, and every
page of both rendered at 50 dpi and compared image by image.

Memory: `packets build --jobs 1 --force` over each batch size, the peak resident size of the
worker (does it grow with the number of organizations?).

Memory of the whole process tree (`--parts tree`, with `--jobs`): the same builds, sampled
from /proc every 50 ms: the peak of the build's own process, of its largest worker, and of
the sum of all of them at one moment (what the machine must hold).

Usage: python bench/run.py [--sizes 24,96] [--sample 12] [--repeats 3] [--quick] [--output FILE]
                           [--parts batch,common,memory,tree,earlier] [--earlier REV]
Prints the tables, and writes them to bench/results.md (a --quick run only prints them). The
parts measured replace their own sections of the file; the others are kept, with their own
date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PERIOD = 12
# The commit before the work on the common case (issue 17): what its seconds per page are measured against.
EARLIER = "d9cf1ac"

NATIONS = [
    ("xʷməθkʷəy̓əm", "Musqueam", "MUS-kwee-um"),
    ("Sḵwx̱wú7mesh", "Squamish", "SKWA-mish"),
    ("ᓀᐦᐃᔭᐤ", "Plains Cree", "neh-HEE-yow"),
    ("Kanien’kehá:ka", "Mohawk", "ga-nyen-geh-HA-ga"),
    ("Wendat", "Huron-Wendat", "WEN-dat"),
    ("Anishinaabeg", "Anishinaabe peoples", "ah-nish-ih-NAH-beg"),
]

# Runs one command; prints its wall time, the peak RSS of its largest process (KiB), its
# exit status, the last line it wrote (the build summary), and how much CPU the rest of
# the machine used meanwhile (in CPUs, from /proc/stat, minus the command's own CPU time),
# to tell a run disturbed by other work on a shared machine.
MEASURE = textwrap.dedent(
    """
    import json, os, resource, subprocess, sys, time
    def busy():
        try:
            with open("/proc/stat") as stat:
                ticks = [int(x) for x in stat.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        return (sum(ticks[:3]) + sum(ticks[5:8])) / os.sysconf("SC_CLK_TCK")
    before = busy()
    start = time.perf_counter()
    done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - start
    after = busy()
    lines = done.stdout.decode("utf-8", "replace").strip().splitlines() or [""]
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    ours = usage.ru_utime + usage.ru_stime
    other = 0.0 if before is None or after is None else max(0.0, after - before - ours) / wall
    print(json.dumps({"wall": wall, "rss_kib": usage.ru_maxrss, "code": done.returncode, "last": lines[-1],
                      "other": other}))
    """
)

# WeasyPrint alone, in one process, on the given HTML files, with one font configuration
# (its best case). The first argument is the PDF variant: "pdf/ua-1" (tagged, as we write
# them) or "none" (untagged).
ALONE = textwrap.dedent(
    """
    import sys
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration
    fonts = FontConfiguration()
    variant = None if sys.argv[1] == "none" else sys.argv[1]
    suffix = ".alone-" + sys.argv[1].replace("/", "-") + ".pdf"
    for path in sys.argv[2:]:
        HTML(filename=path).write_pdf(path[: -len(".html")] + suffix, font_config=fonts, pdf_variant=variant)
    """
)


@dataclass
class Disturbance:
    """Runs during which other processes used more than `threshold` CPUs on average are run again."""

    threshold: float = 0.15
    budget: float = 150.0  # seconds of reruns, at most, in the whole benchmark
    spent: float = 0.0
    reruns: int = 0
    worst: float = 0.0  # the most disturbed run kept (CPUs used by others, on average)


DISTURBANCE = Disturbance()


def measure_once(cmd: list[object], env: dict[str, str]) -> dict:
    out = subprocess.run([sys.executable, "-c", MEASURE, *map(str, cmd)], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"measuring failed: {out.stderr.strip()}")
    result = json.loads(out.stdout)
    if result["code"] != 0:
        raise SystemExit(f"command failed ({result['code']}): {' '.join(map(str, cmd))}\n{result['last']}")
    return result


def measure(cmd: list[object], env: dict[str, str]) -> dict:
    """One run; run again (twice at most) if other work on the machine disturbed it, keeping the least disturbed."""
    d = DISTURBANCE
    kept = measure_once(cmd, env)
    for _ in range(2):
        # Below a second, /proc/stat's ticks are too coarse to tell.
        if kept["wall"] < 1 or kept["other"] <= d.threshold or d.spent + kept["wall"] > d.budget:
            break
        d.spent += kept["wall"]
        d.reruns += 1
        print(f"    (disturbed: others used {kept['other']:.2f} CPUs; running again)", file=sys.stderr, flush=True)
        again = measure_once(cmd, env)
        kept = again if again["other"] < kept["other"] else kept
    if kept["wall"] >= 1:
        d.worst = max(d.worst, kept["other"])
    return kept


def median(values: list[float]) -> float:
    return statistics.median(values)


def write_orgs(orgs: Path, n: int) -> None:
    orgs.mkdir(parents=True)
    for i in range(n):
        nations = [NATIONS[(i + k) % len(NATIONS)] for k in range(1 + i % 3)]
        lines = [
            f"name: Synthetic Health Centre {i:03d}",
            f"paper: {'a4' if i % 4 == 0 else 'letter'}",
            "workshop:",
            "  format: standard",
            f'  start: "{8 + i % 3:02d}:30"',
            "  date: 2027-03-14",
            "  facilitators:",
            f"    - {{name: Facilitator {i % PERIOD:02d}, role: Health equity lead}}",
            "land_acknowledgement:",
            "  nations:",
        ]
        for name, english, say in nations:
            lines += [f'    - name: "{name}"', f"      english_name: {english}", f'      pronunciation: "{say}"']
        lines += [
            "  territory: Treaty 6 territory" if i % 2 else "  territory: unceded",
            "  commitments:",
            f"    - We meet the local Nations' health committee every {2 + i % 4} months and act on what we hear.",
            "  reviewed_by: Community health committee",
            "  reviewed_on: 2026-10-01",
        ]
        (orgs / f"org-{i:03d}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def snapshot(tmp: Path) -> Path:
    """The checkout as it is now (code, templates, curriculum), so edits made meanwhile change nothing."""
    snap = tmp / "snapshot"
    shutil.copytree(ROOT / "packets", snap / "packets", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "build.py", snap / "build.py")
    shutil.copytree(ROOT / "templates", snap / "templates")
    shutil.copytree(ROOT / "content", snap / "content", ignore=shutil.ignore_patterns("orgs"))
    # Compiled once, as an installed tool is (PYTHONDONTWRITEBYTECODE would otherwise recompile it every run).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(snap / "packets")], check=True)
    return snap


def make_project(snap: Path, name: str, n: int) -> tuple[Path, dict[str, str]]:
    """A copy of the snapshot with `n` synthetic organizations, and its own empty page-flow
    cache (packets/cache.py), so no measurement finds decisions an earlier one made."""
    project = snap.parent / name
    shutil.copytree(snap, project)
    write_orgs(project / "content" / "orgs", n)
    return project, {**os.environ, "PACKETS_ROOT": str(project), "PACKETS_CACHE": str(project / "cache")}


def packets(project: Path, *args: object) -> list[str]:
    return [sys.executable, str(project / "build.py"), "build", "--quiet", *map(str, args)]


def pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(path)).pages)


@dataclass
class Sample:
    orgs: int
    docs: int = 0
    pages: int = 0
    baseline: float = 0.0  # seconds for all the sample's documents
    baseline_rss: int = 0
    page_mismatches: list[str] = field(default_factory=list)
    alone: float = 0.0
    alone_rss: int = 0
    untagged: float = 0.0
    tag_size_ratio: float = 0.0
    jobs1: float = 0.0
    jobs1_rss: int = 0
    runs: int = 0


def run_sample(snap: Path, orgs: int, repeats: int, jobs: int) -> Sample:
    project, env = make_project(snap, "sample", orgs)
    s = Sample(orgs)
    html_out = project / "html"
    measure_once(packets(project, "--html", "--jobs", jobs, "--out", html_out), env)
    html_files = sorted(html_out.rglob("*.html"))
    s.docs = len(html_files)
    s.pages = sum(pages(h.with_suffix(".pdf")) for h in html_files)

    # Runs interleaved, so that a slow moment on the machine touches every row alike.
    per_doc: dict[Path, list[float]] = {h: [] for h in html_files}
    alone, untagged, jobs1 = [], [], []
    for rep in range(repeats):
        print(f"  sample of {orgs} organizations: run {rep + 1} of {repeats}", file=sys.stderr, flush=True)
        for h in html_files:
            r = measure([BIN / "weasyprint", "--pdf-variant", "pdf/ua-1", h, h.with_suffix(".cli.pdf")], env)
            per_doc[h].append(r["wall"])
            s.baseline_rss = max(s.baseline_rss, r["rss_kib"])
        r = measure([sys.executable, "-c", ALONE, "pdf/ua-1", *html_files], env)
        alone.append(r["wall"])
        s.alone_rss = max(s.alone_rss, r["rss_kib"])
        untagged.append(measure([sys.executable, "-c", ALONE, "none", *html_files], env)["wall"])
        r = measure(packets(project, "--jobs", "1", "--force", "--out", project / "out1"), env)
        jobs1.append(r["wall"])
        s.jobs1_rss = max(s.jobs1_rss, r["rss_kib"])
    s.runs = repeats
    s.baseline = sum(median(times) for times in per_doc.values())
    s.alone, s.untagged, s.jobs1 = median(alone), median(untagged), median(jobs1)
    s.page_mismatches = [h.name for h in html_files if pages(h.with_suffix(".cli.pdf")) != pages(h.with_suffix(".pdf"))]
    size = {v: sum(p.stat().st_size for p in html_out.rglob(f"*.alone-{v}.pdf")) for v in ("pdf-ua-1", "none")}
    s.tag_size_ratio = size["pdf-ua-1"] / size["none"]
    shutil.rmtree(project, ignore_errors=True)
    return s


@dataclass
class Batch:
    n: int
    docs: int = 0
    pages: int = 0
    jobs1: float = 0.0
    jobsN: float = 0.0
    jobs1_rss: int = 0
    jobsN_rss: int = 0
    noop: float = 0.0
    noop_summary: str = ""
    identical: bool = False
    runs: int = 0


def run_batch(snap: Path, n: int, repeats: int, jobs: int, budget: float) -> Batch:
    """Forced builds with 1 and `jobs` workers, repeated while one run takes less than `budget` seconds."""
    project, env = make_project(snap, f"batch-{n}", n)
    b = Batch(n, docs=2 * n)
    one, many = [], []
    for rep in range(repeats):
        print(f"  {n} organizations: run {rep + 1}", file=sys.stderr, flush=True)
        r = measure(packets(project, "--jobs", "1", "--force", "--out", project / "out1"), env)
        one.append(r["wall"])
        b.jobs1_rss = max(b.jobs1_rss, r["rss_kib"])
        r = measure(packets(project, "--jobs", jobs, "--force", "--out", project / "outN"), env)
        many.append(r["wall"])
        b.jobsN_rss = max(b.jobsN_rss, r["rss_kib"])
        if one[0] > budget:
            break
    b.runs = len(one)
    b.jobs1, b.jobsN = median(one), median(many)
    pdfs = sorted((project / "out1").rglob("*.pdf"))
    b.pages = sum(pages(p) for p in pdfs)
    b.identical = len(pdfs) == b.docs and all(
        p.read_bytes() == (project / "outN" / p.relative_to(project / "out1")).read_bytes() for p in pdfs
    )
    noops = [measure(packets(project, "--jobs", jobs, "--out", project / "outN"), env) for _ in range(3)]
    b.noop = median([r["wall"] for r in noops])
    b.noop_summary = noops[-1]["last"]
    shutil.rmtree(project, ignore_errors=True)
    return b


@dataclass
class Memory:
    n: int
    docs: int
    pages: int
    peak_mb: float  # the largest single process (the worker), MB = 10**6 bytes
    seconds: float


def run_memory(snap: Path, sizes: list[int]) -> list[Memory]:
    """`packets build --jobs 1 --force` over N organizations: does the peak grow with N?"""
    rows = []
    for n in sizes:
        print(f"  memory: {n} organizations, --jobs 1", file=sys.stderr, flush=True)
        project, env = make_project(snap, f"memory-{n}", n)
        r = measure_once(packets(project, "--jobs", "1", "--force", "--out", project / "out"), env)
        pdfs = sorted((project / "out").rglob("*.pdf"))
        rows.append(Memory(n, len(pdfs), sum(pages(p) for p in pdfs), r["rss_kib"] * 1024 / 1e6, r["wall"]))
        shutil.rmtree(project, ignore_errors=True)
    return rows


# Runs one command and samples, every 50 ms from /proc, the memory of the command and of
# each process under it; prints the peaks (KiB): the command's own RSS, the largest worker's,
# and the whole tree's at one moment, as a sum of RSS and as a sum of PSS (what the machine
# must hold: a page shared after a fork counted once).
TREE = textwrap.dedent(
    """
    import json, os, subprocess, sys, time
    def kib(path, field):
        try:
            with open(path) as numbers:
                for line in numbers:
                    if line.startswith(field):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0
    def rss(pid):
        return kib(f"/proc/{pid}/status", "VmRSS:")
    def pss(pid):
        return kib(f"/proc/{pid}/smaps_rollup", "Pss:")
    def children(pid):
        kids = []
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    with open(f"/proc/{name}/stat") as stat:
                        if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                            kids.append(int(name))
                except (OSError, ValueError, IndexError):
                    pass
        return kids
    start = time.perf_counter()
    build = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    parent = worker = tree = shared = 0
    seen = set()
    while build.poll() is None:
        pids = [build.pid, *children(build.pid)]
        sizes = [rss(p) for p in pids]
        seen.update(pids[1:])
        parent, tree = max(parent, sizes[0]), max(tree, sum(sizes))
        worker = max([worker, *sizes[1:]])
        shared = max(shared, sum(pss(p) for p in pids))
        time.sleep(0.05)
    err = build.stderr.read().decode("utf-8", "replace")
    print(json.dumps({"wall": time.perf_counter() - start, "code": build.returncode, "parent": parent,
                      "worker": worker, "tree": tree, "pss": shared, "workers": len(seen), "err": err[-500:]}))
    """
)


@dataclass
class Tree:
    n: int
    docs: int
    parent_mb: float
    worker_mb: float
    tree_mb: float  # the sum of resident sizes (pages shared after a fork count in each process)
    pss_mb: float  # the sum of proportional sizes (each shared page counted once): the tree's real memory
    workers: int
    seconds: float


def run_tree(snap: Path, sizes: list[int], jobs: int) -> list[Tree]:
    """`packets build --jobs J --force` over N organizations: the peak of the build's own
    process, of its largest worker, and of the whole tree at once, sampled from /proc."""
    rows = []
    for n in sizes:
        print(f"  tree memory: {n} organizations, --jobs {jobs}", file=sys.stderr, flush=True)
        project, env = make_project(snap, f"tree-{n}", n)
        cmd = packets(project, "--jobs", jobs, "--force", "--out", project / "out")
        out = subprocess.run([sys.executable, "-c", TREE, *map(str, cmd)], env=env, capture_output=True, text=True)
        r = json.loads(out.stdout)
        if r["code"] != 0:
            raise SystemExit(f"build failed ({r['code']}): {r['err']}")
        docs = len(list((project / "out").rglob("*.pdf")))
        peaks = [r[what] * 1024 / 1e6 for what in ("parent", "worker", "tree", "pss")]
        rows.append(Tree(n, docs, *peaks, r["workers"], r["wall"]))
        print(f"    {rows[-1]}", file=sys.stderr, flush=True)
        shutil.rmtree(project, ignore_errors=True)
    return rows


def report_tree(rows: list[Tree], jobs: int, load_before: tuple[float, ...], elapsed: float) -> str:
    first, last = rows[0], rows[-1]
    growth = last.pss_mb / first.pss_mb - 1
    lines = [
        "# Memory of the whole process tree: flat in the size of the batch",
        "",
        machine(load_before),
        "",
        f"`packets build --jobs {jobs} --force` over N synthetic organizations (guide and handout each), "
        "memory sampled every 50 ms from /proc: the resident size (RSS) of the build's own process and of "
        "its largest worker, and for the whole tree at one moment the sum of RSS (a page a worker shares "
        "with the process it was forked from counts in both) and the sum of PSS (each page counted once: "
        "what the machine must hold). Peaks; MB = 10⁶ bytes.",
        "",
        "| organizations | documents | build process RSS | largest worker RSS | tree, sum of RSS "
        "| tree, sum of PSS | workers started | wall time |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        *(
            f"| {r.n} | {r.docs} | {r.parent_mb:.1f} MB | {r.worker_mb:.1f} MB | {r.tree_mb:.1f} MB "
            f"| {r.pss_mb:.1f} MB | {r.workers} | {r.seconds:.0f} s |"
            for r in rows
        ),
        "",
        f"From {first.docs} to {last.docs} documents the whole tree's peak (PSS) changes by {growth * 100:+.1f}% "
        f"(target: within 5%): {'met' if abs(growth) <= 0.05 else '**missed**'}; its sum of RSS by "
        f"{(last.tree_mb / first.tree_mb - 1) * 100:+.1f}%, the build's own process by "
        f"{(last.parent_mb / first.parent_mb - 1) * 100:+.1f}%, the largest worker by "
        f"{(last.worker_mb / first.worker_mb - 1) * 100:+.1f}%.",
        "",
        f"This part took {elapsed:.0f} s. Reproduce with `python bench/run.py --parts tree --sizes "
        f"{','.join(str(r.n) for r in rows)} --jobs {jobs}`.",
        "",
    ]
    return "\n".join(lines)


def report_memory(rows: list[Memory], load_before: tuple[float, ...], elapsed: float) -> str:
    from packets.write.workers import RECYCLE_AFTER

    first, last = rows[0], rows[-1]
    growth = last.peak_mb / first.peak_mb - 1
    lines = [
        "# Memory: the peak does not grow with the batch",
        "",
        machine(load_before),
        "",
        f"`packets build --jobs 1 --force` over N synthetic organizations (guide and handout each); peak "
        f"resident memory of the largest process (the worker), MB = 10⁶ bytes. A worker is replaced after "
        f"RECYCLE_AFTER = {RECYCLE_AFTER} documents.",
        "",
        "| organizations | documents | pages | peak memory | wall time |",
        "| --- | --- | --- | --- | --- |",
        *(f"| {r.n} | {r.docs} | {r.pages} | {r.peak_mb:.1f} MB | {r.seconds:.0f} s |" for r in rows),
        "",
        f"From {first.n} to {last.n} organizations the peak changes by {growth * 100:+.1f}% "
        f"(target: at most +5%): {'met' if growth <= 0.05 else '**missed**'}.",
        "",
        f"This part took {elapsed:.0f} s. Reproduce with `python bench/run.py --parts memory`.",
        "",
    ]
    return "\n".join(lines)


def merge_results(old: str, new: dict[str, str]) -> str:
    """The file's top-level sections (`# ...`), with those measured now replaced and the rest
    kept as they were (each says when it was measured); new sections go first."""
    sections: list[tuple[str, str]] = []
    for chunk in ("\n" + old).split("\n# ")[1:]:
        heading = chunk.splitlines()[0]
        sections.append((heading, "# " + chunk.rstrip("\n") + "\n"))
    kinds = {
        "common": "The common case",
        "batch": "Batch build benchmark",
        "memory": "Memory:",
        "tree": "Memory of the whole process tree",
        "earlier": "Against",
    }
    kept = [text for heading, text in sections if not any(heading.startswith(kinds[k]) for k in new)]
    order = ("common", "earlier", "memory", "tree", "batch")
    return "\n".join([*(new[k].rstrip("\n") + "\n" for k in order if k in new), *kept])


@dataclass
class Common:
    bare: float = 0.0  # the two documents, one `weasyprint` process each, one after the other
    ours: float = 0.0  # `packets build example --force` over an earlier build, default jobs
    fresh: float = 0.0  # `packets build example` into an empty folder (as after an edit to the file)
    fresh_ratio: float = 0.0
    edited: float = 0.0  # `packets build example` after an edit to the file's location (the cover)
    edited_ratio: float = 0.0
    ratio: float = 0.0  # median of the pair-by-pair ratios
    guide_alone: float = 0.0  # the guide alone, bare command: what bounds a one-organization build
    pages: int = 0
    runs: int = 0
    quick: dict[str, tuple[float, float]] = field(default_factory=dict)  # median, quickest
    worker: list[tuple[int, float, float]] = field(default_factory=list)  # (documents, MB, seconds)
    setup: float = 0.0
    setup_mb: float = 0.0


QUICK = [
    ("check example", ["check", "example"]),
    ("list", ["list"]),
    ("plan example", ["plan", "example"]),
    ("init --help", ["init", "--help"]),
    ("schema", ["schema"]),
    ("reference", ["reference"]),
    ("help", ["help"]),
    ("--help", ["--help"]),
]

# One worker's life, measured from inside: set-up, then the same documents again and again,
# the resident size and the seconds after each one.
WORKER = textwrap.dedent(
    """
    import json, sys, time
    t = time.perf_counter()
    from pathlib import Path
    from packets.write import workers
    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096 / 1e6
    renderer = workers.set_up_renderer(Path(sys.argv[1]))
    print(json.dumps({"setup": time.perf_counter() - t, "mb": rss()}), flush=True)
    # What the parent of a build does for each document: read, plan, write the HTML.
    from packets.load.curriculum import Project, load_curriculum
    from packets.load.orgfiles import find_sources
    from packets.write.batch import shared_inputs_digest
    from packets.write.pipeline import BuildOptions, documents_of, prepare_document
    project = Project(Path(sys.argv[1]))
    curriculum, shared = load_curriculum(project), shared_inputs_digest(project)
    sources = find_sources(project, [])
    options = BuildOptions(out_dir=Path(sys.argv[2]))
    n = 0
    while n < int(sys.argv[3]):
        for source in sources:
            for audience, large, kind, _ in documents_of(options):
                job = prepare_document(source, project, curriculum, options, audience, large, kind, shared)
                start = time.perf_counter()
                result = workers.render_in_worker(renderer, job, False)
                assert result.status == "rendered", result
                n += 1
                print(json.dumps({"n": n, "mb": rss(), "s": time.perf_counter() - start}), flush=True)
    """
)


def run_common(snap: Path, repeats: int, jobs: int, worker_docs: int) -> Common:
    project, env = make_project(snap, "common", 0)
    shutil.copy2(ROOT / "content" / "orgs" / "example.yaml", project / "content" / "orgs" / "example.yaml")
    c = Common()
    html_out = project / "html"
    measure_once(packets(project, "example", "--html", "--out", html_out), env)
    html_files = sorted(html_out.rglob("*.html"))  # the guide, then the handout
    c.pages = sum(pages(h.with_suffix(".pdf")) for h in html_files)
    measure_once(packets(project, "example", "--out", project / "out"), env)  # what a rebuild finds
    bare, ours, ratios, guide, fresh, fresh_ratios, edited, edited_ratios = [], [], [], [], [], [], [], []
    org_file = project / "content" / "orgs" / "example.yaml"
    original = org_file.read_text(encoding="utf-8")
    room = "  location: Room 2B, 120 River Street"
    assert room in original, "the example's location line moved: update the bench"
    for rep in range(repeats):
        print(f"  one organization: run {rep + 1} of {repeats}", file=sys.stderr, flush=True)
        times = [
            measure_once([BIN / "weasyprint", "--pdf-variant", "pdf/ua-1", h, h.with_suffix(".cli.pdf")], env)["wall"]
            for h in html_files
        ]
        r = measure_once(packets(project, "example", "--force", "--jobs", jobs, "--out", project / "out"), env)
        shutil.rmtree(project / "fresh", ignore_errors=True)
        # As after an edit to the file: new HTML, so no page-flow decisions to take back.
        cold = {**env, "PACKETS_CACHE": "off"}
        f = measure_once(packets(project, "example", "--jobs", jobs, "--out", project / "fresh"), cold)
        fresh.append(f["wall"])
        fresh_ratios.append(f["wall"] / sum(times))
        # The common case itself: the coordinator changes the room and builds again (a new
        # location each run, so the documents are new; their other sections are not).
        org_file.write_text(original.replace(room, f"  location: Room {rep + 3}C, 120 River Street"), encoding="utf-8")
        e = measure_once(packets(project, "example", "--jobs", jobs, "--out", project / "out"), env)
        org_file.write_text(original, encoding="utf-8")
        edited.append(e["wall"])
        edited_ratios.append(e["wall"] / sum(times))
        bare.append(sum(times))
        guide.append(max(times))
        ours.append(r["wall"])
        ratios.append(r["wall"] / sum(times))
    c.bare, c.ours, c.ratio, c.guide_alone, c.runs = median(bare), median(ours), median(ratios), median(guide), repeats
    c.fresh, c.fresh_ratio = median(fresh), median(fresh_ratios)
    c.edited, c.edited_ratio = median(edited), median(edited_ratios)
    # Each command in turn, round after round, so a busy moment of the machine falls on all
    # of them; the median and the quickest of 11 runs. The cache is warm, as for a coordinator's
    # second command; the last row is `check` with nothing kept (PACKETS_CACHE=off).
    cold = {**env, "PACKETS_CACHE": "off"}
    runs = [(name, args, env) for name, args in QUICK] + [("check example (nothing kept)", ["check", "example"], cold)]
    walls: dict[str, list[float]] = {name: [] for name, _, _ in runs}
    for _ in range(max(11, repeats)):
        for name, args, where in runs:
            walls[name].append(measure_once([sys.executable, str(project / "build.py"), *args], where)["wall"])
    c.quick = {name: (median(times), min(times)) for name, times in walls.items()}
    print(f"  one worker, {worker_docs} documents ...", file=sys.stderr, flush=True)
    done = subprocess.run(
        [sys.executable, "-c", WORKER, str(project), str(project / "worker"), str(worker_docs)],
        env={**env, "PYTHONPATH": str(project)},
        cwd=project,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"the worker measurement failed:\n{done.stderr.strip()}")
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    c.setup, c.setup_mb = lines[0]["setup"], lines[0]["mb"]
    c.worker = [(d["n"], d["mb"], d["s"]) for d in lines[1:]]
    shutil.rmtree(project, ignore_errors=True)
    return c


def report_common(c: Common, jobs: int, load_before: tuple[float, ...], elapsed: float) -> str:
    from packets.write.workers import RECYCLE_AFTER

    out = ["# The common case: one organization, quick commands, a worker's memory", "", machine(load_before), ""]
    out += [
        "Whole processes, wall time, median of the runs. The machine was shared with other work while this ran "
        "(see the load average): compare the ratios, which were taken run by run side by side, rather than the "
        "seconds.",
        "",
        f"## One organization (the example: guide and handout, {c.pages} pages), {c.runs} runs",
        "",
        "| | seconds | vs bare command |",
        "| --- | --- | --- |",
        f"| bare `weasyprint` command on the two HTML documents, one after the other | {c.bare:.2f} s | 1.00× |",
        f"| `packets build example --force` (`--jobs {jobs}`), over an earlier build | {c.ours:.2f} s "
        f"| {c.ratio:.2f}× |",
        f"| `packets build example` after an edit to the file (a new location: the cover changes, "
        f"the other sections keep their page-flow decisions) | {c.edited:.2f} s | {c.edited_ratio:.2f}× |",
        f"| `packets build example` into an empty folder, nothing kept (`--jobs {jobs}`, `PACKETS_CACHE=off`: "
        f"every page-flow decision made afresh) | {c.fresh:.2f} s | {c.fresh_ratio:.2f}× |",
        f"| the guide alone, bare command (the long pole) | {c.guide_alone:.2f} s | {c.guide_alone / c.bare:.2f}× |",
        "",
        f"Pages per second, one organization: {c.pages / c.ours:.1f} (bare command: {c.pages / c.bare:.1f}).",
        "",
        "## Quick commands (on the example)",
        "",
        "| command | median of 11 | quickest |",
        "| --- | --- | --- |",
    ]
    out += [f"| `packets {name}` | {t:.2f} s | {low:.2f} s |" for name, (t, low) in c.quick.items()]
    first = c.worker[0]
    marks = [w for w in c.worker if w[0] in (1, 2, 6, 12, 24, 36, 48) or w is c.worker[-1]]
    per_doc = (c.worker[-1][1] - c.worker[1][1]) / max(1, c.worker[-1][0] - c.worker[1][0])
    docs_s = median([w[2] for w in c.worker])
    out += [
        "",
        f"## One worker's memory, {len(c.worker)} documents (the example's two, again and again)",
        "",
        f"Set-up: {c.setup:.2f} s, {c.setup_mb:.0f} MB resident.",
        "",
        "| documents rendered | resident MB | seconds for that document |",
        "| --- | --- | --- |",
    ]
    out += [f"| {n} | {m:.1f} | {s:.2f} |" for n, m, s in marks]
    out += [
        "",
        f"Growth after the first document: {per_doc:.2f} MB per document (from {first[1]:.0f} MB). A worker is "
        f"replaced after RECYCLE_AFTER = {RECYCLE_AFTER} documents: its growth is then at most "
        f"{per_doc * RECYCLE_AFTER:.1f} MB ({per_doc * RECYCLE_AFTER / c.worker[-1][1]:.1%} of its size), and a new "
        f"worker's set-up ({c.setup:.2f} s) is {c.setup / (RECYCLE_AFTER * docs_s):.1%} of the "
        f"{RECYCLE_AFTER * docs_s:.0f} s its documents take. The peak of a batch no longer depends on its size.",
        "",
        f"This part took {elapsed:.0f} s. Reproduce with `python bench/run.py --parts common`.",
    ]
    return "\n".join(out) + "\n"


@dataclass
class Earlier:
    rev: str
    commit: str = ""
    pairs: int = 0
    pages: tuple[int, int] = (0, 0)  # ours, theirs
    force: tuple[float, float, float] = (0.0, 0.0, 0.0)  # ours, theirs, median ratio of the pairs
    fresh: tuple[float, float, float] = (0.0, 0.0, 0.0)
    images: int = 0  # pages compared
    differing: list[str] = field(default_factory=list)  # pages whose images differ


def export(rev: str, into: Path) -> str:
    """The files of `rev` that a build runs on, as `snapshot` takes them now; returns the commit."""
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", f"{rev}^{{commit}}"], capture_output=True, text=True
    )
    if commit.returncode != 0:
        raise SystemExit(f"--earlier {rev}: no such commit in this checkout")
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit.stdout.strip(), "packets", "build.py", "templates", "content"],
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    shutil.rmtree(into / "content" / "orgs", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(into / "packets")], check=True)
    return commit.stdout.strip()[:12]


def page_images(pdf: Path, into: Path) -> list[Path]:
    into.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(into / pdf.stem)], check=True)
    return sorted(into.glob("*.png"))


def run_earlier(snap: Path, rev: str, repeats: int, jobs: int) -> Earlier:
    """The example built by this version (A) and by `rev` (B), in turn, with the same organization file."""
    e = Earlier(rev)
    ours, env_a = make_project(snap, "now", 0)
    theirs = snap.parent / "earlier"
    e.commit = export(rev, theirs)
    env_b = {**os.environ, "PACKETS_ROOT": str(theirs), "PACKETS_CACHE": str(theirs / "cache")}
    for project in (ours, theirs):
        (project / "content" / "orgs").mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / "content" / "orgs" / "example.yaml", project / "content" / "orgs" / "example.yaml")
    sides = [(ours, env_a), (theirs, env_b)]
    for project, env in sides:  # what `--force` builds over
        measure_once(packets(project, "example", "--jobs", jobs, "--out", project / "out"), env)
    force: list[tuple[float, float]] = []
    fresh: list[tuple[float, float]] = []
    for rep in range(repeats):
        print(f"  against {rev}: pair {rep + 1} of {repeats}", file=sys.stderr, flush=True)
        walls = []
        for project, env in sides:
            walls.append(measure(packets(project, "example", "--force", "--jobs", jobs, "--out", project / "out"), env))
        force.append((walls[0]["wall"], walls[1]["wall"]))
        walls = []
        for project, env in sides:
            shutil.rmtree(project / "fresh", ignore_errors=True)
            cold = {**env, "PACKETS_CACHE": "off"}
            walls.append(measure(packets(project, "example", "--jobs", jobs, "--out", project / "fresh"), cold))
        fresh.append((walls[0]["wall"], walls[1]["wall"]))
    e.pairs = repeats
    e.force = (median([a for a, _ in force]), median([b for _, b in force]), median([a / b for a, b in force]))
    e.fresh = (median([a for a, _ in fresh]), median([b for _, b in fresh]), median([a / b for a, b in fresh]))
    pdfs = [sorted((project / "out" / "example").glob("*.pdf")) for project, _ in sides]
    if [p.name for p in pdfs[0]] != [p.name for p in pdfs[1]]:
        raise SystemExit(f"the two versions wrote different files: {pdfs}")
    e.pages = (sum(pages(p) for p in pdfs[0]), sum(pages(p) for p in pdfs[1]))
    for a, b in zip(pdfs[0], pdfs[1], strict=True):
        images_a = page_images(a, snap.parent / "images-now")
        images_b = page_images(b, snap.parent / "images-earlier")
        images_a = [i for i in images_a if i.name.startswith(a.stem + "-")]
        images_b = [i for i in images_b if i.name.startswith(b.stem + "-")]
        e.images += max(len(images_a), len(images_b))
        if len(images_a) != len(images_b):
            e.differing.append(f"{a.name}: {len(images_a)} pages against {len(images_b)}")
            continue
        for x, y in zip(images_a, images_b, strict=True):
            if x.read_bytes() != y.read_bytes():
                e.differing.append(f"{a.stem} page {int(x.stem.rsplit('-', 1)[1])}")
    shutil.rmtree(ours, ignore_errors=True)
    shutil.rmtree(theirs, ignore_errors=True)
    return e


def _change(ratio: float) -> str:
    return f"{ratio - 1:+.0%}".replace("-", "−")


def report_earlier(e: Earlier, jobs: int, load_before: tuple[float, ...], elapsed: float) -> str:
    per_page = [(a / e.pages[0], b / e.pages[1]) for a, b, _ in (e.force, e.fresh)]
    same = e.images - len(e.differing)
    out = [
        f"# Against an earlier commit ({e.rev}): seconds per page, side by side in one run",
        "",
        machine(load_before),
        "",
        f"Whole processes, A (this version) and B ({e.rev}, commit {e.commit}, its files taken with `git archive` "
        f"and run with the same virtual environment) in turn, A B A B, {e.pairs} pairs, the ratio taken pair by "
        f"pair; medians. The example organization (the same file for both), default `--jobs` ({jobs}).",
        "",
        "| | A | B | A/B |",
        "| --- | --- | --- | --- |",
        f"| `packets build example --force` over an earlier build | {e.force[0]:.2f} s | {e.force[1]:.2f} s "
        f"| {e.force[2]:.2f}× |",
        f"| the same, seconds per page | {per_page[0][0]:.3f} s | {per_page[0][1]:.3f} s "
        f"| {e.force[2] * e.pages[1] / e.pages[0]:.2f}× ({_change(e.force[2] * e.pages[1] / e.pages[0])}) |",
        f"| `packets build example` into a new folder, nothing kept | {e.fresh[0]:.2f} s | {e.fresh[1]:.2f} s "
        f"| {e.fresh[2]:.2f}× |",
        f"| the same, seconds per page | {per_page[1][0]:.3f} s | {per_page[1][1]:.3f} s "
        f"| {e.fresh[2] * e.pages[1] / e.pages[0]:.2f}× ({_change(e.fresh[2] * e.pages[1] / e.pages[0])}) |",
        "",
        f"Pages: {e.pages[0]} (A) and {e.pages[1]} (B). Page images at 50 dpi (`pdftoppm -r 50`), compared byte for "
        f"byte: {same} of {e.images} the same" + (f"; different: {', '.join(e.differing)}." if e.differing else "."),
        "",
        f"This part took {elapsed:.0f} s. Reproduce with `python bench/run.py --parts earlier --earlier {e.rev}`.",
    ]
    return "\n".join(out) + "\n"


def tool_version() -> str:
    text = (ROOT / "packets" / "__init__.py").read_text(encoding="utf-8")
    return next((line.split("=")[1].strip().strip("\"'") for line in text.splitlines() if "__version__" in line), "?")


def machine(load_before: tuple[float, ...]) -> str:
    from importlib.metadata import version

    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load_after = os.getloadavg()
    return (
        f"Measured {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs ({cpu}), {mem_gib:.0f} GiB memory; Python {platform.python_version()}, "
        f"WeasyPrint {version('weasyprint')}, packets {tool_version()}. "
        f"Load average (1 min) {load_before[0]:.2f} before, {load_after[0]:.2f} after."
    )


def mb(kib: int) -> float:
    return kib * 1024 / 1e6


def report(s: Sample, batches: list[Batch], jobs: int, elapsed: float, load_before: tuple[float, ...]) -> str:
    base = s.baseline / s.docs
    out = ["# Batch build benchmark", "", machine(load_before), ""]
    out += [
        "Standard-format packets: a facilitator guide and a participant handout per organization, written as "
        "PDF/UA-1 (tagged). Every time is the wall time of whole processes, start to exit, median of the runs; "
        "memory is the peak resident size of the largest single process (for `--jobs "
        f"{jobs}`, the largest worker). MB = 10⁶ bytes.",
        "",
        f"## The same {s.docs} documents ({s.orgs} organizations, {s.pages} pages), side by side, {s.runs} runs each",
        "",
        "| | whole run | per document | vs baseline | peak memory |",
        "| --- | --- | --- | --- | --- |",
        f"| baseline: `weasyprint` command, one process per document | {s.baseline:.1f} s | {base:.2f} s | 1.00× "
        f"| {mb(s.baseline_rss):.0f} MB |",
        f"| WeasyPrint alone, one process, tagged (PDF/UA-1) | {s.alone:.1f} s | {s.alone / s.docs:.2f} s "
        f"| {s.alone / s.baseline:.2f}× | {mb(s.alone_rss):.0f} MB |",
        f"| WeasyPrint alone, one process, untagged | {s.untagged:.1f} s | {s.untagged / s.docs:.2f} s "
        f"| {s.untagged / s.baseline:.2f}× | |",
        f"| `packets build --jobs 1` | {s.jobs1:.1f} s | {s.jobs1 / s.docs:.2f} s | {s.jobs1 / s.baseline:.2f}× "
        f"| {mb(s.jobs1_rss):.0f} MB |",
        "",
        f"## Whole batches (`--force`; {', '.join(f'N={b.n}: {b.runs} run(s)' for b in batches)})",
        "",
        f"| organizations (documents, pages) | `--jobs 1` per document | `--jobs {jobs}` per document "
        f"| `--jobs {jobs}` speed-up | no-op rebuild | peak memory `--jobs 1` "
        f"| peak memory per worker `--jobs {jobs}` |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for b in batches:
        out.append(
            f"| {b.n} ({b.docs}, {b.pages}) | {b.jobs1 / b.docs:.2f} s ({b.jobs1 / b.docs / base:.2f}×) "
            f"| {b.jobsN / b.docs:.2f} s ({b.jobsN / b.docs / base:.2f}×) | {b.jobs1 / b.jobsN:.2f}× "
            f"| {b.noop:.2f} s | {mb(b.jobs1_rss):.0f} MB | {mb(b.jobsN_rss):.0f} MB |"
        )

    def mark(ok: bool) -> str:
        return "met" if ok else "**missed**"

    overhead = s.jobs1 / s.alone - 1
    first, last = batches[0], batches[-1]
    time_growth = (last.jobs1 / last.docs) / (first.jobs1 / first.docs)
    mem_growth = max(last.jobs1_rss / first.jobs1_rss, last.jobsN_rss / first.jobsN_rss)
    peak = max(max(b.jobs1_rss, b.jobsN_rss) for b in batches)
    out += [
        "",
        "## Targets",
        "",
        "- `--jobs 1` per document ≤ 0.75× the baseline: "
        + ", ".join(f"N={b.n} {b.jobs1 / b.docs / base:.2f}×" for b in batches)
        + f" ({s.jobs1 / s.baseline:.2f}× on the sample): "
        + mark(all(b.jobs1 / b.docs / base <= 0.75 for b in batches)),
        f"- `--jobs {jobs}` ≥ 1.7× faster than `--jobs 1`: "
        + ", ".join(f"N={b.n} {b.jobs1 / b.jobsN:.2f}×" for b in batches)
        + ": "
        + mark(all(b.jobs1 / b.jobsN >= 1.7 for b in batches)),
        "- no-op rebuild < 1 s: "
        + ", ".join(f"N={b.n} {b.noop:.2f} s" for b in batches)
        + ": "
        + mark(all(b.noop < 1 for b in batches))
        + f" (it printed: `{last.noop_summary}`)",
        f"- pipeline overhead on top of WeasyPrint alone ≤ 10% (same documents, whole processes): {overhead:+.1%}: "
        + mark(overhead <= 0.10),
        f"- peak memory per worker flat in N (within 10%) and < 200 MB: from N={first.n} to N={last.n} "
        f"×{mem_growth:.2f}, largest {mb(peak):.0f} MB: " + mark(mem_growth <= 1.10 and mb(peak) < 200),
        "",
        "## Also",
        "",
        f"- From N={first.n} to N={last.n}, time per document with `--jobs 1` changes ×{time_growth:.2f}, "
        f"with `--jobs {jobs}` ×{(last.jobsN / last.docs) / (first.jobsN / first.docs):.2f}; peak memory "
        f"×{last.jobs1_rss / first.jobs1_rss:.2f} (`--jobs 1`), ×{last.jobsN_rss / first.jobsN_rss:.2f} "
        f"(per worker, `--jobs {jobs}`).",
        f"- Cost of PDF tagging (PDF/UA-1 against untagged, WeasyPrint alone): {s.alone / s.untagged - 1:+.0%} "
        f"render time, {s.tag_size_ratio - 1:+.0%} file size.",
        "- Page counts of the baseline's PDFs against ours: "
        + (
            f"all {s.docs} equal."
            if not s.page_mismatches
            else f"{len(s.page_mismatches)} differ: {', '.join(s.page_mismatches)}."
        ),
        f"- Other work on the machine: runs during which other processes used more than "
        f"{DISTURBANCE.threshold:.2f} CPUs on average were run again ({DISTURBANCE.reruns} reruns); the most disturbed "
        f"run kept had others using {DISTURBANCE.worst:.2f} CPUs on average.",
        f"- `--jobs {jobs}` wrote byte-identical PDFs to `--jobs 1`: "
        + ", ".join(f"N={b.n} {'yes' if b.identical else 'NO'}" for b in batches)
        + ".",
        "",
        f"Whole benchmark took {elapsed:.0f} s. Reproduce with `make bench` (`python bench/run.py --quick` for a "
        "fast run).",
    ]
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="24,96", help="organization counts, comma-separated (default 24,96)")
    parser.add_argument("--sample", type=int, default=PERIOD, help="organizations rendered every way (default 12)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each measurement (default 3)")
    parser.add_argument(
        "--budget",
        type=float,
        default=60.0,
        help="whole batches are run again only while one `--jobs 1` run takes less than this (seconds)",
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="workers of the parallel build")
    parser.add_argument(
        "--parts",
        default="batch,common,memory,earlier",
        help="what to measure: batch, common, memory, tree, earlier (comma-separated)",
    )
    parser.add_argument("--earlier", default=EARLIER, help=f"the commit `earlier` compares with (default {EARLIER})")
    parser.add_argument("--quick", action="store_true", help="a fast run: sizes 4,8, a sample of 2, one run each")
    parser.add_argument(
        "--output", type=Path, default=None, help="file for the tables (default bench/results.md; --quick: none)"
    )
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.sample, args.repeats = "4,8", 2, 1
    sizes = [int(x) for x in args.sizes.split(",")]
    load_before = os.getloadavg()
    machine(load_before)  # fails now rather than after the measurements
    started = time.perf_counter()
    parts = set(args.parts.split(","))
    texts: dict[str, str] = {}
    output = args.output or (None if args.quick else ROOT / "bench" / "results.md")
    with tempfile.TemporaryDirectory(prefix="packets-bench-") as tmp:
        snap = snapshot(Path(tmp))
        if "common" in parts:
            print("the common case ...", file=sys.stderr, flush=True)
            common = run_common(snap, args.repeats, args.jobs, 8 if args.quick else 48)
            texts["common"] = report_common(common, args.jobs, load_before, time.perf_counter() - started)
        if "earlier" in parts:
            print(f"against {args.earlier} ...", file=sys.stderr, flush=True)
            begun = time.perf_counter()
            earlier = run_earlier(snap, args.earlier, max(args.repeats, 3), args.jobs)
            texts["earlier"] = report_earlier(earlier, args.jobs, load_before, time.perf_counter() - begun)
        if "memory" in parts:
            print("memory over batch sizes ...", file=sys.stderr, flush=True)
            begun = time.perf_counter()
            rows = run_memory(snap, sizes)
            texts["memory"] = report_memory(rows, load_before, time.perf_counter() - begun)
        if "tree" in parts:
            print("memory of the whole process tree over batch sizes ...", file=sys.stderr, flush=True)
            begun = time.perf_counter()
            tree_rows = run_tree(snap, sizes, args.jobs)
            texts["tree"] = report_tree(tree_rows, args.jobs, load_before, time.perf_counter() - begun)
        if "batch" in parts:
            print(f"sample of {args.sample} organizations, every way ...", file=sys.stderr, flush=True)
            sample = run_sample(snap, args.sample, args.repeats, args.jobs)
            batches = []
            for n in sizes:
                print(f"batch of {n} organizations ...", file=sys.stderr, flush=True)
                batches.append(run_batch(snap, n, args.repeats, args.jobs, args.budget))
            texts["batch"] = report(sample, batches, args.jobs, time.perf_counter() - started, load_before)
    old = output.read_text(encoding="utf-8") if output and output.exists() else ""
    text = merge_results(old, texts)
    if output:
        output.write_text(text, encoding="utf-8")
    print("\n".join(texts.values()))


if __name__ == "__main__":
    main()
