"""``ReplitConnector``: the Enterprise Admin API's (beta) gross ledger cost per member and
day, with the day's timeseries total as the control total. Experimental: the endpoint detail
comes from an unverified copy of Replit's own agent skill (vendor-apis.md §6)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from functools import partial
from typing import Any

from connectors.contract import (
    UNATTRIBUTED,
    Account,
    CheckResult,
    Connector,
    ConnectorError,
    CredentialField,
    FetchBatch,
    FetchContext,
    UnitPrice,
    UsageRecord,
    VendorTotal,
)
from connectors.credential_check import check_call
from connectors.dates import day_windows, days
from connectors.http import VendorHttp
from connectors.payload import PayloadReader
from connectors.replit.payloads import (
    PATH_MEMBERS,
    PATH_USAGE,
    VENDOR,
    UsageGroup,
    next_cursor,
    parse_member_groups,
    parse_members,
    parse_timeseries,
)

SERVICE = "Replit"
LIST_LIMIT = 100  # list endpoints: 50 by default, at most 100
UNITEMIZED_SKU = "unitemized"  # a group's total beyond its metrics
UNALLOCATED_SKU = "unallocated"  # the day's total beyond every group (no member)
ONE_DAY = dt.timedelta(days=1)


def _rfc3339(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


class ReplitConnector(Connector):
    """Replit Enterprise Admin API (beta): gross ledger cost per member, metric and day.

    **Experimental, confidence medium.** Only Enterprise account admins get a (read-only) key,
    ``rpl_…``, sent as ``Authorization: Bearer``. Endpoint detail (vendor-apis.md §6) comes
    from an unverified copy of Replit's agent skill; ``connectors.replit.payloads`` accepts
    each plausible reading of what it leaves open (envelope, member key, member fields).

    - ``GET /v1/usage?groupBy=timeseries&granularity=day`` over a window: each day's
      ``totalCostUsd``, the control total (a day absent from the series had no usage: zero);
    - ``GET /v1/usage?groupBy=member`` for one day at a time (``startTime`` inclusive,
      ``endTime`` exclusive): per member ``totalCostUsd`` and ``metrics`` (agent, assistant,
      deployments…), one record per metric with its usage as consumed quantity; a total beyond
      the metrics is a ``unitemized`` record; a group with a null key (usage nobody owns) and
      whatever the member groups leave of the day's total are ``unattributed``;
    - ``GET /v1/members``: who the numeric user ids are (email when Replit gives one).

    Costs are gross ledger values, not invoices: they exclude credits and discounts, so an
    invoice can be lower. Usage may arrive late, hence a 7-day revision window. Everything
    pages with ``cursor`` = ``nextCursor`` until it is null. The API accepts up to 366 days per
    request; windows are 31 days to keep one window in memory.
    """

    name = "replit"
    provider = "Replit"
    services = (SERVICE,)
    source_type = "api"
    default_confidence = "medium"
    credential_fields = (
        CredentialField(
            "api_key",
            secret=True,
            help="An Enterprise Admin API key (rpl_..., read-only), created by an Enterprise "
            "account admin. The Admin API is a beta: this connector is experimental.",
        ),
    )
    revision_window_days = 7
    max_window_days = 31
    unit_prices = (UnitPrice("checkpoints", Decimal("0.01"), Decimal("5")),)
    default_base_url = "https://api.replit.com"

    # -- plumbing ------------------------------------------------------------------------------
    def _http(self, config: dict[str, Any], ctx: FetchContext | None) -> VendorHttp:
        self.require_credentials(config)
        key = str(config["api_key"])
        return VendorHttp(
            VENDOR,
            self.base_url(config),
            headers={"authorization": f"Bearer {key}"},
            secrets=[key],
            **(ctx.http_options if ctx else {}),
        )

    @staticmethod
    def _pages(http: VendorHttp, params: dict[str, Any]) -> Iterator[Any]:
        reader = PayloadReader(VENDOR, PATH_USAGE)
        return http.paginate_next_cursor(PATH_USAGE, params, next_cursor=next_cursor(reader))

    # -- verbs ---------------------------------------------------------------------------------
    def check(self, config: dict[str, Any]) -> CheckResult:
        """One cheap authorised call: the first member of the organisation."""

        def first_member(open_http) -> None:
            with open_http() as http:
                parse_members(PayloadReader(VENDOR, PATH_MEMBERS), http.get_json(
                    PATH_MEMBERS, params={"limit": 1}
                ))  # fmt: skip

        return check_call(partial(first_member, partial(self._http, config, None)), "the API key")

    def fetch(
        self, config: dict[str, Any], start: dt.date, end: dt.date, ctx: FetchContext
    ) -> Iterator[FetchBatch]:
        with self._http(config, ctx) as http:
            members = self._members(http)
            known = {a.account_key for a in members}
            first = True
            for w_start, w_end in day_windows(start, end, self.max_window_days):
                ctx.info(f"replit: usage {w_start}..{w_end}")
                totals = self._day_totals(http, w_start, w_end)
                batch = FetchBatch(accounts=members if first else [])
                first = False
                for day in days(w_start, w_end):
                    groups = self._member_groups(http, day)
                    batch.usage.extend(_day_records(day, groups, totals.get(day, 0)))
                    batch.vendor_totals.append(VendorTotal(day, totals.get(day, 0)))
                    for group in groups:
                        if group.key is not None and group.key not in known:
                            known.add(group.key)
                            batch.accounts.append(Account(group.key, display_name=group.username))
                if UNATTRIBUTED not in known and any(
                    r.account_key == UNATTRIBUTED for r in batch.usage
                ):
                    known.add(UNATTRIBUTED)
                    batch.accounts.append(
                        Account(UNATTRIBUTED, "Unattributed", kind="unattributed")
                    )
                yield batch

    # -- endpoints -----------------------------------------------------------------------------
    @staticmethod
    def _members(http: VendorHttp) -> list[Account]:
        reader = PayloadReader(VENDOR, PATH_MEMBERS)
        pages = http.paginate_next_cursor(
            PATH_MEMBERS, {"limit": LIST_LIMIT}, next_cursor=next_cursor(reader)
        )
        return [account for body in pages for account in parse_members(reader, body)]

    def _day_totals(self, http: VendorHttp, w_start: dt.date, w_end: dt.date) -> dict[dt.date, int]:
        reader = PayloadReader(VENDOR, PATH_USAGE)
        params = {
            "groupBy": "timeseries",
            "granularity": "day",
            "startTime": _rfc3339(w_start),
            "endTime": _rfc3339(w_end + ONE_DAY),
            "limit": LIST_LIMIT,
        }
        totals: dict[dt.date, int] = {}
        for body in self._pages(http, params):
            for day, micros in parse_timeseries(reader, body).items():
                if not w_start <= day <= w_end:
                    raise ConnectorError(
                        VENDOR, f"timeseries day {day} is outside {w_start}..{w_end}",
                        endpoint=PATH_USAGE,
                    )  # fmt: skip
                totals[day] = totals.get(day, 0) + micros
        return totals

    def _member_groups(self, http: VendorHttp, day: dt.date) -> list[UsageGroup]:
        reader = PayloadReader(VENDOR, PATH_USAGE)
        params = {
            "groupBy": "member",
            "startTime": _rfc3339(day),
            "endTime": _rfc3339(day + ONE_DAY),
            "limit": LIST_LIMIT,
        }
        return [g for body in self._pages(http, params) for g in parse_member_groups(reader, body)]


def _day_records(day: dt.date, groups: list[UsageGroup], control: int) -> list[UsageRecord]:
    """One record per (member or ``unattributed``, metric) of the day; they sum to ``control``."""
    amounts: dict[tuple[str, str], list] = {}  # (account, sku) -> [micros, quantity, unit]

    def add(account: str, sku: str, micros: int, quantity: Decimal | None, unit: str | None):
        slot = amounts.setdefault((account, sku), [0, None, unit])
        slot[0] += micros
        if quantity is not None:
            slot[1] = (slot[1] or Decimal(0)) + quantity

    for group in groups:
        account = group.key or UNATTRIBUTED
        itemized = 0
        for metric in group.metrics:
            add(account, metric.id, metric.micros, metric.usage, metric.unit)
            itemized += metric.micros
        if group.total_micros < itemized:
            raise ConnectorError(
                VENDOR,
                f"{day}: the metrics of {account} sum to more than its totalCostUsd",
                endpoint=PATH_USAGE,
            )
        if group.total_micros > itemized:
            add(account, UNITEMIZED_SKU, group.total_micros - itemized, None, None)
    remainder = control - sum(g.total_micros for g in groups)
    if remainder < 0:
        raise ConnectorError(
            VENDOR,
            f"{day}: member usage sums to more than the day's total ({control} micro-USD)",
            endpoint=PATH_USAGE,
        )
    if remainder:
        add(UNATTRIBUTED, UNALLOCATED_SKU, remainder, None, None)
    return [
        UsageRecord(
            day=day,
            account_key=account,
            service=SERVICE,
            sku=sku,
            billed_cost_micros=micros,
            confidence="medium",
            consumed_quantity=quantity if unit is not None else None,
            consumed_unit=unit if quantity is not None else None,
        )
        for (account, sku), (micros, quantity, unit) in sorted(amounts.items())
        if micros
    ]
