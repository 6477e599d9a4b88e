"""The connector contract: what a connector declares and what its verbs return.

A connector package depends on this module (and ``connectors.http``) only: nothing here
imports Dagster or SQLAlchemy. Money is integer micro-dollars (1 USD = 1_000_000) so that
sums are exact on every database; ``to_micros`` converts vendor amounts without floats.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, ClassVar, Literal

SourceType = Literal["api", "file", "manual"]
Confidence = Literal["high", "medium", "low"]
CostBasis = Literal["billed", "estimated"]
ChargeCategory = Literal["Usage", "Purchase", "Credit", "Adjustment", "Tax"]

MICROS_PER_USD = 1_000_000


def to_micros(amount: Decimal | int | str, *, unit: Literal["usd", "cents"] = "usd") -> int:
    """Convert a vendor amount to integer micro-dollars, exactly where the input allows.

    Floats are refused: parse JSON with ``parse_float=Decimal`` so no binary rounding sneaks in.
    """
    if isinstance(amount, float):
        raise TypeError("money must not be a float; parse JSON with parse_float=Decimal")
    value = Decimal(amount)
    if unit == "cents":
        value = value / 100
    return int((value * MICROS_PER_USD).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def micros_to_decimal(micros: int) -> Decimal:
    return Decimal(micros) / MICROS_PER_USD


class ConnectorError(Exception):
    """A clear, user-facing failure: names the vendor, the endpoint and what was wrong.

    Never carries a secret (the HTTP layer redacts before raising).
    """

    def __init__(self, vendor: str, message: str, *, endpoint: str | None = None):
        self.vendor = vendor
        self.endpoint = endpoint
        where = f" at {endpoint}" if endpoint else ""
        super().__init__(f"{vendor}{where}: {message}")


class SchemaError(ConnectorError):
    """The vendor answered with a payload that does not have the documented shape."""

    def __init__(self, vendor: str, endpoint: str, field_name: str, problem: str):
        self.field_name = field_name
        super().__init__(vendor, f"field {field_name!r} {problem}", endpoint=endpoint)


class CredentialError(ConnectorError):
    """The vendor refused the credentials (401/403)."""


@dataclass(frozen=True)
class CredentialField:
    name: str
    secret: bool = True
    help: str = ""
    required: bool = True


@dataclass(frozen=True)
class UsageRecord:
    """One FOCUS-shaped fact: (account, UTC day, SKU, charge category, cost basis).

    ``account_key`` is the vendor's own identifier for the person or key (email, login,
    API key id, or ``"unattributed"`` for the remainder of a billed total).
    Token columns never overlap: ``input_tokens`` is input neither read from nor written to a
    cache. ``None`` means unknown, 0 means none.
    """

    day: dt.date
    account_key: str
    service: str
    sku: str
    billed_cost_micros: int = 0
    list_cost_micros: int | None = None
    effective_cost_micros: int | None = None
    charge_category: ChargeCategory = "Usage"
    cost_basis: CostBasis = "billed"
    confidence: Confidence = "high"
    currency: str = "USD"
    consumed_quantity: Decimal | None = None
    consumed_unit: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    requests: int | None = None
    sub_account: str | None = None
    provider: str | None = None  # overrides the connector's provider (manual entries, invoices)

    def record_key(self, tenant: str, source: str) -> str:
        """Deterministic key: one row per (tenant, source, account, day, sku, category, basis, sub-account)."""
        parts = [
            tenant,
            source,
            self.account_key,
            self.day.isoformat(),
            self.service,
            self.sku,
            self.charge_category,
            self.cost_basis,
            self.sub_account or "",
        ]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class ActivityRecord:
    """Activity that is not money or tokens: (account, day, metric) → value."""

    day: dt.date
    account_key: str
    metric: str
    value: Decimal | int


VENDOR_TOTAL_ACCOUNT = "x_vendor_total"
BILLED_TOTAL_METRIC = "x_billed_total_micros"


def vendor_billed_total(day: dt.date, micros: int) -> ActivityRecord:
    """The vendor's authoritative billed total for a day, reported alongside the records.

    The pipeline's accuracy check requires that day's billed records to sum to it exactly
    (per-person costs plus the unattributed remainder equal the bill, to the cent).
    """
    return ActivityRecord(day, VENDOR_TOTAL_ACCOUNT, BILLED_TOTAL_METRIC, micros)


@dataclass(frozen=True)
class Account:
    """A vendor account discovered while fetching: who the account_key belongs to."""

    account_key: str
    display_name: str | None = None
    email: str | None = None
    kind: str = "user"  # user | api_key | service_account | unattributed


@dataclass
class FetchContext:
    """What the framework hands a connector for one fetch: an HTTP client factory and a logger."""

    log: Any = None  # a logging.Logger-like object; never given secrets
    http_options: dict[str, Any] = field(default_factory=dict)

    def info(self, msg: str) -> None:
        if self.log is not None:
            self.log.info(msg)


@dataclass
class FetchBatch:
    """What ``fetch`` yields: records for one or more days, streamed rather than accumulated."""

    usage: list[UsageRecord] = field(default_factory=list)
    activity: list[ActivityRecord] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    reason: str = ""


class Connector:
    """Base class of every connector. Subclasses set the class attributes and implement the verbs.

    ``fetch(config, start, end, ctx)`` covers the UTC days ``start..end`` inclusive and yields
    ``FetchBatch`` objects; every record's ``day`` must be inside that range. A connector pages
    the vendor in windows of at most ``max_window_days``.
    """

    name: ClassVar[str]
    provider: ClassVar[str]
    services: ClassVar[tuple[str, ...]]
    source_type: ClassVar[SourceType] = "api"
    default_confidence: ClassVar[Confidence] = "high"
    credential_fields: ClassVar[tuple[CredentialField, ...]] = ()
    revision_window_days: ClassVar[int] = 3
    max_window_days: ClassVar[int] = 31
    default_base_url: ClassVar[str | None] = None

    def check(self, config: dict[str, Any]) -> CheckResult:
        raise NotImplementedError

    def fetch(
        self, config: dict[str, Any], start: dt.date, end: dt.date, ctx: FetchContext
    ) -> Iterator[FetchBatch]:
        raise NotImplementedError

    # -- helpers shared by every connector ---------------------------------------------------
    @classmethod
    def secret_values(cls, config: dict[str, Any]) -> list[str]:
        return [
            str(config[f.name]) for f in cls.credential_fields if f.secret and config.get(f.name)
        ]

    @classmethod
    def base_url(cls, config: dict[str, Any]) -> str:
        url = config.get("base_url") or cls.default_base_url
        if not url:
            raise ConnectorError(cls.name, "no base_url configured")
        return str(url).rstrip("/")

    @classmethod
    def missing_credentials(cls, config: dict[str, Any]) -> list[str]:
        return [f.name for f in cls.credential_fields if f.required and not config.get(f.name)]

    @classmethod
    def require_credentials(cls, config: dict[str, Any]) -> None:
        """Raise a CredentialError naming every required field the config lacks."""
        missing = cls.missing_credentials(config)
        if missing:
            raise CredentialError(cls.name, f"missing credential field(s): {', '.join(missing)}")


def day_windows(start: dt.date, end: dt.date, max_days: int) -> Iterator[tuple[dt.date, dt.date]]:
    """Split the inclusive range start..end into inclusive windows of at most max_days."""
    if end < start:
        return
    cur = start
    while cur <= end:
        stop = min(end, cur + dt.timedelta(days=max_days - 1))
        yield cur, stop
        cur = stop + dt.timedelta(days=1)
