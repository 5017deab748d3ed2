"""Benchmark batch builds side by side, in one run, on this machine.

Generates N synthetic organisations in a temporary copy of the project and measures,
as whole processes (wall time and peak resident memory of the largest process):

1. the baseline a user would otherwise run: one `weasyprint` command per document, on
   the very HTML our pipeline produces (`packets build --html`), for a sample of documents;
2. WeasyPrint alone rendering that same HTML in one process (the floor for our pipeline);
3. `packets build --jobs 1` and `--jobs <CPU count>`;
4. a no-op rebuild (nothing changed).

Usage: python bench/run.py [--sizes 24,96] [--sample 8] [--quick]
Writes the table to bench/results.md and prints it.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

NATIONS = [
    ("xʷməθkʷəy̓əm", "Musqueam", "MUS-kwee-um"),
    ("Sḵwx̱wú7mesh", "Squamish", "SKWA-mish"),
    ("ᓀᐦᐃᔭᐤ", "Plains Cree", "neh-HEE-yow"),
    ("Kanien’kehá:ka", "Mohawk", "ga-nyen-geh-HA-ga"),
    ("Wendat", "Huron-Wendat", "WEN-dat"),
    ("Anishinaabeg", "Anishinaabe peoples", "ah-nish-ih-NAH-beg"),
]

# Runs a command and prints its wall time and the peak RSS of its largest process (KiB).
MEASURE = textwrap.dedent(
    """
    import json, resource, subprocess, sys, time
    start = time.perf_counter()
    code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    wall = time.perf_counter() - start
    print(json.dumps({"wall": wall, "rss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "code": code}))
    """
)

# WeasyPrint alone, in one process, on the given HTML files (one font configuration, as we do).
# The first argument is the PDF variant ("pdf/ua-1" tagged, as we write them, or "none" untagged).
ALONE = textwrap.dedent(
    """
    import sys, time
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration
    fonts = FontConfiguration()
    variant = None if sys.argv[1] == "none" else sys.argv[1]
    for path in sys.argv[2:]:
        HTML(filename=path).write_pdf(f"{path}.{sys.argv[1].replace('/', '-')}.alone.pdf", font_config=fonts,
                                      pdf_variant=variant)
    """
)


def measure(cmd: list[str], cwd: Path, env: dict[str, str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, *cmd], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout)
    if result["code"] not in (0,):
        raise SystemExit(f"command failed ({result['code']}): {' '.join(cmd)}")
    return result


def make_project(tmp: Path, n: int) -> Path:
    project = tmp / f"project-{n}"
    shutil.copytree(ROOT / "templates", project / "templates")
    shutil.copytree(ROOT / "content", project / "content", ignore=shutil.ignore_patterns("orgs"))
    orgs = project / "content" / "orgs"
    orgs.mkdir()
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
            f"    - {{name: Facilitator {i}, role: Health equity lead}}",
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
    return project


def pages_of(folder: Path) -> int:
    from pypdf import PdfReader

    return sum(len(PdfReader(str(p)).pages) for p in folder.rglob("*.pdf") if ".alone" not in p.name)


def run_size(tmp: Path, n: int, sample: int, jobs: int) -> dict:
    project = make_project(tmp, n)
    env = {**os.environ, "PACKETS_ROOT": str(project)}
    packets = [sys.executable, str(ROOT / "build.py"), "build", "--quiet"]
    docs = 2 * n
    row: dict = {"n": n, "docs": docs}

    html_out = project / "out-html"
    measure([*packets, "--html", "--jobs", str(jobs), "--out", str(html_out)], project, env)
    html_files = sorted(html_out.rglob("*.html"))[: 2 * sample]

    base_times = []
    base_rss = 0
    for html in html_files:
        r = measure(
            [str(BIN / "weasyprint"), "--pdf-variant", "pdf/ua-1", str(html), str(html) + ".cli.pdf"], project, env
        )
        base_times.append(r["wall"])
        base_rss = max(base_rss, r["rss_kib"])
    row["baseline_per_doc"] = statistics.median(base_times)
    row["baseline_rss_mib"] = base_rss / 1024

    alone = measure([sys.executable, "-c", ALONE, "pdf/ua-1", *map(str, html_files)], project, env)
    row["alone_per_doc"] = alone["wall"] / len(html_files)
    untagged = measure([sys.executable, "-c", ALONE, "none", *map(str, html_files)], project, env)
    row["untagged_per_doc"] = untagged["wall"] / len(html_files)
    size = {v: sum(p.stat().st_size for p in html_out.rglob(f"*.{v}.alone.pdf")) for v in ("pdf-ua-1", "none")}
    row["tag_size_ratio"] = size["pdf-ua-1"] / size["none"]

    one = measure([*packets, "--jobs", "1", "--force", "--out", str(project / "out1")], project, env)
    row["jobs1_per_doc"] = one["wall"] / docs
    row["jobs1_rss_mib"] = one["rss_kib"] / 1024
    row["pages"] = pages_of(project / "out1")

    many = measure([*packets, "--jobs", str(jobs), "--force", "--out", str(project / "outN")], project, env)
    row["jobsN_per_doc"] = many["wall"] / docs
    row["jobsN_rss_mib"] = many["rss_kib"] / 1024

    noops = [
        measure([*packets, "--jobs", str(jobs), "--out", str(project / "outN")], project, env)["wall"] for _ in range(3)
    ]
    row["noop"] = statistics.median(noops)
    shutil.rmtree(project, ignore_errors=True)
    return row


def table(rows: list[dict], jobs: int, sample: int) -> str:
    import weasyprint

    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    lines = [
        f"Measured {dt.date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} CPUs, "
        f"{mem_gib:.0f} GiB memory, Python {platform.python_version()}, WeasyPrint {weasyprint.__version__}. "
        f"Standard-format packets (facilitator guide + participant handout per organisation); the baseline and "
        f"WeasyPrint-alone rows render the first {2 * sample} documents of the same HTML. Times are whole-process "
        "wall seconds; memory is the peak resident size of the largest single process.",
        "",
        "| organisations (documents, pages) | baseline: `weasyprint` CLI per document | WeasyPrint alone, one process "
        f"| `--jobs 1` | `--jobs {jobs}` | no-op rebuild | peak memory `--jobs 1` / `--jobs {jobs}` / CLI |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        b = r["baseline_per_doc"]
        lines.append(
            f"| {r['n']} ({r['docs']}, {r['pages']}) | {b:.2f} s/doc (1.00×) | {r['alone_per_doc']:.2f} s/doc "
            f"({r['alone_per_doc'] / b:.2f}×) | {r['jobs1_per_doc']:.2f} s/doc ({r['jobs1_per_doc'] / b:.2f}×) "
            f"| {r['jobsN_per_doc']:.2f} s/doc ({r['jobsN_per_doc'] / b:.2f}×) | {r['noop']:.2f} s "
            f"| {r['jobs1_rss_mib']:.0f} / {r['jobsN_rss_mib']:.0f} / {r['baseline_rss_mib']:.0f} MiB |"
        )
    lines.append("")
    for r in rows:
        overhead = 100 * (r["jobs1_per_doc"] / r["alone_per_doc"] - 1)
        lines.append(
            f"- N={r['n']}: pipeline overhead over WeasyPrint alone {overhead:+.0f}%; "
            f"`--jobs {jobs}` is {r['jobs1_per_doc'] / r['jobsN_per_doc']:.2f}× faster than `--jobs 1`."
        )
    for r in rows:
        lines.append(
            f"- N={r['n']}: tagging (PDF/UA-1) costs {100 * (r['alone_per_doc'] / r['untagged_per_doc'] - 1):+.0f}% "
            f"render time and {100 * (r['tag_size_ratio'] - 1):+.0f}% file size against untagged output."
        )
    if len(rows) >= 2:
        a, z = rows[0], rows[-1]
        lines.append(
            f"- From N={a['n']} to N={z['n']}: per-document time {z['jobs1_per_doc'] / a['jobs1_per_doc']:.2f}×, "
            f"peak memory per worker {z['jobs1_rss_mib'] / a['jobs1_rss_mib']:.2f}× (`--jobs 1`), "
            f"{z['jobsN_rss_mib'] / a['jobsN_rss_mib']:.2f}× (`--jobs {jobs}`)."
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="24,96", help="organisation counts, comma-separated")
    parser.add_argument("--sample", type=int, default=8, help="organisations rendered by the baseline")
    parser.add_argument("--quick", action="store_true", help="a fast run: sizes 4,8 and a sample of 2")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results.md")
    args = parser.parse_args()
    sizes = [4, 8] if args.quick else [int(s) for s in args.sizes.split(",")]
    sample = 2 if args.quick else args.sample
    jobs = os.cpu_count() or 1
    rows = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="packets-bench-") as tmp:
        for n in sizes:
            print(f"measuring N={n} ...", file=sys.stderr, flush=True)
            rows.append(run_size(Path(tmp), n, min(sample, n), jobs))
    text = "# Batch build benchmark\n\n" + table(rows, jobs, min(sample, min(sizes)))
    text += f"\nWhole benchmark took {time.perf_counter() - started:.0f} s. Reproduce with `make bench`.\n"
    args.output.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
