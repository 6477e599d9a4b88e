"""``OpenAIConnector``: the Administration API's costs become billed facts per person (by API
key owner and per-user usage), with tokens from completions usage and the costs' own daily
sums as the control total."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

from connectors.contract import (
    UNATTRIBUTED,
    Account,
    CheckResult,
    Connector,
    CredentialField,
    FetchBatch,
    FetchContext,
    UnitPrice,
    VendorTotal,
)
from connectors.credential_check import check_listing
from connectors.dates import day_start_seconds, day_windows, days
from connectors.http import VendorHttp
from connectors.openai.allocation import SERVICE, allocate_day
from connectors.openai.directory import Directory
from connectors.openai.payloads import (
    PATH_COSTS,
    PATH_USAGE,
    PATH_USERS,
    VENDOR,
    CostLine,
    UsageRow,
    parse_costs_page,
    parse_usage_page,
)

MAX_DAY_BUCKETS = 31  # usage/completions: at most 31 one-day buckets per page (costs: 180)
COST_GROUPS = ["project_id", "line_item", "api_key_id"]
USAGE_GROUPS = ["project_id", "user_id", "api_key_id", "model"]

Item = TypeVar("Item", CostLine, UsageRow)


class OpenAIConnector(Connector):
    """OpenAI Administration API: API spend per person, by API-key owner and per-user usage.

    What OpenAI reports (vendor-apis.md §4), all behind an **Admin** key (``Authorization:
    Bearer``; a project key is refused):

    - ``/v1/organization/costs``: the billed truth, in one-day buckets, read grouped by
      ``project_id``, ``line_item`` (``"<model>, input"``, ``"<model>, output"``, a cached-input
      label that is not documented, or a non-model item such as tool calls or storage) and
      ``api_key_id``. ``amount.value`` is US dollars as a binary *float* in the JSON; it is read
      as ``Decimal`` and each line converted to micro-dollars exactly. Each day's lines summed
      are the control total. There is no ``user_id`` grouping.
    - ``/v1/organization/usage/completions``: tokens per bucket, grouped by ``project_id``,
      ``user_id``, ``api_key_id`` and ``model``. ``input_tokens`` includes cached and
      cache-write tokens; they are split so each token is counted once.
    - ``/v1/organization/users`` and ``/projects/{id}/api_keys``: who an account is
      (``connectors.openai.directory``).

    Costs go to the key's owner (a user, or a service account), else are shared among the
    users in the usage rows of the same project, key and model, by tokens; what nobody can
    carry is the explicit ``unattributed`` account, so each day's records sum to the bill to
    the micro-dollar (``connectors.openai.allocation``). Records are keyed by the OpenAI user
    id (accounts carry the email, so identity linking by email works), with the project as
    ``sub_account``. Times are Unix seconds, ``start_time`` inclusive and ``end_time``
    exclusive; ``limit`` counts buckets (at most 31 for usage), so windows are 31 days.
    Records carry their tokens as consumed quantity: the unit guard holds a day's amount per
    token to $0.005–$100 per million.
    """

    name = "openai"
    provider = "OpenAI"
    services = (SERVICE,)
    source_type = "api"
    default_confidence = "high"
    credential_fields = (
        CredentialField(
            "admin_api_key",
            secret=True,
            help="An Admin API key (sk-admin-...) from Settings → Organization → Admin keys; "
            "a project key cannot read usage or costs.",
        ),
    )
    revision_window_days = 3
    max_window_days = MAX_DAY_BUCKETS
    unit_prices = (UnitPrice("tokens", Decimal("0.000000005"), Decimal("0.0001")),)
    default_base_url = "https://api.openai.com"

    # -- plumbing ------------------------------------------------------------------------------
    def _http(self, config: dict[str, Any], ctx: FetchContext | None) -> VendorHttp:
        self.require_credentials(config)
        key = str(config["admin_api_key"])
        return VendorHttp(
            VENDOR,
            self.base_url(config),
            headers={"authorization": f"Bearer {key}"},
            secrets=[key],
            **(ctx.http_options if ctx else {}),
        )

    # -- verbs ---------------------------------------------------------------------------------
    def check(self, config: dict[str, Any]) -> CheckResult:
        """One cheap authorised call: the first user of the organisation."""
        open_http = partial(self._http, config, None)
        return check_listing(open_http, PATH_USERS, {"limit": 1}, "the admin API key")

    def fetch(
        self, config: dict[str, Any], start: dt.date, end: dt.date, ctx: FetchContext
    ) -> Iterator[FetchBatch]:
        with self._http(config, ctx) as http:
            directory = Directory()
            directory.read_users(http)
            yielded: set[str] = set()
            for w_start, w_end in day_windows(start, end, self.max_window_days):
                ctx.info(f"openai: costs and usage {w_start}..{w_end}")
                costs = self._read(http, PATH_COSTS, COST_GROUPS, parse_costs_page, w_start, w_end)
                usage = self._read(http, PATH_USAGE, USAGE_GROUPS, parse_usage_page, w_start, w_end)
                projects = {x.project_id for x in [*costs, *usage] if x.project_id}
                directory.read_project_keys(http, projects)
                batch = self._allocate(w_start, w_end, costs, usage, directory, ctx)
                accounts = {**directory.accounts, UNATTRIBUTED: _UNATTRIBUTED}
                batch.accounts = [a for k, a in sorted(accounts.items()) if k not in yielded]
                yielded.update(a.account_key for a in batch.accounts)
                yield batch

    # -- windows -------------------------------------------------------------------------------
    @staticmethod
    def _allocate(
        w_start: dt.date,
        w_end: dt.date,
        costs: list[CostLine],
        usage: list[UsageRow],
        directory: Directory,
        ctx: FetchContext,
    ) -> FetchBatch:
        """Records and the control total (the day's cost lines summed, zero included) of every
        day of the window; buckets outside it are ignored (and logged)."""
        costs_by_day: dict[dt.date, list[CostLine]] = defaultdict(list)
        usage_by_day: dict[dt.date, list[UsageRow]] = defaultdict(list)
        for line in costs:
            costs_by_day[line.day].append(line)
        for row in usage:
            usage_by_day[row.day].append(row)
        outside = {d for d in [*costs_by_day, *usage_by_day] if not w_start <= d <= w_end}
        if outside:
            ctx.info(f"openai: ignored buckets outside {w_start}..{w_end}: {sorted(outside)}")
        batch = FetchBatch()
        for day in days(w_start, w_end):
            batch.usage.extend(allocate_day(day, costs_by_day[day], usage_by_day[day], directory))
            total = sum(line.micros for line in costs_by_day[day])
            batch.vendor_totals.append(VendorTotal(day, total))
        return batch

    @staticmethod
    def _read(
        http: VendorHttp,
        path: str,
        group_by: list[str],
        parse: Callable[[Any], list[Item]],
        w_start: dt.date,
        w_end: dt.date,
    ) -> list[Item]:
        """Every page of one bucketed endpoint for the window (start inclusive, end exclusive)."""
        params = {
            "start_time": day_start_seconds(w_start),
            "end_time": day_start_seconds(w_end + dt.timedelta(days=1)),
            "bucket_width": "1d",
            "limit": (w_end - w_start).days + 1,
            "group_by": group_by,
        }
        items: list[Item] = []
        for body in http.paginate_cursor(path, params):
            items.extend(parse(body))
        return items


_UNATTRIBUTED = Account(UNATTRIBUTED, "Unattributed", kind="unattributed")
