"""Who is acting: every service takes an Actor, and checks it server-side.

Admin-only services (every mutation, and reads of admin data) call ``require_admin``; reads a
viewer may make call ``require_signed_in``, which refuses anything that is not a known role.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("admin", "viewer")


class PermissionDenied(Exception):
    """A viewer (or unknown role) asked for an admin-only operation."""


@dataclass(frozen=True)
class Actor:
    email: str
    role: str  # "admin" | "viewer"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


SYSTEM = Actor("system", "admin")


def require_admin(actor: Actor, action: str) -> None:
    if not isinstance(actor, Actor) or not actor.is_admin:
        who = getattr(actor, "email", "nobody")
        role = getattr(actor, "role", "no role")
        raise PermissionDenied(f"{action} needs the admin role; {who} is a {role}")


def require_signed_in(actor: Actor, action: str) -> None:
    """Any known role may read; an unknown role or a missing actor may not."""
    if not isinstance(actor, Actor) or actor.role not in ROLES:
        raise PermissionDenied(f"{action} needs a signed-in admin or viewer")
