"""Request parsing and page tokens shared by simulated vendors: a bad request (HTTP 400),
integer query arguments within the vendor's documented range, and opaque page tokens that
name the endpoint they belong to."""

from __future__ import annotations

import base64
import binascii

from connectors.simulator.vendor import SimRequest


class BadRequest(Exception):
    """A request the vendor refuses with HTTP 400 (the message becomes the error body)."""


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
