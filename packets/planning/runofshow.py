"""The run of show as a plain-text table, for `packets plan` in a terminal.

It reads the same Plan the guide prints, so the terminal and the PDF cannot disagree.
"""

from __future__ import annotations

from ..load.curriculum import Curriculum
from ..load.model import Organization
from .plan import duration_text, make_plan


def plan_table(slug: str, org: Organization, curriculum: Curriculum) -> str:
    """Time, minutes, segment, materials and who leads, one row per line, then the total."""
    plan = make_plan(slug, org, curriculum)
    clocks = plan.end_clock is not None
    header = (["Time"] if clocks else []) + ["Min", "Segment", "Materials", "Leads"]
    rows = []
    for row in plan.run_of_show:
        title = f"  Activity: {row.title}" if row.kind == "activity" else row.title
        cells = ([row.clock or ""] if clocks else []) + [
            str(row.minutes),
            title,
            ", ".join(row.materials),
            ", ".join(row.leads),
        ]
        rows.append(cells)
    total = ([plan.end_clock or ""] if clocks else []) + [
        str(plan.total_minutes),
        f"Total: {duration_text(plan.total_minutes)}",
        "",
        "",
    ]
    if not any(row.leads for row in plan.run_of_show):
        header, rows, total = header[:-1], [r[:-1] for r in rows], total[:-1]
    widths = [max(len(r[i]) for r in [header, *rows, total]) for i in range(len(header))]
    number = header.index("Min")

    def line(cells: list[str]) -> str:
        out = [c.rjust(w) if i == number else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    body = [line(header), rule, *(line(r) for r in rows), rule, line(total)]
    return "\n".join([f"{org.name}: {plan.title}", plan.description, "", *body])
