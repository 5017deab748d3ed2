"""`packets serve`: the studio for a team, with accounts in front (issue 33; docs/hosting.md).

The studio's own pages and pipeline, never a copy of them: this package adds who is signed
in (accounts, sessions, invitations, the sign-in log), what each person may touch, and the
history of every save, in one embedded database.
"""
