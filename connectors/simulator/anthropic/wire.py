"""The simulated Anthropic Admin API's wire details: amounts as strings of cents, request
parameters, page tokens and error bodies, as the real API spells them."""

from __future__ import annotations

import base64
import binascii
import datetime as dt

from connectors.simulator.vendor import SimRequest, SimResponse


def cents_string(micros: int) -> str:
    """Micro-dollars as Anthropic's cost ``amount``: a decimal string of cents ("123.45")."""
    sign = "-" if micros < 0 else ""
    whole, frac = divmod(abs(micros), 10_000)
    digits = f"{frac:04d}".rstrip("0").ljust(2, "0")
    return f"{sign}{whole}.{digits}"


class BadRequest(Exception):
    pass


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


def int_arg(req: SimRequest, name: str, default: int, low: int, high: int) -> int:
    raw = req.arg(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer") from None
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high}, got {value}")
    return value


def encode_token(*parts: object) -> str:
    raw = "|".join(str(p) for p in parts).encode()
    return "page_" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, kind: str, arity: int) -> list[str]:
    if not token.startswith("page_"):
        raise BadRequest("page is not a valid page token")
    body = token[5:]
    try:
        parts = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode().split("|")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest("page is not a valid page token") from None
    if not parts or parts[0] != kind or len(parts) != arity + 1:
        raise BadRequest("page token belongs to another endpoint")
    return parts[1:]
