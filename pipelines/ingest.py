"""Ingest assets: one daily-partitioned asset per registered connector (``ingest_<name>``).

A run covers a partition range in one go (``BackfillPolicy.single_run()``): the connector is
asked once for the whole range and windows its own requests, so a 90-day backfill is one run.
Which tenants a run covers and what config each gets come from the connector's declaration
(``config_source``, read by ``warehouse.connector_inputs``); its partitions reach
``future_days`` past today. Each tenant is fetched and written separately: its partition is
replaced in one transaction and its sync status recorded. One tenant failing never stops the
others; the asset fails at the end, naming the vendor and the (redacted) reasons. Config
values are handed to the connector and never logged.
"""

import datetime as dt
import warnings
from collections.abc import Mapping
from contextlib import closing

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from connectors.contract import Connector, ConnectorError
from connectors.http import redact
from pipelines import early_fetch
from pipelines.resources import WarehouseResource
from warehouse import sync_status
from warehouse.connector_inputs import config_for, tenants_for
from warehouse.facts import replace_partition
from warehouse.locks import SyncBusy, sync_lock
from warehouse.prices import price_book
from warehouse.settings import Settings
from warehouse.tenants import TenantRef

PARTITIONS_START = "2025-01-01"  # the default of AISPEND_HISTORY_START
TENANT_TAG = "aispend/tenant"  # restricts a run to one tenant (slug)
_PARTITIONS: dict[tuple[dt.date, int], dg.DailyPartitionsDefinition] = {}
GROUP = "ingest"


def range_tags(start: dt.date, end: dt.date) -> dict[str, str]:
    """Run tags selecting the partition range start..end (one single-run backfill)."""
    return {
        ASSET_PARTITION_RANGE_START_TAG: start.isoformat(),
        ASSET_PARTITION_RANGE_END_TAG: end.isoformat(),
    }


def history_start() -> dt.date:
    """The first day kept: ``AISPEND_HISTORY_START`` (where the team's history starts; the
    demo sets it to its first simulated day), default 2025-01-01."""
    return Settings.from_env().history_start


def partitions_for(connector: type[Connector]) -> dg.DailyPartitionsDefinition:
    """Daily partitions from ``history_start()`` to today (``end_offset=1``: today's still
    growing partition exists, so the hourly refresh can re-read it), plus ``future_days`` ahead
    for sources whose input covers days to come (a monthly invoice entered on the 1st)."""
    offset = 1 + max(0, int(connector.future_days))
    key = (history_start(), offset)
    if key not in _PARTITIONS:
        _PARTITIONS[key] = dg.DailyPartitionsDefinition(
            start_date=key[0].isoformat(), end_offset=offset
        )
    return _PARTITIONS[key]


def ingest_key(source: str) -> dg.AssetKey:
    return dg.AssetKey(f"ingest_{source}")


def _reason(exc: Exception, secrets: list[str]) -> str:
    text = str(exc) if isinstance(exc, ConnectorError) else f"{type(exc).__name__}: {exc}"
    return redact(text, secrets)


def sync_tenant(
    engine,
    keys,
    connector: type[Connector],
    tenant: TenantRef,
    start: dt.date,
    end: dt.date,
    *,
    log=None,
    run_id: str | None = None,
    deadline_seconds: float | None = None,
) -> int:
    """Fetch and write one tenant's range; records sync status. Raises ``SyncFailed`` (redacted).

    ``deadline_seconds`` bounds the whole fetch (every request, retry and backoff), on top of
    the per-request timeout cap: a hanging vendor gives up then, saying so. One sync of a
    (tenant, source) at a time: a second one waits for the first (bounded, see
    ``warehouse.locks``), then fails with "another sync of … is running" without touching the
    first one's sync status.
    """
    try:
        with sync_lock(engine, tenant.id, tenant.slug, connector.name):
            return _sync_tenant_locked(
                engine, keys, connector, tenant, start, end, log=log, run_id=run_id,
                deadline_seconds=deadline_seconds,
            )  # fmt: skip
    except SyncBusy as busy:
        raise SyncFailed(str(busy)) from None


