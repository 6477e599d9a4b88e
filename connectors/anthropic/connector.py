"""``AnthropicConnector``: the Admin API's reports become billed facts, Claude Code estimates
and activity, with the cost report's own daily totals as the control total."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from functools import partial
from typing import Any

from connectors.anthropic.allocation import SERVICE_API, allocate_day
from connectors.anthropic.claude_code import (
    SERVICE_CODE,
    ClaudeCodeDay,
    claude_code_activity,
    claude_code_records,
    parse_claude_code_page,
)
from connectors.anthropic.directory import read_directory
from connectors.anthropic.payloads import (
    PATH_CLAUDE_CODE,
    PATH_COST,
    PATH_USAGE,
    PATH_USERS,
    VENDOR,
    CostLine,
    UsageKey,
    UsageTokens,
    parse_cost_page,
    parse_usage_page,
)
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
from connectors.dates import day_windows, days, iso_midnight
from connectors.http import VendorHttp

API_VERSION = "2023-06-01"
MAX_BUCKETS = 31  # usage and cost reports: at most 31 one-day buckets per page
CLAUDE_CODE_PAGE = 1000  # claude_code: at most 1000 records per page


class AnthropicConnector(Connector):
    """Anthropic Admin API: Claude API spend per API key (billed) and Claude Code per person.

    What Anthropic reports (vendor-apis.md §1):

    - ``usage_report/messages``: tokens per day bucket, grouped here by ``api_key_id`` and
      ``model``. Tokens only, no money. ``api_key_id`` is null for Console/Workbench usage.
    - ``cost_report``: the billed truth in USD, but only per organisation/workspace; grouped by
      ``description`` it also names the model and token type of each line. ``amount`` is a
      decimal *string of cents* (``"123.45"`` is $1.23). Web search and code execution costs
      belong to no model and no key. Its daily sums are reported as the control total.
    - ``usage_report/claude_code``: one record per actor per day (one day per request); see
      ``connectors.anthropic.claude_code`` for the ``customer_type`` rule that keeps tokens
      counted once. ``date`` comes as ``YYYY-MM-DD`` or RFC 3339.
    - ``users`` and ``api_keys``: the directory; a key maps to the person who created it.

    Billed cost per API key is allocated by usage weights (``connectors.anthropic.allocation``);
    what no key can carry is the explicit ``"unattributed"`` account, so each day's billed
    records sum to the cost report to the cent. Claude API records carry their token count as
    consumed quantity (unit ``tokens``), which the unit guard holds to $0.005–$80 per million.
    """

    name = "anthropic"
    provider = "Anthropic"
    services = (SERVICE_API, SERVICE_CODE)
    source_type = "api"
    default_confidence = "high"
    credential_fields = (
        CredentialField(
            "admin_api_key",
            secret=True,
            help="An Admin API key (sk-ant-admin01-...) from Console → Settings → Admin keys.",
        ),
    )
    revision_window_days = 3
    max_window_days = MAX_BUCKETS
    unit_prices = (UnitPrice("tokens", Decimal("0.000000005"), Decimal("0.00008")),)
    default_base_url = "https://api.anthropic.com"

    # -- plumbing ------------------------------------------------------------------------------
    def _http(self, config: dict[str, Any], ctx: FetchContext | None) -> VendorHttp:
        self.require_credentials(config)
        key = str(config["admin_api_key"])
        return VendorHttp(
            VENDOR,
            self.base_url(config),
            headers={
                "x-api-key": key,
                "anthropic-version": API_VERSION,
                "user-agent": "aispend/0.1",
            },
            secrets=[key],
            # Its readers take floats back as their literal (connectors.json_body): the only
            # JSON numbers with a fraction are Claude Code's estimated cents.
            json_floats=True,
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
            directory = read_directory(http)
            first = FetchBatch(
                accounts=[
                    *directory.key_accounts(),
                    Account(UNATTRIBUTED, "Unattributed", kind="unattributed"),
                ]
            )
            known = {a.account_key for a in first.accounts}
            yield first
            for w_start, w_end in day_windows(start, end, self.max_window_days):
                ctx.info(f"anthropic: usage and cost {w_start}..{w_end}")
                yield self._billed_window(http, w_start, w_end, ctx)
                for day in days(w_start, w_end):
                    cc = self._claude_code(http, day)
                    accounts = [directory.user_account(e) for e in sorted(cc.users - known)]
                    accounts += [
                        directory.key_name_account(n) for n in sorted(cc.api_key_names - known)
                    ]
                    known.update(a.account_key for a in accounts)
                    yield FetchBatch(
                        usage=claude_code_records(cc),
                        activity_days=claude_code_activity(cc),
                        accounts=accounts,
                    )

    def _billed_window(
        self, http: VendorHttp, w_start: dt.date, w_end: dt.date, ctx: FetchContext
    ) -> FetchBatch:
        """Usage and cost of one window: allocated records plus the cost report's daily totals
        (one per day, zero included)."""
        usage_by_day: dict[dt.date, dict[tuple[str | None, str], UsageTokens]] = defaultdict(dict)
        for (day, key_id, model), tokens in self._usage(http, w_start, w_end, ctx).items():
            usage_by_day[day][(key_id, model)] = tokens
        costs_by_day: dict[dt.date, list[CostLine]] = defaultdict(list)
        for line in self._costs(http, w_start, w_end, ctx):
            costs_by_day[line.day].append(line)
        batch = FetchBatch()
        for day in days(w_start, w_end):
            rates = partial(ctx.token_rates, day=day) if ctx.token_rates else None
            batch.usage.extend(allocate_day(day, usage_by_day[day], costs_by_day[day], rates))
            batch.vendor_totals.append(
                VendorTotal(day, sum(line.micros for line in costs_by_day[day]))
            )
        return batch

    # -- endpoint readers ----------------------------------------------------------------------
    def _report_params(self, w_start: dt.date, w_end: dt.date, group_by: list[str]) -> dict:
        return {
            "starting_at": iso_midnight(w_start),
            "ending_at": iso_midnight(w_end + dt.timedelta(days=1)),
            "bucket_width": "1d",
            "limit": (w_end - w_start).days + 1,
            "group_by[]": group_by,
        }

    def _usage(
        self, http: VendorHttp, w_start: dt.date, w_end: dt.date, ctx: FetchContext
    ) -> dict[UsageKey, UsageTokens]:
        usage: dict[UsageKey, UsageTokens] = {}
        params = self._report_params(w_start, w_end, ["api_key_id", "model"])
        for body in http.paginate_cursor(PATH_USAGE, params):
            parse_usage_page(body, usage)
        outside = {d for d, _, _ in usage if not w_start <= d <= w_end}
        if outside:
            ctx.info(f"anthropic: ignored usage buckets outside {w_start}..{w_end}: {outside}")
        return {k: v for k, v in usage.items() if w_start <= k[0] <= w_end}

    def _costs(
        self, http: VendorHttp, w_start: dt.date, w_end: dt.date, ctx: FetchContext
    ) -> list[CostLine]:
        lines: list[CostLine] = []
        params = self._report_params(w_start, w_end, ["description"])
        for body in http.paginate_cursor(PATH_COST, params):
            lines.extend(parse_cost_page(body))
        outside = {c.day for c in lines if not w_start <= c.day <= w_end}
        if outside:
            ctx.info(f"anthropic: ignored cost buckets outside {w_start}..{w_end}: {outside}")
        return [c for c in lines if w_start <= c.day <= w_end]

    def _claude_code(self, http: VendorHttp, day: dt.date) -> ClaudeCodeDay:
        cc = ClaudeCodeDay(day)
        params = {"starting_at": day.isoformat(), "limit": CLAUDE_CODE_PAGE}
        for body in http.paginate_cursor(PATH_CLAUDE_CODE, params):
            parse_claude_code_page(body, day, cc)
        return cc
