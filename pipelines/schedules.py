"""Schedules, as each connector declares them (``Connector.schedule``, a ``SyncSchedule``):
a refresh of today and yesterday (``refresh_cron``) and a sweep over the connector's revision
window (``sweep_cron``; vendors revise recent days late). Both run by default. A connector that
declares neither (admin input) gets no schedule; its input sensor re-syncs it on change.
"""

import datetime as dt

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,  # what define_asset_job returns (not exported by dagster)
)

from connectors.contract import Connector
from pipelines.ingest import history_start, range_tags


def _clamp(start: dt.date) -> dt.date:
    return max(start, history_start())


def refresh_range(now: dt.datetime) -> tuple[dt.date, dt.date]:
    today = now.astimezone(dt.UTC).date()
    return _clamp(today - dt.timedelta(days=1)), today


def sweep_range(now: dt.datetime, revision_window_days: int) -> tuple[dt.date, dt.date]:
    today = now.astimezone(dt.UTC).date()
    return _clamp(today - dt.timedelta(days=max(revision_window_days, 1))), today


def build_schedules(
    connector: type[Connector], asset: dg.AssetsDefinition | UnresolvedAssetJobDefinition
) -> list[dg.ScheduleDefinition]:
    plan = connector.schedule
    schedules: list[dg.ScheduleDefinition] = []
    if plan.refresh_cron:
        schedules.append(_refresh_schedule(connector, asset, plan.refresh_cron))
    if plan.sweep_cron:
        schedules.append(_sweep_schedule(connector, asset, plan.sweep_cron))
    return schedules


def _refresh_schedule(
    connector: type[Connector],
    asset: dg.AssetsDefinition | UnresolvedAssetJobDefinition,
    cron: str,
) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=f"refresh_{connector.name}",
        cron_schedule=cron,
        target=asset,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Re-read today and yesterday from {connector.provider}.",
    )
    def _refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        start, end = refresh_range(context.scheduled_execution_time)
        return dg.RunRequest(tags=range_tags(start, end))

    return _refresh


def _sweep_schedule(
    connector: type[Connector],
    asset: dg.AssetsDefinition | UnresolvedAssetJobDefinition,
    cron: str,
) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=f"sweep_{connector.name}",
        cron_schedule=cron,
        target=asset,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=(
            f"Re-read the last {connector.revision_window_days} day(s) "
            f"{connector.provider} may still revise."
        ),
    )
    def _sweep(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        start, end = sweep_range(context.scheduled_execution_time, connector.revision_window_days)
        return dg.RunRequest(tags=range_tags(start, end))

    return _sweep
