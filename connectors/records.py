"""The records a connector yields (``FetchBatch``'s contents): usage facts, activity, the
vendor's own totals, unit prices and accounts. Imported by ``connectors.contract``, which is
where connectors take them from; kept apart so the contract module holds the verbs.

Money is integer micro-dollars (``connectors.money``); tokens are counted once
(``connectors.tokens``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

Confidence = Literal["high", "medium", "low"]
CostBasis = Literal["billed", "estimated"]
ChargeCategory = Literal["Usage", "Purchase", "Credit", "Adjustment", "Tax"]
UNATTRIBUTED = "unattributed"


@dataclass(frozen=True)
class UsageRecord:
    """One FOCUS-shaped fact: (account, UTC day, SKU, charge category, cost basis).

    ``account_key`` is the vendor's own identifier for the person or key (email, login,
    API key id, or ``"unattributed"`` for the remainder of a billed total).
    Token columns never overlap and never repeat tokens another record carries
    (``connectors.tokens``): ``input_tokens`` is input neither read from nor written to a
    cache. ``None`` means unknown, 0 means none. ``effective_cost_micros`` is the amortised
    cost of a day (a seat fee spread over its month, ``connectors.purchases``); ``None`` means
    the same as billed. ``tags`` are plain key/value labels (FOCUS ``Tags``: who entered a
    manual entry, a project name…), never part of the record key.
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
    tags: Mapping[str, str] | None = field(default=None, hash=False)

    def record_key(self, tenant: str, source: str) -> str:
        """Deterministic key: one row per (tenant, source, account, day, sku, category, basis, sub-account)."""
        return record_keys(tenant, source)(self)


def record_keys(tenant: str, source: str) -> Callable[[UsageRecord], str]:
    """``rec.record_key(tenant, source)`` for the records of one partition write (a fact by the
    hundred thousand): the tenant and source are joined once and each day's ISO text is worked
    out once (a partition spans a few dozen days).

    A key is the first 32 hex digits of the SHA-256 of the identity's fields joined by the unit
    separator (U+001F). That text is a fact's identity (a re-sync replaces rows by it): it must
    never change."""
    partition = "\x1f".join((tenant, source))
    days: dict[dt.date, str] = {}
    sha256 = hashlib.sha256

    def key(rec: UsageRecord) -> str:
        day = days.get(rec.day)
        if day is None:
            day = days[rec.day] = rec.day.isoformat()
        parts = (
            partition,
            rec.account_key,
            day,
            rec.service,
            rec.sku,
            rec.charge_category,
            rec.cost_basis,
            rec.sub_account or "",
        )
        return sha256("\x1f".join(parts).encode()).hexdigest()[:32]

    return key


_new = object.__new__


def fast_replace(template: Any, changes: dict[str, Any]) -> Any:
    """``dataclasses.replace(template, **changes)`` for a record built by the hundred thousand
    (a ``UsageRecord`` per person, day and model), at about a third of the cost: the frozen
    record's fields are copied as a whole instead of set one by one through ``__init__``. The
    result is an ordinary, equal record; ``changes`` must name fields of ``template`` only (no
    ``__post_init__`` runs: the record classes here have none)."""
    record = _new(type(template))
    values = record.__dict__
    values.update(template.__dict__)
    values.update(changes)
    return record


@dataclass(frozen=True)
class ActivityRecord:
    """Activity that is not money: (account, day, metric) → value.

    Metric names are ``snake_case`` counts of one thing per day, unit last
    (``lines_added``, ``chat_requests``, ``sessions``, ``claude_code_input_tokens``); a
    metric is never money, and token metrics here are per-tool views, never token totals.
    """

    day: dt.date
    account_key: str
    metric: str
    value: Decimal | int


@dataclass(frozen=True)
class DayActivity:
    """One account's activity on one day, ``metrics`` (metric → value) in the order reported:
    what one ``ActivityRecord`` per metric says, in one object. The same rules hold (count
    metric names, never money); a metric is reported once per account and day across both
    shapes. The framework takes ``metrics`` as given: build a new dict for each."""

    day: dt.date
    account_key: str
    metrics: Mapping[str, Decimal | int] = field(hash=False)

    def records(self) -> list[ActivityRecord]:
        """The same activity as one ``ActivityRecord`` per metric, in order."""
        day, account = self.day, self.account_key
        return [ActivityRecord(day, account, m, v) for m, v in self.metrics.items()]


def day_activity(
    day: dt.date, account_key: str, metrics: Mapping[str, Decimal | int]
) -> DayActivity:
    """``DayActivity(day, account_key, metrics)`` at about a third of the cost (its fields stored
    into the new record's ``__dict__``, not set one by one through the frozen class's
    ``object.__setattr__``), for readers that build one per account and day by the hundred
    thousand. The result is an ordinary, equal record."""
    record = _new(DayActivity)
    values = record.__dict__
    values["day"] = day
    values["account_key"] = account_key
    values["metrics"] = metrics
    return record


@dataclass(frozen=True)
class VendorTotal:
    """The vendor's own billed total for one UTC day: the accuracy check's control total.

    Report one for **every day you fetched**, zero included (that is how the check knows the
    day was synced), computed from the vendor's figures independently of how you attribute
    them to people. ``scope`` splits a day's total by where it came from (``"seats"``,
    ``"ai_credits"``) when a connector reads it from several endpoints; the check compares
    the sum of a day's scopes with the sum of that day's billed facts.
    """

    day: dt.date
    billed_cost_micros: int
    scope: str = ""
    currency: str = "USD"


@dataclass(frozen=True)
class ReconciliationTotal:
    """An independent figure a vendor publishes for a period, e.g. Cursor's ``/teams/spend``
    per member for the billing cycle to date, or Copilot's organisation AI-credit total.

    The check compares it with the billed facts of the period (of ``account_key`` only, when
    set) once every day of the period has been synced; ``tolerance_micros`` absorbs the
    vendor's own rounding (keep it below a cent: a unit slip is 100×, never a cent).
    """

    name: str
    period_start: dt.date
    period_end: dt.date  # inclusive
    billed_cost_micros: int
    account_key: str | None = None
    tolerance_micros: int = 0


@dataclass(frozen=True)
class UnitPrice:
    """The plausible USD range of one ``consumed_unit`` (the unit guard).

    Per UTC day, billed cost divided by consumed quantity over the records in ``unit`` must
    lie within ``min_usd..max_usd``: an amount read in the wrong unit (cents as dollars is
    100×) falls outside. E.g. ``UnitPrice("tokens", Decimal("0.000000005"),
    Decimal("0.00008"))`` for $0.005–$80 per million tokens.
    """

    unit: str
    min_usd: Decimal
    max_usd: Decimal


@dataclass(frozen=True)
class Account:
    """A vendor account discovered while fetching: who the account_key belongs to."""

    account_key: str
    display_name: str | None = None
    email: str | None = None
    kind: str = "user"  # user | api_key | service_account | member | unattributed
