"""What the Analytics page shows, gathered once, and the same figures as a CSV.

``on_screen`` runs every query the page draws from (so the page and its download can never
disagree); ``analytics_csv`` writes them with money exact to the micro-dollar (six decimals).
Estimates (projections, list-price savings) sit in their own column, never in ``billed_usd``.
Spend by tag goes in for every tag key (the page shows one at a time): section ``tag``, the key
in ``detail``; each key's rows sum to the month's billed total.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from dashboard import analytics_queries as aq
from dashboard import spend_queries as sq
from warehouse import budgets, tag_spend
from warehouse.actors import Actor
from warehouse.export import money
from warehouse.tenants import TenantRef

CSV_COLUMNS = [
    "section", "item", "detail", "billed_usd", "cumulative_usd", "change_usd",
    "estimate_usd", "budget_usd", "tokens", "note",
]  # fmt: skip


UNTAGGED = "(untagged)"


@dataclass(frozen=True)
class OnScreen:
    period: str
    billed_micros: int  # the month's billed total (the sum of by_tool)
    by_tool: pd.DataFrame
    by_model: pd.DataFrame
    daily: pd.DataFrame
    mom: pd.DataFrame
    forecast: pd.DataFrame
    usage: list  # budgets.BudgetUse
    flagged: pd.DataFrame
    idle: aq.IdleSeats
    savings: pd.DataFrame
    by_tag: dict[str, list[dict]]  # tag key -> spend per value, the untagged row last


READS = {
    "by_tool": sq.spend_by_tool,
    "by_model": sq.spend_by_model,
    "daily": sq.daily_spend,
    "mom": sq.month_over_month,
    "forecast": aq.forecasts,
    "usage": budgets.utilisation,
    "flagged": aq.anomalies,
    "idle": aq.idle_seat_costs,
    "savings": aq.savings,
    "by_tag": tag_spend.spend_by_tags,
}
READERS = 4  # connections at once, per page being drawn


def on_screen(engine: Engine, tenant: TenantRef, actor: Actor, period: str) -> OnScreen:
    """Everything the Analytics page shows for ``period``, as this actor may see it.

    The reads are independent and run side by side, each on its own pooled connection: one
    after another, a month's first reads on PostgreSQL took 2-3x the slowest one alone
    (a round trip and a plan each). A SQLite database in memory is one connection: in turn."""
    if engine.url.database in (None, "", ":memory:"):
        got = {name: read(engine, tenant, actor, period) for name, read in READS.items()}
    else:
        with ThreadPoolExecutor(READERS, thread_name_prefix="analytics-read") as pool:
            running = {n: pool.submit(r, engine, tenant, actor, period) for n, r in READS.items()}
            got = {name: future.result() for name, future in running.items()}
    return OnScreen(period=period, billed_micros=sum(got["by_tool"]["billed"]), **got)


def _row(section: str, item, **values) -> dict:
    return {"section": section, "item": str(item), **values}


def analytics_csv(view: OnScreen) -> bytes:
    """The page's figures as CSV, money exact to the micro-dollar."""
    rows = [_row("total", view.period, billed_usd=money(view.billed_micros), note="billed")]
    rows += [_row("tool", t.tool, billed_usd=money(t.billed)) for t in view.by_tool.itertuples()]
    rows += [
        _row("model", m.model, detail=m.tool, billed_usd=money(m.billed),
             tokens="" if m.tokens is None else str(m.tokens))
        for m in view.by_model.itertuples()
    ]  # fmt: skip
    rows += [
        _row("tag", r["tag_value"] if r["tagged"] else UNTAGGED, detail=key,
             billed_usd=money(r["billed_cost_micros"]),
             estimate_usd=money(r["estimated_cost_micros"]),
             tokens="" if r["tokens"] is None else str(r["tokens"]),
             note="each tag key's values and its untagged row sum to the month's billed total")
        for key, tagged in view.by_tag.items()
        for r in tagged
    ]  # fmt: skip
    rows += [
        _row("day", d.day, billed_usd=money(d.billed), cumulative_usd=money(d.cumulative))
        for d in view.daily.itertuples()
    ]
    rows += [
        _row("month", m.month, billed_usd=money(m.billed), change_usd=money(m.change),
             note="" if m.change_percent is None else f"{m.change_percent:+.1f} %")
        for m in view.mom.itertuples()
    ]  # fmt: skip
    rows += [
        _row("forecast", f.vendor, billed_usd=money(f.billed_so_far),
             estimate_usd=money(f.projected), note="projected month end (estimate)")
        for f in view.forecast.itertuples()
    ]  # fmt: skip
    rows += [
        _row("budget", u.budget.label, billed_usd=money(u.spend_micros),
             estimate_usd=money(u.projected_micros), budget_usd=money(u.budget.monthly_micros),
             note="projected (estimate)")
        for u in view.usage
    ]  # fmt: skip
    rows += [
        _row("anomaly", a.day, detail=a.who, billed_usd=money(a.spend), note=a.reason)
        for a in view.flagged.itertuples()
    ]
    rows.append(
        _row("idle_seats", "total", detail=str(view.idle.count),
             billed_usd=money(view.idle.fee_micros), note="seats paid for, not used")
    )  # fmt: skip
    rows += [
        _row("idle_seat", s.account, detail=s.tool, billed_usd=money(s.seat_fee),
             note=f"{s.member or 'not linked'}; last active {s.last_active or 'never'}")
        for s in view.idle.seats.itertuples()
    ]  # fmt: skip
    rows += [
        _row("saving", s.model, detail=s.cheapest_model, estimate_usd=money(s.saving),
             tokens=str(s.tokens),
             note=f"list price {money(s.list_price)} -> {money(s.at_cheapest)} (estimate)")
        for s in view.savings.itertuples()
    ]  # fmt: skip
    return (
        pd.DataFrame(rows, columns=CSV_COLUMNS, dtype=object)
        .fillna("")
        .to_csv(index=False)
        .encode()
    )
