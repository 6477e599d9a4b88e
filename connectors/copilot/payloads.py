"""Reading GitHub's Copilot payloads (vendor-apis.md §3): seats, the org's plan, AI-credit
usage and the per-user usage-metrics NDJSON rows. Every missing or mistyped field is a
``SchemaError`` naming the endpoint and the field; nothing is silently dropped."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connectors.contract import SchemaError
from connectors.payload import PayloadReader

VENDOR = "copilot"
API_VERSION = "2026-03-10"
PATH_BILLING = "/orgs/{org}/copilot/billing"
PATH_SEATS = "/orgs/{org}/copilot/billing/seats"
PATH_AI_CREDITS = "/organizations/{org}/settings/billing/ai_credit/usage"
PATH_USER_REPORT = "/orgs/{org}/copilot/metrics/reports/users-1-day"
PLANS = ("business", "enterprise")
SEAT_PLAN_TYPES = (*PLANS, "unknown")


@dataclass(frozen=True)
class Seat:
    """One granted seat. ``login`` is None when GitHub gives no assignee (a null ``assignee``)."""

    login: str | None
    name: str | None
    email: str | None
    plan_type: str  # business | enterprise | unknown
    created_day: dt.date
    pending_cancellation: dt.date | None  # the seat ends on this day (start of the next cycle)
    last_activity_day: dt.date | None


@dataclass(frozen=True)
class CreditItem:
    """One AI-credit usage item: ``netAmount`` is what was billed (USD), ``grossAmount`` the
    list value before included credits; ``sku`` and ``unit_type`` are kept as GitHub spells
    them (the org and the per-user endpoints spell them differently)."""

    sku: str
    model: str | None
    unit_type: str
    net_quantity: Decimal
    net_micros: int
    gross_micros: int


def parse_plan_type(body: Any, endpoint: str) -> str:
    """The organisation's plan (``business``/``enterprise``) from ``/copilot/billing``."""
    return PayloadReader(VENDOR, endpoint).body(body).one_of("plan_type", PLANS)


def parse_seats_page(body: Any, endpoint: str) -> tuple[int, list[Seat]]:
    """``(total_seats, seats)`` of one page; ``total_seats`` counts the whole organisation."""
    root = PayloadReader(VENDOR, endpoint).body(body)
    total = root.count("total_seats")
    seats = []
    for item in root.list("seats"):
        assignee = item.field("assignee")
        login = name = email = None
        if assignee.value is not None:
            login = assignee.text("login")
            name = assignee.opt_text("name")
            email = assignee.opt_text("email")
        plan = item.opt_text("plan_type") or "unknown"
        if plan not in SEAT_PLAN_TYPES:
            raise item.reader.error(f"{item.path}.plan_type", f"is {plan!r}, not a known plan")
        pending = item.opt("pending_cancellation_date")
        activity = item.opt("last_activity_at")
        seats.append(
            Seat(
                login=login,
                name=name,
                email=email,
                plan_type=plan,
                created_day=item.day("created_at"),
                pending_cancellation=pending.day() if pending else None,
                last_activity_day=activity.day() if activity else None,
            )
        )
    return total, seats


def parse_credit_usage(body: Any, endpoint: str) -> list[CreditItem]:
    """The ``usageItems`` of an AI-credit usage answer (the org's, or one user's)."""
    root = PayloadReader(VENDOR, endpoint).body(body)
    items = []
    for item in root.list("usageItems"):
        items.append(
            CreditItem(
                sku=item.text("sku"),
                model=item.opt_text("model"),
                unit_type=item.text("unitType"),
                net_quantity=item.number("netQuantity"),
                net_micros=item.money("netAmount", unit="usd"),
                gross_micros=item.money("grossAmount", unit="usd"),
            )
        )
    return items


def parse_report_links(body: Any, endpoint: str, day: dt.date) -> list[str]:
    """The signed NDJSON links of a 1-day report (``None``, a 204, means no data that day)."""
    if body is None:
        return []
    root = PayloadReader(VENDOR, endpoint).body(body)
    report_day = root.day("report_day")
    if report_day != day:
        raise root.reader.error("report_day", f"is {report_day}, not the day asked for ({day})")
    return [link.text() for link in root.list("download_links")]


#: usage-metrics field → activity metric (counts of one thing per day, unit last)
USER_COUNTS = {
    "user_initiated_interaction_count": "interactions",
    "code_generation_activity_count": "code_generations",
    "code_acceptance_activity_count": "code_acceptances",
    "loc_suggested_to_add_sum": "lines_suggested",
    "loc_added_sum": "lines_added",
    "loc_deleted_sum": "lines_deleted",
}
CLI_COUNTS = {"session_count": "cli_sessions", "request_count": "cli_requests"}
CLI_TOKENS = {"prompt_tokens_sum": "cli_prompt_tokens", "output_tokens_sum": "cli_output_tokens"}


@dataclass(frozen=True)
class UserDay:
    login: str
    day: dt.date
    metrics: dict[str, int]


def parse_user_rows(text: str, where: str) -> Iterator[UserDay]:
    """Rows of a per-user NDJSON report file (``where`` names the file, never its signature)."""
    reader = PayloadReader(VENDOR, where)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line, parse_float=Decimal)
        except ValueError:
            raise SchemaError(VENDOR, where, f"line {number}", "is not valid JSON") from None
        row = reader.body(value, path=f"line {number}")
        metrics = {metric: row.count(key, default=0) for key, metric in USER_COUNTS.items()}
        cli = row.opt("totals_by_cli")
        if cli is not None:
            metrics.update({m: cli.count(k, default=0) for k, m in CLI_COUNTS.items()})
            usage = cli.opt("token_usage")
            if usage is not None:
                metrics.update({m: usage.count(k, default=0) for k, m in CLI_TOKENS.items()})
        metrics["active_days"] = 1
        yield UserDay(row.text("user_login"), row.day("day"), metrics)
