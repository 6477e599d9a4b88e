"""The sync runner behind ``aispend sync``: materialize ingest assets through Dagster, in process.

Each selected source is one run of its named job ``sync_<source>`` covering ``start..end`` (a
single-run backfill), so one vendor failing never blocks the others; the marts are rebuilt
afterwards by ``refresh_marts``. Dagster's console log is silenced unless ``verbose``; a
``ProgressReporter`` (``pipelines.progress``) shows pages, rows and rate instead. Runs are recorded in
the Dagster instance at ``settings.dagster_home`` when it holds a ``dagster.yaml`` (so they
show up in the Dagster UI), otherwise in an ephemeral instance.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass

import dagster as dg

from connectors.contract import Connector
from pipelines.backfills import BACKFILL_TAG, new_backfill_id, record_backfill
from pipelines.dagster_sqlite import open_instance, release_before_fork
from pipelines.definitions import build_definitions
from pipelines.early_fetch import discard as discard_early
from pipelines.early_fetch import settle as settle_early
from pipelines.early_fetch import start_early
from pipelines.ingest import TENANT_TAG, partitions_for, range_tags
from pipelines.jobs import REFRESH_MARTS, sync_job_name
from pipelines.marts import REFRESH_TAG as MARTS_REFRESH_TAG
from pipelines.marts import REFRESH_TENANT_TAG as MARTS_REFRESH_TENANT_TAG
from pipelines.orphans import fail_orphaned_runs, process_tags
from pipelines.progress import QUIET_RUN_CONFIG, ProgressReporter
from pipelines.resources import WarehouseResource, engine_for
from pipelines.source_processes import run_in_processes
from pipelines.tag_marts import reading_ahead
from warehouse import tenants
from warehouse.errors import InvalidInput, NotFound
from warehouse.settings import Settings


@dataclass(frozen=True)
class SourceResult:
    source: str
    rows: int
    ok: bool
    error: str | None = None
    run_id: str | None = None  # the Dagster run holding the details
    days: int = 0
    seconds: float = 0.0


def dagster_instance(settings: Settings) -> dg.DagsterInstance:
    """The persistent instance at ``settings.dagster_home`` if configured, else an ephemeral one.

    Opened by ``pipelines.dagster_sqlite.open_instance``: processes take turns creating its
    storage, and Dagster's default SQLite storage gets the quicker event log.
    """
    if (settings.dagster_home / "dagster.yaml").exists():
        return open_instance(settings.dagster_home)
    return dg.DagsterInstance.ephemeral()


def _load_connectors() -> Mapping[str, type[Connector]]:
    from connectors.registry import load_connectors

    return load_connectors()


def execute_job(
    defs: dg.Definitions,
    job_name: str,
    *,
    instance: dg.DagsterInstance,
    warehouse: WarehouseResource,
    tags: Mapping[str, str],
    verbose: bool,
    raise_on_error: bool = False,
) -> dg.ExecuteInProcessResult:
    """Run one of the location's named jobs in this process."""
    return defs.resolve_job_def(job_name).execute_in_process(
        instance=instance,
        resources={"warehouse": warehouse},
        tags={**tags, **process_tags()},
        run_config=None if verbose else QUIET_RUN_CONFIG,
        raise_on_error=raise_on_error,
    )


def _rows(metadata: Mapping) -> int:
    value = metadata.get("rows")
    return int(getattr(value, "value", value) or 0)


def _outcome(source: str, result: dg.ExecuteInProcessResult, **extra) -> SourceResult:
    # A range run reports one materialization per partition, each with the run's metadata.
    rows = max(
        (_rows(ev.materialization.metadata) for ev in result.get_asset_materialization_events()),
        default=0,
    )
    extra["run_id"] = result.run_id
    if result.success:
        return SourceResult(source, rows, True, **extra)
    error = "run failed"
    for ev in result.get_step_failure_events():
        data = ev.step_failure_data
        if data.user_failure_data is not None and data.user_failure_data.description:
            error = data.user_failure_data.description
            rows += _rows(data.user_failure_data.metadata or {})
        elif data.error is not None:
            error = data.error.message.strip()
        break
    return SourceResult(source, rows, False, error, **extra)


