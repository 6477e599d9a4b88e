"""Reading Cursor's usage-event and daily-usage pages into facts (``connectors.cursor``).

Each page is read in one pass over its plain dicts: an item whose every field is plainly
well-formed (the right JSON types, counts >= 0) is summed straight from its dict; any other
item is read through the ``PayloadReader`` with the full checks, which give the same facts
for what they accept and a ``SchemaError`` naming the field for what they refuse.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal
from typing import Any

from connectors.contract import UNATTRIBUTED, DayActivity, UsageRecord, fast_replace
from connectors.dates import DAY_MS, day_end_ms, day_of_epoch_ms, day_start_ms, parse_day
from connectors.json_body import float_decimal
from connectors.money import cents_to_micros
from connectors.payload import Node

SERVICE = "Cursor"

# daily-usage-data counts → activity metric names. The first group is in every documented
# version of the endpoint; the second arrived later and may be absent on older teams.
REQUIRED_ACTIVITY = (
    "totalLinesAdded",
    "totalLinesDeleted",
    "acceptedLinesAdded",
    "acceptedLinesDeleted",
    "totalApplies",
    "totalAccepts",
    "totalRejects",
    "totalTabsShown",
    "totalTabsAccepted",
    "composerRequests",
    "chatRequests",
    "agentRequests",
    "cmdkUsages",
)
OPTIONAL_ACTIVITY = ("subscriptionIncludedReqs", "apiKeyReqs", "usageBasedReqs", "bugbotUsages")
TOKEN_FIELDS = (
    ("inputTokens", "input"),
    ("outputTokens", "output"),
    ("cacheReadTokens", "cache_read"),
    ("cacheWriteTokens", "cache_write"),
)


def snake_case(name: str) -> str:
    """``acceptedLinesAdded`` → ``accepted_lines_added``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


ACTIVITY_METRICS = {name: snake_case(name) for name in REQUIRED_ACTIVITY + OPTIONAL_ACTIVITY}
# (wire name, metric, optional?) in order: what ``_activity`` reads from every daily row.
_ACTIVITY_READS = tuple(
    (name, metric, name in OPTIONAL_ACTIVITY) for name, metric in ACTIVITY_METRICS.items()
)


# -- aggregation ---------------------------------------------------------------------------
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
        self._count(day, charged, account, model, units, tokens)

    def _count(
        self,
        day: dt.date,
        charged: int,
        account: str,
        model: str,
        units: Decimal | int,
        tokens: list[int] | None,
    ) -> None:
        self.charged_by_day[day] += charged  # the control total: every event, before bucketing
        mine = self.buckets.setdefault(account, {})
        bucket = mine.get((day, model))
        if bucket is None:
            bucket = mine[(day, model)] = [0, 0, _ZERO, None]
        bucket[0] += charged
        bucket[1] += 1
        bucket[2] += units
        if tokens is not None:
            summed = bucket[3]
            if summed is None:
                bucket[3] = list(tokens)
            else:
                summed[0] += tokens[0]
                summed[1] += tokens[1]
                summed[2] += tokens[2]
                summed[3] += tokens[3]

    def records(self) -> list[UsageRecord]:
        out = []
        append = out.append
        buckets = self.buckets
        for account in sorted(buckets):
            for (day, model), (billed, requests, units, tokens) in sorted(buckets[account].items()):
                changes = {
                    "day": day,
                    "account_key": account,
                    "sku": model,
                    "billed_cost_micros": billed,
                    "consumed_quantity": units,
                    "requests": requests,
                }
                if tokens:
                    changes["input_tokens"] = tokens[0]
                    changes["output_tokens"] = tokens[1]
                    changes["cache_read_tokens"] = tokens[2]
                    changes["cache_write_tokens"] = tokens[3]
                append(fast_replace(_EVENTS_RECORD, changes))
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
_INF = float("inf")
_MICROS_OF_CENTS: dict[float | int, int] = {}  # chargedCents → micros (a page repeats prices)


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
    charged = get("chargedCents")
    kind = type(charged)
    if kind is float or kind is int:
        micros = _MICROS_OF_CENTS.get(charged)
        if micros is None:
            if charged != charged or charged in (_INF, -_INF):
                return None
            micros = cents_to_micros(float_decimal(charged) if kind is float else charged)
            if len(_MICROS_OF_CENTS) >= 1 << 16:
                _MICROS_OF_CENTS.clear()
            _MICROS_OF_CENTS[charged] = micros  # 0.0 and -0.0 share a key: both are 0 micros
    elif kind is Decimal and charged.is_finite():
        micros = cents_to_micros(charged)
    else:
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


def page_activity(
    rows: Node, start: dt.date, end: dt.date, day_of: dict[str, dt.date]
) -> list[DayActivity]:
    """The activity of one daily-usage ``data`` list, one ``DayActivity`` per row with a
    non-zero count: a plainly well-formed row read straight from its dict, any other through
    ``_activity`` (the full checks)."""
    groups: list[DayActivity] = []
    for i, raw in enumerate(rows.value):
        group = _plain_activity(raw, start, end, day_of)
        if group is None:
            group = _activity(rows.item(i), start, end)
        if group.metrics:
            groups.append(group)
    return groups


_NOTHING = DayActivity(dt.date.min, "", {})  # a row outside the window


def _plain_activity(
    row: Any, start: dt.date, end: dt.date, day_of: dict[str, dt.date]
) -> DayActivity | None:
    """``_activity`` of a row whose every field is plainly well-formed, else ``None``."""
    if type(row) is not dict:
        return None
    email = row.get("email")
    text = row.get("day")
    if type(email) is not str or not email or type(text) is not str:
        return None
    day = day_of.get(text)
    if day is None:
        try:
            day = day_of[text] = parse_day(text, ())
        except ValueError:
            return None
    if not start <= day <= end:
        return _NOTHING
    active = row.get("isActive")
    if active is True:
        metrics = {"active_days": 1}
    elif active is None or active is False:
        metrics = {}
    else:
        return None
    for name, metric, optional in _ACTIVITY_READS:
        value = row.get(name)
        if type(value) is not int or value < 0:
            if optional and name not in row:
                continue
            return None
        if value:
            metrics[metric] = value
    return DayActivity(day, email, metrics)


def _activity(row: Node, start: dt.date, end: dt.date) -> DayActivity:
    """One daily-usage row → its non-zero counts (keyed by email), every field checked."""
    email = row.text("email")
    day = row.day("day", formats=())
    if not start <= day <= end:
        return _NOTHING
    metrics: dict[str, int] = {}
    if row.opt_boolean("isActive"):
        metrics["active_days"] = 1
    raw = row.value  # an object: row.text() read it
    for name, metric, optional in _ACTIVITY_READS:
        value = raw.get(name)
        if type(value) is not int or value < 0:  # not a plain count: absent or checked
            if optional and name not in raw:
                continue
            value = row.count(name)  # a count given as "12" passes; anything else is refused
        if value:
            metrics[metric] = value
    return DayActivity(day, email, metrics)
