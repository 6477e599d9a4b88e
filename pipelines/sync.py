"""The sync runner behind ``aispend sync``: materialize ingest assets through Dagster, in process.

Each selected source is one run covering ``start..end`` (a single-run backfill), so one
vendor failing never blocks the others; the marts are rebuilt afterwards. Runs are recorded in
the Dagster instance at ``settings.dagster_home`` when it holds a ``dagster.yaml`` (so they
show up in the Dagster UI), otherwise in an ephemeral instance.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import dagster as dg

from connectors.contract import Connector
from pipelines.definitions import build_definitions
from pipelines.ingest import TENANT_TAG, ingest_key, partitions_for, range_tags
from pipelines.marts import GROUP as MARTS_GROUP
from pipelines.marts import REFRESH_TAG as MARTS_REFRESH_TAG
from pipelines.marts import REFRESH_TENANT_TAG as MARTS_REFRESH_TENANT_TAG
from pipelines.resources import WarehouseResource, engine_for
from warehouse import tenants
from warehouse.errors import InvalidInput, NotFound
from warehouse.settings import Settings

#: A failed source is reported once, as its result (the CLI's `error:` line); the run's full
#: log, stack traces included, stays in the Dagster instance instead of on the console.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass(frozen=True)
class SourceResult:
    source: str
    rows: int
    ok: bool
    error: str | None = None


def dagster_instance(settings: Settings) -> dg.DagsterInstance:
    """The persistent instance at ``settings.dagster_home`` if configured, else an ephemeral one."""
    if (settings.dagster_home / "dagster.yaml").exists():
        return dg.DagsterInstance.from_config(str(settings.dagster_home))
    return dg.DagsterInstance.ephemeral()


def _load_connectors() -> Mapping[str, type[Connector]]:
    from connectors.registry import load_connectors

    return load_connectors()


def _assets(defs: dg.Definitions) -> list:
    return [*defs.assets, *(defs.asset_checks or [])]


def _rows(metadata: Mapping) -> int:
    value = metadata.get("rows")
    return int(getattr(value, "value", value) or 0)


def _outcome(source: str, result: dg.ExecuteInProcessResult) -> SourceResult:
    # A range run reports one materialization per partition, each with the run's metadata.
    rows = max(
        (_rows(ev.materialization.metadata) for ev in result.get_asset_materialization_events()),
        default=0,
    )
    if result.success:
        return SourceResult(source, rows, True)
    error = "run failed"
    for ev in result.get_step_failure_events():
        data = ev.step_failure_data
        if data.user_failure_data is not None and data.user_failure_data.description:
            error = data.user_failure_data.description
            rows += _rows(data.user_failure_data.metadata or {})
        elif data.error is not None:
            error = data.error.message.strip()
        break
    return SourceResult(source, rows, False, error)


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
) -> list[SourceResult]:
    """Sync ``sources`` (default: all registered) for days ``start..end``, then rebuild marts.

    ``tenant`` (a slug) restricts the sync to that tenant; ``connectors`` overrides the
    registry (tests); ``tags`` are added to every Dagster run (the launcher finds its runs by
    them). Raises ``ValueError`` for an unknown source, tenant or an empty range.
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
    instance = instance or dagster_instance(settings)
    warehouse = WarehouseResource.for_settings(settings)
    extra = dict(tags or {})
    run_tags = {**extra, **range_tags(start, end)}
    if tenant is not None:
        run_tags[TENANT_TAG] = tenant
    results = []
    try:
        for name in names:
            result = dg.materialize(
                _assets(defs),
                selection=[ingest_key(name)],
                instance=instance,
                resources={"warehouse": warehouse},
                tags=run_tags,
                raise_on_error=False,
                run_config=QUIET_CONSOLE,
            )
            results.append(_outcome(name, result))
    finally:
        warehouse.release()
    refresh_marts(settings, instance=instance, connectors=connectors, tags=extra)
    return results


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
) -> dict[str, int]:
    """Refresh every mart now; returns rows written per mart. Raises if a mart fails.

    By default incremental models recompute what the syncs since their last build touched
    (everything when nothing says); ``full`` recomputes everything, of ``tenant`` (a slug) only
    when given (an unknown slug raises ``TenantNotFound``)."""
    connectors = connectors if connectors is not None else _load_connectors()
    tags = dict(tags or {})
    if tenant is not None:
        tenants.get_tenant(engine_for(settings), tenant)  # raises TenantNotFound (a ValueError)
        full = True
        tags[MARTS_REFRESH_TENANT_TAG] = tenant
    if full:
        tags[MARTS_REFRESH_TAG] = "all"
    defs = build_definitions(connectors)
    warehouse = WarehouseResource.for_settings(settings)
    try:
        result = dg.materialize(
            _assets(defs),
            selection=dg.AssetSelection.groups(MARTS_GROUP),
            instance=instance or dagster_instance(settings),
            resources={"warehouse": warehouse},
            tags=tags,
            run_config=QUIET_CONSOLE,
        )
    finally:
        warehouse.release()
    return {
        ev.asset_key.to_user_string(): _rows(ev.materialization.metadata)
        for ev in result.get_asset_materialization_events()
    }
