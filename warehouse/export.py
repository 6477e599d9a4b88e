"""FOCUS-shaped CSV export: one row per usage fact, exact money, never a secret."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import TextIO

from sqlalchemy import Engine, and_, select
from sqlalchemy.orm import Session

from warehouse.errors import check_range
from warehouse.models import IdentityLink, Member, UsageFact, VendorAccount
from warehouse.tenants import TenantRef

FOCUS_COLUMNS = [
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "BillingCurrency",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ProviderName",
    "ServiceName",
    "SkuId",
    "ConsumedQuantity",
    "ConsumedUnit",
]
EXTENSION_COLUMNS = [
    "x_Source",
    "x_AccountKey",
    "x_MemberName",
    "x_CostBasis",
    "x_Confidence",
    "x_InputTokens",
    "x_OutputTokens",
    "x_CacheReadTokens",
    "x_CacheWriteTokens",
]
COLUMNS = FOCUS_COLUMNS + EXTENSION_COLUMNS


def money(micros: int | None) -> str:
    """Exact decimal dollars from integer micro-dollars ('' for unknown)."""
    if micros is None:
        return ""
    return f"{Decimal(micros).scaleb(-6):.6f}"


def _timestamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _num(value) -> str:
    return "" if value is None else str(value)


def focus_rows(engine: Engine, tenant: TenantRef, start: dt.date, end: dt.date) -> Iterator[dict]:
    """Facts whose charge period starts within start..end (inclusive), streamed."""
    check_range(start, end, "the export range")
    query = (
        select(UsageFact, Member.display_name)
        .outerjoin(
            VendorAccount,
            and_(
                VendorAccount.tenant_id == UsageFact.tenant_id,
                VendorAccount.source == UsageFact.source,
                VendorAccount.account_key == UsageFact.account_key,
            ),
        )
        .outerjoin(IdentityLink, IdentityLink.vendor_account_id == VendorAccount.id)
        .outerjoin(Member, Member.id == IdentityLink.member_id)
        .where(
            UsageFact.tenant_id == tenant.id,
            UsageFact.charge_period_start >= start,
            UsageFact.charge_period_start <= end,
        )
        .order_by(
            UsageFact.charge_period_start,
            UsageFact.source,
            UsageFact.account_key,
            UsageFact.sku,
            UsageFact.id,
        )
        .execution_options(yield_per=2000)
    )
    with Session(engine) as session:
        for fact, member_name in session.execute(query):
            yield _row(fact, member_name)


def _row(f, member_name: str | None) -> dict:
    effective = (
        f.effective_cost_micros if f.effective_cost_micros is not None else f.billed_cost_micros
    )
    return {
        "BilledCost": money(f.billed_cost_micros),
        "EffectiveCost": money(effective),
        "ListCost": money(f.list_cost_micros),
        "BillingCurrency": f.currency,
        "ChargePeriodStart": _timestamp(f.charge_period_start),
        "ChargePeriodEnd": _timestamp(f.charge_period_end),
        "ChargeCategory": f.charge_category,
        "ProviderName": f.provider,
        "ServiceName": f.service,
        "SkuId": f.sku,
        "ConsumedQuantity": _num(f.consumed_quantity),
        "ConsumedUnit": _num(f.consumed_unit),
        "x_Source": f.source,
        "x_AccountKey": f.account_key,
        "x_MemberName": member_name or "",
        "x_CostBasis": f.cost_basis,
        "x_Confidence": f.confidence,
        "x_InputTokens": _num(f.input_tokens),
        "x_OutputTokens": _num(f.output_tokens),
        "x_CacheReadTokens": _num(f.cache_read_tokens),
        "x_CacheWriteTokens": _num(f.cache_write_tokens),
    }


def write_focus_csv(
    engine: Engine, tenant: TenantRef, start: dt.date, end: dt.date, out: TextIO
) -> int:
    check_range(start, end, "the export range")
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in focus_rows(engine, tenant, start, end):
        writer.writerow(row)
        count += 1
    return count
