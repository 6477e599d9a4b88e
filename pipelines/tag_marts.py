"""Python-built marts: ``spend_by_tag`` (``warehouse.tag_spend``) and ``vendor_period``
(``warehouse.vendor_period``), rewritten per tenant after every sync.

Both sit in the marts group (``aispend refresh`` and the mart automation rebuild them). An
admin's tag assignment changes ``spend_by_tag``: it reads the admin table ``tag_assignments``
(an observable source asset), and the ``marts_admin_input`` sensor refreshes the tenant's rows
within a minute (``ADMIN_READS``, handed to ``pipelines.marts.build_mart_definitions``).
"""

from collections.abc import Sequence

import dagster as dg

from pipelines.marts import GROUP as MARTS_GROUP
from pipelines.marts import MART_CONDITION, admin_key
from pipelines.tenant_assets import build_tenant_asset
from warehouse import tag_spend, vendor_period
from warehouse.settings import Settings
from warehouse.tenants import TenantRef

SPEND_BY_TAG = "spend_by_tag"
VENDOR_PERIOD = "vendor_period"
# Python marts and the admin tables they read (the admin-input sensor refreshes them).
ADMIN_READS = {SPEND_BY_TAG: ("tag_assignments",)}


def refresh_spend_by_tag(engine, tenant: TenantRef, _settings: Settings) -> dict[str, int]:
    return {"rows": tag_spend.refresh(engine, tenant.id)}


def refresh_vendor_period(engine, tenant: TenantRef, _settings: Settings) -> dict[str, int]:
    return {"rows": vendor_period.refresh(engine, tenant.id)}


def build_tag_mart_assets(facts: Sequence[dg.AssetKey]) -> list[dg.AssetsDefinition]:
    return [
        build_tenant_asset(
            SPEND_BY_TAG,
            refresh_spend_by_tag,
            deps=[*facts, *(admin_key(t) for t in ADMIN_READS[SPEND_BY_TAG])],
            group=MARTS_GROUP,
            automation_condition=MART_CONDITION,
            rows_from=("rows",),
            description=(
                "Spend per tenant, month, source, tag key and value (the vendor's FOCUS tags "
                "with the admins' tag assignments laid over them): billed exact, estimate and "
                "list-price value beside it, tokens NULL when unknown; an untagged row per key "
                "so a key's rows sum to the month's spend."
            ),
        ),
        build_tenant_asset(
            VENDOR_PERIOD,
            refresh_vendor_period,
            deps=list(facts),
            group=MARTS_GROUP,
            automation_condition=MART_CONDITION,
            rows_from=("rows",),
            description=(
                "Each source's month: billed spend, estimate beside it, tokens, seats, idle "
                "seats and their fee, last successful sync (freshness computed when read)."
            ),
        ),
    ]
