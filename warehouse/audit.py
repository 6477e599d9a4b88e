"""Audit events: every admin mutation writes one, in the same transaction as the change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from warehouse.actors import Actor, require_admin, require_signed_in
from warehouse.models import AuditEvent
from warehouse.tenants import TenantRef


def record(
    session: Session, tenant: TenantRef, actor: Actor, action: str, target: str = "", **detail: Any
) -> None:
    session.add(
        AuditEvent(
            tenant_id=tenant.id, actor=actor.email, action=action, target=target, detail=detail
        )
    )


def record_action(
    engine: Engine, tenant: TenantRef, actor: Actor, action: str, target: str = "", **detail: Any
) -> None:
    """An admin action that changes no warehouse row (testing a vendor key, launching a sync):
    checked and audited on its own."""
    require_admin(actor, action, tenant)
    with Session(engine) as s, s.begin():
        record(s, tenant, actor, action, target, **detail)


def record_read(
    engine: Engine, tenant: TenantRef, actor: Actor, action: str, target: str = "", **detail: Any
) -> None:
    """A signed-in user read or exported something worth knowing about (billing analytics,
    a CSV of them): who, what, which period. Viewers too."""
    require_signed_in(actor, action, tenant)
    with Session(engine) as s, s.begin():
        record(s, tenant, actor, action, target, **detail)


def list_events(
    engine: Engine,
    tenant: TenantRef,
    actor: Actor,
    *,
    actions: Sequence[str] = (),
    by: str | None = None,
    target_contains: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Newest first. Filters: action names, who acted, target substring, UTC days since..until
    (inclusive). Admins only."""
    require_admin(actor, "reading the audit log", tenant)
    query = select(AuditEvent).where(AuditEvent.tenant_id == tenant.id)
    if actions:
        query = query.where(AuditEvent.action.in_(list(actions)))
    if by:
        query = query.where(AuditEvent.actor == by)
    if target_contains:
        query = query.where(AuditEvent.target.contains(target_contains, autoescape=True))
    if since is not None:
        query = query.where(AuditEvent.at >= _utc_midnight(since))
    if until is not None:
        query = query.where(AuditEvent.at < _utc_midnight(until + dt.timedelta(days=1)))
    with Session(engine) as s:
        rows = s.scalars(query.order_by(AuditEvent.id.desc()).limit(limit))
        return [
            {
                "at": r.at,
                "actor": r.actor,
                "action": r.action,
                "target": r.target,
                "detail": r.detail,
            }
            for r in rows
        ]


def event_facets(engine: Engine, tenant: TenantRef, actor: Actor) -> dict[str, list[str]]:
    """The distinct action names and actors in the tenant's log, for filter pickers."""
    require_admin(actor, "reading the audit log", tenant)
    with Session(engine) as s:
        actions = s.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.tenant_id == tenant.id)
            .distinct()
            .order_by(AuditEvent.action)
        )
        actors = s.scalars(
            select(AuditEvent.actor)
            .where(AuditEvent.tenant_id == tenant.id)
            .distinct()
            .order_by(AuditEvent.actor)
        )
        return {"actions": list(actions), "actors": list(actors)}


def _utc_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
