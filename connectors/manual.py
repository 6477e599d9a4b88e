"""Manual entry: spend an admin types in (a seat invoice, a one-off purchase, a credit).

The warehouse keeps the entries; the pipeline hands them to this connector as config
(``{"entries": [...]}``, built by ``warehouse.manual_entries.connector_config``), and the
connector splits each entry's period into daily records whose sum equals the entry to the cent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from connectors.contract import (
    Account,
    CheckResult,
    Connector,
    FetchBatch,
    FetchContext,
    UsageRecord,
)

CENT_MICROS = 10_000


def split_evenly(amount_micros: int, start: dt.date, end: dt.date) -> list[tuple[dt.date, int]]:
    """Split an amount over the inclusive days start..end in whole cents, exactly.

    Leftover cents go one each to the first days; sub-cent micros (rare) to the last day.
    The parts always sum to ``amount_micros``.
    """
    if end < start:
        raise ValueError(f"period ends ({end}) before it starts ({start})")
    days = (end - start).days + 1
    sign = -1 if amount_micros < 0 else 1
    cents, sub_cent = divmod(abs(amount_micros), CENT_MICROS)
    per_day, extra = divmod(cents, days)
    parts = []
    for i in range(days):
        micros = (per_day + (1 if i < extra else 0)) * CENT_MICROS
        if i == days - 1:
            micros += sub_cent
        parts.append((start + dt.timedelta(days=i), sign * micros))
    return parts


def split_count(total: int, start: dt.date, end: dt.date) -> list[tuple[dt.date, int]]:
    """Split a whole count (tokens) over the inclusive days start..end; the parts sum to it.

    The remainder goes one each to the first days.
    """
    if end < start:
        raise ValueError(f"period ends ({end}) before it starts ({start})")
    days = (end - start).days + 1
    per_day, extra = divmod(total, days)
    return [(start + dt.timedelta(days=i), per_day + (1 if i < extra else 0)) for i in range(days)]


class ManualConnector(Connector):
    """Spend entered by hand. Source type ``manual``; no credentials.

    An entry's optional token count is split over its days like its amount and booked as
    input tokens (a hand-typed total does not say which kind); NULL when not given.
    """

    name = "manual"
    provider = "Manual entry"
    services = ("Manual entry",)
    source_type = "manual"
    default_confidence = "medium"
    credential_fields = ()
    revision_window_days = 0
    max_window_days = 3660

    def check(self, config: dict[str, Any]) -> CheckResult:
        return CheckResult(True, "manual entries need no credentials")

    def fetch(
        self, config: dict[str, Any], start: dt.date, end: dt.date, ctx: FetchContext
    ) -> Iterator[FetchBatch]:
        batch = FetchBatch()
        seen_accounts: dict[str, Account] = {}
        for entry in config.get("entries", []):
            e_start = dt.date.fromisoformat(str(entry["period_start"]))
            e_end = dt.date.fromisoformat(str(entry["period_end"]))
            if e_end < start or e_start > end:
                continue
            account_key = entry.get("account_key") or "unattributed"
            seen_accounts.setdefault(
                account_key,
                Account(
                    account_key,
                    display_name=entry.get("account_name") or "Unattributed",
                    kind="member" if account_key != "unattributed" else "unattributed",
                ),
            )
            tokens = entry.get("tokens")
            token_parts = (
                dict(split_count(int(tokens), e_start, e_end)) if tokens is not None else {}
            )
            for day, micros in split_evenly(int(entry["amount_micros"]), e_start, e_end):
                if start <= day <= end:
                    batch.usage.append(
                        UsageRecord(
                            day=day,
                            account_key=account_key,
                            provider=entry.get("provider"),
                            service=entry["service"],
                            sku=f"manual-entry-{entry['id']}",
                            billed_cost_micros=micros,
                            input_tokens=token_parts.get(day),
                            charge_category=entry.get("charge_category", "Purchase"),
                            confidence="medium",
                        )
                    )
        batch.accounts.extend(seen_accounts.values())
        yield batch
