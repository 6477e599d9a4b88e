"""Submit a sync as a Dagster backfill (it shows in the UI's Backfills tab and is executed by
the daemon through the instance's run coordinator), the way the UI's "Materialize partitions"
does. One backfill per source covers ``start..end``; with ``BackfillPolicy.single_run()`` the
daemon runs it as one run."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import dagster as dg
from dagster._core.execution.backfill import PartitionBackfill

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
    asset_graph = defs.resolve_asset_graph()
    key = ingest_key(source)
    partitions = asset_graph.get(key).partitions_def
    names = partitions.get_partition_keys_in_range(
        dg.PartitionKeyRange(start.isoformat(), end.isoformat())
    )
    tags = {SOURCE_TAG: source}
    if tenant:
        tags[TENANT_TAG] = tenant
    backfill_id = uuid.uuid4().hex[:8]
    instance.add_backfill(
        PartitionBackfill.from_asset_partitions(
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
    )
    return backfill_id
