"""Kiro's report files at rest, read by header name.

Two reports land under ``…/KiroLogs/`` in the admin's bucket (``vendor-apis.md`` §5):

- ``user_report`` (current): one file per client type (``KIRO_IDE``, ``KIRO_CLI``, ``PLUGIN``)
  per day, one row per user: ``Date``, ``UserId``, ``Client_Type``, ``Chat_Conversations``,
  ``Credits_Used``, ``Overage_Credits_Used``, ``Subscription_Tier``, ``Total_Messages``…;
  later files add ``User_Email``, ``New_User``, ``Usage_Limit`` and one ``<model>_messages``
  column per model used that day (columns come and go: everything is read by name);
- ``by_user_analytic`` (legacy): one row per active user per day, split into parts of 1,000
  users, with Amazon Q-style metrics (``Chat_MessagesSent``, ``Inline_AcceptanceCount``…).

Quirks handled here: ``Date`` is ``YYYY-MM-DD`` or ``MM-DD-YYYY``; the folder's
``<yyyy>/<mm>/<dd>`` is the day a file was *written* (the next morning), not the day it
reports, so only the ``Date`` column places a row; a file delivered again (a later timestamp,
the same rows) replaces its earlier copy's rows instead of adding to them; ``UserId`` may carry
stray quotes; a UTF-8 byte-order mark is ignored.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from connectors.files import csv_rows, list_files
from connectors.payload import Node

USER_REPORT = "user_report"
LEGACY_REPORT = "by_user_analytic"
USER_REPORT_REQUIRED = ("Date", "UserId", "Client_Type", "Credits_Used")
LEGACY_REQUIRED = ("Date", "UserId")
# Columns of user_report that are not a per-day count (or are read on purpose).
_NOT_ACTIVITY = {"Date", "UserId", "User_Email", "Client_Type", "ProfileId", "Subscription_Tier"}
_FOLDER_DAY = re.compile(r"/(\d{4})/(\d{2})/(\d{2})/")
_MODEL_MESSAGES = re.compile(r"^(?P<model>.+)_messages$")


@dataclass
class UserDay:
    """What one ``user_report`` row says about a user on a day with one client."""

    day: dt.date
    user_id: str
    client: str
    email: str | None
    tier: str | None
    credits: Decimal
    overage_credits: Decimal
    counts: dict[str, Decimal] = field(default_factory=dict)  # activity metric -> value


@dataclass
class LegacyDay:
    """One ``by_user_analytic`` row: a user's Amazon Q-style metrics for a day."""

    day: dt.date
    user_id: str
    counts: dict[str, Decimal] = field(default_factory=dict)


def report_files(folder: Path, report: str) -> list[Path]:
    """The CSV files of ``report`` under ``folder`` (the S3 layout or a flat copy), sorted so a
    later delivery of the same day comes after the earlier one."""
    return [p for p in list_files(folder, "**/*.csv") if report in p.name]


def folder_day(path: Path) -> dt.date | None:
    """The ``<yyyy>/<mm>/<dd>`` a file sits under (when it was written), if any."""
    match = _FOLDER_DAY.search(path.as_posix())
    if not match:
        return None
    try:
        return dt.date(*map(int, match.groups()))
    except ValueError:
        return None


def may_hold(path: Path, start: dt.date, end: dt.date) -> bool:
    """False only when the file's folder date rules out every day of ``start..end`` (a file is
    written the morning after the day it reports; two days of slack for late deliveries)."""
    written = folder_day(path)
    if written is None:
        return True
    return start <= written and written - dt.timedelta(days=3) <= end


def snake(name: str) -> str:
    """``Chat_MessagesSent`` → ``chat_messages_sent``; ``claude_sonnet_4.5`` → ``claude_sonnet_4_5``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")


def clean_user_id(value: str) -> str:
    return value.strip().strip("'\"").strip()


def _counts(row: Node, skip: set[str]) -> dict[str, Decimal]:
    counts: dict[str, Decimal] = {}
    for column, value in row.value.items():
        if column in skip or column is None or value in (None, ""):
            continue
        if value.strip().lower() in ("true", "false"):
            continue
        model = _MODEL_MESSAGES.match(column)
        metric = f"{snake(model['model'])}_messages" if model else snake(column)
        counts[metric] = counts.get(metric, Decimal(0)) + row.number(column)
    return counts


def _amount(row: Node, column: str) -> Decimal:
    """A number of credits; an absent column or an empty cell is none."""
    if row.value.get(column) in (None, ""):
        return Decimal(0)
    number = row.number(column)
    if number < 0:
        raise row.reader.error(f"{row.path}.{column}", f"is {number}, not a number of credits")
    return number


def read_user_report(path: Path, vendor: str) -> Iterator[UserDay]:
    skip = _NOT_ACTIVITY | {"Credits_Used", "Overage_Credits_Used", "Overage_Cap", "Usage_Limit"}
    for row in csv_rows(path, vendor, required=USER_REPORT_REQUIRED):
        yield UserDay(
            day=row.day("Date"),
            user_id=clean_user_id(row.text("UserId")),
            client=row.text("Client_Type"),
            email=(row.opt_text("User_Email") or "").strip().lower() or None,
            tier=row.opt_text("Subscription_Tier"),
            credits=_amount(row, "Credits_Used"),
            overage_credits=_amount(row, "Overage_Credits_Used"),
            counts=_counts(row, skip),
        )


def read_legacy_report(path: Path, vendor: str) -> Iterator[LegacyDay]:
    for row in csv_rows(path, vendor, required=LEGACY_REQUIRED):
        yield LegacyDay(
            day=row.day("Date"),
            user_id=clean_user_id(row.text("UserId")),
            counts=_counts(row, {"Date", "UserId"}),
        )


def emails_by_user_id(folder: Path, vendor: str) -> dict[str, str]:
    """Every ``UserId`` → ``User_Email`` pair any ``user_report`` file states (older files have
    no email column: their rows are attributed to the same person as the newer ones)."""
    found: dict[str, str] = {}
    for path in report_files(folder, USER_REPORT):
        for row in csv_rows(path, vendor, required=("UserId",)):
            email = (row.opt_text("User_Email") or "").strip().lower()
            if email:
                found[clean_user_id(row.text("UserId"))] = email
    return found
