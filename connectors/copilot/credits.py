"""AI-credit usage (billed since 2026-06-01): per user per day through ``user=<login>`` (asked
only of the logins whose month shows any use: ``user=`` per seat login per month first), the
organisation's own daily total as the control total, and what no seat login carries (a
former member's credits) as the explicit ``unattributed`` remainder.

``netAmount`` (USD) is what was billed, after the pooled included credits; ``grossAmount`` is
kept as the list cost. SKU and unit strings are read from each answer, never matched: GitHub
spells them differently for the organisation (``"Copilot AI Credits"``, ``"credits"``) and for
a user (``"AI Credit"``, ``"ai-credits"``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from connectors.contract import UNATTRIBUTED, UsageRecord, VendorTotal
from connectors.copilot.payloads import PATH_AI_CREDITS, CreditItem, parse_credit_usage
from connectors.copilot.seats import SERVICE
from connectors.http import VendorHttp


def _query(
    day: dt.date, user: str | None = None, *, whole_month: bool = False
) -> dict[str, object]:
    query: dict[str, object] = {"year": day.year, "month": day.month}
    if not whole_month:
        query["day"] = day.day
    if user is not None:
        query["user"] = user
    return query


def logins_with_credits(http: VendorHttp, org: str, month: dt.date, logins: list[str]) -> list[str]:
    """The seat logins with any AI-credit usage in ``month`` (to date): one request per login
    and month, so the daily requests go only to the logins that used credits."""
    path = PATH_AI_CREDITS.format(org=org)
    used = []
    for login in logins:
        items = parse_credit_usage(
            http.get_json(path, _query(month, login, whole_month=True)), path
        )
        if any(item.net_micros or item.gross_micros for item in items):
            used.append(login)
    return used


def read_day(
    http: VendorHttp, org: str, day: dt.date, logins: list[str]
) -> tuple[list[UsageRecord], VendorTotal]:
    """The AI-credit records of one day (one request for the org, one per login that used
    credits that month)."""
    path = PATH_AI_CREDITS.format(org=org)
    org_items = parse_credit_usage(http.get_json(path, _query(day)), path)
    records: list[UsageRecord] = []
    for login in logins:
        items = parse_credit_usage(http.get_json(path, _query(day, login)), path)
        records.extend(_user_records(day, login, items))
    org_total = sum(item.net_micros for item in org_items)
    remainder = org_total - sum(r.billed_cost_micros for r in records)
    gross_remainder = sum(i.gross_micros for i in org_items) - sum(
        r.list_cost_micros or 0 for r in records
    )
    if remainder or gross_remainder:
        label = sorted({item.sku for item in org_items})
        records.append(
            UsageRecord(
                day=day,
                account_key=UNATTRIBUTED,
                service=SERVICE,
                sku=" + ".join(label) if label else "AI credits",
                billed_cost_micros=remainder,
                list_cost_micros=gross_remainder,
            )
        )
    return records, VendorTotal(day, org_total, scope="ai_credits")


def _user_records(day: dt.date, login: str, items: list[CreditItem]) -> list[UsageRecord]:
    grouped: dict[tuple[str, str | None], list[CreditItem]] = defaultdict(list)
    for item in items:
        grouped[(item.sku, item.model)].append(item)
    records = []
    for (sku, model), group in sorted(grouped.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        net = sum(i.net_micros for i in group)
        gross = sum(i.gross_micros for i in group)
        if not net and not gross:
            continue
        units = sorted({i.unit_type for i in group})
        records.append(
            UsageRecord(
                day=day,
                account_key=login,
                service=SERVICE,
                sku=f"{sku} · {model}" if model else sku,
                billed_cost_micros=net,
                list_cost_micros=gross,
                consumed_quantity=sum((i.net_quantity for i in group), Decimal(0)),
                consumed_unit=units[0] if len(units) == 1 else None,
            )
        )
    return records
