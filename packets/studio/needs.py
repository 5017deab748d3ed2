"""What each route of the studio needs, declared next to the route itself.

`packets studio` is one person on their own machine (the Guard lets in whoever holds the token,
and that person may do everything), so it reads none of this. `packets serve` has many people:
its one access layer (`packets.serve.access`) reads the declaration of the route a request
matches and checks it against the signed-in person before the route runs. A route without a
declaration is refused there, and a test walks the route table for it, so a route added later
can never be reached unchecked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from starlette.routing import BaseRoute

Action = Literal["public", "signed_in", "read", "edit", "build", "download", "create", "admin"]
# Where the organization a request is about comes from: the {slug} in the address, or a key the
# server handed out (a preview's pictures, a build's progress) that it maps back to one.
Subject = Literal["slug", "preview", "job"] | None


@dataclass(frozen=True)
class Need:
    """What a person must be allowed to do, and to which organization, for a route to run."""

    action: Action
    subject: Subject = None


PUBLIC = Need("public")  # the sign-in page, the stylesheet and fonts it uses
SIGNED_IN = Need("signed_in")  # any signed-in person (their own list of organizations)
CREATE = Need("create")  # a new organization: admins, and coordinators allowed to create
ADMIN = Need("admin")


def read(subject: Subject = "slug") -> Need:
    return Need("read", subject)


def edit(subject: Subject = "slug") -> Need:
    return Need("edit", subject)


def build(subject: Subject = "slug") -> Need:
    return Need("build", subject)


def download(subject: Subject = "slug") -> Need:
    return Need("download", subject)


def declare(route: BaseRoute, need: Need) -> BaseRoute:
    """The route, carrying what it needs (read by the access layer)."""
    route.need = need  # type: ignore[attr-defined]
    return route


def need_of(route: BaseRoute) -> Need | None:
    return getattr(route, "need", None)
