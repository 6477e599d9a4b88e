"""FOCUS 1.2 CSV export: one row per usage fact, exact money, never a secret.

Every column FOCUS 1.2 makes mandatory is present with a valid value, plus the conditional
columns aispend knows (``SkuId``, ``ConsumedQuantity``/``ConsumedUnit``, ``SubAccountId``) and
``x_`` extensions. What aispend cannot know gets the value FOCUS prescribes for that case:

- ``BillingAccountId``/``BillingAccountName``: the tenant's account with the provider
  (``<tenant slug>/<provider>``), since each vendor bills the team separately;
- ``BillingPeriodStart``/``End``: the calendar month (UTC) the charge falls in;
- ``ChargeClass``: null (aispend holds no corrections of earlier periods);
- ``ContractedCost``: the billed cost (what the team's contract made it pay);
- ``ListCost``: the public-price equivalent when known, else the billed cost (never null, as
  FOCUS requires); ``x_ListCostFromBilled=true`` says it was not known, so an import restores
  the unknown;
- ``PricingQuantity``/``PricingUnit``: the consumed quantity and unit, else the tokens, else
  one charge (``Charges``); null for taxes, as FOCUS requires;
- ``ServiceCategory``: ``AI and Machine Learning`` (every source aispend reads).

``x_Tags`` carries the fact's tags (who entered a manual entry, an invoice id…) as JSON;
``x_OriginSource`` the source a file import's row came from (aispend's own export re-imported
keeps its ``x_Source`` there). ``warehouse.file_imports`` reads all of it back losslessly.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import TextIO

from sqlalchemy import Engine, and_, select
from sqlalchemy.orm import Session

from warehouse.errors import check_range
from warehouse.models import IdentityLink, Member, UsageFact, VendorAccount
from warehouse.tenants import TenantRef

# Today's first twelve columns keep their order; FOCUS 1.2's other mandatory columns follow.
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
    "BillingAccountId",
    "BillingAccountName",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargeClass",
    "ChargeDescription",
    "ContractedCost",
    "InvoiceIssuerName",
    "PricingQuantity",
    "PricingUnit",
    "PublisherName",
    "ServiceCategory",
    "SubAccountId",
]
SERVICE_CATEGORY = "AI and Machine Learning"
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
    "x_Requests",
    "x_ListCostFromBilled",
    "x_Tags",
    "x_OriginSource",
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


def _month(day: dt.date) -> tuple[dt.date, dt.date]:
    first = day.replace(day=1)
    return first, (first + dt.timedelta(days=32)).replace(day=1)


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def _pricing(f) -> tuple[str, str]:
    """FOCUS PricingQuantity and PricingUnit: null for a tax, never null otherwise."""
    if f.charge_category == "Tax":
        return "", ""
    if f.consumed_quantity is not None and f.consumed_unit:
        return _num(f.consumed_quantity), f.consumed_unit
    tokens = [f.input_tokens, f.output_tokens, f.cache_read_tokens, f.cache_write_tokens]
    if any(t is not None for t in tokens):
        return str(sum(t or 0 for t in tokens)), "Tokens"
    return "1", "Charges"


def _description(f) -> str:
    tags = f.tags or {}
    if tags.get("description"):
        return str(tags["description"])
    what = f.service if f.sku in ("", f.service) else f"{f.service}: {f.sku}"
    return f"{what} ({f.charge_category.lower()}, {f.cost_basis})"


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
            yield _row(fact, member_name, tenant)


def _row(f, member_name: str | None, tenant: TenantRef) -> dict:
    effective = (
        f.effective_cost_micros if f.effective_cost_micros is not None else f.billed_cost_micros
    )
    list_cost = f.list_cost_micros if f.list_cost_micros is not None else f.billed_cost_micros
    period_start, period_end = _month(f.charge_period_start)
    pricing_quantity, pricing_unit = _pricing(f)
    return {
        "BilledCost": money(f.billed_cost_micros),
        "EffectiveCost": money(effective),
        "ListCost": money(list_cost),
        "BillingCurrency": f.currency,
        "ChargePeriodStart": _timestamp(f.charge_period_start),
        "ChargePeriodEnd": _timestamp(f.charge_period_end),
        "ChargeCategory": f.charge_category,
        "ProviderName": f.provider,
        "ServiceName": f.service,
        "SkuId": f.sku,
        "ConsumedQuantity": _num(f.consumed_quantity),
        "ConsumedUnit": _num(f.consumed_unit),
        "BillingAccountId": f"{tenant.slug}/{_slug(f.provider)}",
        "BillingAccountName": f"{tenant.name} ({f.provider})",
        "BillingPeriodStart": _timestamp(period_start),
        "BillingPeriodEnd": _timestamp(period_end),
        "ChargeClass": "",
        "ChargeDescription": _description(f),
        "ContractedCost": money(f.billed_cost_micros),
        "InvoiceIssuerName": f.provider,
        "PricingQuantity": pricing_quantity,
        "PricingUnit": pricing_unit,
        "PublisherName": f.provider,
        "ServiceCategory": SERVICE_CATEGORY,
        "SubAccountId": _num(f.sub_account),
        "x_Source": f.source,
        "x_AccountKey": f.account_key,
        "x_MemberName": member_name or "",
        "x_CostBasis": f.cost_basis,
        "x_Confidence": f.confidence,
        "x_InputTokens": _num(f.input_tokens),
        "x_OutputTokens": _num(f.output_tokens),
        "x_CacheReadTokens": _num(f.cache_read_tokens),
        "x_CacheWriteTokens": _num(f.cache_write_tokens),
        "x_Requests": _num(f.requests),
        "x_ListCostFromBilled": "true" if f.list_cost_micros is None else "false",
        "x_Tags": json.dumps(f.tags, sort_keys=True, separators=(",", ":")) if f.tags else "",
        "x_OriginSource": _num(f.origin_source),
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
