"""Reading Cursor's usage-event pages (``/teams/filtered-usage-events``) into usage facts.

Each page is read in one pass over its plain dicts: an event whose every field is plainly
well-formed (the right JSON types, counts >= 0) is summed straight from its dict
(``_plain_event``); any other event is read through the ``PayloadReader`` with the full checks
(``WindowUsage.add``), which give the same facts for what they accept and a ``SchemaError``
naming the field for what they refuse.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from connectors.contract import UNATTRIBUTED, UsageRecord
from connectors.dates import DAY_MS, day_end_ms, day_of_epoch_ms, day_start_ms
from connectors.json_body import cents_micros, float_decimal
from connectors.payload import Node

SERVICE = "Cursor"
TOKEN_FIELDS = (
    ("inputTokens", "input"),
    ("outputTokens", "output"),
    ("cacheReadTokens", "cache_read"),
    ("cacheWriteTokens", "cache_write"),
)


class WindowUsage:
    """The usage events of one window (``start..end``), summed exactly per (account, day,
    model) into ``[billed micros, requests, request units, tokens or None]`` (tokens as
    ``[input, output, cache read, cache write]``), plus each day's charged total."""

    def __init__(self, start: dt.date, end: dt.date) -> None:
        self.start = start
        self.end = end
        # account → (day, model) → bucket: sorting a thousand accounts, then each one's few
        # dozen (day, model) keys, is cheaper than sorting every (account, day, model) at once.
        self.buckets: dict[str, dict[tuple[dt.date, str], list[Any]]] = {}
        self.charged_by_day: dict[dt.date, int] = defaultdict(int)
        self.service_accounts: set[str] = set()
        self.outside = 0
        self._days: dict[int, dt.date] = {}  # epoch day number → date

    def add_page(self, events: Node) -> None:
        """Every event of a ``usageEvents`` list: a plainly well-formed one is summed straight
        from its dict (``_plain_event``), any other through ``add`` (the full checks: the same
        facts, or the error naming the field)."""
        lo, hi = day_start_ms(self.start), day_end_ms(self.end)
        days, buckets, charged_by_day = self._days, self.buckets, self.charged_by_day
        for i, raw in enumerate(events.value):
            plain = _plain_event(raw)
            if plain is None:
                self.add(events.item(i))
                continue
            millis, micros, account, model, units, usage = plain
            if not lo <= millis <= hi:
                self.outside += 1
                continue
            if account is None:
                account = _service_account(raw)
                self.service_accounts.add(account)
            day = days.get(millis // DAY_MS)
            if day is None:
                day = days[millis // DAY_MS] = day_of_epoch_ms(millis)
            charged_by_day[day] += micros  # the control total: every event, before bucketing
            mine = buckets.get(account)
            if mine is None:
                mine = buckets[account] = {}
            bucket = mine.get((day, model))
            if bucket is None:
                bucket = mine[(day, model)] = [0, 0, _ZERO, None]
            bucket[0] += micros
            bucket[1] += 1
            bucket[2] += units
            if usage is not None:
                tokens = bucket[3]
                if tokens is None:
                    bucket[3] = list(usage)
                else:
                    tokens[0] += usage[0]
                    tokens[1] += usage[1]
                    tokens[2] += usage[2]
                    tokens[3] += usage[3]

    def add(self, event: Node) -> None:
        """One event, every field read through the payload reader."""
        day = event.epoch_ms_day("timestamp")
        if not self.start <= day <= self.end:
            self.outside += 1
            return
        charged = event.money("chargedCents", unit="cents")
        account = event.opt_text("userEmail")
        if account is None:
            account = event.opt_text("serviceAccountName") or UNATTRIBUTED
            self.service_accounts.add(account)
        model = event.text("model")
        units = event.number("requestsCosts")
        tokens = None
        if event.opt("tokenUsage") is None:
            if event.opt_boolean("isTokenBasedCall"):
                raise event.reader.error(
                    f"{event.path}.tokenUsage", "is missing on a token-based call"
                )
        else:
            usage = event.obj("tokenUsage")
            # Zero-valued counts may be omitted by the vendor's serializer.
            tokens = [usage.count(wire, default=0) for wire, _ in TOKEN_FIELDS]
        self.charged_by_day[day] += charged
        bucket = self.buckets.setdefault(account, {}).setdefault((day, model), [0, 0, _ZERO, None])
        bucket[0] += charged
        bucket[1] += 1
        bucket[2] += units
        if tokens is not None:
            if bucket[3] is None:
                bucket[3] = tokens
            else:
                bucket[3] = [a + b for a, b in zip(bucket[3], tokens, strict=True)]

    def records(self) -> list[UsageRecord]:
        out = []
        append = out.append
        template = _EVENTS_RECORD.__dict__
        new = object.__new__
        buckets = self.buckets
        for account in sorted(buckets):
            mine = buckets[account]
            for key in sorted(mine):
                billed, requests, units, tokens = mine[key]
                # What fast_replace does, its changes stored one by one: the record per
                # person, day and model is built by the hundred thousand.
                record = new(UsageRecord)
                values = record.__dict__
                values.update(template)
                values["day"], values["sku"] = key
                values["account_key"] = account
                values["billed_cost_micros"] = billed
                values["consumed_quantity"] = units
                values["requests"] = requests
                if tokens:
                    values["input_tokens"] = tokens[0]
                    values["output_tokens"] = tokens[1]
                    values["cache_read_tokens"] = tokens[2]
                    values["cache_write_tokens"] = tokens[3]
                append(record)
        return out


# What every usage-event record shares (``records`` fills in the rest).
_EVENTS_RECORD = UsageRecord(
    day=dt.date.min,
    account_key=UNATTRIBUTED,
    service=SERVICE,
    sku="",
    cost_basis="billed",
    confidence="high",
    consumed_unit="requests",
)


_ZERO = Decimal(0)


def _plain_event(event: Any) -> tuple | None:
    """``(epoch ms, charged micros, account or None for a service account, model, request
    units, token counts or None)`` of an event whose every field is plainly well-formed;
    ``None`` for anything else (``WindowUsage.add`` then reads it with the full checks)."""
    if type(event) is not dict:
        return None
    get = event.get
    stamp = get("timestamp")
    if type(stamp) is str and stamp.isdigit():  # Cursor sends its timestamps as strings
        millis = int(stamp)
    elif type(stamp) is int:
        millis = stamp
    else:
        return None
    micros = cents_micros(get("chargedCents"))
    if micros is None:
        return None
    account = get("userEmail")
    if type(account) is not str or not account:
        if account is not None and account != "":
            return None
        name = get("serviceAccountName")  # read again by _service_account
        if name is not None and type(name) is not str:
            return None
        account = None
    model = get("model")
    if type(model) is not str or not model:
        return None
    units = get("requestsCosts")
    kind = type(units)
    if kind is float:
        units = float_decimal(units)
        if not units.is_finite():
            return None
    elif kind is not int and (kind is not Decimal or not units.is_finite()):
        return None
    usage = get("tokenUsage")
    if usage is None:
        based = get("isTokenBasedCall")
        if based is True or (based is not None and type(based) is not bool):
            return None
        return millis, micros, account, model, units, None
    if type(usage) is not dict:
        return None
    tokens = (
        usage.get("inputTokens", 0),
        usage.get("outputTokens", 0),
        usage.get("cacheReadTokens", 0),
        usage.get("cacheWriteTokens", 0),
    )
    for count in tokens:
        if type(count) is not int or count < 0:
            return None
    return millis, micros, account, model, units, tokens


def _service_account(event: dict) -> str:
    """The account of a plain event without ``userEmail``: its service account, else
    ``unattributed`` (``_plain_event`` checked the name is a string, empty or absent)."""
    return event.get("serviceAccountName") or UNATTRIBUTED
