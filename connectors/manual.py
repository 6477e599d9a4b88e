"""Manual entry: spend an admin types in (a seat invoice, a one-off purchase, a credit).

A connector like any other, whose input is admin data instead of a vendor API: it declares
``config_source = "admin_input"`` (``admin_input = "manual_entries"``: the warehouse builds
its config from the tenant's entries, ``warehouse.manual_entries.connector_config``) and
``schedule = WATCH_INPUT`` (the pipeline's input sensor re-syncs when an entry is added,
edited or deleted). Each entry's period is split into daily records whose sum equals the entry
to the cent; every record carries who entered (and last edited) it in its tags. An entry's
optional token count is split over its days the same way and booked as input tokens (a typed
total does not say which kind); ``None`` when not given.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from connectors.contract import (
    UNATTRIBUTED,
    Account,
    CheckResult,
    Connector,
    FetchBatch,
    FetchContext,
    UsageRecord,
    VendorTotal,
)
from connectors.dates import days
from connectors.money import split_over_days
from connectors.payload import Node, PayloadReader
from connectors.schedule import WATCH_INPUT

ENTRIES = "manual entries"
CATEGORIES = ("Purchase", "Usage", "Credit", "Adjustment", "Tax")


def _tags(entry: Node) -> dict[str, str]:
    tags = {"entry_id": str(entry.integer("id")), "entered_by": entry.text("created_by")}
    edited_by = entry.opt_text("updated_by")
    if edited_by:
        tags["edited_by"] = edited_by
    description = entry.opt_text("description")
    if description:
        tags["description"] = description
    return tags


class ManualConnector(Connector):
    """Spend entered by hand, attributed to the member it is for (or unattributed) and tagged
    with who entered it. Source type ``manual``, confidence medium, no credentials."""

    name = "manual"
    provider = "Manual entry"
    services = ("Manual entry",)
    source_type = "manual"
    default_confidence = "medium"
    credential_fields = ()
    config_source = "admin_input"
    admin_input = "manual_entries"
    schedule = WATCH_INPUT
    future_days = 400  # a monthly invoice entered on the 1st covers the days ahead
    revision_window_days = 0
    max_window_days = 3660

    def check(self, config: dict[str, Any]) -> CheckResult:
        return CheckResult(True, "manual entries need no credentials")

    def _entries(self, config: dict[str, Any]) -> list[Node]:
        return PayloadReader(self.name, ENTRIES).body(config).list("entries")

    def input_span(self, config: dict[str, Any]) -> tuple[dt.date, dt.date] | None:
        entries = self._entries(config)
        if not entries:
            return None
        return (
            min(e.day("period_start") for e in entries),
            max(e.day("period_end") for e in entries),
        )

    def fetch(
        self, config: dict[str, Any], start: dt.date, end: dt.date, ctx: FetchContext
    ) -> Iterator[FetchBatch]:
        batch = FetchBatch()
        accounts: dict[str, Account] = {}
        totals: dict[dt.date, int] = defaultdict(int)
        for entry in self._entries(config):
            e_start, e_end = entry.day("period_start"), entry.day("period_end")
            if e_end < start or e_start > end:
                continue
            account_key = entry.opt_text("account_key") or UNATTRIBUTED
            accounts.setdefault(
                account_key,
                Account(
                    account_key,
                    display_name=entry.opt_text("account_name") or "Unattributed",
                    kind="member" if account_key != UNATTRIBUTED else "unattributed",
                ),
            )
            tags = _tags(entry)
            category = entry.one_of("charge_category", CATEGORIES)
            tokens = {}
            if entry.opt("tokens") is not None:
                tokens = dict(split_over_days(entry.count("tokens"), e_start, e_end, step=1))
            for day, micros in split_over_days(entry.integer("amount_micros"), e_start, e_end):
                if not start <= day <= end:
                    continue
                totals[day] += micros
                batch.usage.append(
                    UsageRecord(
                        day=day,
                        account_key=account_key,
                        provider=entry.text("provider"),
                        service=entry.text("service"),
                        sku=f"manual-entry-{tags['entry_id']}",
                        billed_cost_micros=micros,
                        input_tokens=tokens.get(day),
                        charge_category=category,
                        confidence=self.default_confidence,
                        tags=tags,
                    )
                )
        batch.accounts.extend(accounts.values())
        # The admin's own figures are the control total: every day of the range, zero included.
        batch.vendor_totals.extend(VendorTotal(day, totals.get(day, 0)) for day in days(start, end))
        yield batch
