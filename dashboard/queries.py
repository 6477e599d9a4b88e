"""Pure read queries behind the dashboard pages: an engine and a tenant id in, values out.

No Streamlit here (pages add caching and layout). The dashboard only reads marts; it never
computes what a mart should hold. A mart that the pipeline has not built yet reads as empty.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine, bindparam, inspect, text

MONTHLY_SPEND_MART = "team_monthly_spend"

BY_PROVIDER_COLUMNS = ["provider", "billed_cost_micros", "estimated_cost_micros"]


def _empty_by_provider() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "provider": pd.Series([], dtype="str"),
            "billed_cost_micros": pd.Series([], dtype="int64"),
            "estimated_cost_micros": pd.Series([], dtype="int64"),
        }
    )


@dataclass(frozen=True)
class MonthTotal:
    """A tenant's spend for one month. Billed and estimated are never added together."""

    month: str
    billed_micros: int = 0
    estimated_micros: int = 0
    by_provider: pd.DataFrame = field(default_factory=_empty_by_provider)

    @property
    def is_empty(self) -> bool:
        return self.by_provider.empty


# Marts seen to exist, per engine. A mart, once built, is only ever replaced within one
# transaction (``warehouse.mart_tables.build``): remembering it spares a catalog query per read
# (on PostgreSQL a round trip each, a dozen per Overview).
_BUILT: weakref.WeakKeyDictionary[Engine, set[str]] = weakref.WeakKeyDictionary()


def mart_exists(engine: Engine, table: str = MONTHLY_SPEND_MART) -> bool:
    """True once the pipeline has built the mart table."""
    built = _BUILT.setdefault(engine, set())
    if table not in built and inspect(engine).has_table(table):
        built.add(table)
    return table in built


def billed_totals(engine: Engine, tenant_id: int, months: list[str]) -> dict[str, int]:
    """month -> billed total (micro-dollars) for each of ``months`` with spend, in one read."""
    if not months or not mart_exists(engine):
        return {}
    sql = text(
        f"SELECT month, COALESCE(SUM(billed_cost_micros), 0) AS billed FROM {MONTHLY_SPEND_MART}"
        " WHERE tenant_id = :t AND month IN :months GROUP BY month"
    ).bindparams(bindparam("months", expanding=True))
    with engine.connect() as conn:
        rows = conn.execute(sql, {"t": tenant_id, "months": list(months)})
        return {str(r.month): int(r.billed) for r in rows}  # NUMERIC on PostgreSQL: exact ints


def month_total(engine: Engine, tenant_id: int, month: str) -> MonthTotal:
    """Billed and estimated spend for `month` ('YYYY-MM'), in total and per provider."""
    if not mart_exists(engine):
        return MonthTotal(month=month)
    sql = text(
        f"""
        SELECT provider,
               COALESCE(SUM(billed_cost_micros), 0) AS billed_cost_micros,
               COALESCE(SUM(estimated_cost_micros), 0) AS estimated_cost_micros
        FROM {MONTHLY_SPEND_MART}
        WHERE tenant_id = :tenant_id AND month = :month
        GROUP BY provider
        ORDER BY provider
        """
    )
    with engine.connect() as conn:
        rows = conn.execute(sql, {"tenant_id": tenant_id, "month": month}).all()
    # SUM over BIGINT is NUMERIC on PostgreSQL: back to exact Python ints.
    records = [
        (str(r.provider), int(r.billed_cost_micros), int(r.estimated_cost_micros)) for r in rows
    ]
    if not records:
        return MonthTotal(month=month)
    frame = pd.DataFrame(records, columns=BY_PROVIDER_COLUMNS).astype(
        {"billed_cost_micros": "int64", "estimated_cost_micros": "int64"}
    )
    frame = frame.sort_values(["billed_cost_micros", "provider"], ascending=[False, True])
    return MonthTotal(
        month=month,
        billed_micros=sum(r[1] for r in records),
        estimated_micros=sum(r[2] for r in records),
        by_provider=frame.reset_index(drop=True),
    )


def available_months(engine: Engine, tenant_id: int) -> list[str]:
    """Months ('YYYY-MM') with any spend row for the tenant, newest first."""
    if not mart_exists(engine):
        return []
    sql = text(
        f"SELECT DISTINCT month FROM {MONTHLY_SPEND_MART} WHERE tenant_id = :tenant_id "
        "ORDER BY month DESC"
    )
    with engine.connect() as conn:
        return [str(m) for m in conn.execute(sql, {"tenant_id": tenant_id}).scalars()]
