"""A Python asset that refreshes something per tenant (badges, budget alerts, forecasts).

``refresh(engine, tenant, settings)`` returns counts; the asset runs it for every tenant (or
only the one a run is tagged with), sums the counts into the materialization's metadata, and
reports ``rows`` (what the sync summary counts) as the sum of the ``rows_from`` counts.
"""

from collections.abc import Callable, Mapping, Sequence

import dagster as dg
from sqlalchemy import Engine

from pipelines.ingest import TENANT_TAG
from pipelines.marts import REFRESH_TENANT_TAG
from pipelines.resources import WarehouseResource
from warehouse import tenants
from warehouse.settings import Settings
from warehouse.tenants import TenantRef

Refresh = Callable[[Engine, TenantRef, Settings], Mapping[str, int]]


def build_tenant_asset(
    name: str,
    refresh: Refresh,
    *,
    deps: Sequence[dg.AssetKey],
    group: str,
    description: str,
    rows_from: Sequence[str] = (),
    automation_condition: dg.AutomationCondition | None = None,
) -> dg.AssetsDefinition:
    @dg.asset(
        name=name,
        group_name=group,
        deps=list(deps),
        kinds={"python"},
        automation_condition=automation_condition,
        description=description,
    )
    def _asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        # A sync's run names its tenant; the admin-input sensor's refresh names one too.
        only = context.run.tags.get(TENANT_TAG) or context.run.tags.get(REFRESH_TENANT_TAG)
        totals: dict[str, int] = {}
        for tenant in tenants.list_tenants(warehouse.engine):
            if only is None or tenant.slug == only:
                counts = refresh(warehouse.engine, tenant, warehouse.settings)
                for key, value in counts.items():
                    totals[key] = totals.get(key, 0) + value
                context.log.info(f"{tenant.slug}: {dict(counts)}")
        rows = sum(totals.get(k, 0) for k in rows_from)
        return dg.MaterializeResult(metadata={**totals, "rows": rows})

    return _asset