def run_sync(
    settings: Settings,
    *,
    tenant: str | None = None,
    sources: list[str] | None = None,
    start: dt.date,
    end: dt.date,
    instance: dg.DagsterInstance | None = None,
    connectors: Mapping[str, type[Connector]] | None = None,
    tags: Mapping[str, str] | None = None,
    verbose: bool = True,
    progress: ProgressReporter | None = None,
    parallel: bool = False,
) -> list[SourceResult]:
    """Sync ``sources`` (default: all registered) for days ``start..end``, then rebuild marts.

    ``tenant`` (a slug) restricts the sync to that tenant; ``connectors`` overrides the
    registry (tests); ``tags`` are added to every Dagster run (the launcher finds its runs by
    them). ``verbose=False`` silences Dagster's console log; ``progress`` reports each source
    while it runs. ``parallel`` (the CLI's choice): sources side by side, each in a process of
    its own (``pipelines.source_processes``), when the runs go to a persistent Dagster instance
    of this home (not one passed in). On SQLite too: a partition write holds the one write
    lock only while it copies its staged rows in (``warehouse.partition_staging``).
    Raises ``ValueError`` for an unknown source, tenant or an empty range.
    """
    if end < start:
        raise InvalidInput(f"end {end} is before start {start}")
    connectors = dict(connectors if connectors is not None else _load_connectors())
    names = list(sources) if sources else sorted(connectors)
    unknown = [n for n in names if n not in connectors]
    if unknown:
        raise NotFound(
            f"unknown source(s): {', '.join(unknown)}; registered: {', '.join(sorted(connectors))}"
        )
    for name in names:
        check_range(connectors[name], start, end)
    if tenant is not None:
        tenants.get_tenant(engine_for(settings), tenant)  # raises TenantNotFound (a ValueError)
    defs = build_definitions(connectors)
    own_instance = instance is None
    instance = instance or dagster_instance(settings)
    fail_orphaned_runs(instance)  # runs of a sync killed mid-way: FAILURE, not STARTED forever
    warehouse = WarehouseResource.for_settings(settings)
    extra = dict(tags or {})
    run_tags = {**extra, **range_tags(start, end)}
    if tenant is not None:
        run_tags[TENANT_TAG] = tenant
    days = (end - start).days + 1

    def sync_source(
        name: str, reporter: ProgressReporter | None, into: dg.DagsterInstance
    ) -> SourceResult:
        began = time.monotonic()
        if reporter is not None:
            reporter.start(name, days)
        # The first tenant's fetch starts now, while Dagster readies the run whose asset
        # claims it (``pipelines.early_fetch``); one the run never claimed is stopped after.
        start_early(settings, connectors[name], start, end, tenant)
        # On a persistent instance the range is filed as a backfill (the UI's Backfills tab).
        backfill_id = None if into.is_ephemeral else new_backfill_id()
        try:
            result = execute_job(
                defs,
                sync_job_name(name),
                instance=into,
                warehouse=warehouse,
                tags={
                    **run_tags,
                    "aispend/source": name,
                    **({BACKFILL_TAG: backfill_id} if backfill_id else {}),
                },
                verbose=verbose,
            )
        finally:
            discard_early(name)
        outcome = _outcome(name, result, days=days, seconds=time.monotonic() - began)
        if backfill_id:
            record_backfill(
                into, defs, name, start, end, tenant=tenant, backfill_id=backfill_id, ok=outcome.ok
            )
        if reporter is not None:
            reporter.finish(name, outcome.ok)
        return outcome

    try:
        if parallel and len(names) > 1 and _separate_processes(settings, instance, own_instance):
            # What every child needs, worked out once here rather than in each: the location's
            # repository and asset graph, and (on Dagster's default SQLite storage, with no
            # connection open across the fork) the instance itself, opened already.
            defs.get_repository_def()
            defs.resolve_asset_graph()
            shared = instance if release_before_fork(instance) else None
            settle_early()  # fetches begun before Dagster was imported: whole, or stopped
            results = run_in_processes(
                names,
                lambda name, reporter: sync_source(
                    name, reporter, shared or dagster_instance(settings)
                ),
                progress,
                lambda name, reason: SourceResult(name, 0, False, reason, days=days),
                meanwhile=lambda: defs.resolve_job_def(REFRESH_MARTS),  # for refresh_marts below
            )
        else:
            results = [sync_source(name, progress, instance) for name in names]
    finally:
        warehouse.release()
    refresh_marts(
        settings, instance=instance, connectors=connectors, tags=extra, verbose=verbose, defs=defs
    )
    return results


