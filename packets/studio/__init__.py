"""`packets studio`: a local web page over the same loader, model, review and pipeline as the CLI.

A second face beside `cli.py`, not a second product: every rule (what a field may hold,
what the review warns about, how a page prints) stays in the modules the CLI uses, and
the studio only shows their answers beside the fields a coordinator fills in.
"""
