"""The Dagster code location: ingest assets from the connector registry, SQL marts, checks,
schedules and sensors, merged here from the modules that own them (``workspace.yaml``)."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from connectors.contract import Connector
from pipelines.analytics import build_analytics_asset
from pipelines.badges import build_badges_asset
from pipelines.budgets import build_budget_asset
from pipelines.checks import build_ingest_checks
from pipelines.ingest import build_ingest_asset, ingest_key
from pipelines.jobs import build_jobs, refresh_marts_job
from pipelines.marts import build_mart_definitions
from pipelines.resources import WarehouseResource
from pipelines.savings import build_savings_asset
from pipelines.schedules import build_schedules
from pipelines.sensors import build_input_sensor
from pipelines.suggestions.assets import suggestion_definitions
from pipelines.tag_marts import ADMIN_READS as TAG_MART_READS
from pipelines.tag_marts import build_tag_mart_assets


def build_definitions(connectors: Mapping[str, type[Connector]]) -> dg.Definitions:
    ingest = {name: build_ingest_asset(cls) for name, cls in sorted(connectors.items())}
    marts, mart_sensors = build_mart_definitions(
        [ingest_key(name) for name in ingest], python_reads=TAG_MART_READS
    )
    checks = [c for cls in connectors.values() for c in build_ingest_checks(cls)]
    jobs = build_jobs(connectors)  # sync_<source>: what schedules, sensors and the CLI run
    # Each connector's declared schedule: clocks for APIs, an input sensor for data at rest.
    schedules = [
        s for name, cls in sorted(connectors.items()) for s in build_schedules(cls, jobs[name])
    ]
    sensors = list(mart_sensors)
    sensors += [
        build_input_sensor(cls, jobs[name])
        for name, cls in sorted(connectors.items())
        if cls.schedule.watch_input
    ]
    core = dg.Definitions(
        assets=[*ingest.values(), *marts],
        asset_checks=checks,
        jobs=[*jobs.values(), refresh_marts_job()],
        schedules=schedules,
        sensors=sensors,
        resources={"warehouse": WarehouseResource()},
        # Steps in the run's own process: no re-import per step (STACK-NOTES §Dagster).
        executor=dg.in_process_executor,
    )
    facts = [ingest_key(n) for n in ingest]
    badge_awards = build_badges_asset(facts)
    return dg.Definitions.merge(
        core,
        dg.Definitions(
            assets=[
                badge_awards,
                build_budget_asset(facts),
                build_analytics_asset(facts),
                build_savings_asset(facts),
                *build_tag_mart_assets(facts),
            ]
        ),
        # Suggestions quote the member's place on the leaderboard mart ("up N places").
        suggestion_definitions(
            [*facts, badge_awards.key, dg.AssetKey("leaderboard")],
            refresh_first=[badge_awards.key],
        ),
    )


@dg.definitions
def defs() -> dg.Definitions:
    from connectors.registry import load_connectors

    return build_definitions(load_connectors())
