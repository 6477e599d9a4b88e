"""Rows of an imported file as daily facts: one row checked and turned into fact dicts.

A generic invoice or usage row uses the columns ``warehouse.import_formats`` detected (a row
covering several days is split so the days sum to it exactly); a FOCUS row is read column for
column. A bad value raises ``RowProblem`` naming its column; ``warehouse.file_imports`` collects
those into one rejection with row numbers.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal

from connectors.contract import UNATTRIBUTED
from connectors.dates import parse_day
from connectors.money import split_over_days
from warehouse.import_formats import Detected, parse_amount

SOURCE = "file"
ONE_DAY = dt.timedelta(days=1)
CATEGORIES = ("Usage", "Purchase", "Credit", "Adjustment", "Tax")
TOKEN_COLUMNS = {
    "x_InputTokens": "input_tokens",
    "x_OutputTokens": "output_tokens",
    "x_CacheReadTokens": "cache_read_tokens",
    "x_CacheWriteTokens": "cache_write_tokens",
    "x_Requests": "requests",
}


class RowProblem(ValueError):
    def __init__(self, column: str | None, problem: str):
        self.column = column
        super().__init__(problem)


def _cell(row: dict[str, str], column: str | None) -> str:
    return (row.get(column) or "").strip() if column else ""


def _day(row: dict[str, str], column: str) -> dt.date:
    text = _cell(row, column)
    try:
        return parse_day(text)
    except (ValueError, TypeError):
        raise RowProblem(column, f"{text!r} is not a date") from None


def _money(row: dict[str, str], column: str, *, required: bool = True) -> int | None:
    text = _cell(row, column)
    if not text:
        if required:
            raise RowProblem(column, "is empty, not an amount")
        return None
    try:
        micros, currency = parse_amount(text)
    except ValueError as exc:
        raise RowProblem(column, str(exc)) from None
    if currency not in (None, "USD"):
        raise RowProblem(column, f"{text!r} is in {currency}: only USD amounts can be imported")
    return micros


def _count(row: dict[str, str], column: str | None) -> int | None:
    text = _cell(row, column).replace(",", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise RowProblem(column, f"{text!r} is not a whole number") from None
    if not value.is_finite() or value != value.to_integral_value() or value < 0:
        raise RowProblem(column, f"{text!r} is not a whole number >= 0")
    return int(value)


def _quantity(row: dict[str, str], column: str) -> Decimal | None:
    text = _cell(row, column)
    if not text:
        return None
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise RowProblem(column, f"{text!r} is not a number") from None
    if not value.is_finite():
        raise RowProblem(column, f"{text!r} is not a number")
    return value


def _days_of(start: dt.date, end_inclusive: dt.date, column: str) -> list[dt.date]:
    if end_inclusive < start:
        raise RowProblem(column, f"ends ({end_inclusive}) before it starts ({start})")
    if (end_inclusive - start).days > 3660:
        raise RowProblem(column, "covers more than ten years")
    return [start + dt.timedelta(days=i) for i in range((end_inclusive - start).days + 1)]


def _spread(value: int | None, day_list: list[dt.date], step: int) -> list[int | None]:
    if value is None:
        return [None] * len(day_list)
    if len(day_list) == 1:
        return [value]
    return [part for _, part in split_over_days(value, day_list[0], day_list[-1], step=step)]


def _generic_facts(row: dict[str, str], found: Detected, vendor: str | None) -> list[dict]:
    roles = found.roles
    start = _day(row, roles["date"])
    end = _day(row, roles["end_date"]) if _cell(row, roles.get("end_date")) else start
    day_list = _days_of(start, end, roles.get("end_date", roles["date"]))
    amount = _money(row, roles["amount"])
    if "currency" in roles:
        code = _cell(row, roles["currency"]).upper()
        if code and code != "USD":
            raise RowProblem(roles["currency"], f"{code!r}: only USD amounts can be imported")
    provider = _cell(row, roles.get("vendor")) or vendor
    if not provider:
        raise RowProblem(roles.get("vendor"), "names no vendor (pass --vendor NAME)")
    description = _cell(row, roles.get("description"))
    service = _cell(row, roles.get("service")) or provider
    sku = _cell(row, roles.get("sku")) or description or service
    user = _cell(row, roles.get("user"))
    account = (user.lower() if "@" in user else user) or UNATTRIBUTED
    tokens = _count(row, roles.get("tokens"))
    input_tokens = _count(row, roles.get("input_tokens"))
    if tokens is not None and input_tokens is None:
        input_tokens = tokens  # a total with no kind is booked as input, as manual entries are
    output_tokens = _count(row, roles.get("output_tokens"))
    tags = {}
    if description:
        tags["description"] = description
    invoice = _cell(row, roles.get("invoice"))
    if invoice:
        tags["invoice_id"] = invoice
    base = {
        "account_key": account[:320],
        "provider": provider[:64],
        "service": service[:128],
        "sku": sku[:200],
        "charge_category": "Usage",
        "cost_basis": "billed",
        "confidence": "medium",
        "currency": "USD",
        "tags": tags or None,
        "_invoice_id": invoice or None,
        "_stated_total": _money(row, roles["invoice_total"], required=False)
        if "invoice_total" in roles
        else None,
    }
    out = []
    for day, billed, inp, outp in zip(
        day_list,
        _spread(amount, day_list, 10_000),
        _spread(input_tokens, day_list, 1),
        _spread(output_tokens, day_list, 1),
        strict=True,
    ):
        out.append(
            {
                **base,
                "day": day,
                "billed_cost_micros": billed,
                "input_tokens": inp,
                "output_tokens": outp,
            }
        )
    return out


def _focus_facts(row: dict[str, str]) -> list[dict]:
    """A FOCUS row, column for column (aispend's own ``x_`` columns restore what it knew)."""
    start = _day(row, "ChargePeriodStart")
    end = _day(row, "ChargePeriodEnd") if _cell(row, "ChargePeriodEnd") else start
    last = end - dt.timedelta(days=1) if end > start else start  # FOCUS ends are exclusive
    day_list = _days_of(start, last, "ChargePeriodEnd")
    category = _cell(row, "ChargeCategory") or "Usage"
    if category not in CATEGORIES:
        raise RowProblem("ChargeCategory", f"{category!r} is not one of {', '.join(CATEGORIES)}")
    currency = _cell(row, "BillingCurrency") or "USD"
    if currency.upper() != "USD":
        raise RowProblem("BillingCurrency", f"{currency!r}: only USD amounts can be imported")
    basis = _cell(row, "x_CostBasis") or "billed"
    if basis not in ("billed", "estimated"):
        raise RowProblem("x_CostBasis", f"{basis!r} is not billed or estimated")
    confidence = _cell(row, "x_Confidence") or "medium"
    if confidence not in ("high", "medium", "low"):
        raise RowProblem("x_Confidence", f"{confidence!r} is not high, medium or low")
    billed = _money(row, "BilledCost")
    effective = _money(row, "EffectiveCost", required=False)
    list_cost = _money(row, "ListCost", required=False)
    if _cell(row, "x_ListCostFromBilled").lower() == "true":
        list_cost = None
    tags_text = _cell(row, "x_Tags")
    try:
        tags = json.loads(tags_text) if tags_text else None
    except json.JSONDecodeError:
        raise RowProblem("x_Tags", "is not JSON") from None
    if tags is not None and not isinstance(tags, dict):
        raise RowProblem("x_Tags", "is not a JSON object")
    provider = _cell(row, "ProviderName")
    if not provider:
        raise RowProblem("ProviderName", "is empty")
    base = {
        "account_key": _cell(row, "x_AccountKey") or UNATTRIBUTED,
        "provider": provider[:64],
        "service": (_cell(row, "ServiceName") or provider)[:128],
        "sku": _cell(row, "SkuId")[:200],
        "charge_category": category,
        "cost_basis": basis,
        "confidence": confidence,
        "currency": currency.upper(),
        "consumed_unit": _cell(row, "ConsumedUnit") or None,
        "sub_account": _cell(row, "SubAccountId") or None,
        "tags": tags,
        "origin_source": _cell(row, "x_OriginSource") or _cell(row, "x_Source") or None,
        "_invoice_id": _cell(row, "InvoiceId") or (tags or {}).get("invoice_id"),
    }
    spread = {
        "billed_cost_micros": _spread(billed, day_list, 1),
        "effective_cost_micros": _spread(effective, day_list, 1),
        "list_cost_micros": _spread(list_cost, day_list, 1),
    }
    quantity = _quantity(row, "ConsumedQuantity")
    for column, name in TOKEN_COLUMNS.items():
        spread[name] = _spread(_count(row, column), day_list, 1)
    out = []
    for i, day in enumerate(day_list):
        fact = {**base, "day": day, **{k: v[i] for k, v in spread.items()}}
        fact["consumed_quantity"] = quantity if len(day_list) == 1 else None
        out.append(fact)
    return out


def rows_to_facts(
    rows: Iterator[tuple[int, dict[str, str]]], found: Detected, vendor: str | None
) -> Iterator[tuple[int, list[dict] | None, RowProblem | None]]:
    for number, row in rows:
        try:
            facts = _focus_facts(row) if found.is_focus else _generic_facts(row, found, vendor)
        except RowProblem as problem:
            yield number, None, problem
            continue
        yield number, facts, None
