"""Schedules: an hourly refresh of today and yesterday, and a daily sweep over each connector's
revision window (vendors revise recent days late). Both run by default.

Manual entries have no schedule: the manual-entries sensor re-syncs them when an admin edits.
"""

import datetime as dt

import dagster as dg

from connectors.contract import Connector
from pipelines.ingest import PARTITIONS_START, range_tags

HOURLY_CRON = "7 * * * *"
SWEEP_CRON = "30 3 * * *"


def _clamp(start: dt.date) -> dt.date:
    return max(start, dt.date.fromisoformat(PARTITIONS_START))


def refresh_range(now: dt.datetime) -> tuple[dt.date, dt.date]:
    today = now.astimezone(dt.UTC).date()
    return _clamp(today - dt.timedelta(days=1)), today


def sweep_range(now: dt.datetime, revision_window_days: int) -> tuple[dt.date, dt.date]:
    today = now.astimezone(dt.UTC).date()
    return _clamp(today - dt.timedelta(days=max(revision_window_days, 1))), today


def build_schedules(
    connector: type[Connector], asset: dg.AssetsDefinition
) -> list[dg.ScheduleDefinition]:
    name = connector.name

    @dg.schedule(
        name=f"refresh_{name}",
        cron_schedule=HOURLY_CRON,
        target=asset,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Hourly: re-read today and yesterday from {connector.provider}.",
    )
    def _refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        start, end = refresh_range(context.scheduled_execution_time)
        return dg.RunRequest(tags=range_tags(start, end))

    @dg.schedule(
        name=f"sweep_{name}",
        cron_schedule=SWEEP_CRON,
        target=asset,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=(
            f"Daily: re-read the last {connector.revision_window_days} day(s) "
            f"{connector.provider} may still revise."
        ),
    )
    def _sweep(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        start, end = sweep_range(context.scheduled_execution_time, connector.revision_window_days)
        return dg.RunRequest(tags=range_tags(start, end))

    return [_refresh, _sweep]
