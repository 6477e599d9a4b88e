"""The simulated Anthropic Admin API's wire details: amounts as strings of cents, RFC 3339
request parameters and error bodies, as the real API spells them (page tokens and integer
arguments come from ``connectors.simulator.wire``)."""

from __future__ import annotations

import datetime as dt

from connectors.simulator.vendor import SimResponse
from connectors.simulator.wire import BadRequest, decode_token, encode_token, int_arg

__all__ = [
    "BadRequest",
    "anthropic_error",
    "cents_string",
    "decode_token",
    "encode_token",
    "int_arg",
    "parse_rfc3339",
]


def cents_string(micros: int) -> str:
    """Micro-dollars as Anthropic's cost ``amount``: a decimal string of cents ("123.45")."""
    sign = "-" if micros < 0 else ""
    whole, frac = divmod(abs(micros), 10_000)
    digits = f"{frac:04d}".rstrip("0").ljust(2, "0")
    return f"{sign}{whole}.{digits}"


def anthropic_error(status: int, kind: str, message: str) -> SimResponse:
    return SimResponse(status, {"type": "error", "error": {"type": kind, "message": message}})


def parse_rfc3339(value: str | None, name: str) -> dt.datetime:
    if not value:
        raise BadRequest(f"{name} is required")
    try:
        stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{name} must be an RFC 3339 timestamp, got {value!r}") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.astimezone(dt.UTC)
