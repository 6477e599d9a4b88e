"""The manual-entries sensor: an admin's edit reaches the marts within a minute.

It fingerprints ``manual_entries`` (count, newest created/updated time, sum of amounts) and,
when the fingerprint changes, requests a run of ``ingest_manual`` over every day an entry
covers or a manual fact still sits on (so a deleted entry's facts are removed too). The marts
follow through their automation conditions.
"""

import datetime as dt
import hashlib

import dagster as dg
from sqlalchemy import func, select

from pipelines.ingest import DAILY_AHEAD, PARTITIONS_START, ingest_key, range_tags
from pipelines.resources import WarehouseResource
from warehouse.manual_entries import SOURCE as MANUAL_SOURCE
from warehouse.models import ManualEntry, UsageFact

INTERVAL_SECONDS = 30


def manual_fingerprint(conn) -> str:
    row = conn.execute(
        select(
            func.count(),
            func.max(ManualEntry.created_at),
            func.max(ManualEntry.updated_at),
            func.sum(ManualEntry.amount_micros),
            func.min(ManualEntry.period_start),
            func.max(ManualEntry.period_end),
        )
    ).one()
    return hashlib.sha256(repr(tuple(str(v) for v in row)).encode()).hexdigest()[:24]


def _as_date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def manual_span(conn) -> tuple[dt.date, dt.date] | None:
    """The days covered by any manual entry or any manual fact, or None when there are none."""
    entries = conn.execute(
        select(func.min(ManualEntry.period_start), func.max(ManualEntry.period_end))
    ).one()
    facts = conn.execute(
        select(
            func.min(UsageFact.charge_period_start), func.max(UsageFact.charge_period_start)
        ).where(UsageFact.source == MANUAL_SOURCE)
    ).one()
    starts = [d for d in (_as_date(entries[0]), _as_date(facts[0])) if d is not None]
    ends = [d for d in (_as_date(entries[1]), _as_date(facts[1])) if d is not None]
    if not starts:
        return None
    first = dt.date.fromisoformat(PARTITIONS_START)
    last = dt.date.fromisoformat(DAILY_AHEAD.get_last_partition_key())
    return max(min(starts), first), min(max(ends), last)


def build_manual_entries_sensor(asset: dg.AssetsDefinition) -> dg.SensorDefinition:
    @dg.sensor(
        name="manual_entries_changed",
        target=asset,
        minimum_interval_seconds=INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Re-syncs manual entries when an admin adds, edits or deletes one.",
    )
    def _sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
        with warehouse.engine.connect() as conn:
            fingerprint = manual_fingerprint(conn)
            if fingerprint == context.cursor:
                return dg.SkipReason("manual entries unchanged")
            span = manual_span(conn)
        context.update_cursor(fingerprint)
        if span is None:
            return dg.SkipReason("no manual entries and no manual facts")
        start, end = span
        return dg.RunRequest(
            run_key=f"manual-{fingerprint}",
            asset_selection=[ingest_key(MANUAL_SOURCE)],
            tags=range_tags(start, end),
        )

    return _sensor
