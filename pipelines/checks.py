"""Asset checks on every ingest asset: the facts a source wrote are sound.

- unique record keys per tenant (one row per account, day, SKU, category, basis);
- no negative cost on a ``Usage`` row (credits and adjustments carry their own category);
- the accuracy invariant, in its simple form: estimated rows never carry billed cost (an
  estimate is shown beside the bill, never added to it), and where a connector reports the
  vendor's billed total for a day (activity metric ``x_billed_total_micros`` on the account
  ``x_vendor_total``), that day's billed facts sum to it exactly.
"""

from decimal import Decimal

import dagster as dg
from sqlalchemy import func, select

from connectors.contract import BILLED_TOTAL_METRIC, VENDOR_TOTAL_ACCOUNT, Connector
from pipelines.ingest import ingest_key
from pipelines.resources import WarehouseResource
from warehouse.models import ActivityFact, UsageFact

BILLED_TOTAL_ACCOUNT = VENDOR_TOTAL_ACCOUNT
SAMPLE = 5


def duplicate_record_keys(conn, source: str) -> list[tuple]:
    return conn.execute(
        select(UsageFact.tenant_id, UsageFact.record_key, func.count())
        .where(UsageFact.source == source)
        .group_by(UsageFact.tenant_id, UsageFact.record_key)
        .having(func.count() > 1)
        .limit(SAMPLE)
    ).all()


def negative_usage_rows(conn, source: str) -> int:
    return conn.execute(
        select(func.count())
        .select_from(UsageFact)
        .where(
            UsageFact.source == source,
            UsageFact.charge_category == "Usage",
            UsageFact.billed_cost_micros < 0,
        )
    ).scalar_one()


def accuracy_violations(conn, source: str) -> list[str]:
    """Human-readable violations of the accuracy invariant (at most SAMPLE of each kind)."""
    problems: list[str] = []
    estimated_billed = conn.execute(
        select(func.count())
        .select_from(UsageFact)
        .where(
            UsageFact.source == source,
            UsageFact.cost_basis == "estimated",
            UsageFact.billed_cost_micros != 0,
        )
    ).scalar_one()
    if estimated_billed:
        problems.append(f"{estimated_billed} estimated row(s) carry billed cost")
    totals = conn.execute(
        select(ActivityFact.tenant_id, ActivityFact.day, ActivityFact.value).where(
            ActivityFact.source == source,
            ActivityFact.metric == BILLED_TOTAL_METRIC,
            ActivityFact.account_key == BILLED_TOTAL_ACCOUNT,
        )
    ).all()
    if not totals:
        return problems
    billed = {
        (row.tenant_id, row.day): int(row.total or 0)
        for row in conn.execute(
            select(
                UsageFact.tenant_id,
                UsageFact.charge_period_start.label("day"),
                func.sum(UsageFact.billed_cost_micros).label("total"),
            )
            .where(UsageFact.source == source, UsageFact.cost_basis == "billed")
            .group_by(UsageFact.tenant_id, UsageFact.charge_period_start)
        )
    }
    for row in totals:
        expected = int(Decimal(row.value))
        got = billed.get((row.tenant_id, row.day), 0)
        if got != expected and len(problems) < SAMPLE:
            problems.append(
                f"tenant {row.tenant_id} {row.day}: facts sum to {got} micros, bill says {expected}"
            )
    return problems


def build_ingest_checks(connector: type[Connector]) -> list[dg.AssetChecksDefinition]:
    source = connector.name
    key = ingest_key(source)

    @dg.asset_check(asset=key, name="unique_record_keys", description="One row per record key.")
    def unique_record_keys(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.engine.connect() as conn:
            dupes = duplicate_record_keys(conn, source)
        return dg.AssetCheckResult(
            passed=not dupes,
            metadata={"duplicates": dg.MetadataValue.json([list(map(str, d)) for d in dupes])},
        )

    @dg.asset_check(asset=key, name="no_negative_usage_cost", description="Usage never costs < 0.")
    def no_negative_usage_cost(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.engine.connect() as conn:
            count = negative_usage_rows(conn, source)
        return dg.AssetCheckResult(passed=count == 0, metadata={"negative_rows": count})

    @dg.asset_check(
        asset=key,
        name="accuracy_invariant",
        description="Billed facts match the vendor's billed total; estimates carry no billed cost.",
    )
    def accuracy_invariant(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.engine.connect() as conn:
            problems = accuracy_violations(conn, source)
        return dg.AssetCheckResult(
            passed=not problems, metadata={"problems": dg.MetadataValue.json(problems)}
        )

    return [unique_record_keys, no_negative_usage_cost, accuracy_invariant]
