"""Writing activity: a connector's ``ActivityRecord``s (account, day, metric, value) grouped into
one ``activity_days`` row per (account, day) whose ``metrics`` JSON object holds that day's
metrics, inside a partition write (``warehouse.facts.replace_partition``).

A connector yields one record per metric, or one ``DayActivity`` (metric → value) per account
and day, taken as is; a new metric needs no migration. Records are
grouped in memory until the partition writer flushes (between batches, a chunk of days at a
time), then bulk-inserted; only the (account, day) keys written stay in memory. An (account,
day) whose row was flushed already and gets more metrics in a later batch is merged into its
stored row. A metric reported twice for the same
(account, day) fails the write with the database driver's ``IntegrityError``, as the unique
constraint of the one-row-per-metric table did before.

Values are counts, never money: integers are JSON integers and any other value is the JSON
number written from its exact ``Decimal`` text (``1.5``, never ``1.4999…``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import cache
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Table,
    Text,
    cast,
    func,
    literal,
    select,
    update,
)

from connectors.contract import ActivityRecord, DayActivity
from warehouse.activity_measures import day_measures
from warehouse.bulk_insert import BulkInsert
from warehouse.models import ActivityDay

# The columns a partition write fills row by row, in the order its row tuples carry them (the
# partition's tenant, source and run are the same on every row: the writer's ``constants``);
# the last two are what the marts read of the metrics (``warehouse.activity_measures``).
COLUMNS = ("account_key", "day", "metrics", "default_seconds_saved", "is_active")
Key = tuple[str, dt.date]  # (account_key, day)


def json_number(value: Decimal | int) -> str:
    """``value`` as the exact JSON number text: ``3``, ``-0.25`` (no exponent, no float)."""
    if type(value) is int:
        return str(value)
    if isinstance(value, int):
        return str(int(value))  # bool included: True is 1
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        raise ValueError(f"an activity value must be a finite number, not {value!r}")
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


@cache
def _name(metric: str) -> str:
    return json.dumps(metric)  # a connector reports a few dozen names: encoded once each


# Compact JSON (what ``metrics_json`` writes): for an object of integers, the json module's C
# encoder writes the same text as the loop below, at a third of its cost (a row per account-day).
_encode_compact = json.JSONEncoder(separators=(",", ":")).encode


def metrics_json(metrics: dict[str, Decimal | int]) -> str:
    """The ``metrics`` JSON object, every value exact (``json_number``)."""
    if set(map(type, metrics.values())) <= _PLAIN_INT:  # (not bool: JSON's true, not 1)
        return _integers_json(metrics)
    return "{" + ",".join(f"{_name(k)}:{json_number(v)}" for k, v in metrics.items()) + "}"


_PLAIN_INT = frozenset({int})


def _integers_json(metrics: dict[str, int]) -> str:
    """``_encode_compact(metrics)`` for an object of plain integers, through orjson (a fifth of
    the json module's cost) when its text is that one to the letter: every character printable
    ASCII and no backslash (no name needed an escape, where the two escape differently)."""
    try:
        text = orjson.dumps(metrics).decode()
    except orjson.JSONEncodeError:  # an integer beyond 64 bits, a name that is no str
        return _encode_compact(metrics)
    if text.isascii() and text.isprintable() and "\\" not in text:
        return text
    return _encode_compact(metrics)


class ActivityDays:
    """Groups one partition's activity records by (account, day) and writes them on ``conn``."""

    def __init__(
        self,
        conn: Connection,
        tenant_id: int,
        source: str,
        table: Table = ActivityDay.__table__,
        constants: Mapping[str, Any] = {},
    ):
        """``table``: where the rows go (``activity_days``, or its staging table on SQLite, which
        holds this partition's rows only); ``constants``: the columns every row shares (tenant,
        source, run) when ``table`` has them."""
        self.conn = conn
        self.table = table
        self.tenant_id = tenant_id
        self.source = source
        self.pending: dict[Key, dict[str, Decimal | int]] = {}
        self.late: dict[Key, dict[str, Decimal | int]] = {}  # more metrics for a flushed day
        self.written: set[Key] = set()  # keys only: what a later batch must merge into
        self.records = 0  # metric values written
        self.rows = 0  # activity_days rows inserted
        self._out = BulkInsert(conn, table, COLUMNS, serialized={"metrics"}, constants=constants)

    def __len__(self) -> int:
        return len(self.pending) + len(self.late)

    def add(self, records: Iterable[ActivityRecord], seen: dict[str, None]) -> None:
        """Groups ``records`` (one batch) by (account, day); their accounts join ``seen``."""
        pending, late, written = self.pending, self.late, self.written
        for rec in records:
            key = (rec.account_key, rec.day)
            group = late if key in written else pending
            metrics = group.get(key)
            if metrics is None:
                metrics = group[key] = {}
                if rec.account_key not in seen:
                    seen[rec.account_key] = None
            elif rec.metric in metrics:
                self._twice(key, rec.metric)
            metrics[rec.metric] = rec.value

    def add_days(self, groups: Iterable[DayActivity], seen: dict[str, None]) -> None:
        """Takes ``groups`` (one batch, already one per account and day) as they are: a new
        (account, day) keeps the connector's own metrics dict, no record per metric."""
        pending, late, written = self.pending, self.late, self.written
        for day_activity in groups:
            given = day_activity.metrics
            if not given:
                continue  # no metric, no row (as no record)
            key = (day_activity.account_key, day_activity.day)
            group = late if key in written else pending
            metrics = group.get(key)
            if metrics is None:
                group[key] = given if type(given) is dict else dict(given)
                if key[0] not in seen:
                    seen[key[0]] = None
                continue
            for metric, value in given.items():
                if metric in metrics:
                    self._twice(key, metric)
                metrics[metric] = value

    def _twice(self, key: Key, metric: str) -> None:
        error = self.conn.dialect.loaded_dbapi.IntegrityError
        raise error(
            f"{self.source}: activity {metric!r} of {key[0]!r} on {key[1].isoformat()} was "
            "reported twice (one value per account, day and metric)"
        )

    def flush(self) -> None:
        if self.pending:
            dialect = self.conn.dialect.name
            rows = [
                (account, day, metrics_json(metrics), *day_measures(metrics, dialect))
                for (account, day), metrics in self.pending.items()
            ]
            self._out.write(rows)
            self.rows += len(rows)
            self.records += sum(len(m) for m in self.pending.values())
            self.written.update(self.pending)
            self.pending = {}
        for key, metrics in self.late.items():
            self._merge(key, metrics)
        self.late = {}

    def _merge(self, key: Key, metrics: dict[str, Decimal | int]) -> None:
        """Adds ``metrics`` to the stored row of ``key`` (read back exactly, as JSON text)."""
        t = self.table
        where = (t.c.account_key == key[0]) & (t.c.day == key[1])
        if "tenant_id" in t.c:  # (a staging table holds one partition's rows only)
            where &= (t.c.tenant_id == self.tenant_id) & (t.c.source == self.source)
        stored = json.loads(
            self.conn.execute(select(cast(t.c.metrics, Text)).where(where)).scalar_one(),
            parse_float=Decimal,
        )
        for metric in metrics:
            if metric in stored:
                self._twice(key, metric)
        merged = {**stored, **metrics}
        seconds, active = day_measures(merged, self.conn.dialect.name)
        self.conn.execute(
            update(t)
            .where(where)
            .values(
                metrics=_as_json(self.conn, metrics_json(merged)),
                default_seconds_saved=seconds,
                is_active=active,
            )
        )
        self.records += len(metrics)


def _as_json(conn: Connection, text: str):
    """``text`` (a JSON document) as a value of the ``metrics`` column, parsed by the database."""
    if conn.dialect.name == "postgresql":
        return cast(literal(text, Text), ActivityDay.__table__.c.metrics.type)
    return func.json(literal(text, Text))
