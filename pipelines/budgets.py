"""The ``budget_alerts`` asset: budgets against this month's (and last month's) billed spend.

After every sync it records an alert event per budget, month and threshold crossed (75 %, 90 %,
100 % by default) or projected overrun, once, and delivers what is still undelivered to the
configured webhook and/or SMTP server; a failed delivery stays pending for the next run.
"""

import datetime as dt
from collections.abc import Sequence

import dagster as dg

from pipelines.alert_delivery import deliver_pending
from pipelines.marts import GROUP as MARTS_GROUP
from pipelines.marts import MART_CONDITION
from pipelines.tenant_assets import build_tenant_asset
from warehouse import budgets
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
    # In the marts group: refreshed with the marts, after every sync and by the mart sensor.
    return build_tenant_asset(
        ASSET_NAME,
        check_budgets,
        deps=deps,
        group=MARTS_GROUP,
        automation_condition=MART_CONDITION,
        rows_from=("new_alerts",),
        description=(
            "Budget alert events (75/90/100 % and projected overruns), recorded once per "
            "budget, month and threshold, delivered to the configured webhook/SMTP; failed "
            "deliveries stay pending and are retried on the next run."
        ),
    )
