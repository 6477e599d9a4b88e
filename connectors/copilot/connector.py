"""``CopilotConnector``: seat fees from the tenant's seat plan, AI-credit usage per user, and
the per-user usage-metrics reports as activity."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
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
    SettingField,
    UnitPrice,
)
from connectors.copilot import credits, reports
from connectors.copilot.payloads import (
    API_VERSION,
    PATH_BILLING,
    PATH_SEATS,
    VENDOR,
    Seat,
    parse_plan_type,
    parse_seats_page,
)
from connectors.copilot.seats import (
    DEFAULT_SEAT_PLAN,
    SEAT_UNIT,
    SERVICE,
    SETTING,
    parse_seat_plan,
    seat_fees,
)
from connectors.credential_check import check_call
from connectors.dates import day_windows, days
from connectors.http import VendorHttp

SEATS_PER_PAGE = 100  # the documented maximum (default 50)


class CopilotConnector(Connector):
    """GitHub Copilot (Business/Enterprise) for one organisation, through the REST API.

    What GitHub reports (vendor-apis.md §3), with a token (``Authorization: Bearer``) of an
    organisation owner (``manage_billing:copilot`` or ``read:org``):

    - ``/orgs/{org}/copilot/billing/seats``: the granted seats, paged by the ``Link`` header
      (``per_page`` at most 100). ``assignee`` may be **null** (the seat's fee is then
      ``unattributed``); ``pending_cancellation_date`` ends the seat at the next cycle (billed
      until then); ``plan_type`` may be ``unknown`` (priced at the org's plan from
      ``/orgs/{org}/copilot/billing``). GitHub reports no price: the fee comes from the tenant's
      ``seat_plan`` (defaults Business $19, Enterprise $39 per seat per month, editable with
      valid-from/valid-to dates, ``aispend seats plan``), booked as a ``Purchase`` per login
      and day whose billed and effective cost split the month's price exactly (the first month
      from the day the seat was granted: prorated) (``connectors.copilot.seats``). Control total: every seat's daily share (scope ``seats``).
    - ``/organizations/{org}/settings/billing/ai_credit/usage``: AI credits, one request per
      day for the organisation (the control total, scope ``ai_credits``) and one per seat login
      (``user=``; asked per day only of the logins whose month shows any use, one request per
      login and month); ``netAmount`` (USD) is billed, ``grossAmount`` the list cost; what no login
      carries is ``unattributed`` (``connectors.copilot.credits``). Requests: per month one
      per seat, per day one plus one per seat that used credits.
    - ``/orgs/{org}/copilot/metrics/reports/users-1-day?day=``: signed links to NDJSON rows per
      user, downloaded without the GitHub token; 204 means no data that day. Activity metrics:
      ``interactions``, ``code_generations``, ``code_acceptances``, ``lines_suggested``,
      ``lines_added``, ``lines_deleted``, ``cli_sessions``, ``cli_requests``,
      ``cli_prompt_tokens``, ``cli_output_tokens`` and ``active_days``
      (``connectors.copilot.reports``). The CLI token sums are the only tokens GitHub reports,
      for the CLI only: a per-tool view, never in the token columns.

    A seat is **idle** in a period when its login has seat fees but no activity in it
    (``warehouse.seats.idle_seats``, ``aispend seats idle``). People are keyed by GitHub login
    (emails are usually null): link them to members by hand or by name.
    """

    name = "copilot"
    provider = "GitHub"
    services = (SERVICE,)
    source_type = "api"
    default_confidence = "high"
    credential_fields = (
        CredentialField(
            "token",
            secret=True,
            help="A token of an organisation owner: a classic PAT with manage_billing:copilot "
            "(or read:org), or a fine-grained token with Copilot Business (read), "
            "Administration (read) and Organization Copilot metrics (read).",
        ),
        CredentialField("org", secret=False, help="The organisation's login, e.g. acme-corp."),
    )
    settings_fields = (
        SettingField(
            SETTING,
            kind="json",
            default=DEFAULT_SEAT_PLAN,
            help="Seat prices per plan: a JSON list of {plan, usd_per_seat_month, valid_from?, "
            "valid_to?}; filled from the tenant's seat plans (aispend seats plan set).",
        ),
    )
    revision_window_days = 3
    max_window_days = 31
    unit_prices = (UnitPrice(SEAT_UNIT, Decimal("0.03"), Decimal("5")),)
    default_base_url = "https://api.github.com"

    # -- plumbing ------------------------------------------------------------------------------
    def _http(self, config: dict[str, Any], ctx: FetchContext | None) -> VendorHttp:
        self.require_credentials(config)
        token = str(config["token"])
        return VendorHttp(
            VENDOR,
            self.base_url(config),
            headers={
                "authorization": f"Bearer {token}",
                "accept": "application/vnd.github+json",
                "x-github-api-version": API_VERSION,
            },
            secrets=[token],
            **(ctx.http_options if ctx else {}),
        )

    @staticmethod
    def _downloads(config: dict[str, Any], ctx: FetchContext) -> VendorHttp:
        """A client with no GitHub credentials, for the signed report links."""
        return VendorHttp(VENDOR, "https://invalid.example", secrets=[str(config["token"])],
                          **ctx.http_options)  # fmt: skip

    @staticmethod
    def _org(config: dict[str, Any]) -> str:
        org = str(config["org"]).strip()
        if not org or "/" in org:
            raise ConnectorError(VENDOR, f"org {org!r} is not an organisation login")
        return org

    # -- verbs ---------------------------------------------------------------------------------
    def check(self, config: dict[str, Any]) -> CheckResult:
        """One cheap authorised call: the organisation's Copilot billing summary."""

        def billing() -> None:
            with self._http(config, None) as http:
                path = PATH_BILLING.format(org=self._org(config))
                parse_plan_type(http.get_json(path), path)

        return check_call(billing, "the GitHub token")

    def fetch(
        self, config: dict[str, Any], start: dt.date, end: dt.date, ctx: FetchContext
    ) -> Iterator[FetchBatch]:
        prices = parse_seat_plan(self.setting(config, SETTING))
        org = self._org(config)
        with self._http(config, ctx) as http, self._downloads(config, ctx) as downloads:
            billing_path = PATH_BILLING.format(org=org)
            org_plan = parse_plan_type(http.get_json(billing_path), billing_path)
            seats = self._seats(http, org)
            logins = sorted({s.login for s in seats if s.login})
            yielded: set[str] = set()
            used: dict[dt.date, list[str]] = {}  # month → the logins that used AI credits
            for w_start, w_end in day_windows(start, end, self.max_window_days):
                ctx.info(f"copilot: seats, AI credits and usage reports {w_start}..{w_end}")
                batch = FetchBatch()
                batch.usage, batch.vendor_totals = seat_fees(
                    seats, org_plan, prices, (w_start, w_end)
                )
                active: set[str] = set()
                for day in days(w_start, w_end):
                    month = day.replace(day=1)
                    if month not in used:
                        used[month] = credits.logins_with_credits(http, org, month, logins)
                    records, total = credits.read_day(http, org, day, used[month])
                    batch.usage.extend(records)
                    batch.vendor_totals.append(total)
                    activity, seen = reports.read_day(http, downloads, org, day)
                    batch.activity.extend(activity)
                    active |= seen
                batch.accounts = _accounts(seats, active, batch, yielded)
                yield batch

    @staticmethod
    def _seats(http: VendorHttp, org: str) -> list[Seat]:
        """Every seat, over every ``Link`` page; the pages must add up to ``total_seats``."""
        path = PATH_SEATS.format(org=org)
        seats: list[Seat] = []
        totals: set[int] = set()
        for body in http.paginate_link_header(path, {"per_page": SEATS_PER_PAGE}):
            total, page = parse_seats_page(body, path)
            totals.add(total)
            seats.extend(page)
        if len(totals) > 1 or (totals and len(seats) != totals.pop()):
            raise ConnectorError(
                VENDOR,
                f"the seat pages list {len(seats)} seats but total_seats says otherwise "
                "(seats changed while paging? retry the sync)",
                endpoint=path,
            )
        logins = [s.login for s in seats if s.login]
        if len(logins) != len(set(logins)):
            raise ConnectorError(
                VENDOR, "a login holds two seats in one organisation", endpoint=path
            )
        return seats


def _accounts(
    seats: list[Seat], active: set[str], batch: FetchBatch, yielded: set[str]
) -> list[Account]:
    """Accounts not yielded before: seat holders (login, name, the rare public email), logins
    seen only in the reports, and ``unattributed`` when a record uses it."""
    found: dict[str, Account] = {}
    for seat in seats:
        if seat.login:
            found[seat.login] = Account(seat.login, seat.name or seat.login, seat.email, "user")
    for login in active:
        found.setdefault(login, Account(login, login, None, "user"))
    if any(r.account_key == UNATTRIBUTED for r in batch.usage):
        found[UNATTRIBUTED] = Account(UNATTRIBUTED, "Unattributed", kind="unattributed")
    fresh = [a for key, a in sorted(found.items()) if key not in yielded]
    yielded.update(a.account_key for a in fresh)
    return fresh
