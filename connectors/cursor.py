"""Cursor: per-event charges, tokens and daily editor activity from the Cursor Admin API.

What Cursor reports (``vendor-apis.md`` §2):

- ``POST /teams/filtered-usage-events``: one row per model call, with the user's email, the
  model, request units (``requestsCosts``), token counts when the call was token-based and
  ``chargedCents``, the fractional cents actually charged (Cursor Token Rate included).
  This is the billed truth: per-person costs summed from it equal the team's charges exactly.
- ``POST /teams/daily-usage-data``: per user per day editor activity (lines, applies, tabs,
  chat/agent/composer requests, Bugbot...). Its request counts are raw events, not billable
  units, so they are activity, never money.
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
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from connectors.contract import (
    Account,
    ActivityRecord,
    CheckResult,
    Connector,
    ConnectorError,
    CredentialField,
    FetchBatch,
    FetchContext,
    SchemaError,
    UsageRecord,
    day_windows,
    to_micros,
)
from connectors.http import VendorHttp

VENDOR = "cursor"
SERVICE = "Cursor"
MEMBERS_PATH = "/teams/members"
EVENTS_PATH = "/teams/filtered-usage-events"
DAILY_PATH = "/teams/daily-usage-data"
EVENTS_PAGE_SIZE = 1000  # the documented maximum
DAILY_PAGE_SIZE = 100  # users per page; a page holds users x days rows
UNATTRIBUTED = "unattributed"
DAY_MS = 86_400_000
EPOCH = dt.date(1970, 1, 1)

# daily-usage-data counts → activity metric names. The first group is in every documented
# version of the endpoint; the second arrived later and may be absent on older teams.
REQUIRED_ACTIVITY = (
    "totalLinesAdded",
    "totalLinesDeleted",
    "acceptedLinesAdded",
    "acceptedLinesDeleted",
    "totalApplies",
    "totalAccepts",
    "totalRejects",
    "totalTabsShown",
    "totalTabsAccepted",
    "composerRequests",
    "chatRequests",
    "agentRequests",
    "cmdkUsages",
)
OPTIONAL_ACTIVITY = ("subscriptionIncludedReqs", "apiKeyReqs", "usageBasedReqs", "bugbotUsages")
TOKEN_FIELDS = (
    ("inputTokens", "input"),
    ("outputTokens", "output"),
    ("cacheReadTokens", "cache_read"),
    ("cacheWriteTokens", "cache_write"),
)


def snake_case(name: str) -> str:
    """``acceptedLinesAdded`` → ``accepted_lines_added``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


ACTIVITY_METRICS = {name: snake_case(name) for name in REQUIRED_ACTIVITY + OPTIONAL_ACTIVITY}


def day_start_ms(day: dt.date) -> int:
    return (day - EPOCH).days * DAY_MS


def day_end_ms(day: dt.date) -> int:
    """The last millisecond of ``day`` (Cursor's ranges include their end)."""
    return day_start_ms(day) + DAY_MS - 1


# -- field readers: every malformed field becomes a SchemaError naming it ----------------------
def _field(obj: Any, name: str, endpoint: str, where: str) -> Any:
    if not isinstance(obj, dict):
        raise SchemaError(VENDOR, endpoint, where or "<body>", "is not an object")
    if name not in obj:
        raise SchemaError(VENDOR, endpoint, _path(where, name), "is missing")
    return obj[name]


