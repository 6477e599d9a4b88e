"""Audit events: every admin mutation writes one, in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from warehouse.actors import Actor
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


def list_events(engine: Engine, tenant: TenantRef, limit: int = 200) -> list[dict[str, Any]]:
    with Session(engine) as s:
        rows = s.scalars(
            select(AuditEvent)
            .where(AuditEvent.tenant_id == tenant.id)
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
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
