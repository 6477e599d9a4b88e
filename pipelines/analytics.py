"""Forecasts and anomalies: two Python marts refreshed with the SQL marts after every sync.

- ``vendor_forecasts``: per vendor and month (this one and the last), billed so far, the
  trailing 7-day daily rate and the projected invoice (``warehouse.projection``). Projections,
  labelled as such wherever they are shown.
- ``spend_anomalies``: days on which a member's or a vendor's billed spend stood out against its
  own trailing 28 days (at least 7 days since its first spend; robust z-score over the median and the median absolute deviation, or,
  when the history is flat, more than 3x its median) or, for a member, against the team's
  median member that day. Each row says why. Days below $5 are never flagged (noise).

Both tables are rewritten for the window they cover in one transaction.
"""

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Sequence

import dagster as dg
from sqlalchemy import delete, func, select

from pipelines.marts import GROUP as MARTS_GROUP
from pipelines.marts import MART_CONDITION
from pipelines.tenant_assets import build_tenant_asset
from warehouse.amounts import usd_text
from warehouse.identities import through_links
from warehouse.locks import begin_exclusive
from warehouse.models import IdentityLink, UsageFact
from warehouse.models_analytics import SpendAnomaly, VendorForecast
from warehouse.projection import month_bounds, project
from warehouse.sql_values import as_date
from warehouse.tenants import TenantRef

ASSET_NAME = "forecasts_and_anomalies"
HISTORY_DAYS = 28
RECHECK_DAYS = 35  # late vendor data can change the last few weeks' verdicts
ROBUST_Z = 3.5
FLAT_MULTIPLE = 3
TEAM_MULTIPLE = 5
TEAM_MIN_MEMBERS = 3
MIN_FLAG_MICROS = 5_000_000
MIN_HISTORY_DAYS = 7


def daily_spend(engine, tenant_id: int, start: dt.date, end: dt.date):
    """Billed micro-dollars per (source, day) and per (member id, day) in [start, end)."""
    day = UsageFact.charge_period_start
    billed = func.sum(UsageFact.billed_cost_micros)
    where = (
        UsageFact.tenant_id == tenant_id,
        UsageFact.cost_basis == "billed",
        day >= start,
        day < end,
    )
    by_vendor: dict[str, dict[dt.date, int]] = defaultdict(dict)
    by_member: dict[str, dict[dt.date, int]] = defaultdict(dict)
    with engine.connect() as conn:
        for source, d, micros in conn.execute(
            select(UsageFact.source, day, billed).where(*where).group_by(UsageFact.source, day)
        ):
            by_vendor[source][as_date(d)] = int(micros or 0)
        member_rows = conn.execute(
            through_links(select(IdentityLink.member_id, day, billed), UsageFact)
            .where(*where)
            .group_by(IdentityLink.member_id, day)
        )
        for member_id, d, micros in member_rows:
            by_member[str(member_id)][as_date(d)] = int(micros or 0)
    return by_vendor, by_member


def forecasts(by_vendor, periods: Sequence[str], today: dt.date) -> list[dict]:
    rows = []
    for period in periods:
        for source, per_day in sorted(by_vendor.items()):
            p = project(per_day, period, today)
            if p.realised_micros or p.projected_micros:
                rows.append(
                    {
                        "period": period,
                        "source": source,
                        "realised_micros": p.realised_micros,
                        "daily_rate_micros": p.daily_rate_micros,
                        "days_left": p.days_left,
                        "projected_micros": p.projected_micros,
                    }
                )
    return rows


def _own_history_reason(spend: int, history: list[int]) -> tuple[int, str] | None:
    median = statistics.median_low(history)
    mad = statistics.median_low([abs(h - median) for h in history])
    if mad:
        z = (spend - median) / (1.4826 * mad)
        if z > ROBUST_Z:
            return median, (
                f"{usd_text(spend)} against a 28-day median of {usd_text(median)} (robust z {z:.1f})"
            )
        return None
    if spend > FLAT_MULTIPLE * median and spend > median:
        times = f"{spend / median:.1f}x" if median else "from nothing"
        return median, f"{usd_text(spend)}, {times} its 28-day median of {usd_text(median)}"
    return None


