"""The simulator's fault knobs: misbehaving the way vendors do, and JSON as vendors send it.

``FaultKnobs`` (set with ``Simulator.set_faults(vendor, **knobs)``): rate limits with
``Retry-After``, 5xx storms, slow answers, malformed JSON, a field missing from every object.
"Every N" counts that vendor's requests from 1; ``only_paths`` limits the faults to paths
containing a string. The simulator counts every fault it actually served
(``Simulator.faults_served``), so a test can prove a storm really happened.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

MALFORMED_BODY = b'{"data": [{"truncated": tr'
FAULT_KINDS = ("rate_limit", "server_error", "malformed", "missing_field")


@dataclass
class FaultKnobs:
    """How a simulated vendor misbehaves. "every N" counts that vendor's requests from 1."""

    rate_limit_every: int | None = None  # every Nth request → 429 with Retry-After
    retry_after: float = 0  # seconds sent in Retry-After with each 429
    server_error_every: int | None = None  # every Nth request → 500
    slow_seconds: float = 0  # delay before every answer
    malformed_every: int | None = None  # every Nth request → 200 with invalid JSON
    missing_field: str | None = None  # drop this key from the objects of the body's lists
    only_paths: str | None = None  # apply the faults only to paths containing this


def _json_default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        # Emitted as a JSON number; exact for the <=15 significant digits vendors send.
        return int(obj) if obj == obj.to_integral_value() and "E" not in str(obj) else float(obj)
    if isinstance(obj, dt.datetime | dt.date):
        return obj.isoformat()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def encode_json(body: Any) -> bytes:
    return json.dumps(body, default=_json_default, separators=(",", ":")).encode()


def _drop_field(obj: Any, key: str, depth: int) -> int:
    dropped = 0
    if isinstance(obj, dict):
        if key in obj:
            del obj[key]
            dropped += 1
        if depth > 0:
            for value in obj.values():
                dropped += _drop_field(value, key, depth - 1)
    elif isinstance(obj, list):
        for item in obj:
            dropped += _drop_field(item, key, depth)
    return dropped


def drop_field(body: Any, key: str) -> int:
    """Remove ``key`` from the body, from the objects of its lists and of an envelope object
    (``{"data": {...}}``), and one level below those.
    Returns how many occurrences were removed (0: the fault did not apply to this body)."""
    dropped = 0
    if isinstance(body, dict):
        if key in body:
            del body[key]
            dropped += 1
        for value in body.values():
            if isinstance(value, list | dict):  # a dict: an envelope such as {"data": {...}}
                dropped += _drop_field(value, key, 1)
    elif isinstance(body, list):
        dropped += _drop_field(body, key, 1)
    return dropped
