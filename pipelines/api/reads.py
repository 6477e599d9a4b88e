"""Everything the read-only API reads, in ONE place: routes call these functions and nothing
else touches the warehouse. Per-member figures are the marts' (``dashboard.member_marts``), as
the Overview shows them; the shapes returned here are the API's contract.

Every function takes the engine, the token's tenant, the token's actor (a viewer: the services
check it) and a period ``YYYY-MM``, and returns JSON-ready values. Money is integer
micro-dollars in keys ending ``_micros`` (the app adds the exact dollar string beside each);
nothing here is a float. Tokens are None when unknown (unknown is not zero).

People are named as the tenant's display mode says (``named``, ``initialed`` "A. L.", or
``anonymous``: no name at all), on the leaderboard and in member summaries alike.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Engine, select

from dashboard.member_marts import month_from_marts
from dashboard.queries import month_total
from pipelines.member_summary import tools_by_spend
from warehouse import budgets, dashboard_settings, sync_status
from warehouse.actors import Actor, require_signed_in
from warehouse.models import Member
from warehouse.tenants import TenantRef


def shown_name(display_name: str, mode: str) -> str | None:
    """A member's name as the display mode allows: "Ada Lovelace", "A. L." or None."""
    if mode == "named":
        return display_name
    if mode == "initialed":
        return " ".join(f"{part[0].upper()}." for part in display_name.split()) or None
    return None


def _names(engine: Engine, tenant: TenantRef, mode: str) -> dict[int, str | None]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Member.id, Member.display_name).where(Member.tenant_id == tenant.id)
        )
        return {r.id: shown_name(r.display_name, mode) for r in rows}


def _display_mode(engine: Engine, tenant: TenantRef, actor: Actor) -> str:
    return dashboard_settings.get_dashboard_settings(engine, tenant, actor).display_mode


def team_kpis(engine: Engine, tenant: TenantRef, actor: Actor, period: str) -> dict[str, Any]:
    """Billed spend (and list-price estimates beside it, never added) from the monthly spend
    mart, per provider too; tokens and active members from the members' month."""
    require_signed_in(actor, "reading team KPIs", tenant)
    total = month_total(engine, tenant.id, period)
    months = month_from_marts(engine, tenant.id, period)
    active = [m for m in months if m.active_days > 0]
    known = [m.tokens for m in months if m.tokens is not None]
    return {
        "period": period,
        "billed_spend_micros": total.billed_micros,
        "estimated_list_value_micros": total.estimated_micros,
        "tokens": sum(known) if known else None,
        "active_members": len(active),
        "members": len(months),
        "by_provider": [
            {
                "provider": r.provider,
                "billed_spend_micros": int(r.billed_cost_micros),
                "estimated_list_value_micros": int(r.estimated_cost_micros),
            }
            for r in total.by_provider.itertuples()
        ],
    }


def member_summaries(
    engine: Engine, tenant: TenantRef, actor: Actor, period: str
) -> dict[str, Any]:
    """Each member's month: billed spend, tokens, tools, active days, rank."""
    require_signed_in(actor, "reading member summaries", tenant)
    mode = _display_mode(engine, tenant, actor)
    names = _names(engine, tenant, mode)
    rows = []
    for m in month_from_marts(engine, tenant.id, period):
        rows.append(
            {
                "member_id": m.member_id,
                "name": names.get(m.member_id),
                "team": m.team,
                "billed_spend_micros": m.billed_micros,
                "estimated_list_value_micros": m.estimated_micros,
                "tokens": m.tokens,
                "tools": [
                    {"name": name, "billed_spend_micros": spend, "tokens": tokens}
                    for name, spend, tokens in tools_by_spend(m)
                ],
                "active_days": m.active_days,
                "rank": m.rank,
            }
        )
    return {"period": period, "display_mode": mode, "members": rows}


def vendor_status(engine: Engine, tenant: TenantRef, actor: Actor, period: str) -> dict[str, Any]:
    """Each vendor's last sync and freshness class (the tenant's fresh/stale hours). Whether
    the last sync failed is said; the error text is for admins and stays out."""
    settings = dashboard_settings.get_dashboard_settings(engine, tenant, actor)
    now = dt.datetime.now(dt.UTC)
    vendors = []
    for source, state in sorted(sync_status.tenant_statuses(engine, tenant, actor).items()):
        vendors.append(
            {
                "source": source,
                "last_success_at": state.last_success_at,
                "last_attempt_at": state.last_attempt_at,
                "last_sync_failed": state.last_error is not None,
                "rows": state.rows,
                "freshness": sync_status.freshness(
                    state.last_success_at,
                    now,
                    fresh_hours=settings.fresh_hours,
                    stale_hours=settings.stale_hours,
                ),
            }
        )
    return {"period": period, "as_of": now, "vendors": vendors}


def leaderboard(engine: Engine, tenant: TenantRef, actor: Actor, period: str) -> dict[str, Any]:
    """Members ranked by the tenant's leaderboard metric (the ``leaderboard`` mart: billed spend
    by default, tokens or active days; ties share a rank), with last month's rank (None for a
    new entrant) and the places they climbed since (never a fall). Anonymous mode shows neither names nor ids."""
    require_signed_in(actor, "reading the leaderboard", tenant)
    mode = _display_mode(engine, tenant, actor)
    names = _names(engine, tenant, mode)
    ranked = sorted(
        (m for m in month_from_marts(engine, tenant.id, period) if m.rank is not None),
        key=lambda m: (m.rank, m.member_id),
    )
    rows = []
    for m in ranked:
        row: dict[str, Any] = {"rank": m.rank}
        if mode != "anonymous":
            row |= {"member_id": m.member_id, "name": names.get(m.member_id)}
        row |= {
            "billed_spend_micros": m.billed_micros,
            "tokens": m.tokens,
            "active_days": m.active_days,
            "previous_rank": m.previous_rank,  # None for a new entrant
            "rank_climb": m.rank_climb,
        }
        rows.append(row)
    by = next((m.ranked_by for m in ranked if m.ranked_by), "spend")
    metric = "billed_spend" if by == "spend" else by
    return {"period": period, "metric": metric, "display_mode": mode, "rows": rows}


def budget_utilisation(
    engine: Engine, tenant: TenantRef, actor: Actor, period: str
) -> dict[str, Any]:
    """Every budget's billed spend in the period and its month-end projection (an estimate)."""
    rows = []
    for u in budgets.utilisation(engine, tenant, actor, period):
        b = u.budget
        percent = (Decimal(u.spend_micros * 100) / Decimal(b.monthly_micros)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
        rows.append(
            {
                "id": b.id,
                "scope": b.scope,
                "target": b.target,
                "label": b.label,
                "monthly_budget_micros": b.monthly_micros,
                "spend_micros": u.spend_micros,
                "projected_month_end_micros": u.projected_micros,
                "percent_used": str(percent),
                "thresholds": list(b.thresholds),
                "thresholds_crossed": u.crossed(),
                "projected_to_exceed": u.projected_to_exceed,
            }
        )
    return {"period": period, "budgets": rows}
