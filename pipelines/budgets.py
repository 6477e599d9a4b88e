"""The ``budget_alerts`` asset: budgets against this month's (and last month's) billed spend.

After every sync it records an alert event per budget, month and threshold crossed (75 %, 90 %,
100 % by default) or projected overrun, once, and delivers what is still undelivered to the
configured webhook and/or SMTP server; a failed delivery stays pending for the next run.
"""

import datetime as dt
from collections.abc import Sequence

import dagster as dg

from pipelines.alert_delivery import deliver_pending
from pipelines.ingest import TENANT_TAG
from pipelines.marts import GROUP as MARTS_GROUP
from pipelines.marts import MART_CONDITION
from pipelines.resources import WarehouseResource
from warehouse import budgets, tenants
from warehouse.actors import SYSTEM
from warehouse.settings import Settings
from warehouse.tenants import TenantRef

ASSET_NAME = "budget_alerts"


def periods_to_check(today: dt.date) -> list[str]:
    """This month, and last month (late vendor data can still push it over a threshold)."""
    last = today.replace(day=1) - dt.timedelta(days=1)
    return [f"{last:%Y-%m}", f"{today:%Y-%m}"]


def check_budgets(
    engine, tenant: TenantRef, settings: Settings, today: dt.date | None = None
) -> dict[str, int]:
    """Record new alert events for the tenant and deliver the pending ones."""
    today = today or dt.datetime.now(dt.UTC).date()
    new = 0
    for period in periods_to_check(today):
        usage = budgets.utilisation(engine, tenant, SYSTEM, period, today=today)
        new += budgets.record_alerts(engine, tenant, usage)
    report = deliver_pending(engine, tenant, settings)
    return {"new_alerts": new, "delivered": report.delivered, "delivery_failed": report.failed}


def build_budget_asset(deps: Sequence[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        name=ASSET_NAME,
        group_name=MARTS_GROUP,  # refreshed with the marts: after every sync, by the sensor
        deps=list(deps),
        kinds={"python"},
        automation_condition=MART_CONDITION,
        description=(
            "Budget alert events (75/90/100 % and projected overruns), recorded once per "
            "budget, month and threshold, delivered to the configured webhook/SMTP with retries."
        ),
    )
    def budget_alerts(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        only = context.run.tags.get(TENANT_TAG)
        totals = {"new_alerts": 0, "delivered": 0, "delivery_failed": 0}
        for tenant in tenants.list_tenants(warehouse.engine):
            if only is None or tenant.slug == only:
                for key, value in check_budgets(
                    warehouse.engine, tenant, warehouse.settings
                ).items():
                    totals[key] += value
        if totals["delivery_failed"]:
            context.log.warning(
                f"{totals['delivery_failed']} budget alert(s) not delivered; retried next run"
            )
        return dg.MaterializeResult(metadata={**totals, "rows": totals["new_alerts"]})

    return budget_alerts
