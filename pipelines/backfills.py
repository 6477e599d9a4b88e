"""Syncs as Dagster backfills, so they show in the UI's Backfills tab.

``submit_backfill`` queues one for the daemon to execute through the instance's run coordinator,
the way the UI's "Materialize partitions" does (with ``BackfillPolicy.single_run()`` the range
is one run). ``record_backfill`` files a range that ``aispend sync`` or the demo ran in-process
(its run tagged ``dagster/backfill``) as a finished backfill of that run."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import dagster as dg
from dagster._core.execution.backfill import BulkActionStatus, PartitionBackfill

from pipelines.ingest import TENANT_TAG, ingest_key
from pipelines.launch import SOURCE_TAG


def submit_backfill(
    instance: dg.DagsterInstance,
    defs: dg.Definitions,
    source: str,
    start: dt.date,
    end: dt.date,
    *,
    tenant: str | None = None,
) -> str:
    """Queue a backfill of ``ingest_<source>`` over ``start..end``; returns its id. Its runs
    carry ``aispend/source`` (the production config's concurrency key) and the tenant tag."""
    backfill_id = new_backfill_id()
    instance.add_backfill(_backfill(instance, defs, source, start, end, tenant, backfill_id))
    return backfill_id


BACKFILL_TAG = "dagster/backfill"


def new_backfill_id() -> str:
    return uuid.uuid4().hex[:8]


def record_backfill(
    instance: dg.DagsterInstance,
    defs: dg.Definitions,
    source: str,
    start: dt.date,
    end: dt.date,
    *,
    tenant: str | None,
    backfill_id: str,
    ok: bool,
) -> None:
    """File the in-process run tagged ``dagster/backfill=<backfill_id>`` as a finished backfill
    of ``start..end`` (succeeded or failed), for the UI's Backfills tab."""
    backfill = _backfill(instance, defs, source, start, end, tenant, backfill_id)
    data = backfill.asset_backfill_data
    target = data.target_subset
    data = data._replace(
        requested_subset=target,
        requested_runs_for_target_roots=True,
        materialized_subset=target if ok else target - target,
        failed_and_downstream_subset=target - target if ok else target,
    )
    backfill = backfill.with_asset_backfill_data(
        data, dynamic_partitions_store=instance, asset_graph=defs.resolve_asset_graph()
    )
    status = BulkActionStatus.COMPLETED_SUCCESS if ok else BulkActionStatus.COMPLETED_FAILED
    instance.add_backfill(backfill.with_status(status).with_end_timestamp(time.time()))


def _backfill(
    instance: dg.DagsterInstance,
    defs: dg.Definitions,
    source: str,
    start: dt.date,
    end: dt.date,
    tenant: str | None,
    backfill_id: str,
) -> PartitionBackfill:
    asset_graph = defs.resolve_asset_graph()
    key = ingest_key(source)
    partitions = asset_graph.get(key).partitions_def
    names = partitions.get_partition_keys_in_range(
        dg.PartitionKeyRange(start.isoformat(), end.isoformat())
    )
    tags = {SOURCE_TAG: source}
    if tenant:
        tags[TENANT_TAG] = tenant
    return PartitionBackfill.from_asset_partitions(
        backfill_id=backfill_id,
        asset_graph=asset_graph,
        partition_names=names,
        asset_selection=[key],
        backfill_timestamp=time.time(),
        tags=tags,
        dynamic_partitions_store=instance,
        all_partitions=False,
        title=f"sync {source} {start}..{end}",
        description=None,
        run_config=None,
    )
