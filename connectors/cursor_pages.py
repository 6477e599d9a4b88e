"""Reading Cursor's daily-usage pages into activity (``connectors.cursor``; usage events are
read by ``connectors.cursor_events``).

Each page is read in one pass over its plain dicts: a row whose every field is plainly
well-formed (the right JSON types, counts >= 0) is read straight from its dict; any other
row is read through the ``PayloadReader`` with the full checks, which give the same facts
for what they accept and a ``SchemaError`` naming the field for what they refuse.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from connectors.contract import DayActivity, day_activity
from connectors.dates import parse_day
from connectors.payload import Node

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


def snake_case(name: str) -> str:
    """``acceptedLinesAdded`` → ``accepted_lines_added``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


ACTIVITY_METRICS = {name: snake_case(name) for name in REQUIRED_ACTIVITY + OPTIONAL_ACTIVITY}
# (wire name, metric, optional?) in order: what ``_activity`` reads from every daily row.
_ACTIVITY_READS = tuple(
    (name, metric, name in OPTIONAL_ACTIVITY) for name, metric in ACTIVITY_METRICS.items()
)


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
    return day_activity(day, email, metrics)


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
    return day_activity(day, email, metrics)
