"""What the marts read of an activity day, worked out once when the day is written.

``activity_days`` keeps a day's metrics as a JSON object; ``member_daily`` wants two figures of
it, and reading them from the JSON for every day of every rebuild cost more than the whole
rest of the mart. So each row also stores:

- ``default_seconds_saved``: the seconds its metrics save at the default coefficients
  (``warehouse.seconds_saved``): each listed metric's value, made an integer, times its seconds;
- ``is_active``: 1 when a metric above zero is somebody's activity, 0 when it has somebody's
  metrics but none above zero, NULL when it holds only vendors' control figures (``x_``
  metrics): nobody's day.

The writer (``warehouse.activity_days``) and any other insert (``ActivityDay``'s column
defaults) fill them with ``day_measures``; migration 0019 filled the rows stored before with
``measures_sql``, the same figures in SQL. A value is made an integer as the engine's
``CAST(… AS BIGINT)`` makes it (the marts read it that way before): SQLite truncates the JSON
number read as a double, PostgreSQL rounds the numeric half away from zero. Counts are
integers, where both agree.

The stored seconds follow the coefficients of the day they were written: a change to
``SECONDS_SAVED_PER_UNIT`` comes with a migration recomputing the column (``measures_sql``);
``tests/test_activity_measures.py`` pins the coefficients to say so.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from warehouse.seconds_saved import SECONDS_SAVED_PER_UNIT
from warehouse.sql_macros import json_entries, json_number


def _as_bigint(value: Any, dialect: str) -> int:
    """``value`` made an integer as ``CAST(json value AS BIGINT)`` makes it on ``dialect``."""
    if isinstance(value, int):  # (bool included: JSON writes True as 1)
        return int(value)
    if dialect == "postgresql":
        return int(Decimal(str(value)).to_integral_value(ROUND_HALF_UP))
    return int(float(value))


_PER_UNIT = tuple(SECONDS_SAVED_PER_UNIT.items())


def day_measures(metrics: dict[str, Any], dialect: str) -> tuple[int, int | None]:
    """(``default_seconds_saved``, ``is_active``) of one ``activity_days.metrics`` object.
    It runs for every row a sync writes: the coefficients' metrics are looked up (a handful),
    and the search for an active metric stops at the first (measured: a third of the cost of
    one pass over every metric)."""
    seconds = 0
    get = metrics.get
    for metric, per_unit in _PER_UNIT:
        value = get(metric)
        if value is not None:
            if type(value) is not int:
                value = _as_bigint(value, dialect)
            seconds += value * per_unit
    active = None
    for metric, value in metrics.items():
        if metric[:2] != "x_":
            if value > 0:
                return seconds, 1
            active = 0
    return seconds, active


def _field(dialect: str, obj: str, key: str) -> str:
    """``obj``'s field ``key`` as a number (SQLite) or numeric (PostgreSQL)."""
    if dialect == "postgresql":
        return json_number(dialect, f"({obj} ->> '{key}')")
    return f"json_extract({obj}, '$.\"{key}\"')"


def measures_sql(dialect: str, obj: str) -> tuple[str, str]:
    """(``default_seconds_saved``, ``is_active``) of the JSON object column ``obj`` in SQL:
    what ``day_measures`` gives, for the rows written before the columns were."""
    seconds = " + ".join(
        f"COALESCE(CAST({_field(dialect, obj, key)} AS BIGINT) * {per_unit}, 0)"
        for key, per_unit in SECONDS_SAVED_PER_UNIT.items()
    )
    entries, value = json_entries(dialect, obj), json_number(dialect, "m.value")
    person = f"SELECT 1 FROM {entries} m WHERE substr(m.key, 1, 2) <> 'x_'"
    active = f"CASE WHEN EXISTS ({person} AND {value} > 0) THEN 1 WHEN EXISTS ({person}) THEN 0 END"
    return f"({seconds})", active
