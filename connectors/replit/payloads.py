"""Reading the Replit Enterprise Admin API's payloads (vendor-apis.md §6, mostly [uncertain]).

The doc is a copy of Replit's own agent skill, not the reference, so every reader here accepts
each plausible reading and fails with a ``SchemaError`` naming the field when none fits:

- the list (``groups``, ``members``) sits under ``data`` or at the top level;
- the next cursor is ``data.pagination.nextCursor`` (or ``pagination.nextCursor``), null at
  the end;
- a member group's ``key`` is an object carrying ``userId`` (or ``id``), or the bare id (a
  number or a string); a null key is usage no member owns;
- a timeseries group's ``key`` is a date (``YYYY-MM-DD`` or an RFC 3339 timestamp);
- ``usage``/``usageUnit`` are nullable; ``totalCostUsd`` and ``costUsd`` are USD numbers,
  read as exact decimals;
- a member's id is ``id`` (or ``userId``); ``email``, ``displayName``/``name`` and
  ``username`` may be absent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connectors.contract import Account
from connectors.payload import Node, PayloadReader

VENDOR = "replit"
PATH_USAGE = "/v1/usage"
PATH_MEMBERS = "/v1/members"


@dataclass(frozen=True)
class MetricLine:
    id: str
    micros: int
    usage: Decimal | None
    unit: str | None


@dataclass(frozen=True)
class UsageGroup:
    """One group of ``/usage``: its key (a user id, a day, or None), total and metrics."""

    key: str | None
    total_micros: int
    metrics: tuple[MetricLine, ...]
    username: str | None = None


def envelope(node: Node) -> Node:
    """The object holding the list and the pagination: ``data`` when present, else the body."""
    inner = node.opt("data")
    return inner if inner is not None and isinstance(inner.value, dict) else node


def next_cursor(reader: PayloadReader):
    """A function reading a body's next cursor (None at the end), for ``paginate_next_cursor``."""

    def read(body: Any) -> str | None:
        pagination = envelope(reader.body(body)).opt("pagination")
        if pagination is None:
            return None
        cursor = pagination.opt("nextCursor")
        return None if cursor is None else str(cursor.value)

    return read


def _id(node: Node, key: str | None = None) -> str:
    """An identifier given as a number or a non-empty string."""
    target = node if key is None else node.field(key)
    if isinstance(target.value, int) and not isinstance(target.value, bool):
        return str(target.value)
    if isinstance(target.value, Decimal) and target.value == target.value.to_integral_value():
        return str(int(target.value))
    return target.text()


def _member_key(group: Node) -> tuple[str | None, str | None]:
    key = group.field("key")
    if key.value is None:
        return None, None
    if isinstance(key.value, dict):
        user = "userId" if key.has("userId") else "id"
        return _id(key, user), key.opt_text("username")
    return _id(key), None


def _metrics(group: Node) -> tuple[MetricLine, ...]:
    lines = []
    for metric in group.list("metrics"):
        usage = metric.opt("usage")
        lines.append(
            MetricLine(
                id=metric.text("id"),
                micros=metric.money("costUsd", unit="usd"),
                usage=usage.number() if usage is not None else None,
                unit=metric.opt_text("usageUnit"),
            )
        )
    return tuple(lines)


def parse_member_groups(reader: PayloadReader, body: Any) -> list[UsageGroup]:
    groups = []
    for group in envelope(reader.body(body)).list("groups"):
        user_id, name = _member_key(group)
        total = group.money("totalCostUsd", unit="usd")
        groups.append(UsageGroup(user_id, total, _metrics(group), name))
    return groups


def parse_timeseries(reader: PayloadReader, body: Any) -> dict[dt.date, int]:
    """Each day's ``totalCostUsd`` (days without usage are absent)."""
    totals: dict[dt.date, int] = {}
    for group in envelope(reader.body(body)).list("groups"):
        day = group.day("key")
        totals[day] = totals.get(day, 0) + group.money("totalCostUsd", unit="usd")
    return totals


def parse_members(reader: PayloadReader, body: Any) -> list[Account]:
    root = envelope(reader.body(body))
    items = root.list("members") if root.has("members") else root.list("items")
    accounts = []
    for member in items:
        user_id = _id(member, "id" if member.has("id") else "userId")
        name = member.opt_text("displayName") or member.opt_text("name")
        name = name or member.opt_text("username")
        accounts.append(Account(user_id, display_name=name, email=member.opt_text("email")))
    return accounts
