"""Example AI: per-person, per-model daily token usage and billed cost.

Example AI is a made-up vendor whose admin API looks like many real ones:

- ``GET /v1/organization`` answers with the organization's name: used by ``check``.
- ``GET /v1/usage?start_date=YYYY-MM-DD&end_date=YYYY-MM-DD`` (both inclusive, at most 31
  days) lists one item per (user, day, model) with ``user_email``, ``model``, ``input_tokens``,
  ``output_tokens`` and ``cost_usd``, a **string** of US dollars (the billed amount). Pages
  with ``has_more`` + ``next_page``, sent back as ``page``.
- Auth is ``Authorization: Bearer <admin key>``.

This module depends on aispend's connector framework only (``connectors.contract`` and
``connectors.http``), never on Dagster or SQLAlchemy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from connectors.contract import (
    Account,
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

VENDOR = "example"
SERVICE = "Example Assistant"
ORG_PATH = "/v1/organization"
USAGE_PATH = "/v1/usage"


def _field(item: Any, name: str, where: str) -> Any:
    if not isinstance(item, dict):
        raise SchemaError(VENDOR, USAGE_PATH, where, "is not an object")
    if name not in item:
        raise SchemaError(VENDOR, USAGE_PATH, f"{where}.{name}", "is missing")
    return item[name]


def _text(item: Any, name: str, where: str) -> str:
    value = _field(item, name, where)
    if not isinstance(value, str) or not value:
        raise SchemaError(VENDOR, USAGE_PATH, f"{where}.{name}", "is not a non-empty string")
    return value


def _count(item: Any, name: str, where: str) -> int:
    value = _field(item, name, where)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SchemaError(VENDOR, USAGE_PATH, f"{where}.{name}", "is not a whole number >= 0")
    return value


def _usd(item: Any, name: str, where: str) -> Decimal:
    value = _field(item, name, where)
    try:
        amount = Decimal(value) if isinstance(value, str) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise SchemaError(VENDOR, USAGE_PATH, f"{where}.{name}", "is not a decimal string")
    return amount


class ExampleConnector(Connector):
    """Example AI: billed cost and tokens per person, model and day from ``/v1/usage``."""

    name: ClassVar[str] = "example"
    provider: ClassVar[str] = "Example AI"
    services: ClassVar[tuple[str, ...]] = (SERVICE,)
    source_type = "api"
    default_confidence = "high"
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField(
            "api_key", secret=True, help="Example AI admin key (Settings → Admin keys)."
        ),
    )
    revision_window_days: ClassVar[int] = 2
    max_window_days: ClassVar[int] = 31
    default_base_url: ClassVar[str | None] = "https://api.example.invalid"

    def _http(self, config: dict[str, Any], ctx: FetchContext | None = None) -> VendorHttp:
        self.require_credentials(config)
        key = str(config["api_key"])
        options = dict(ctx.http_options) if ctx is not None else {}
        return VendorHttp(
            VENDOR,
            self.base_url(config),
            headers={"Authorization": f"Bearer {key}"},
            secrets=[key],
            **options,
        )

    def check(self, config: dict[str, Any]) -> CheckResult:
        try:
            with self._http(config) as http:
                org = http.get_json(ORG_PATH)
        except ConnectorError as exc:
            return CheckResult(False, str(exc))
        name = org.get("name") if isinstance(org, dict) else None
        return CheckResult(True, f"Example AI organization {name or '(unnamed)'}")

    def fetch(
        self, config: dict[str, Any], start: dt.date, end: dt.date, ctx: FetchContext
    ) -> Iterator[FetchBatch]:
        with self._http(config, ctx) as http:
            for lo, hi in day_windows(start, end, self.max_window_days):
                ctx.info(f"example: fetching {lo}..{hi}")
                batch = FetchBatch()
                seen: set[str] = set()
                params = {"start_date": lo.isoformat(), "end_date": hi.isoformat(), "limit": 50}
                for body in http.paginate_cursor(USAGE_PATH, params):
                    items = body.get("data")
                    if not isinstance(items, list):
                        raise SchemaError(VENDOR, USAGE_PATH, "data", "is missing or not a list")
                    for index, item in enumerate(items):
                        where = f"data[{index}]"
                        try:
                            day = dt.date.fromisoformat(_text(item, "date", where))
                        except ValueError:
                            raise SchemaError(
                                VENDOR, USAGE_PATH, f"{where}.date", "is not YYYY-MM-DD"
                            ) from None
                        if not lo <= day <= hi:
                            continue
                        email = _text(item, "user_email", where)
                        batch.usage.append(
                            UsageRecord(
                                day=day,
                                account_key=email,
                                service=SERVICE,
                                sku=_text(item, "model", where),
                                billed_cost_micros=to_micros(_usd(item, "cost_usd", where)),
                                input_tokens=_count(item, "input_tokens", where),
                                output_tokens=_count(item, "output_tokens", where),
                            )
                        )
                        if email not in seen:
                            seen.add(email)
                            batch.accounts.append(Account(account_key=email, email=email))
                yield batch
