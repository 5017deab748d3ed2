"""Planning: one organization against the curriculum it will be built with, and the plan made for it.

`organization` checks a file as a whole (its format and modules exist; its session fits: the planner
is tried here, so `packets check` fails a session that cannot be planned, not `build`); `planner` fits
the chosen modules to the minutes with pure functions; `plan` turns that into the `Plan` (clock times,
what runs, what each audience reads) that `render` lays out and `runofshow` prints as a terminal table.
"""
