"""Idle seats: accounts that paid for a seat in a period and show no activity in it.

A connector books a seat fee as ``Purchase`` rows in the consumed unit ``seat_days`` (Copilot,
``connectors.copilot.seats``); its activity (usage-metrics rows, ``active_days``…) lands in
``activity_days`` (one row per account and day with any metric). A seat is idle in
``start..end`` when its account has seat rows in that period and no activity of the same
source at all. Seats without an assignee (``unattributed``) are not people and are left out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, Engine, Select, and_, exists, func, literal_column, select

from warehouse.actors import Actor, require_admin, require_signed_in
from warehouse.errors import check_range
from warehouse.models import ActivityDay, IdentityLink, Member, UsageFact, VendorAccount
from warehouse.tenants import TenantRef

SEAT_UNIT = "seat_days"
UNATTRIBUTED = "unattributed"


def idle_seat_query(tenant_id: int, start: dt.date, end: dt.date) -> Select:
    """``(source, account_key, fee)`` of every seat idle in ``start..end`` (inclusive): seat
    rows of a person's account in the period, and no activity of that source in it."""
    f = UsageFact
    active = exists().where(
        ActivityDay.tenant_id == tenant_id,
        ActivityDay.source == f.source,
        ActivityDay.account_key == f.account_key,
        ActivityDay.day.between(start, end),
    )
    return (
        select(f.source, f.account_key, func.sum(f.billed_cost_micros).label("fee"))
        .where(seat_rows(tenant_id, start, end), ~active)
        .group_by(f.source, f.account_key)
    )


def seat_rows(tenant_id: int, start: dt.date, end: dt.date) -> ColumnElement[bool]:
    """The facts that are a person's seat fee in ``start..end`` (inclusive)."""
    f = UsageFact
    return and_(
        f.tenant_id == tenant_id,
        f.charge_category == "Purchase",
        # Written out, not bound: the planners match it to the partial index of seat rows
        # (``ix_usage_facts_seat_days``) only when they see the value.
        f.consumed_unit == literal_column(f"'{SEAT_UNIT}'"),
        f.account_key != UNATTRIBUTED,
        f.charge_period_start.between(start, end),
    )


def idle_seats(
    engine: Engine,
    tenant: TenantRef,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    source: str | None = None,
) -> list[dict[str, Any]]:
    """``[{source, account_key, display_name, member, seat_fee_micros, last_active}]`` of the
    seats idle in ``start..end`` (inclusive), highest fee first. Admins only."""
    require_admin(actor, "listing idle seats", tenant)
    check_range(start, end, "the period")
    query = idle_seat_query(tenant.id, start, end)
    if source is not None:
        query = query.where(UsageFact.source == source)
    with engine.connect() as conn:
        seats = conn.execute(query).all()
        out = []
        for row in seats:
            account = conn.execute(
                select(VendorAccount.display_name, Member.display_name)
                .outerjoin(
                    IdentityLink,
                    and_(
                        IdentityLink.vendor_account_id == VendorAccount.id,
                        IdentityLink.tenant_id == tenant.id,
                    ),
                )
                .outerjoin(Member, Member.id == IdentityLink.member_id)
                .where(
                    VendorAccount.tenant_id == tenant.id,
                    VendorAccount.source == row.source,
                    VendorAccount.account_key == row.account_key,
                )
            ).first()
            last = conn.execute(
                select(func.max(ActivityDay.day)).where(
                    ActivityDay.tenant_id == tenant.id,
                    ActivityDay.source == row.source,
                    ActivityDay.account_key == row.account_key,
                    ActivityDay.day < start,
                )
            ).scalar()
            out.append(
                {
                    "source": row.source,
                    "account_key": row.account_key,
                    "display_name": account[0] if account else None,
                    "member": account[1] if account else None,
                    "seat_fee_micros": int(row.fee),
                    "last_active": last,
                }
            )
    return sorted(out, key=lambda r: (-r["seat_fee_micros"], r["source"], r["account_key"]))


def idle_seat_total(
    engine: Engine, tenant: TenantRef, actor: Actor, start: dt.date, end: dt.date
) -> tuple[int, int]:
    """(how many seats, their fees in micro-dollars) idle in ``start..end``: a team total any
    signed-in user may read (which seats, and whose, is for admins: ``idle_seats``)."""
    require_signed_in(actor, "reading the idle seats' total", tenant)
    check_range(start, end, "the period")
    with engine.connect() as conn:
        fees = [int(r.fee) for r in conn.execute(idle_seat_query(tenant.id, start, end))]
    return len(fees), sum(fees)
