"""Write: the stages run in order and their files written, for one organization or for many.

`pipeline` is one organization start to finish (load -> validate -> plan -> HTML -> PDF -> write);
`batch` finds the organizations, skips what is up to date and renders the rest in parallel in
the worker processes of `workers`. Files are written atomically (the root's `output`). This is
the end of the line: the CLI and the studio call it, and no stage imports it.
"""
