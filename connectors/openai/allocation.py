"""OpenAI's billed cost of a day, attributed to people by API-key owner and per-user usage.

The costs endpoint is the billed truth but has no ``user_id`` grouping; it is read grouped by
``project_id``, ``line_item`` and ``api_key_id``. Each cost line goes to:

1. the **owner of its API key** when a project lists the key (a user, or a service account);
2. otherwise (no key: Playground and other signed-in use; or a key no project lists any more,
   i.e. revoked or deleted) it is **shared among the completions usage rows** of the same
   project, key and model, in proportion to the tokens of the kind the line bills (input,
   cached input, output; all tokens when the kind is unknown). A row lands on its
   ``user_id``, or on ``unattributed`` when it names no user;
3. what no row can carry (no model, or a model nobody used: file storage, tool calls without
   a key) lands on the explicit ``unattributed`` account.

Shares are split with ``connectors.money.allocate`` (largest remainder, weights are usage,
never prices), so each day's records sum to the day's cost lines exactly. Tokens follow the
same attribution (key owner, else user, else unattributed) and are counted once. A record is
one (account, model or line item, project) of a day; the project is its ``sub_account``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from connectors.contract import UNATTRIBUTED, UsageRecord
from connectors.money import allocate
from connectors.openai.directory import Directory
from connectors.openai.payloads import CostLine, UsageRow, usage_quantity
from connectors.tokens import TokenCounts

SERVICE = "OpenAI API"

Slot = tuple[str, str, str | None]  # (account key, sku, project id)
Group = tuple[str | None, str | None, str]  # (project id, api key id, model)


@dataclass
class _Record:
    micros: int = 0
    tokens: TokenCounts | None = None
    requests: int | None = None

    def add_usage(self, row: UsageRow) -> None:
        self.tokens = (self.tokens or TokenCounts()) + row.tokens
        self.requests = (self.requests or 0) + row.requests


@dataclass
class DayAllocation:
    """The records of one day in the making."""

    directory: Directory
    records: dict[Slot, _Record] = field(default_factory=lambda: defaultdict(_Record))

    def row_account(self, row: UsageRow) -> str:
        """Who a usage row belongs to: its key's owner, else its user, else unattributed."""
        if row.api_key_id is not None:
            owner = self.directory.key_owner(row.api_key_id)
            if owner is not None:
                return owner
        return self.directory.user_account(row.user_id)

    def bill(self, line: CostLine, rows: list[UsageRow]) -> None:
        project, item = line.project_id, line.item
        if line.api_key_id is not None:
            owner = self.directory.key_owner(line.api_key_id)
            if owner is not None:
                self.records[(owner, item.sku, project)].micros += line.micros
                return
        weights = [row.weight(item.kind) for row in rows]
        if not any(weights):
            weights = [row.tokens.total for row in rows]
        if not any(weights):
            self.records[(UNATTRIBUTED, item.sku, project)].micros += line.micros
            return
        for row, part in zip(rows, allocate(line.micros, weights), strict=True):
            self.records[(self.row_account(row), item.sku, project)].micros += part

    def to_records(self, day: dt.date) -> list[UsageRecord]:
        out = []
        for (account, sku, project), rec in sorted(
            self.records.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or "")
        ):
            quantity = usage_quantity(rec.tokens) if rec.tokens else None
            out.append(
                UsageRecord(
                    day=day,
                    account_key=account,
                    service=SERVICE,
                    sku=sku,
                    billed_cost_micros=rec.micros,
                    cost_basis="billed",
                    confidence="high",
                    consumed_quantity=quantity,
                    consumed_unit="tokens" if quantity else None,
                    requests=rec.requests,
                    sub_account=project,
                    **(rec.tokens.columns() if rec.tokens else {}),
                )
            )
        return out


def _row_order(row: UsageRow) -> tuple[str, ...]:
    """Rows in a fixed order, whatever order the API sent them in (ties in shares are stable)."""
    return (row.project_id or "", row.api_key_id or "", row.model, row.user_id or "")


def allocate_day(
    day: dt.date, costs: list[CostLine], usage: list[UsageRow], directory: Directory
) -> list[UsageRecord]:
    """Billed records for one day; their billed cost sums to the cost lines' sum exactly."""
    allocation = DayAllocation(directory)
    groups: dict[Group, list[UsageRow]] = defaultdict(list)
    for row in sorted(usage, key=_row_order):
        groups[(row.project_id, row.api_key_id, row.model)].append(row)
        allocation.records[(allocation.row_account(row), row.model, row.project_id)].add_usage(row)
    for line in costs:
        model = line.item.model
        rows = groups.get((line.project_id, line.api_key_id, model), []) if model else []
        allocation.bill(line, rows)
    return allocation.to_records(day)
