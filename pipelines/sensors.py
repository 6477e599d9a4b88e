"""Input sensors: a change to a connector's input at rest reaches the marts within a minute.

Built for every connector whose schedule says ``watch_input`` (admin input such as manual
entries, a folder of report files). Every tick, for each tenant the connector covers, it asks
the connector for a fingerprint of that tenant's input (``Connector.input_fingerprint``); when
it changed, it requests a run of that tenant over the days the input covers
(``Connector.input_span``) plus every day the source already has facts on, so an edit or a
deletion replaces or removes the old facts too. A file connector overrides ``input_span`` to
say which days its files cover (otherwise only its daily sweep picks new files up). The marts follow through their automation.
The sensor never asks which connector it is watching.
"""

import datetime as dt
import json

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,  # what define_asset_job returns (not exported by dagster)
)

from connectors.contract import Connector, ConnectorError
from pipelines.ingest import (
    TENANT_TAG,
    history_start,
    ingest_key,
    partitions_for,
    range_tags,
)
from pipelines.resources import WarehouseResource
from warehouse import sync_status
from warehouse.connector_inputs import config_for, tenants_for
from warehouse.facts import fact_span

INTERVAL_SECONDS = 30


def sync_span(
    connector: type[Connector],
    input_span: tuple[dt.date, dt.date] | None,
    facts: tuple[dt.date, dt.date] | None,
) -> tuple[dt.date, dt.date] | None:
    """The days to re-sync: the input's span and the existing facts' span, clipped to the
    connector's partitions; None when there is neither input nor facts (nothing to do)."""
    spans = [s for s in (input_span, facts) if s is not None]
    if not spans:
        return None
    partitions = partitions_for(connector)
    first = max(min(s[0] for s in spans), history_start())
    last = min(max(s[1] for s in spans), dt.date.fromisoformat(partitions.get_last_partition_key()))
    return (first, last) if first <= last else None


def _last_sync_succeeded(engine, tenant_id: int, source: str) -> bool:
    """The tenant's last sync of ``source`` (e.g. by `aispend sync` or the demo, before the
    daemon ever ran this sensor) succeeded."""
    state = sync_status.get_status(engine, tenant_id, source)
    return bool(
        state
        and state.last_success_at
        and (state.last_attempt_at is None or state.last_attempt_at <= state.last_success_at)
    )


def build_input_sensor(
    connector: type[Connector], asset: dg.AssetsDefinition | UnresolvedAssetJobDefinition
) -> dg.SensorDefinition:
    name = connector.name

    @dg.sensor(
        name=f"{name}_input_changed",
        target=asset,
        minimum_interval_seconds=INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Re-syncs {connector.provider} when its input changes (added, edited, removed).",
    )
    def _sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
        engine = warehouse.engine
        keys = warehouse.settings.secret_keys
        seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
        requests = []
        for tenant in tenants_for(engine, connector):
            config = config_for(engine, keys, connector, tenant)
            instance = connector()
            try:
                fingerprint = instance.input_fingerprint(config) or ""
                span = instance.input_span(config)
            except ConnectorError as exc:
                context.log.warning(f"{name}: tenant {tenant.slug}: {exc}")
                continue
            if seen.get(tenant.slug) == fingerprint:
                continue
            seen[tenant.slug] = fingerprint
            if context.cursor is None and _last_sync_succeeded(engine, tenant.id, name):
                continue  # first tick: what the last sync read is the baseline (no re-run)
            days = sync_span(connector, span, fact_span(engine, tenant.id, name))
            if days is None:
                continue
            start, end = days
            requests.append(
                dg.RunRequest(
                    run_key=f"{name}-{tenant.slug}-{fingerprint}",
                    asset_selection=[ingest_key(name)],
                    tags={**range_tags(start, end), TENANT_TAG: tenant.slug},
                )
            )
        context.update_cursor(json.dumps(seen, sort_keys=True))
        if not requests:
            return dg.SkipReason(f"{name}: input unchanged")
        return requests

    return _sensor
