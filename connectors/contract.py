"""The connector contract: what a connector declares and what its verbs return.

A connector package depends on ``connectors.*`` only: nothing here imports Dagster or
SQLAlchemy. Money is integer micro-dollars (1 USD = 1_000_000) so sums are exact on every
database (``connectors.money``); tokens are counted once (``connectors.tokens``).

What ``fetch`` yields (``FetchBatch``):

- ``usage``: ``UsageRecord`` facts, one per (account, UTC day, SKU, charge category, basis);
- ``activity``: ``ActivityRecord`` counts that are not money (sessions, lines, requests…);
- ``activity_days``: the same counts already grouped, one ``DayActivity`` (metric → value) per
  account and day: lighter for a connector that reads them that way (a row per person and
  day), and written as is. Either field, or both, may carry a connector's activity;
  ``FetchBatch.activity_records()`` reads both as ``ActivityRecord``s;
- ``accounts``: ``Account`` descriptions of the vendor identities seen;
- ``vendor_totals``: ``VendorTotal``, the vendor's own billed total per day (the control
  total the accuracy check holds per-person costs plus ``unattributed`` to, to the cent);
- ``reconciliation``: ``ReconciliationTotal``, an independent figure the vendor publishes for a
  period (a billing cycle to date), compared with the summed facts once the period is synced.

A vendor total is never an account or an activity: nothing a person could be linked to.

The record types live in ``connectors.records`` and are imported from here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from connectors.dates import day_windows, days
from connectors.fields import CredentialField, SettingField
from connectors.money import MICROS_PER_USD, micros_to_decimal, to_micros
from connectors.records import (
    UNATTRIBUTED,
    Account,
    ActivityRecord,
    Confidence,
    DayActivity,
    ReconciliationTotal,
    UnitPrice,
    UsageRecord,
    VendorTotal,
    day_activity,
    fast_replace,
)
from connectors.schedule import POLL_API, ConfigSource, SyncSchedule

SourceType = Literal["api", "file", "manual"]

# Kept importable from here (older connectors import them from the contract).
__all__ = [
    "MICROS_PER_USD",
    "UNATTRIBUTED",
    "Account",
    "ActivityRecord",
    "CheckResult",
    "ConfigSource",
    "Connector",
    "ConnectorError",
    "CredentialError",
    "CredentialField",
    "DayActivity",
    "FetchBatch",
    "FetchContext",
    "ReconciliationTotal",
    "SchemaError",
    "SettingField",
    "SyncSchedule",
    "UnitPrice",
    "UsageRecord",
    "VendorTotal",
    "day_windows",
    "day_activity",
    "days",
    "fast_replace",
    "micros_to_decimal",
    "to_micros",
]


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


@dataclass
class FetchContext:
    """What the framework hands a connector for one fetch: a logger, HTTP options, today and
    (optionally) list prices.

    ``today`` is the UTC date the framework considers current (the simulator's last day in
    tests): a connector that reads a "current period" snapshot uses it, never the clock.
    ``token_rates`` (model, day) gives the price table's list prices, so a billed total can be
    shared by priced usage where token kinds are mixed; a connector must work without it.
    """

    log: Any = None  # a logging.Logger-like object; never given secrets
    http_options: dict[str, Any] = field(default_factory=dict)
    today: dt.date = field(default_factory=lambda: dt.datetime.now(dt.UTC).date())
    #: List prices from the warehouse's price table, ``(model, day) -> TokenRates | None``
    #: (``connectors.tokens``), for usage weights only; None when the framework has none.
    token_rates: Any = None

    def info(self, msg: str) -> None:
        if self.log is not None:
            self.log.info(msg)


@dataclass
class FetchBatch:
    """What ``fetch`` yields: records for one or more days, streamed rather than accumulated."""

    usage: list[UsageRecord] = field(default_factory=list)
    activity: list[ActivityRecord] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)
    vendor_totals: list[VendorTotal] = field(default_factory=list)
    reconciliation: list[ReconciliationTotal] = field(default_factory=list)
    activity_days: list[DayActivity] = field(default_factory=list)

    def activity_records(self) -> list[ActivityRecord]:
        """All activity as ``ActivityRecord``s: ``activity``, then ``activity_days`` flattened."""
        return [*self.activity, *(r for group in self.activity_days for r in group.records())]

    def activity_count(self) -> int:
        """How many metric values the batch carries (``activity_records()``'s length)."""
        return len(self.activity) + sum(len(group.metrics) for group in self.activity_days)


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    reason: str = ""


class Connector:
    """Base class of every connector. Subclasses set the class attributes and implement the verbs.

    ``fetch(config, start, end, ctx)`` covers the UTC days ``start..end`` inclusive and yields
    ``FetchBatch`` objects; every record's ``day`` must be inside that range. A connector pages
    the vendor in windows of at most ``max_window_days``.

    Declarations the pipeline reads (and nothing else; ``connectors.schedule``):
    ``config_source`` (``"credentials"``, ``"folder"`` or ``"admin_input"`` with
    ``admin_input`` naming the admin data), ``schedule`` (``POLL_API``, ``WATCH_FOLDER``,
    ``WATCH_INPUT`` or your own ``SyncSchedule``), ``future_days`` (how far past today the
    source has data, e.g. a monthly invoice), ``revision_window_days`` (how far back the vendor
    revises data; the daily sweep re-reads it) and ``unit_prices`` (the unit guard).
    """

    name: ClassVar[str]
    provider: ClassVar[str]
    services: ClassVar[tuple[str, ...]]
    source_type: ClassVar[SourceType] = "api"
    default_confidence: ClassVar[Confidence] = "high"
    credential_fields: ClassVar[tuple[CredentialField, ...]] = ()
    settings_fields: ClassVar[tuple[SettingField, ...]] = ()
    config_source: ClassVar[ConfigSource] = "credentials"
    admin_input: ClassVar[str | None] = None
    schedule: ClassVar[SyncSchedule] = POLL_API
    future_days: ClassVar[int] = 0
    revision_window_days: ClassVar[int] = 3
    max_window_days: ClassVar[int] = 31
    unit_prices: ClassVar[tuple[UnitPrice, ...]] = ()
    default_base_url: ClassVar[str | None] = None

    def check(self, config: dict[str, Any]) -> CheckResult:
        raise NotImplementedError

    def fetch(
        self, config: dict[str, Any], start: dt.date, end: dt.date, ctx: FetchContext
    ) -> Iterator[FetchBatch]:
        raise NotImplementedError

    # -- input at rest (config_source "folder" or "admin_input") ----------------------------
    def input_fingerprint(self, config: dict[str, Any]) -> str | None:
        """A digest that changes when the input at rest changes (the input sensor compares it).

        Default: the configured folder's listing for ``"folder"``, the whole config for
        ``"admin_input"``, ``None`` (nothing to watch) for API connectors.
        """
        if self.config_source == "folder":
            from connectors.files import folder_fingerprint

            return folder_fingerprint(self.input_folder(config))
        if self.config_source == "admin_input":
            text = json.dumps(config, sort_keys=True, default=str)
            return hashlib.sha256(text.encode()).hexdigest()[:24]
        return None

    def input_span(self, config: dict[str, Any]) -> tuple[dt.date, dt.date] | None:
        """The days the input at rest covers, or ``None`` when unknown (the input sensor then
        re-syncs the revision window). File and admin-input connectors override it."""
        return None

    # -- helpers shared by every connector ---------------------------------------------------
    @classmethod
    def config_fields(cls) -> tuple[CredentialField | SettingField, ...]:
        """Every field an admin can set: credentials, then settings."""
        return (*cls.credential_fields, *cls.settings_fields)

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
        """Required fields (credentials, and settings without a default) the config lacks."""
        required = [f.name for f in cls.credential_fields if f.required]
        required += [f.name for f in cls.settings_fields if f.required and f.default is None]
        return [name for name in required if not config.get(name)]

    @classmethod
    def require_credentials(cls, config: dict[str, Any]) -> None:
        """Raise a CredentialError naming every required field the config lacks."""
        missing = cls.missing_credentials(config)
        if missing:
            raise CredentialError(cls.name, f"missing credential field(s): {', '.join(missing)}")

    @classmethod
    def setting(cls, config: dict[str, Any], name: str) -> Any:
        """A declared setting's typed value: the configured one, else its default, else None.

        Raises ``ConnectorError`` naming the setting when the stored value does not parse.
        """
        spec = next((f for f in cls.settings_fields if f.name == name), None)
        if spec is None:
            raise KeyError(f"{cls.name} declares no setting {name!r}")
        raw = config.get(name)
        if raw in (None, ""):
            raw = spec.default
        if raw is None:
            return None
        try:
            return spec.parse(raw)
        except ValueError as exc:
            raise ConnectorError(cls.name, str(exc)) from None

    @classmethod
    def input_folder(cls, config: dict[str, Any]) -> Any:
        """The folder a ``"folder"`` connector reads: its first ``path`` setting."""
        spec = next((f for f in cls.settings_fields if f.kind == "path"), None)
        if spec is None:
            raise ConnectorError(cls.name, "declares config_source 'folder' but no path setting")
        folder = cls.setting(config, spec.name)
        if folder is None:
            raise CredentialError(cls.name, f"missing setting {spec.name!r} (the folder to read)")
        return folder