def anomalies(by_vendor, by_member, days: Sequence[dt.date]) -> list[dict]:
    rows = []
    series = [("vendor", k, v) for k, v in by_vendor.items()]
    series += [("member", k, v) for k, v in by_member.items()]
    for day in days:
        spenders = sorted(v.get(day, 0) for v in by_member.values() if v.get(day, 0) > 0)
        team_median = statistics.median_low(spenders) if len(spenders) >= TEAM_MIN_MEMBERS else None
        for scope, subject, per_day in series:
            spend = per_day.get(day, 0)
            if spend < MIN_FLAG_MICROS:
                continue
            # Days before the series' first spend are no history (a new tool is no anomaly).
            started = min(per_day)
            history = [
                per_day.get(day - dt.timedelta(days=i), 0)
                for i in range(1, HISTORY_DAYS + 1)
                if day - dt.timedelta(days=i) >= started
            ]
            reasons = []
            enough = len(history) >= MIN_HISTORY_DAYS
            own = _own_history_reason(spend, history) if enough else None
            baseline = own[0] if own else statistics.median_low(history or [0])
            if own:
                reasons.append(own[1])
            if scope == "member" and team_median and spend > TEAM_MULTIPLE * team_median:
                reasons.append(
                    f"{spend / team_median:.1f}x the team's median member that day "
                    f"({usd_text(team_median)})"
                )
            if reasons:
                rows.append(
                    {
                        "day": day,
                        "scope": scope,
                        "subject": subject,
                        "spend_micros": spend,
                        "baseline_micros": baseline,
                        "reason": "; ".join(reasons),
                    }
                )
    return rows


def refresh_analytics(engine, tenant: TenantRef, today: dt.date | None = None) -> dict[str, int]:
    """Rewrite the tenant's forecasts (last and this month) and anomalies (last 35 days)."""
    today = today or dt.datetime.now(dt.UTC).date()
    this = f"{today:%Y-%m}"
    last = f"{today.replace(day=1) - dt.timedelta(days=1):%Y-%m}"
    first = min(month_bounds(last)[0], today - dt.timedelta(days=RECHECK_DAYS + HISTORY_DAYS))
    by_vendor, by_member = daily_spend(engine, tenant.id, first, today + dt.timedelta(days=1))
    recheck = [today - dt.timedelta(days=i) for i in range(RECHECK_DAYS, -1, -1)]
    forecast_rows = forecasts(by_vendor, [last, this], today)
    anomaly_rows = anomalies(by_vendor, by_member, recheck)
    with engine.begin() as conn:
        # Two syncs finishing together both refresh the tenant: one at a time, or the second
        # one's insert collides with the rows the first just wrote (PostgreSQL).
        begin_exclusive(conn, f"aispend:analytics:{tenant.id}")
        conn.execute(
            delete(VendorForecast).where(
                VendorForecast.tenant_id == tenant.id, VendorForecast.period.in_([last, this])
            )
        )
        conn.execute(
            delete(SpendAnomaly).where(
                SpendAnomaly.tenant_id == tenant.id, SpendAnomaly.day >= recheck[0]
            )
        )
        now = dt.datetime.now(dt.UTC)
        if forecast_rows:
            conn.execute(
                VendorForecast.__table__.insert(),
                [{"tenant_id": tenant.id, "computed_at": now, **r} for r in forecast_rows],
            )
        if anomaly_rows:
            conn.execute(
                SpendAnomaly.__table__.insert(),
                [{"tenant_id": tenant.id, **r} for r in anomaly_rows],
            )
    return {"forecasts": len(forecast_rows), "anomalies": len(anomaly_rows)}


def build_analytics_asset(deps: Sequence[dg.AssetKey]) -> dg.AssetsDefinition:
    return build_tenant_asset(
        ASSET_NAME,
        lambda engine, tenant, _settings: refresh_analytics(engine, tenant),
        deps=deps,
        group=MARTS_GROUP,
        automation_condition=MART_CONDITION,
        rows_from=("forecasts", "anomalies"),
        description=(
            "vendor_forecasts (month-end projection per vendor) and spend_anomalies (days a "
            "member's or vendor's spend stood out, with the reason)."
        ),
    )
