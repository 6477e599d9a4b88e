"""Pure read queries behind the Analytics page: forecasts, anomalies and budget use for a month.

An engine, a tenant and the actor in, data frames out; no Streamlit. Money stays integer
micro-dollars here (pages format it). With "viewers see only their own detail" on, a viewer
gets other members' anomalies withheld here, in the query, not just hidden on the page.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, select

from warehouse.actors import Actor, require_signed_in
from warehouse.dashboard_settings import get_dashboard_settings
from warehouse.export import money
from warehouse.models import Member
from warehouse.models_analytics import SpendAnomaly, VendorForecast
from warehouse.projection import month_bounds
from warehouse.tenants import TenantRef

FORECAST_COLUMNS = ["vendor", "billed_so_far", "daily_rate", "days_left", "projected"]
ANOMALY_COLUMNS = ["day", "who", "spend", "usual", "reason"]


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


def analytics_csv(by_vendor, forecast, usage, flagged) -> bytes:
    """The page's figures as CSV, money exact to the micro-dollar."""
    rows = [("section", "item", "billed_usd", "projected_usd_estimate", "budget_usd", "note")]
    rows += [("spend", p, money(b), "", "", "") for p, b in by_vendor]
    rows += [
        (
            "forecast",
            f.vendor,
            money(f.billed_so_far),
            money(f.projected),
            "",
            "projection",
        )
        for f in forecast.itertuples()
    ]
    rows += [
        ("budget", u.budget.label, money(u.spend_micros), money(u.projected_micros),
         money(u.budget.monthly_micros), "")
        for u in usage
    ]  # fmt: skip
    rows += [
        ("anomaly", f"{a.day} {a.who}", money(a.spend), "", "", a.reason)
        for a in flagged.itertuples()
    ]
    frame = pd.DataFrame(rows[1:], columns=rows[0])
    return frame.to_csv(index=False).encode()
