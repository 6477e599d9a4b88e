"""Who is acting: every service takes an Actor, and admin-only services check it server-side."""

from __future__ import annotations

from dataclasses import dataclass


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
    if not actor.is_admin:
        raise PermissionDenied(f"{action} needs the admin role; {actor.email} is a {actor.role}")