def _separate_processes(settings: Settings, instance: dg.DagsterInstance, own: bool) -> bool:
    if not own or instance.is_ephemeral:
        return False
    # The children open their own connections; on SQLite none of the parent's may be open
    # across the fork (closing an inherited one in a child would drop the child's file locks).
    engine_for(settings).dispose()
    # Each child's first request imports the HTTP stack (httpcore, h11, certifi: ~0.15 s CPU)
    # and loads the CA bundle (~0.1 s): done here once, before the fork, it is every child's.
    import httpx

    from pipelines.progress import ssl_context

    httpx.HTTPTransport(verify=ssl_context()).close()
    return True


def check_range(connector: type[Connector], start: dt.date, end: dt.date) -> None:
    """The range must lie within the source's partitions (2025-01-01 up to today, UTC)."""
    partitions = partitions_for(connector)
    first = dt.date.fromisoformat(partitions.get_first_partition_key())
    last = dt.date.fromisoformat(partitions.get_last_partition_key())
    if start < first:
        raise InvalidInput(f"{connector.name}: start {start} is before {first}, the first day kept")
    if end > last:
        raise InvalidInput(f"{connector.name}: end {end} is after {last}, the last day to sync")


def refresh_marts(
    settings: Settings,
    instance: dg.DagsterInstance | None = None,
    connectors: Mapping[str, type[Connector]] | None = None,
    tags: Mapping[str, str] | None = None,
    *,
    full: bool = False,
    tenant: str | None = None,
    verbose: bool = True,
    defs: dg.Definitions | None = None,
) -> dict[str, int]:
    """Refresh every mart now (the ``refresh_marts`` job); returns rows written per mart.
    Raises if a mart fails.

    By default incremental models recompute what the syncs since their last build touched
    (everything when nothing says); ``full`` recomputes everything, of ``tenant`` (a slug) only
    when given (an unknown slug raises ``TenantNotFound``). ``verbose=False`` silences Dagster's
    console log. ``defs``: the location already built for ``connectors`` (a sync passes its
    own rather than parsing every SQL model again). ``vendor_period``'s rows are read while
    the run readies itself (``pipelines.tag_marts.reading_ahead``)."""
    connectors = connectors if connectors is not None else _load_connectors()
    tags = dict(tags or {})
    engine = engine_for(settings)
    if tenant is not None:
        refreshed = [tenants.get_tenant(engine, tenant)]  # raises TenantNotFound (a ValueError)
        full = True
        tags[MARTS_REFRESH_TENANT_TAG] = tenant
    else:
        refreshed = tenants.list_tenants(engine)
    if full:
        tags[MARTS_REFRESH_TAG] = "all"
    defs = defs if defs is not None else build_definitions(connectors)
    warehouse = WarehouseResource.for_settings(settings)
    try:
        with reading_ahead(engine, [t.id for t in refreshed]):
            result = execute_job(
                defs,
                REFRESH_MARTS,
                instance=instance or dagster_instance(settings),
                warehouse=warehouse,
                tags=tags,
                verbose=verbose,
                raise_on_error=True,
            )
    finally:
        warehouse.release()
    return {
        ev.asset_key.to_user_string(): _rows(ev.materialization.metadata)
        for ev in result.get_asset_materialization_events()
    }
