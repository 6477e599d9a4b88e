"""The ``badge_awards`` asset: who earned which badge, appended and never revoked.

Monthly badges (Token Titan, Big Spender, Multi-Tool Master, Daily Driver, Time Saver, Model
Explorer) read one member's month of aggregated metrics — the same ``MemberMonth`` figures the
suggestions are written from — against the tenant's thresholds (Admin → Settings). Two badges
read history instead: AI Pioneer (among the first N people on the team to use any AI tool) and
Early Adopter (used a tool within N days of the first person on the team using it). What
counts as "using" a tool: a billed charge, tokens or requests on a day, or a positive activity
metric, through the member's linked vendor accounts.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import dagster as dg
from sqlalchemy import Engine, func, or_, select, union_all

from pipelines.suggestions.inputs import MemberMonth, member_months, period_of, periods_with_data
from pipelines.tenant_assets import build_tenant_asset
from warehouse import badges
from warehouse.actors import SYSTEM
from warehouse.dashboard_settings import DashboardSettings, get_dashboard_settings
from warehouse.identities import through_links
from warehouse.models import ActivityDay, IdentityLink, UsageFact
from warehouse.sql_values import as_date
from warehouse.tenants import TenantRef

ASSET_NAME = "badge_awards"
GROUP = "analytics"
HISTORY_MONTHS = 36


@dataclass(frozen=True)
class FirstUse:
    member_id: int
    source: str
    day: dt.date


def monthly_badges(month: MemberMonth, t: DashboardSettings) -> list[str]:
    """The monthly badges ``month`` earns under thresholds ``t``."""
    earned = {
        "token_titan": (month.tokens or 0) >= t.badge_token_titan_tokens,
        "big_spender": month.billed_micros >= t.badge_big_spender_usd * 1_000_000,
        "multi_tool_master": len(month.tools) >= t.badge_multi_tool_count,
        "daily_driver": month.active_days >= t.badge_daily_driver_days,
        "time_saver": month.seconds_saved >= t.badge_time_saver_hours * 3600,
        "model_explorer": len(month.models) >= t.badge_model_explorer_count,
    }
    return [key for key, yes in earned.items() if yes]


def history_badges(uses: Sequence[FirstUse], t: DashboardSettings) -> list[tuple[int, str, str]]:
    """AI Pioneer and Early Adopter awards (member, badge, period) from first uses."""
    out: list[tuple[int, str, str]] = []
    first_any: dict[int, dt.date] = {}
    arrival: dict[str, dt.date] = {}
    for use in uses:
        first_any[use.member_id] = min(first_any.get(use.member_id, use.day), use.day)
        arrival[use.source] = min(arrival.get(use.source, use.day), use.day)
    order = sorted(first_any.values())
    if order:
        cutoff = order[min(t.badge_pioneer_first_n, len(order)) - 1]  # ties at the cut are in
        out += [(m, "ai_pioneer", period_of(day)) for m, day in first_any.items() if day <= cutoff]
    window = dt.timedelta(days=t.badge_early_adopter_days)
    early: dict[int, dt.date] = {}
    for use in uses:
        if use.day - arrival[use.source] <= window:
            early[use.member_id] = min(early.get(use.member_id, use.day), use.day)
    out += [(m, "early_adopter", period_of(day)) for m, day in early.items()]
    return out


def first_uses(engine: Engine, tenant_id: int) -> list[FirstUse]:
    """Each member's first day on each source, through linked accounts."""

    def linked(table, day, used):
        return (
            through_links(
                select(IdentityLink.member_id, table.source, func.min(day).label("day")), table
            )
            .where(table.tenant_id == tenant_id, used)
            .group_by(IdentityLink.member_id, table.source)
        )

    usage = linked(
        UsageFact,
        UsageFact.charge_period_start,
        or_(
            UsageFact.billed_cost_micros > 0,
            UsageFact.input_tokens > 0,
            UsageFact.output_tokens > 0,
            UsageFact.requests > 0,
        ),
    )
    # (stored when the day was written: a metric above zero that is somebody's activity)
    activity = linked(ActivityDay, ActivityDay.day, ActivityDay.is_active == 1)
    both = union_all(usage, activity).subquery()
    query = select(both.c.member_id, both.c.source, func.min(both.c.day)).group_by(
        both.c.member_id, both.c.source
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [FirstUse(m, s, as_date(d)) for m, s, d in rows]


def earned_badges(
    months: Iterable[MemberMonth], uses: Sequence[FirstUse], t: DashboardSettings
) -> list[tuple[int, str, str]]:
    """Every (member, badge, period) the data earns; ``award`` keeps the first of each."""
    earned = [(m.member_id, key, m.period) for m in months for key in monthly_badges(m, t)]
    return earned + history_badges(uses, t)


def refresh_badges(engine: Engine, tenant: TenantRef, today: dt.date | None = None) -> int:
    """Award what the tenant's data earns; returns the number of new awards."""
    today = today or dt.datetime.now(dt.UTC).date()
    thresholds = get_dashboard_settings(engine, tenant, SYSTEM)
    periods = periods_with_data(engine, tenant.id, today, HISTORY_MONTHS)
    months = member_months(engine, tenant.id, periods)
    return badges.award(
        engine, tenant, earned_badges(months, first_uses(engine, tenant.id), thresholds)
    )


def build_badges_asset(deps: Sequence[dg.AssetKey]) -> dg.AssetsDefinition:
    return build_tenant_asset(
        ASSET_NAME,
        lambda engine, tenant, _settings: {"new_awards": refresh_badges(engine, tenant)},
        deps=deps,
        group=GROUP,
        rows_from=("new_awards",),
        description=(
            "Badges members earned (AI Pioneer, Token Titan, …): appended with earned_at, "
            "never revoked; thresholds in Admin → Settings."
        ),
    )
