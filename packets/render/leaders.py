"""Dot leaders drawn as runs of dots, not one dot at a time.

The contents page joins each title to its page number with a leader (`leader(".")` in
blocks.css). WeasyPrint lays a leader out as one text box per dot, each placed on its own
from the right-hand edge, so the dots of every line sit in the same columns. The example's
guide has about 1,900 of them: half of all the text boxes it draws, each shaped by Pango
again, written with its own text matrix and tagged on its own, about a tenth of the time
the guide takes to lay out and write.

After layout, and before the PDF is written, the dots of each leader are joined into runs
of up to RUN dots, each run starting where its first dot was. Nothing moves but the dots
inside a run: they are then set as one line of text is, by the font's advance widths,
which WeasyPrint writes rounded to a thousandth of an em; over 16 dots the last one sits
at most 0.1 pt (a thirtieth of a millimetre) from where it was.
Leaders that are not a plain row of equally spaced copies of one text are left alone.
"""

from __future__ import annotations

import copy
from typing import Any

from weasyprint.formatting_structure.boxes import TextBox

RUN = 16


def join_leader_dots(document: Any) -> int:
    """Join each leader's dots into runs, in place; returns how many leaders were joined."""
    joined = 0
    for page in document.pages:
        for box in page._page_box.descendants():
            if box.is_leader and len(box.children) > 1 and _join(box):
                joined += 1
    return joined


def _join(leader: Any) -> bool:
    dots = sorted(leader.children, key=lambda b: b.position_x)
    first = dots[0]
    if not all(
        type(dot) is TextBox
        and dot.text == first.text
        and dot.style is first.style
        and dot.pango_layout is first.pango_layout
        and dot.position_y == first.position_y
        for dot in dots
    ):
        return False
    step = first.width
    if step <= 0 or any(abs(b.position_x - a.position_x - step) > 1e-3 for a, b in zip(dots, dots[1:], strict=False)):
        return False
    runs = []
    for start in range(0, len(dots), RUN):
        part = dots[start : start + RUN]
        run = part[0].copy_with_text(first.text * len(part))
        # The dots share one (inactive) Pango layout, which WeasyPrint sets up again from its
        # text when it draws: each run gets its own, holding the run's text.
        run.pango_layout = copy.copy(first.pango_layout)
        run.pango_layout.text = run.text
        run.width = part[-1].position_x + step - part[0].position_x
        runs.append(run)
    leader.children = tuple(runs)
    return True
