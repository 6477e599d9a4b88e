"""Pure read queries behind the Analytics page's spend sections: a month's billed spend by tool
and by model, day by day with its running total, and month over month.

An engine, a tenant and the actor in, data frames of integer micro-dollars out; no Streamlit.
Every figure here is a team total read from a mart (``team_monthly_spend``, ``member_daily``,
``member_period_models``), never from the facts, so each view sums to the same month total the
rest of the dashboard shows. Team totals are visible to every signed-in user; no member's own
detail is in them. A mart the pipeline has not built yet reads as empty.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, text

from dashboard.queries import MONTHLY_SPEND_MART, mart_exists
from pipelines.suggestions.inputs import previous_period
from warehouse.actors import Actor, require_signed_in
from warehouse.projection import month_bounds
from warehouse.tenants import TenantRef

TOOL_COLUMNS = ["tool", "billed"]
MODEL_COLUMNS = ["tool", "model", "billed", "tokens"]
DAILY_COLUMNS = ["day", "billed", "cumulative"]
MOM_COLUMNS = ["month", "billed", "change", "change_percent"]
MOM_MONTHS = 6


def _frame(rows, columns: list[str]) -> pd.DataFrame:
    """Object columns: amounts stay exact Python ints and unknowns None (never a float NaN)."""
    return pd.DataFrame(list(rows), columns=columns, dtype=object)


def spend_by_tool(engine: Engine, tenant: TenantRef, actor: Actor, period: str) -> pd.DataFrame:
    """The month's billed spend per tool (the vendor's source), highest first; zero rows left out."""
    require_signed_in(actor, "reading spend by tool", tenant)
    if not mart_exists(engine):
        return _frame([], TOOL_COLUMNS)
    sql = text(
        f"SELECT source, SUM(billed_cost_micros) FROM {MONTHLY_SPEND_MART} "
        "WHERE tenant_id = :t AND month = :m GROUP BY source"
    )
    with engine.connect() as conn:
        rows = [(str(s), int(b or 0)) for s, b in conn.execute(sql, {"t": tenant.id, "m": period})]
    rows = sorted((r for r in rows if r[1]), key=lambda r: (-r[1], r[0]))
    return _frame(rows, TOOL_COLUMNS)


def spend_by_model(engine: Engine, tenant: TenantRef, actor: Actor, period: str) -> pd.DataFrame:
    """The month's billed spend per tool and model, highest first; tokens None when unknown.
    Rows with neither spend nor tokens are left out."""
    require_signed_in(actor, "reading spend by model", tenant)
    if not mart_exists(engine, "member_period_models"):
        return _frame([], MODEL_COLUMNS)
    sql = text(
        "SELECT source, model, SUM(billed_cost_micros), SUM(tokens) FROM member_period_models "
        "WHERE tenant_id = :t AND month = :m GROUP BY source, model"
    )
    with engine.connect() as conn:
        rows = [
            (str(s), str(m), int(b or 0), None if t is None else int(t))
            for s, m, b, t in conn.execute(sql, {"t": tenant.id, "m": period})
        ]
    rows = sorted((r for r in rows if r[2] or r[3]), key=lambda r: (-r[2], r[0], r[1]))
    return _frame(rows, MODEL_COLUMNS)


def daily_spend(
    engine: Engine, tenant: TenantRef, actor: Actor, period: str, today: dt.date | None = None
) -> pd.DataFrame:
    """Each day of the month (to today in the current month) with its billed spend and the
    running total; days without spend are 0. Empty when the month has no spend at all."""
    require_signed_in(actor, "reading daily spend", tenant)
    if not mart_exists(engine, "member_daily"):
        return _frame([], DAILY_COLUMNS)
    start, end = month_bounds(period)
    sql = text(
        "SELECT day, SUM(billed_cost_micros) FROM member_daily "
        "WHERE tenant_id = :t AND day >= :a AND day < :b GROUP BY day"
    )
    with engine.connect() as conn:
        per_day = {
            dt.date.fromisoformat(str(d)[:10]): int(b or 0)
            for d, b in conn.execute(sql, {"t": tenant.id, "a": start, "b": end})
        }
    if not any(per_day.values()):
        return _frame([], DAILY_COLUMNS)
    today = today or dt.datetime.now(dt.UTC).date()
    last = min(end - dt.timedelta(days=1), max(today, max(per_day)))
    rows, running, day = [], 0, start
    while day <= last:
        running += per_day.get(day, 0)
        rows.append((day, per_day.get(day, 0), running))
        day += dt.timedelta(days=1)
    return _frame(rows, DAILY_COLUMNS)


def month_over_month(
    engine: Engine, tenant: TenantRef, actor: Actor, period: str, months: int = MOM_MONTHS
) -> pd.DataFrame:
    """``period`` and the months before it (oldest first): billed spend, the change from the
    month before in micro-dollars and (display only) percent; None without a month before."""
    require_signed_in(actor, "reading month-over-month spend", tenant)
    wanted = [period]
    while len(wanted) < months + 1:  # one more: the first shown month's change
        wanted.append(previous_period(wanted[-1]))
    billed = dict.fromkeys(wanted, 0)
    if mart_exists(engine):
        sql = text(
            f"SELECT month, SUM(billed_cost_micros) FROM {MONTHLY_SPEND_MART} "
            "WHERE tenant_id = :t AND month >= :a AND month <= :b GROUP BY month"
        )
        with engine.connect() as conn:
            for month, amount in conn.execute(sql, {"t": tenant.id, "a": wanted[-1], "b": period}):
                billed[str(month)] = int(amount or 0)
    rows = []
    for month in reversed(wanted[:-1]):
        before = billed[previous_period(month)]
        change = billed[month] - before if before else None
        percent = round(100 * change / before, 1) if change is not None else None
        rows.append((month, billed[month], change, percent))
    return _frame(rows, MOM_COLUMNS)
