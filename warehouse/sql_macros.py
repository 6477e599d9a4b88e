"""The macros a ``dbt_like_sql`` model may use, expanded for one engine, and what a run
recomputes (``Scope``). Models are written once; everything SQLite and PostgreSQL spell
differently is one of these:

- ``@month(d)``: 'YYYY-MM' of the date ``d``; ``@prev_month(m)``: the month before 'YYYY-MM' ``m``;
- ``@month_key(d)``: the same value for every day of ``d``'s month, cheaper to group by than
  ``@month`` (no text per row); ``@month(@month_key(d))`` is ``@month(d)``;
- ``@add_days(d, n)``: the date ``n`` days after ``d``;
- ``@safe_div(a, b)``: integer division, truncated toward zero; NULL when ``b`` is 0 or NULL;
- ``@money_sum(x)``: exact integer sum (micro-dollars), 0 when nothing is known;
- ``@int_sum(x)``: exact integer sum that stays NULL when every value is NULL (tokens); both
  integers on both engines (PostgreSQL: ``aispend_sum`` of migration 0022, an error past
  ±9.2e18, never a wrong number);
- ``@setting(v)``: the ``value`` field of a ``settings.value`` JSON document, as text;
- ``@json_entries(obj)``: a JSON object column as a table of ``key``, ``value`` (one row per
  member), for ``CROSS JOIN @json_entries(a.metrics) m``; ``@json_number(m.value)``: such a
  value as a number, exact (``activity_days.metrics``: integers stay integers, other numbers
  are PostgreSQL numerics; SQLite reads them as it reads every number);
- ``@seconds_per_unit(key)``: the default coefficient (``warehouse.seconds_saved``) of the
  metric named ``key`` (0 unlisted);
- ``@scope_days(tenant, day)`` / ``@scope_months(tenant, month)``: true for the rows of the
  tenants and months a run recomputes (``1 = 1`` for a full build); in an
  ``incremental_by_day`` model, ``@scope_days`` keeps only the days that changed;
- ``@scope_month_key(tenant, day)``: ``@scope_days``, written on SQLite for whole months as a
  range of ``@month_key(day)`` (for a model grouping facts by it: the index of migration 0021
  serves the range and the grouping).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from warehouse.seconds_saved import SECONDS_SAVED_PER_UNIT


class ModelError(ValueError):
    """A model file that cannot be used; the message names the file (and line)."""


@dataclass(frozen=True)
class Scope:
    """What a run recomputes: tenants (None = all) and an inclusive month range (None = all);
    ``days``, when known, the inclusive range of days inside those months whose facts changed
    (an ``incremental_by_day`` model recomputes only them; the others their whole months)."""

    tenant_ids: frozenset[int] | None = None
    months: tuple[str, str] | None = None
    days: tuple[dt.date, dt.date] | None = None

    @property
    def is_everything(self) -> bool:
        return self.tenant_ids is None and self.months is None

    def by_month(self) -> Scope:
        """This scope without its days: whole months."""
        return self if self.days is None else Scope(self.tenant_ids, self.months)


EVERYTHING = Scope()


def month_shift(month: str, delta: int) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    index = year * 12 + mon - 1 + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _scope_sql(scope: Scope, back: int, tenant: str, col: str, as_month: bool) -> str:
    parts = []
    if scope.tenant_ids is not None:
        ids = ", ".join(str(int(t)) for t in sorted(scope.tenant_ids)) or "NULL"
        parts.append(f"{tenant} IN ({ids})")
    if scope.days is not None and not as_month and not back:
        first_day, end = scope.days[0], scope.days[1] + dt.timedelta(days=1)
        parts.append(f"{col} >= '{first_day.isoformat()}' AND {col} < '{end.isoformat()}'")
    elif scope.months is not None:
        first, last = month_shift(scope.months[0], -back), scope.months[1]
        if as_month:
            parts.append(f"{col} >= '{first}' AND {col} <= '{last}'")
        else:
            end = month_shift(last, 1)
            parts.append(f"{col} >= '{first}-01' AND {col} < '{end}-01'")
    return "(" + " AND ".join(parts) + ")" if parts else "(1 = 1)"


def json_number(dialect: str, value: str) -> str:
    """``@json_number``: a JSON value (a member of ``json_entries``, a field) as a number."""
    return f"CAST({value} AS NUMERIC)" if dialect == "postgresql" else value


def json_entries(dialect: str, obj: str) -> str:
    """``@json_entries``: the JSON object ``obj`` as a table of ``key``, ``value``."""
    return f"jsonb_each_text({obj})" if dialect == "postgresql" else f"json_each({obj})"


def _seconds_per_unit(key: str) -> str:
    whens = " ".join(f"WHEN '{k}' THEN {s}" for k, s in SECONDS_SAVED_PER_UNIT.items())
    return f"(CASE {key} {whens} ELSE 0 END)"


def _macros(dialect: str, scope: Scope, back: int) -> dict[str, tuple[int, Callable[..., str]]]:
    pg = dialect == "postgresql"

    def month_key(d: str) -> str:
        return f"date_trunc('month', CAST({d} AS TIMESTAMP))" if pg else f"substr({d}, 1, 7)"

    def scope_month_key(tenant: str, d: str) -> str:
        # SQLite: on the month key itself, which migration 0021 indexes after the tenant (the
        # index reads the months in scope in group order: no sort). PostgreSQL hash-aggregates
        # and reads the days through the facts' unique index.
        if pg or (scope.days is not None and not back):
            return _scope_sql(scope, back, tenant, d, as_month=False)
        return _scope_sql(scope, back, tenant, month_key(d), as_month=True)

    return {
        "month": (
            1,
            # SQLite stores dates as ISO text: the month is its first 7 characters (strftime
            # parses every date: it doubled the cost of grouping a year of facts by month).
            # PostgreSQL: to_char of a date goes through a time-zoned timestamp (slower).
            (lambda d: f"to_char(CAST({d} AS TIMESTAMP), 'YYYY-MM')")
            if pg
            else (lambda d: f"substr({d}, 1, 7)"),
        ),
        "month_key": (1, month_key),
        "prev_month": (
            1,
            (lambda m: f"to_char(to_date({m} || '-01', 'YYYY-MM-DD') - 1, 'YYYY-MM')")
            if pg
            else (lambda m: f"strftime('%Y-%m', {m} || '-01', '-1 month')"),
        ),
        "add_days": (
            2,
            (lambda d, n: f"(CAST({d} AS DATE) + CAST({n} AS INTEGER))")
            if pg
            else (lambda d, n: f"date({d}, CAST({n} AS INTEGER) || ' days')"),
        ),
        "safe_div": (
            2,
            (lambda a, b: f"CAST(trunc(({a}) / NULLIF(({b}), 0)) AS BIGINT)")
            if pg
            else (lambda a, b: f"(CAST({a} AS INTEGER) / NULLIF(CAST({b} AS INTEGER), 0))"),
        ),
        # PostgreSQL: aispend_sum (migration 0022), a bigint sum with a bigint state; sum()
        # of a bigint is a numeric, built per group and cast back.
        "money_sum": (
            1,
            (lambda x: f"COALESCE(aispend_sum({x}), 0)")
            if pg
            else (lambda x: f"CAST(COALESCE(SUM({x}), 0) AS BIGINT)"),
        ),
        "int_sum": (
            1,
            (lambda x: f"aispend_sum({x})") if pg else (lambda x: f"CAST(SUM({x}) AS BIGINT)"),
        ),
        "setting": (
            1,
            (lambda v: f"(CAST({v} AS JSON) ->> 'value')")
            if pg
            else (lambda v: f"json_extract({v}, '$.value')"),
        ),
        "json_entries": (1, lambda obj: json_entries(dialect, obj)),
        "json_number": (1, lambda v: json_number(dialect, v)),
        "seconds_per_unit": (1, _seconds_per_unit),
        "scope_days": (2, lambda t, d: _scope_sql(scope, back, t, d, as_month=False)),
        "scope_months": (2, lambda t, m: _scope_sql(scope, back, t, m, as_month=True)),
        "scope_month_key": (2, scope_month_key),
    }


_MACRO = re.compile(r"@([a-z_]+)\s*\(")


def _split_args(text: str) -> list[str]:
    args, depth, current = [], 0, []
    for ch in text:
        if ch == "," and depth == 0:
            args.append("".join(current).strip())
            current = []
            continue
        depth += ch == "("
        depth -= ch == ")"
        current.append(ch)
    args.append("".join(current).strip())
    return args


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def expand_macros(
    sql: str, dialect: str, scope: Scope = EVERYTHING, back: int = 0, path: str = "<model>"
) -> str:
    """``sql`` with every ``@macro(...)`` expanded; line numbers are kept (newlines inside a
    macro's arguments move to after the expansion)."""
    macros = _macros(dialect, scope, back)
    out, pos = [], 0
    while True:
        m = _MACRO.search(sql, pos)
        if m is None:
            out.append(sql[pos:])
            return "".join(out)
        name = m.group(1)
        if name not in macros:
            raise ModelError(
                f"{path}:{_line_of(sql, m.start())}: unknown macro @{name}; "
                f"known: {', '.join('@' + k for k in sorted(macros))}"
            )
        depth, end = 1, m.end()
        while end < len(sql) and depth:
            depth += sql[end] == "("
            depth -= sql[end] == ")"
            end += 1
        if depth:
            raise ModelError(f"{path}:{_line_of(sql, m.start())}: @{name}( is never closed")
        inner = sql[m.end() : end - 1]
        arity, fn = macros[name]
        args = [expand_macros(a, dialect, scope, back, path) for a in _split_args(inner)]
        if len(args) != arity:
            raise ModelError(
                f"{path}:{_line_of(sql, m.start())}: @{name} takes {arity} argument(s), "
                f"got {len(args)}"
            )
        newlines = inner.count("\n")
        args = [" ".join(a.split()) for a in args]
        out.append(sql[pos : m.start()] + fn(*args) + "\n" * newlines)
        pos = end
