"""Cursor: per-event charges, tokens and daily editor activity from the Cursor Admin API.

What Cursor reports (``vendor-apis.md`` §2):

- ``POST /teams/filtered-usage-events``: one row per model call, with the user's email, the
  model, request units (``requestsCosts``), token counts when the call was token-based and
  ``chargedCents``, the fractional cents actually charged (Cursor Token Rate included).
  This is the billed truth: per-person costs summed from it equal the team's charges exactly,
  and its per-day sum over every event is the control total.
- ``POST /teams/daily-usage-data``: per user per day editor activity (lines, applies, tabs,
  chat/agent/composer requests, Bugbot...). Its request counts are raw events, not billable
  units, so they are activity, never money.
- ``POST /teams/spend``: each member's on-demand spend (``spendCents``) for the current billing
  cycle, a snapshot with no date parameter. When a fetch reaches today it is reported as an
  independent reconciliation total per member (cycle start..today), which the accuracy check
  compares with the summed events once the whole cycle is synced.
- ``GET /teams/members``: who the accounts are.

Quirks handled here:

- Auth is HTTP Basic with the API key as *username* and an empty password.
- Dates are epoch **milliseconds**; usage-events ranges are inclusive at **both** ends, so a
  window is ``D1 00:00:00.000`` .. ``D2 23:59:59.999`` UTC. Event ``timestamp`` is a string.
- Ranges are limited to 30 days (daily usage says so; usage events did in older docs).
- Daily usage identifies users by a *numeric* ``userId`` while members use ``user_...``
  strings: the two namespaces never meet, so everything joins on ``email``.
- Events from service accounts (background agents) carry no ``userEmail``; they are kept
  under the service account's name, or ``unattributed``, so nothing charged is dropped.
- Cents are fractional floats on the wire; they are parsed as ``Decimal`` and converted to
  micro-dollars exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from connectors.contract import (
    UNATTRIBUTED,
    Account,
    CheckResult,
    Connector,
    ConnectorError,
    CredentialField,
    FetchBatch,
    FetchContext,
    ReconciliationTotal,
    VendorTotal,
)
from connectors.cursor_events import SERVICE, WindowUsage
from connectors.cursor_pages import (  # noqa: F401  (the metric names, re-exported)
    ACTIVITY_METRICS,
    OPTIONAL_ACTIVITY,
    REQUIRED_ACTIVITY,
    page_activity,
)
from connectors.dates import day_end_ms, day_start_ms, day_windows, days
from connectors.http import VendorHttp
from connectors.payload import PayloadReader

VENDOR = "cursor"
MEMBERS_PATH = "/teams/members"
EVENTS_PATH = "/teams/filtered-usage-events"
DAILY_PATH = "/teams/daily-usage-data"
SPEND_PATH = "/teams/spend"
EVENTS_PAGE_SIZE = 1000  # the documented maximum
DAILY_PAGE_SIZE = 100  # users per page; a page holds users x days rows
SPEND_PAGE_SIZE = 100
SPEND_TOLERANCE_MICROS = 5_000  # Cursor rounds fractional cents; a unit slip is 100x


def _has_next(endpoint: str) -> Callable[[Any], bool]:
    """Reads ``pagination.hasNextPage`` (both paged Cursor endpoints use it)."""
    read = PayloadReader(VENDOR, endpoint)
    return lambda body: read.body(body).obj("pagination").boolean("hasNextPage")


class CursorConnector(Connector):
    """Cursor Admin API: billed cost per person, model and day from usage events (the sum of
    ``chargedCents``), tokens and request units, plus daily editor activity per person, and
    each member's current-cycle spend as an independent reconciliation total.

    Needs an Admin API key (team admin → Settings → Advanced → Admin API Keys); the Admin API
    is available to Enterprise teams. Cursor aggregates hourly and revises the last day or two.
    """

    name: ClassVar[str] = "cursor"
    provider: ClassVar[str] = "Cursor"
    services: ClassVar[tuple[str, ...]] = (SERVICE,)
    source_type = "api"
    default_confidence = "high"
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField(
            "api_key",
            secret=True,
            help="Cursor Admin API key (key_...), created by a team admin under "
            "Settings → Advanced → Admin API Keys.",
        ),
    )
    revision_window_days: ClassVar[int] = 2
    max_window_days: ClassVar[int] = 30
    default_base_url: ClassVar[str | None] = "https://api.cursor.com"

    # -- plumbing ----------------------------------------------------------------------------
    def _http(self, config: dict[str, Any], ctx: FetchContext | None = None) -> VendorHttp:
        self.require_credentials(config)
        key = str(config["api_key"])
        options = dict(ctx.http_options) if ctx is not None else {}
        return VendorHttp(
            VENDOR,
            self.base_url(config),
            auth=(key, ""),
            secrets=[key],
            json_floats=True,  # its readers take floats back as their literal (json_body)
            **options,
        )

    # -- verbs -------------------------------------------------------------------------------
    def check(self, config: dict[str, Any]) -> CheckResult:
        """``GET /teams/members``: the key works if Cursor lists the team."""
        try:
            with self._http(config) as http:
                accounts = _members(http.get_json(MEMBERS_PATH))
        except ConnectorError as exc:
            return CheckResult(False, str(exc))
        return CheckResult(True, f"Cursor team with {len(accounts)} member(s)")

    def fetch(
        self, config: dict[str, Any], start: dt.date, end: dt.date, ctx: FetchContext
    ) -> Iterator[FetchBatch]:
        """Per window of at most 30 days, one batch of usage and control totals (the first
        with the members), then one batch of activity per daily-usage page; then the current
        cycle's spend when the range reaches today."""
        with self._http(config, ctx) as http:
            members = _members(http.get_json(MEMBERS_PATH))
            known = {a.account_key for a in members}
            first = True
            for lo, hi in day_windows(start, end, self.max_window_days):
                ctx.info(f"cursor: fetching {lo}..{hi}")
                window = {"startDate": day_start_ms(lo), "endDate": day_end_ms(hi)}
                usage = WindowUsage(lo, hi)
                events = PayloadReader(VENDOR, EVENTS_PATH)
                for body in http.paginate_pages(
                    EVENTS_PATH, window, page_size=EVENTS_PAGE_SIZE, has_next=_has_next(EVENTS_PATH)
                ):
                    usage.add_page(events.body(body).sequence("usageEvents"))
                if usage.outside:
                    ctx.info(
                        f"cursor: ignored {usage.outside} usage event(s) dated outside {lo}..{hi}"
                    )
                batch = FetchBatch(
                    usage=usage.records(),
                    vendor_totals=[
                        VendorTotal(d, usage.charged_by_day.get(d, 0)) for d in days(lo, hi)
                    ],
                )
                if first:
                    batch.accounts.extend(members)
                    first = False
                for account in sorted(usage.service_accounts - known):
                    known.add(account)
                    kind = "unattributed" if account == UNATTRIBUTED else "service_account"
                    batch.accounts.append(Account(account, display_name=account, kind=kind))
                yield batch
                # Release this window's usage before reading its activity: one page at a time.
                del batch, usage
                daily = PayloadReader(VENDOR, DAILY_PATH)
                day_of: dict[str, dt.date] = {}  # "YYYY-MM-DD" → date, parsed once
                for body in http.paginate_pages(
                    DAILY_PATH, window, page_size=DAILY_PAGE_SIZE, has_next=_has_next(DAILY_PATH)
                ):
                    rows = daily.body(body).sequence("data")
                    yield FetchBatch(activity_days=page_activity(rows, lo, hi, day_of))
                    del rows, body
            if start <= ctx.today <= end:
                yield FetchBatch(reconciliation=_cycle_spend(http, ctx.today))


