"""The run of show as a plain-text table, for `packets plan` in a terminal.

It reads the same Plan the guide prints, so the terminal and the PDF cannot disagree.
"""

from __future__ import annotations

from ..load.curriculum import Curriculum
from ..load.model import Organization
from .plan import make_plan
from .words import fill_text


def plan_table(slug: str, org: Organization, curriculum: Curriculum) -> str:
    """Time, minutes, segment, materials and who leads, one row per line, then the total."""
    plan = make_plan(slug, org, curriculum)
    words = plan.words
    clocks = plan.end_clock is not None
    minutes = words.col_minutes_short
    header = ([words.col_time] if clocks else []) + [minutes, words.col_segment, words.col_materials, words.col_leads]
    rows = []
    for row in plan.run_of_show:
        title = "  " + fill_text(words.activity, name=row.title) if row.kind == "activity" else row.title
        cells = ([plan.clock(row.clock)] if clocks else []) + [
            str(row.minutes),
            title,
            ", ".join(row.materials),
            ", ".join(row.leads),
        ]
        rows.append(cells)
    total = ([plan.clock(plan.end_clock)] if clocks else []) + [
        str(plan.total_minutes),
        fill_text(words.total, length=plan.duration(plan.total_minutes)),
        "",
        "",
    ]
    if not any(row.leads for row in plan.run_of_show):
        header, rows, total = header[:-1], [r[:-1] for r in rows], total[:-1]
    widths = [max(len(r[i]) for r in [header, *rows, total]) for i in range(len(header))]
    number = header.index(minutes)

    def line(cells: list[str]) -> str:
        out = [c.rjust(w) if i == number else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    body = [line(header), rule, *(line(r) for r in rows), rule, line(total)]
    return "\n".join([f"{org.name}: {plan.title}", plan.description, "", *body])
