"""The Dagster side of suggestions: the ``member_suggestions`` asset and its daily schedule.

The asset walks every tenant with members and brings their suggestions up to date through the
cache (``generate.refresh_suggestions``): a second materialization with nothing changed makes
no LLM call. It runs daily (not on every hourly sync, which would rewrite the current month's
suggestions all day long), after a demo or ``aispend sync`` on request, and from the UI. LLM
failures never fail the asset: they are recorded per suggestion and counted in its metadata.
"""

from collections.abc import Sequence

import dagster as dg

from pipelines.ingest import TENANT_TAG
from pipelines.jobs import REFRESH_SUGGESTIONS, refresh_suggestions_job
from pipelines.resources import WarehouseResource
from pipelines.suggestions.generate import RefreshSummary, refresh_suggestions
from warehouse import tenants
from warehouse.settings import Settings
from warehouse.suggestion_config import get_config

GROUP = "suggestions"
ASSET_NAME = "member_suggestions"
DAILY_CRON = "15 6 * * *"


def build_suggestions_asset(deps: Sequence[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        name=ASSET_NAME,
        group_name=GROUP,
        deps=list(deps),
        kinds={"python", "anthropic"},
        description=(
            "One suggestion per member and month, written by Claude from aggregated metrics "
            "(the offline muse without ANTHROPIC_API_KEY); cached by inputs, prompt and model."
        ),
    )
    def member_suggestions(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        settings = warehouse.settings
        engine = warehouse.engine
        only = context.run.tags.get(TENANT_TAG)
        total = RefreshSummary()
        for tenant in tenants.list_tenants(engine):
            if only is not None and tenant.slug != only:
                continue
            summary = refresh_suggestions(
                engine,
                tenant,
                get_config(engine, tenant),
                api_key=settings.anthropic_api_key,
                log=context.log.warning,
            )
            context.log.info(f"{tenant.slug}: {summary.as_metadata()}")
            for name, value in vars(summary).items():
                if isinstance(value, int):
                    setattr(total, name, getattr(total, name) + value)
        metadata = total.as_metadata()
        metadata["generator"] = "claude" if settings.anthropic_api_key else "offline"
        return dg.MaterializeResult(metadata=metadata)

    return member_suggestions


def suggestion_definitions(
    deps: Sequence[dg.AssetKey], refresh_first: Sequence[dg.AssetKey] = ()
) -> dg.Definitions:
    """The asset, its named job ``refresh_suggestions`` (which also refreshes ``refresh_first``,
    e.g. the badges the suggestions mention) and the job's daily schedule, to merge into the code
    location."""
    asset = build_suggestions_asset(deps)
    job = refresh_suggestions_job([*refresh_first, asset.key])
    daily = dg.ScheduleDefinition(
        name="suggestions_daily",
        cron_schedule=DAILY_CRON,
        job=job,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Daily: refresh members' suggestions (cached: unchanged inputs cost nothing).",
    )
    return dg.Definitions(assets=[asset], jobs=[job], schedules=[daily])


def materialize_suggestions(
    settings: Settings,
    *,
    tenant: str | None = None,
    instance: dg.DagsterInstance | None = None,
    verbose: bool = True,
) -> dict:
    """Run ``refresh_suggestions`` (the badges, then ``member_suggestions``) now, in process;
    returns the suggestions' metadata. ``verbose=False`` silences Dagster's console log."""
    from connectors.registry import load_connectors
    from pipelines.definitions import build_definitions
    from pipelines.sync import dagster_instance, execute_job

    defs = build_definitions(load_connectors())
    warehouse = WarehouseResource.for_settings(settings)
    try:
        result = execute_job(
            defs,
            REFRESH_SUGGESTIONS,
            instance=instance or dagster_instance(settings),
            warehouse=warehouse,
            tags={TENANT_TAG: tenant} if tenant else {},
            verbose=verbose,
            raise_on_error=True,
        )
    finally:
        warehouse.release()
    (event,) = [
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(ASSET_NAME)
    ]
    return {k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}