def _members(body: Any) -> list[Account]:
    """Members as accounts keyed by email. Older API versions returned a bare array."""
    read = PayloadReader(VENDOR, MEMBERS_PATH)
    root = read.body(body)
    rows = root.list() if isinstance(body, list) else root.list("teamMembers")
    accounts = []
    for row in rows:
        email = row.text("email")
        accounts.append(Account(account_key=email, display_name=row.opt_text("name"), email=email))
    return accounts


def _cycle_spend(http: VendorHttp, today: dt.date) -> list[ReconciliationTotal]:
    """Each member's on-demand spend this billing cycle (``spendCents``), cycle start..today."""
    read = PayloadReader(VENDOR, SPEND_PATH)
    totals = []
    pages = 0

    def has_next(body: Any) -> bool:  # the body says how many pages there are, not which one
        return read.body(body).count("totalPages") > pages

    for body in http.paginate_pages(SPEND_PATH, {}, page_size=SPEND_PAGE_SIZE, has_next=has_next):
        pages += 1
        page = read.body(body)
        cycle_start = page.epoch_ms_day("subscriptionCycleStart")
        for row in page.list("teamMemberSpend"):
            totals.append(
                ReconciliationTotal(
                    name="cycle spend (/teams/spend)",
                    period_start=cycle_start,
                    period_end=today,
                    billed_cost_micros=row.money("spendCents", unit="cents"),
                    account_key=row.text("email"),
                    tolerance_micros=SPEND_TOLERANCE_MICROS,
                )
            )
    return totals
