"""Who is acting: every service takes an Actor and the tenant it acts on, and checks both.

Admin-only services (every mutation, and reads of admin data) call ``require_admin``; reads a
viewer may make call ``require_signed_in``, which refuses anything that is not a known role.
Both refuse an actor bound to another tenant than the one being acted on: a dashboard session
is always bound to its tenant (``Actor.tenant`` is the slug), so an admin of tenant b is nobody
in tenant a. Only operators on the warehouse's machine (the CLI, ``aispend init``/``demo``,
the pipeline) act unbound (``tenant=None``): they can open the database anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

ROLES = ("admin", "viewer")


class PermissionDenied(Exception):
    """A viewer (or unknown role, or an actor of another tenant) asked for an operation."""


class _HasSlug(Protocol):
    slug: str


@dataclass(frozen=True)
class Actor:
    email: str
    role: str  # "admin" | "viewer"
    tenant: str | None = None  # slug of the tenant the actor belongs to; None: local operator

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


SYSTEM = Actor("system", "admin")


def _require_tenant(actor: Actor, action: str, tenant: _HasSlug) -> None:
    if actor.tenant is not None and actor.tenant != tenant.slug:
        raise PermissionDenied(
            f"{action} in tenant {tenant.slug!r}: {actor.email} belongs to tenant {actor.tenant!r}"
        )


def require_admin(actor: Actor, action: str, tenant: _HasSlug) -> None:
    if not isinstance(actor, Actor) or not actor.is_admin:
        who = getattr(actor, "email", "nobody")
        role = getattr(actor, "role", "no role")
        raise PermissionDenied(f"{action} needs the admin role; {who} is a {role}")
    _require_tenant(actor, action, tenant)


def require_signed_in(actor: Actor, action: str, tenant: _HasSlug) -> None:
    """Any known role of this tenant may read; an unknown role or a missing actor may not."""
    if not isinstance(actor, Actor) or actor.role not in ROLES:
        raise PermissionDenied(f"{action} needs a signed-in admin or viewer")
    _require_tenant(actor, action, tenant)