def _sync_tenant_locked(
    engine,
    keys,
    connector: type[Connector],
    tenant: TenantRef,
    start: dt.date,
    end: dt.date,
    *,
    log=None,
    run_id: str | None = None,
    deadline_seconds: float | None = None,
) -> int:
    sync_status.record_attempt(engine, tenant.id, connector.name)
    config: dict = {}
    try:
        config = config_for(engine, keys, connector, tenant)
        missing = connector.missing_credentials(config)
        if missing:
            raise ConnectorError(connector.name, f"not configured: missing {', '.join(missing)}")
        # The fetch ``run_sync`` started while Dagster readied this run, if it is this one;
        # else the connector's batches from now on. Either way the next batch is fetched
        # while this one is written (a bounded hand-off); closing it stops the fetch at once
        # when the write fails.
        batches = early_fetch.claim(connector.name, tenant.id, start, end, config, log)
        if batches is None:
            rates = price_book(engine, tenant).token_rates  # list prices, usage weights only
            batches = early_fetch.open_fetch(
                connector, tenant.slug, config, rates, start, end, log=log,
                deadline_seconds=deadline_seconds,
            )  # fmt: skip
        with closing(batches) as batches:
            result = replace_partition(
                engine,
                tenant.id,
                connector.name,
                start,
                end,
                batches,
                source_type=connector.source_type,
                provider=connector.provider,
                run_id=run_id,
            )
    except Exception as exc:
        reason = _reason(exc, connector.secret_values(config))
        sync_status.record_failure(engine, tenant.id, connector.name, reason)
        raise SyncFailed(reason) from None
    sync_status.record_success(engine, tenant.id, connector.name, result.rows)
    return result.rows


class SyncFailed(Exception):
    """One tenant's sync of one source failed; the message is already redacted."""


def build_ingest_asset(connector: type[Connector]) -> dg.AssetsDefinition:
    with warnings.catch_warnings():
        # BackfillPolicy is marked beta in Dagster 1.13; it is what makes a range one run.
        warnings.simplefilter("ignore", dg.BetaWarning)
        return _build_ingest_asset(connector)


def _build_ingest_asset(connector: type[Connector]) -> dg.AssetsDefinition:
    name = connector.name

    @dg.asset(
        name=f"ingest_{name}",
        group_name=GROUP,
        partitions_def=partitions_for(connector),
        backfill_policy=dg.BackfillPolicy.single_run(),
        description=(connector.__doc__ or f"{connector.provider} usage").strip().splitlines()[0],
        kinds={"python"},
        tags={"aispend/source_type": connector.source_type},
        metadata={"provider": connector.provider, "source_type": connector.source_type},
    )
    def _ingest(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        window = context.partition_key_range
        start = dt.date.fromisoformat(window.start)
        end = dt.date.fromisoformat(window.end)
        engine = warehouse.engine
        keys = warehouse.settings.secret_keys
        only = context.run.tags.get(TENANT_TAG)
        rows_by_tenant: dict[str, int] = {}
        failures: dict[str, str] = {}
        for tenant in tenants_for(engine, connector, only):
            try:
                rows = sync_tenant(
                    engine,
                    keys,
                    connector,
                    tenant,
                    start,
                    end,
                    log=context.log,
                    run_id=context.run_id,
                    deadline_seconds=warehouse.settings.source_deadline_seconds,
                )
            except SyncFailed as failed:
                failures[tenant.slug] = str(failed)
                context.log.error(f"{name}: tenant {tenant.slug} failed: {failed}")
                continue
            rows_by_tenant[tenant.slug] = rows
            context.log.info(f"{name}: tenant {tenant.slug}: {rows} rows for {start}..{end}")
        metadata = {
            "rows": sum(rows_by_tenant.values()),
            "rows_by_tenant": dg.MetadataValue.json(rows_by_tenant),
            "start": start.isoformat(),
            "end": end.isoformat(),
        }
        if failures:
            detail = "; ".join(f"{slug}: {reason}" for slug, reason in failures.items())
            raise dg.Failure(
                description=(
                    f"{connector.provider} ({name}) failed for {len(failures)} tenant(s): {detail}"
                ),
                metadata={**metadata, "failed_tenants": dg.MetadataValue.json(failures)},
            )
        return dg.MaterializeResult(metadata=metadata)

    return _ingest


def build_ingest_assets(connectors: Mapping[str, type[Connector]]) -> list[dg.AssetsDefinition]:
    return [build_ingest_asset(cls) for _, cls in sorted(connectors.items())]
