"""Tenants: every row in the warehouse carries a tenant_id; every service takes a TenantRef."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from warehouse.errors import InvalidInput, NotFound
from warehouse.models import Tenant

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class TenantNotFound(NotFound):
    pass


@dataclass(frozen=True)
class TenantRef:
    id: int
    slug: str
    name: str


def _ref(row: Tenant) -> TenantRef:
    return TenantRef(id=row.id, slug=row.slug, name=row.name)


def get_tenant(engine: Engine, slug: str) -> TenantRef:
    with Session(engine) as s:
        row = s.scalar(select(Tenant).where(Tenant.slug == slug))
        if row is None:
            raise TenantNotFound(f"no tenant {slug!r}; run `aispend init --tenant {slug}` first")
        return _ref(row)


def list_tenants(engine: Engine) -> list[TenantRef]:
    with Session(engine) as s:
        return [_ref(t) for t in s.scalars(select(Tenant).order_by(Tenant.slug))]


def create_tenant(engine: Engine, slug: str, name: str | None = None) -> TenantRef:
    """Create the tenant, or return it unchanged if it exists (idempotent)."""
    with Session(engine) as s, s.begin():
        return ensure_tenant(s, slug, name)


def check_slug(slug: str) -> None:
    if not SLUG.match(slug):
        raise InvalidInput(f"tenant slug {slug!r} must be lower-case letters, digits and dashes")


def ensure_tenant(s: Session, slug: str, name: str | None = None) -> TenantRef:
    """``create_tenant`` inside the caller's transaction."""
    check_slug(slug)
    row = s.scalar(select(Tenant).where(Tenant.slug == slug))
    if row is None:
        row = Tenant(slug=slug, name=name or slug)
        s.add(row)
        s.flush()
    return _ref(row)