def _path(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _number(value: Any, endpoint: str, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise SchemaError(VENDOR, endpoint, name, f"is {type(value).__name__}, not a number")
    if isinstance(value, Decimal) and not value.is_finite():
        raise SchemaError(VENDOR, endpoint, name, "is not a finite number")
    return Decimal(value)


def _count(value: Any, endpoint: str, name: str) -> int:
    number = _number(value, endpoint, name)
    if number != number.to_integral_value() or number < 0:
        raise SchemaError(VENDOR, endpoint, name, f"is {value}, not a non-negative whole number")
    return int(number)


def _text(value: Any, endpoint: str, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise SchemaError(VENDOR, endpoint, name, f"is {type(value).__name__}, not a string")
    return value


def _list(obj: Any, name: str, endpoint: str) -> list[Any]:
    value = _field(obj, name, endpoint, "")
    if not isinstance(value, list):
        raise SchemaError(VENDOR, endpoint, name, f"is {type(value).__name__}, not a list")
    return value


def _has_next(endpoint: str) -> Callable[[Any], bool]:
    """Reads ``pagination.hasNextPage`` (both paged Cursor endpoints use it)."""

    def has_next(body: Any) -> bool:
        pagination = _field(body, "pagination", endpoint, "")
        value = _field(pagination, "hasNextPage", endpoint, "pagination")
        if not isinstance(value, bool):
            raise SchemaError(VENDOR, endpoint, "pagination.hasNextPage", "is not a boolean")
        return value

    return has_next


# -- aggregation ---------------------------------------------------------------------------
@dataclass
class _Bucket:
    """Usage events of one (account, day, model), summed exactly."""

    billed_micros: int = 0
    requests: int = 0
    request_units: Decimal = Decimal(0)
    tokens: dict[str, int] | None = None


@dataclass
class _WindowUsage:
    buckets: dict[tuple[str, dt.date, str], _Bucket] = field(default_factory=dict)
    service_accounts: set[str] = field(default_factory=set)
    outside: int = 0

    def add(self, event: Any, index: int, start: dt.date, end: dt.date) -> None:
        where = f"usageEvents[{index}]"
        stamp = _field(event, "timestamp", EVENTS_PATH, where)
        if isinstance(stamp, str) and stamp.isdigit():
            millis = int(stamp)
        elif isinstance(stamp, int) and not isinstance(stamp, bool):
            millis = stamp
        else:
            raise SchemaError(
                VENDOR, EVENTS_PATH, f"{where}.timestamp", "is not epoch milliseconds"
            )
        day = EPOCH + dt.timedelta(days=millis // DAY_MS)
        if not start <= day <= end:
            self.outside += 1
            return
        account = event.get("userEmail")
        if account is None or account == "":
            name = event.get("serviceAccountName")
            account = name if isinstance(name, str) and name else UNATTRIBUTED
            self.service_accounts.add(account)
        else:
            account = _text(account, EVENTS_PATH, f"{where}.userEmail")
        model = _text(_field(event, "model", EVENTS_PATH, where), EVENTS_PATH, f"{where}.model")
        charged = _number(
            _field(event, "chargedCents", EVENTS_PATH, where), EVENTS_PATH, f"{where}.chargedCents"
        )
        units = _number(
            _field(event, "requestsCosts", EVENTS_PATH, where),
            EVENTS_PATH,
            f"{where}.requestsCosts",
        )
        bucket = self.buckets.setdefault((account, day, model), _Bucket())
        bucket.billed_micros += to_micros(charged, unit="cents")
        bucket.requests += 1
        bucket.request_units += units
        usage = event.get("tokenUsage")
        if usage is None:
            if event.get("isTokenBasedCall") is True:
                raise SchemaError(
                    VENDOR, EVENTS_PATH, f"{where}.tokenUsage", "is missing on a token-based call"
                )
            return
        if not isinstance(usage, dict):
            raise SchemaError(VENDOR, EVENTS_PATH, f"{where}.tokenUsage", "is not an object")
        if bucket.tokens is None:
            bucket.tokens = dict.fromkeys((kind for _, kind in TOKEN_FIELDS), 0)
        for wire, kind in TOKEN_FIELDS:
            # Zero-valued counts may be omitted by the vendor's serializer.
            value = usage.get(wire, 0)
            bucket.tokens[kind] += _count(value, EVENTS_PATH, f"{where}.tokenUsage.{wire}")

    def records(self) -> list[UsageRecord]:
        out = []
        for (account, day, model), b in sorted(self.buckets.items()):
            tokens = b.tokens or {}
            out.append(
                UsageRecord(
                    day=day,
                    account_key=account,
                    service=SERVICE,
                    sku=model,
                    billed_cost_micros=b.billed_micros,
                    cost_basis="billed",
                    confidence="high",
                    consumed_quantity=b.request_units,
                    consumed_unit="requests",
                    input_tokens=tokens.get("input"),
                    output_tokens=tokens.get("output"),
                    cache_read_tokens=tokens.get("cache_read"),
                    cache_write_tokens=tokens.get("cache_write"),
                    requests=b.requests,
                )
            )
        return out


class CursorConnector(Connector):
    """Cursor Admin API: billed cost per person, model and day from usage events (the sum of
    ``chargedCents``), tokens and request units, plus daily editor activity per person.

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
        return VendorHttp(VENDOR, self.base_url(config), auth=(key, ""), secrets=[key], **options)

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
        """One batch per window of at most 30 days: usage, activity and (first) the members."""
        with self._http(config, ctx) as http:
            members = _members(http.get_json(MEMBERS_PATH))
            known = {a.account_key for a in members}
            first = True
            for lo, hi in day_windows(start, end, self.max_window_days):
                ctx.info(f"cursor: fetching {lo}..{hi}")
                window = {"startDate": day_start_ms(lo), "endDate": day_end_ms(hi)}
                usage = _WindowUsage()
                for body in http.paginate_pages(
                    EVENTS_PATH,
                    window,
                    page_size=EVENTS_PAGE_SIZE,
                    has_next=_has_next(EVENTS_PATH),
                ):
                    for index, event in enumerate(_list(body, "usageEvents", EVENTS_PATH)):
                        usage.add(event, index, lo, hi)
                if usage.outside:
                    ctx.info(
                        f"cursor: ignored {usage.outside} usage event(s) dated outside {lo}..{hi}"
                    )
                activity: list[ActivityRecord] = []
                for body in http.paginate_pages(
                    DAILY_PATH,
                    window,
                    page_size=DAILY_PAGE_SIZE,
                    has_next=_has_next(DAILY_PATH),
                ):
                    for index, row in enumerate(_list(body, "data", DAILY_PATH)):
                        activity.extend(_activity(row, index, lo, hi))
                batch = FetchBatch(usage=usage.records(), activity=activity)
                if first:
                    batch.accounts.extend(members)
                    first = False
                for account in usage.service_accounts:
                    if account not in known:
                        known.add(account)
                        kind = "unattributed" if account == UNATTRIBUTED else "service_account"
                        batch.accounts.append(
                            Account(account_key=account, display_name=account, kind=kind)
                        )
                yield batch
                # Release this window before fetching the next: one window in memory at a time.
                del batch, usage, activity


def _members(body: Any) -> list[Account]:
    """Members as accounts keyed by email. Older API versions returned a bare array."""
    rows = body if isinstance(body, list) else _list(body, "teamMembers", MEMBERS_PATH)
    accounts = []
    for index, row in enumerate(rows):
        where = f"teamMembers[{index}]"
        email = _text(_field(row, "email", MEMBERS_PATH, where), MEMBERS_PATH, f"{where}.email")
        name = row.get("name")
        if name is not None and not isinstance(name, str):
            raise SchemaError(VENDOR, MEMBERS_PATH, f"{where}.name", "is not a string")
        accounts.append(Account(account_key=email, display_name=name or None, email=email))
    return accounts


def _activity(row: Any, index: int, start: dt.date, end: dt.date) -> list[ActivityRecord]:
    """One daily-usage row → activity records for its non-zero counts (keyed by email)."""
    where = f"data[{index}]"
    email = _text(_field(row, "email", DAILY_PATH, where), DAILY_PATH, f"{where}.email")
    raw_day = _field(row, "day", DAILY_PATH, where)
    try:
        day = dt.date.fromisoformat(raw_day) if isinstance(raw_day, str) else None
    except ValueError:
        day = None
    if day is None:
        raise SchemaError(VENDOR, DAILY_PATH, f"{where}.day", "is not a YYYY-MM-DD date")
    if not start <= day <= end:
        return []
    records = []
    active = row.get("isActive")
    if active is not None and not isinstance(active, bool):
        raise SchemaError(VENDOR, DAILY_PATH, f"{where}.isActive", "is not a boolean")
    if active:
        records.append(ActivityRecord(day=day, account_key=email, metric="active_days", value=1))
    for name, metric in ACTIVITY_METRICS.items():
        if name not in row and name in OPTIONAL_ACTIVITY:
            continue
        value = _count(_field(row, name, DAILY_PATH, where), DAILY_PATH, f"{where}.{name}")
        if value:
            records.append(ActivityRecord(day=day, account_key=email, metric=metric, value=value))
    return records
