"""Pure read queries behind the Analytics page: forecasts, anomalies, idle seats and savings.

An engine, a tenant and the actor in, data frames out; no Streamlit. Money stays integer
micro-dollars here (pages format it). With "viewers see only their own detail" on, a viewer
gets other members' anomalies withheld here, in the query, not just hidden on the page. Idle
seats: everyone sees the team's total; which seats (and whose) only admins. Savings are team
totals per model (list prices: an estimate).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, func, select

from warehouse.actors import Actor, require_signed_in
from warehouse.dashboard_settings import get_dashboard_settings
from warehouse.idle_seats import idle_seat_total, idle_seats
from warehouse.models import Member
from warehouse.models_analytics import ModelSaving, SpendAnomaly, VendorForecast
from warehouse.projection import month_bounds
from warehouse.tenants import TenantRef

FORECAST_COLUMNS = ["vendor", "billed_so_far", "daily_rate", "days_left", "projected"]
ANOMALY_COLUMNS = ["day", "who", "spend", "usual", "reason"]
IDLE_COLUMNS = ["tool", "account", "member", "seat_fee", "last_active"]
SAVINGS_COLUMNS = ["model", "tokens", "list_price", "cheapest_model", "at_cheapest", "saving"]


@dataclass(frozen=True)
class IdleSeats:
    count: int
    fee_micros: int
    seats: pd.DataFrame  # which seats: admins only (empty for a viewer)
    listed: bool  # whether this actor may see which seats


def forecasts(engine: Engine, tenant: TenantRef, actor: Actor, period: str) -> pd.DataFrame:
    """Each vendor's month: billed so far, trailing daily rate, days left, projected invoice."""
    require_signed_in(actor, "reading forecasts", tenant)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                VendorForecast.source,
                VendorForecast.realised_micros,
                VendorForecast.daily_rate_micros,
                VendorForecast.days_left,
                VendorForecast.projected_micros,
            )
            .where(VendorForecast.tenant_id == tenant.id, VendorForecast.period == period)
            .order_by(VendorForecast.projected_micros.desc(), VendorForecast.source)
        ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=FORECAST_COLUMNS)


def anomalies(engine: Engine, tenant: TenantRef, actor: Actor, period: str) -> pd.DataFrame:
    """The month's flagged days, newest first, with who (a vendor or a member) and why."""
    require_signed_in(actor, "reading anomalies", tenant)
    start, end = month_bounds(period)
    own_only = (
        not actor.is_admin
        and get_dashboard_settings(engine, tenant, actor).viewers_see_only_own_detail
    )
    with engine.connect() as conn:
        names = {
            str(i): (name, (email or "").lower())
            for i, name, email in conn.execute(
                select(Member.id, Member.display_name, Member.email).where(
                    Member.tenant_id == tenant.id
                )
            )
        }
        rows = conn.execute(
            select(SpendAnomaly)
            .where(
                SpendAnomaly.tenant_id == tenant.id,
                SpendAnomaly.day >= start,
                SpendAnomaly.day < end,
            )
            .order_by(SpendAnomaly.day.desc(), SpendAnomaly.scope, SpendAnomaly.subject)
        ).all()
    out = []
    for a in rows:
        if a.scope == "member":
            name, email = names.get(a.subject, (f"member {a.subject}", ""))
            if own_only and email != actor.email.strip().lower():
                continue
            who = name
        else:
            who = f"{a.subject} (vendor)"
        out.append((a.day, who, a.spend_micros, a.baseline_micros, a.reason))
    return pd.DataFrame(out, columns=ANOMALY_COLUMNS)


def idle_seat_costs(engine: Engine, tenant: TenantRef, actor: Actor, period: str) -> IdleSeats:
    """The month's seats paid for and not used: how many and what they cost (everyone); which
    seats and whose (admins)."""
    start, end = month_bounds(period)
    last = end - dt.timedelta(days=1)
    count, fee = idle_seat_total(engine, tenant, actor, start, last)
    rows = []
    if actor.is_admin and count:
        rows = [
            (s["source"], s["display_name"] or s["account_key"], s["member"] or "",
             s["seat_fee_micros"], s["last_active"])
            for s in idle_seats(engine, tenant, actor, start, last)
        ]  # fmt: skip
    seats = pd.DataFrame(rows, columns=IDLE_COLUMNS, dtype=object)
    return IdleSeats(count, fee, seats, actor.is_admin)


def savings(engine: Engine, tenant: TenantRef, actor: Actor, period: str) -> pd.DataFrame:
    """Per model the team used this month: its tokens at list price, the cheapest model of the
    same family and what they would have cost there, and the difference (all estimates), the
    largest saving first; models already the cheapest are left out."""
    require_signed_in(actor, "reading model savings", tenant)
    m = ModelSaving
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                m.model,
                func.sum(m.tokens),
                func.sum(m.list_micros),
                m.cheapest_model,
                func.sum(m.cheapest_micros),
                func.sum(m.saving_micros),
            )
            .where(m.tenant_id == tenant.id, m.period == period)
            .group_by(m.model, m.cheapest_model)
        ).all()
    out = [
        (model, int(tokens or 0), int(listed), cheapest, int(there), int(saving))
        for model, tokens, listed, cheapest, there, saving in rows
        if saving and int(saving) > 0
    ]
    out.sort(key=lambda r: (-r[5], r[0]))
    return pd.DataFrame(out, columns=SAVINGS_COLUMNS, dtype=object)
