"""Sync status per (tenant, source): last attempt, last success, last error and rows written.

The ingest assets record every attempt here so the dashboard can show each vendor's freshness
even when a sync failed. Error text is stored exactly as given: callers pass redacted text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from warehouse.actors import Actor, require_signed_in
from warehouse.models import SyncStatus
from warehouse.tenants import TenantRef

Freshness = Literal["fresh", "stale", "old", "never"]
FRESH_HOURS = 6
STALE_HOURS = 24


@dataclass(frozen=True)
class SyncState:
    tenant_id: int
    source: str
    last_attempt_at: dt.datetime | None
    last_success_at: dt.datetime | None
    last_error: str | None
    rows: int


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _upsert(engine: Engine, tenant_id: int, source: str, values: dict[str, Any]) -> None:
    table = SyncStatus.__table__
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    row = {"tenant_id": tenant_id, "source": source, "rows": 0, **values}
    stmt = insert(table).values(**row)
    stmt = stmt.on_conflict_do_update(index_elements=["tenant_id", "source"], set_=values)
    with engine.begin() as conn:
        conn.execute(stmt)


def record_attempt(engine: Engine, tenant_id: int, source: str) -> None:
    """A sync of (tenant, source) started now."""
    _upsert(engine, tenant_id, source, {"last_attempt_at": _now()})


def record_success(engine: Engine, tenant_id: int, source: str, rows: int) -> None:
    """The sync finished: ``rows`` facts written; the last error is cleared."""
    _upsert(
        engine, tenant_id, source, {"last_success_at": _now(), "last_error": None, "rows": rows}
    )


def record_failure(engine: Engine, tenant_id: int, source: str, error: str) -> None:
    """The sync failed with ``error`` (already redacted by the caller); last success is kept."""
    _upsert(engine, tenant_id, source, {"last_error": error})


def get_status(engine: Engine, tenant_id: int, source: str) -> SyncState | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(SyncStatus.__table__).where(
                SyncStatus.tenant_id == tenant_id, SyncStatus.source == source
            )
        ).one_or_none()
    return None if row is None else _state(row)


def tenant_statuses(engine: Engine, tenant: TenantRef, actor: Actor) -> dict[str, SyncState]:
    """Every source's sync state for the tenant (freshness is shown to everyone signed in)."""
    require_signed_in(actor, "reading sync status", tenant)
    with engine.connect() as conn:
        rows = conn.execute(
            select(SyncStatus.__table__).where(SyncStatus.tenant_id == tenant.id)
        ).all()
    return {row.source: _state(row) for row in rows}


def _state(row) -> SyncState:
    return SyncState(
        tenant_id=row.tenant_id,
        source=row.source,
        last_attempt_at=aware(row.last_attempt_at),
        last_success_at=aware(row.last_success_at),
        last_error=row.last_error,
        rows=row.rows,
    )


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands timestamps back naive; they were written in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def freshness(
    last_success_at: dt.datetime | None,
    now: dt.datetime | None = None,
    *,
    fresh_hours: int = FRESH_HOURS,
    stale_hours: int = STALE_HOURS,
) -> Freshness:
    """fresh < 6 h, stale 6–24 h, old > 24 h (thresholds adjustable per tenant), never when no
    sync succeeded yet."""
    if last_success_at is None:
        return "never"
    age = (now or _now()) - aware(last_success_at)
    if age < dt.timedelta(hours=fresh_hours):
        return "fresh"
    if age <= dt.timedelta(hours=stale_hours):
        return "stale"
    return "old"


@dataclass(frozen=True)
class VendorFreshness:
    """How current a vendor's figures are: ``state`` fresh | stale | old | never for a source
    polled from an API; ``manual`` (with ``age_days`` since its last sync) for data an admin
    enters or drops in a folder, which is as fresh as its last entry."""

    state: str
    age_days: int | None = None


def is_polled(source: str, declared: Mapping[str, Any]) -> bool:
    """A source polled from an API, as its connector declares (``config_source``); an
    unknown source (its plugin uninstalled) counts as polled."""
    return source not in declared or declared[source].config_source == "credentials"


def vendor_freshness(
    last_success_at: dt.datetime | None,
    *,
    polled: bool,
    now: dt.datetime | None = None,
    fresh_hours: int = FRESH_HOURS,
    stale_hours: int = STALE_HOURS,
) -> VendorFreshness:
    """The one freshness rule of the vendor cards and the ``vendor_period`` mart, computed when
    read (it depends on now; a stored class would go stale)."""
    if polled:
        state = freshness(last_success_at, now, fresh_hours=fresh_hours, stale_hours=stale_hours)
        return VendorFreshness(state)
    if last_success_at is None:
        return VendorFreshness("manual")
    age = (now or _now()) - aware(last_success_at)
    return VendorFreshness("manual", max(age.days, 0))
