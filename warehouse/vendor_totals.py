"""Writing vendor control totals and reconciliation totals, inside a partition write.

``replace_partition`` owns the transaction; these helpers own the two tables:

- ``vendor_billed_totals``: replaced with the partition (delete the range, insert what the
  connector reported). A (day, scope) reported twice in one fetch is an error: silently
  summing would hide a connector that fetched a window twice.
- ``vendor_reconciliation_totals``: upserted. A period total is a snapshot that grows (a
  billing cycle to date): the latest report for (name, account, period start) wins, whatever
  range the run covered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, delete
from sqlalchemy.dialects import postgresql, sqlite

from connectors.contract import ReconciliationTotal, VendorTotal
from warehouse.models import VendorBilledTotal, VendorReconciliationTotal


def upsert_insert(conn: Connection, table):
    """The dialect's INSERT that knows ``ON CONFLICT`` (SQLite and PostgreSQL share the syntax)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert for dialect {conn.dialect.name!r}")


def delete_billed_totals(
    conn: Connection, tenant_id: int, source: str, start: dt.date, end: dt.date
) -> None:
    conn.execute(
        delete(VendorBilledTotal).where(
            VendorBilledTotal.tenant_id == tenant_id,
            VendorBilledTotal.source == source,
            VendorBilledTotal.day >= start,
            VendorBilledTotal.day <= end,
        )
    )


class TotalsBuffer:
    """Collects one partition write's vendor totals; checked as they arrive, written at the end."""

    def __init__(
        self, tenant_id: int, source: str, start: dt.date, end: dt.date, run_id: str | None
    ):
        self.tenant_id = tenant_id
        self.source = source
        self.start = start
        self.end = end
        self.run_id = run_id
        self.billed: dict[tuple[dt.date, str], dict[str, Any]] = {}
        self.reconciliation: dict[tuple[str, str, dt.date], dict[str, Any]] = {}

    def add_billed(self, total: VendorTotal) -> None:
        if not self.start <= total.day <= self.end:
            raise ValueError(
                f"{self.source}: vendor total for {total.day.isoformat()} is outside the "
                f"requested range {self.start.isoformat()}..{self.end.isoformat()}"
            )
        key = (total.day, total.scope)
        if key in self.billed:
            raise ValueError(
                f"{self.source}: vendor total for {total.day.isoformat()}"
                f"{f' (scope {total.scope!r})' if total.scope else ''} was reported twice"
            )
        self.billed[key] = {
            "tenant_id": self.tenant_id,
            "source": self.source,
            "day": total.day,
            "scope": total.scope,
            "billed_cost_micros": total.billed_cost_micros,
            "currency": total.currency,
            "ingestion_run_id": self.run_id,
        }

    def add_reconciliation(self, total: ReconciliationTotal) -> None:
        if total.period_end < total.period_start:
            raise ValueError(
                f"{self.source}: reconciliation total {total.name!r} ends before it starts"
            )
        account = total.account_key or ""
        self.reconciliation[(total.name, account, total.period_start)] = {
            "tenant_id": self.tenant_id,
            "source": self.source,
            "name": total.name,
            "account_key": account,
            "period_start": total.period_start,
            "period_end": total.period_end,
            "billed_cost_micros": total.billed_cost_micros,
            "tolerance_micros": total.tolerance_micros,
            "ingestion_run_id": self.run_id,
            "reported_at": dt.datetime.now(dt.UTC),
        }

    def write(self, conn: Connection, chunk_rows: int) -> None:
        rows = list(self.billed.values())
        for i in range(0, len(rows), chunk_rows):
            conn.execute(VendorBilledTotal.__table__.insert(), rows[i : i + chunk_rows])
        _upsert_reconciliation(conn, self.reconciliation.values(), chunk_rows)


def _upsert_reconciliation(conn: Connection, rows: Iterable[dict[str, Any]], chunk_rows: int):
    rows = list(rows)
    table = VendorReconciliationTotal.__table__
    for i in range(0, len(rows), chunk_rows):
        stmt = upsert_insert(conn, table)
        stmt = stmt.on_conflict_do_update(
            index_elements=["tenant_id", "source", "name", "account_key", "period_start"],
            set_={
                name: stmt.excluded[name]
                for name in (
                    "period_end",
                    "billed_cost_micros",
                    "tolerance_micros",
                    "ingestion_run_id",
                    "reported_at",
                )
            },
        )
        conn.execute(stmt, rows[i : i + chunk_rows])
