"""SQL models: read a ``dbt_like_sql`` file (header + one SELECT), check it, render it per engine.

Models are written once in the subset of SQL that SQLite and PostgreSQL both accept; what
differs goes through a macro, expanded here for the engine at hand (dialect differences live in
``warehouse/``). A model that uses a construct which loses exactness (a float cast, a raw
division, ``avg``) or which one engine lacks (``::``, ``date_trunc``, ``strftime``…) is refused
with a ``ModelError`` naming the file and line. Dependencies are the tables the rendered SQL
reads, found with sqlglot (never declared twice).

Macros (``@month``, ``@safe_div``, ``@money_sum``… and the run scope) are in ``warehouse.sql_macros``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from importlib.resources.abc import Traversable

import yaml

from warehouse.sql_macros import (  # noqa: F401  (ModelError, Scope, EVERYTHING: part of this API)
    EVERYTHING,
    ModelError,
    Scope,
    expand_macros,
    month_shift,
)
from warehouse.sql_model_reads import model_reads, tables_read  # noqa: F401  (tables_read: API)

DIALECTS = ("sqlite", "postgresql")
KINDS = ("full", "incremental_by_month", "incremental_by_day")
TEST_KINDS = ("unique", "not_null", "accepted_values", "non_negative")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_HEADER = re.compile(r"\A\s*/\*(.*?)\*/", re.S)


@dataclass(frozen=True)
class ColumnTest:
    kind: str
    column: str  # for unique: the grain's columns joined by ", "
    values: tuple[str, ...] = ()  # accepted_values: SQL literals

    @property
    def name(self) -> str:
        return self.kind if self.kind == "unique" else f"{self.kind}_{self.column}"


@dataclass(frozen=True)
class SqlModel:
    name: str
    path: str
    source: str  # the file as written
    description: str
    kind: str
    grain: tuple[str, ...]
    time_column: str | None = None
    time_column_type: str = "date"
    reads_previous_months: int = 0
    # Months after a changed month whose rows change too (this model's and its inputs'
    # reads_previous_months, summed along the chain); set by ``load_models``.
    lookahead_months: int = 0
    indexes: tuple[tuple[str, ...], ...] = ()
    tests: tuple[ColumnTest, ...] = ()
    reads: frozenset[str] = field(default_factory=frozenset)

    @property
    def incremental(self) -> bool:
        return self.kind in ("incremental_by_month", "incremental_by_day")

    def widen(self, scope: Scope) -> Scope:
        """What this model recomputes for ``scope``: its days for an ``incremental_by_day``
        model, else whole months, with the months after them that its rows depend on."""
        if self.kind != "incremental_by_day" or self.lookahead_months:
            scope = scope.by_month()
        if scope.months is None or not self.lookahead_months:
            return scope
        first, last = scope.months
        return Scope(scope.tenant_ids, (first, month_shift(last, self.lookahead_months)))

    def render(self, dialect: str, scope: Scope = EVERYTHING) -> str:
        """The SELECT for ``dialect`` ('sqlite' or 'postgresql'), restricted to ``scope``
        (whole months unless this model is ``incremental_by_day``)."""
        if self.kind != "incremental_by_day":
            scope = scope.by_month()
        return render(self.source, dialect, scope, self.reads_previous_months, self.path)


# ---------------------------------------------------------------- checks

# (pattern, why): constructs refused in a model's SQL, checked line by line (comments removed).
_REFUSED: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"::"), "'::' casts are PostgreSQL-only; write CAST(x AS type)"),
    (
        re.compile(r"\bAS\s+(REAL|FLOAT\w*|DOUBLE(\s+PRECISION)?|NUMERIC|DECIMAL)\b", re.I),
        "a cast to a floating or unbounded numeric type loses exactness (money is integer "
        "micro-dollars: keep it integer)",
    ),
    (
        re.compile(r"\bAS\s+(DATE|TIMESTAMP|DATETIME)\b", re.I),
        "CAST(… AS DATE) turns text into a number on SQLite; facts' date columns are dates "
        "already (use @add_days for arithmetic)",
    ),
    (
        re.compile(r"(?<![-*])/(?![*/])"),
        "a raw division; write @safe_div(a, b) (integer, NULL on 0)",
    ),
    (re.compile(r"\bavg\s*\(", re.I), "avg() is a float on SQLite; use @safe_div(sum, count)"),
    (
        re.compile(
            r"\b(date_trunc|strftime|to_char|to_date|julianday|datetime|date|extract|date_part"
            r"|now|current_date|json_extract|ifnull|iif|group_concat|string_agg|printf"
            r"|format)\s*\(",
            re.I,
        ),
        "not portable between SQLite and PostgreSQL; use a macro (@month, @prev_month, "
        "@add_days, @setting) or a standard function",
    ),
    (re.compile(r"->>?"), "JSON operators differ between engines; use @setting(v)"),
    (re.compile(r"\b(interval|ilike)\b", re.I), "not portable between SQLite and PostgreSQL"),
]


def _strip_comment(line: str) -> str:
    # Removes a trailing -- comment and the contents of string literals (kept as '').
    line = re.sub(r"'(?:[^']|'')*'", "''", line)
    return line.split("--", 1)[0]


def lint(body: str, path: str) -> None:
    """Refuse constructs that lose exactness or do not run on both engines (file:line)."""
    for number, raw in enumerate(body.splitlines(), start=1):
        line = _strip_comment(raw)
        for pattern, why in _REFUSED:
            if pattern.search(line):
                raise ModelError(f"{path}:{number}: {why}: {raw.strip()}")


def render(
    source: str, dialect: str, scope: Scope = EVERYTHING, back: int = 0, path: str = "<model>"
) -> str:
    if dialect not in DIALECTS:
        raise ValueError(f"dialect must be one of {DIALECTS}, not {dialect!r}")
    return expand_macros(_body(source), dialect, scope, back, path)


def _body(source: str) -> str:
    """The SQL without its header comment (replaced by blank lines: line numbers stay)."""
    m = _HEADER.match(source)
    if m is None:
        return source
    return "\n" * source[: m.end()].count("\n") + source[m.end() :]


# ---------------------------------------------------------------- header


def _names(value, what: str, path: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(v, str) and _IDENTIFIER.match(v) for v in value
    ):
        raise ModelError(f"{path}: header {what} must be a list of column names, got {value!r}")
    return tuple(value)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _tests(raw, grain: tuple[str, ...], path: str) -> tuple[ColumnTest, ...]:
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ModelError(f"{path}: header tests must be a mapping of test kind to columns")
    unknown = set(raw) - set(TEST_KINDS)
    if unknown:
        raise ModelError(
            f"{path}: unknown test(s) {', '.join(sorted(unknown))}; known: {', '.join(TEST_KINDS)}"
        )
    tests: list[ColumnTest] = []
    if grain:
        tests.append(ColumnTest("unique", ", ".join(grain)))
    for kind in ("not_null", "non_negative"):
        tests += [ColumnTest(kind, c) for c in _names(raw.get(kind, []), f"tests.{kind}", path)]
    accepted = raw.get("accepted_values") or {}
    if not isinstance(accepted, dict):
        raise ModelError(f"{path}: tests.accepted_values maps a column to its allowed values")
    for column, values in accepted.items():
        _names([column], "tests.accepted_values", path)
        if not isinstance(values, list) or not values:
            raise ModelError(f"{path}: tests.accepted_values.{column} must list the values")
        literals = tuple(
            str(v) if isinstance(v, int) and not isinstance(v, bool) else _quote(str(v))
            for v in values
        )
        tests.append(ColumnTest("accepted_values", column, literals))
    return tuple(tests)


def parse_model(name: str, source: str, path: str) -> SqlModel:
    """A model from its file's text; raises ``ModelError`` naming ``path`` for anything wrong."""
    if not _IDENTIFIER.match(name):
        raise ModelError(f"{path}: a model's file name must be a lower-case SQL identifier")
    m = _HEADER.match(source)
    if m is None:
        raise ModelError(f"{path}: the file must start with a /* header */ (description, kind…)")
    try:
        header = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as exc:
        raise ModelError(f"{path}: the header is not valid YAML: {exc}") from None
    if not isinstance(header, dict):
        raise ModelError(f"{path}: the header must be YAML key: value lines")
    known = {
        "description",
        "kind",
        "grain",
        "time_column",
        "time_column_type",
        "reads_previous_months",
        "indexes",
        "tests",
    }
    unknown = set(header) - known
    if unknown:
        raise ModelError(f"{path}: unknown header key(s): {', '.join(sorted(unknown))}")
    description = str(header.get("description") or "").strip()
    if not description:
        raise ModelError(f"{path}: the header needs a description")
    kind = header.get("kind")
    if kind not in KINDS:
        raise ModelError(f"{path}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
    grain = _names(header.get("grain", []), "grain", path)
    time_column = header.get("time_column")
    time_type = header.get("time_column_type", "date")
    if time_type not in ("date", "month"):
        raise ModelError(f"{path}: time_column_type must be date or month, not {time_type!r}")
    if kind in ("incremental_by_month", "incremental_by_day"):
        if not time_column:
            raise ModelError(f"{path}: an {kind} model needs a time_column")
        _names([time_column], "time_column", path)
    back = header.get("reads_previous_months", 0)
    if not isinstance(back, int) or back < 0:
        raise ModelError(f"{path}: reads_previous_months must be a whole number ≥ 0")
    if kind == "incremental_by_day" and (time_type != "date" or back):
        raise ModelError(
            f"{path}: an incremental_by_day model has a date time_column (time_column_type: "
            "date) and a day's rows read only that day's inputs (no reads_previous_months)"
        )
    indexes = tuple(_names(i, "indexes", path) for i in header.get("indexes") or [])
    body = _body(source)
    lint(body, path)
    reads: frozenset[str] = frozenset()
    for dialect in DIALECTS:
        reads = model_reads(expand_macros(body, dialect, EVERYTHING, back, path), dialect, path)
    if name in reads:
        raise ModelError(f"{path}: a model cannot read its own table")
    if kind != "full" and "@scope_" not in body:
        raise ModelError(
            f"{path}: an incremental model restricts its inputs with @scope_days/@scope_months"
        )
    return SqlModel(
        name=name,
        path=path,
        source=source,
        description=description,
        kind=kind,
        grain=grain,
        time_column=time_column,
        time_column_type=time_type,
        reads_previous_months=back,
        indexes=indexes,
        tests=_tests(header.get("tests"), grain, path),
        reads=reads,
    )


def load_models(directory: Traversable | None = None) -> list[SqlModel]:
    """Every ``*.sql`` model in ``directory`` (default: the shipped ``dbt_like_sql`` package),
    in dependency order. Zero models is an error: an installed aispend without its models
    would show empty marts silently."""
    if directory is None:
        from dbt_like_sql import models_dir

        directory = models_dir()
    files = sorted(
        (f for f in directory.iterdir() if f.name.endswith(".sql") and f.is_file()),
        key=lambda f: f.name,
    )
    if not files:
        raise ModelError(f"no SQL models (*.sql) found in {directory}: the marts cannot be built")
    models = [
        parse_model(f.name[: -len(".sql")], f.read_text(), f"dbt_like_sql/{f.name}") for f in files
    ]
    return topological(models)


def topological(models: Iterable[SqlModel]) -> list[SqlModel]:
    """Models ordered so that each comes after the models it reads; a cycle is an error."""
    by_name = {m.name: m for m in models}
    ordered: list[SqlModel] = []
    done: dict[str, SqlModel] = {}
    state: dict[str, int] = {}

    def visit(m: SqlModel, trail: tuple[str, ...]) -> None:
        if state.get(m.name) == 2:
            return
        if state.get(m.name) == 1:
            raise ModelError(f"{m.path}: models read each other in a cycle: {' → '.join(trail)}")
        state[m.name] = 1
        for dep in sorted(m.reads & set(by_name)):
            visit(by_name[dep], (*trail, dep))
        state[m.name] = 2
        ahead = max((done[d].lookahead_months for d in m.reads & set(by_name)), default=0)
        done[m.name] = replace(m, lookahead_months=ahead + m.reads_previous_months)
        ordered.append(done[m.name])

    for m in sorted(by_name.values(), key=lambda m: m.name):
        visit(m, (m.name,))
    return ordered


def days_scope(tenant_ids: frozenset[int] | None, days: Iterable[dt.date]) -> Scope:
    """What a sync of ``days`` makes the marts recompute: those months, and those days for an
    ``incremental_by_day`` model (everything when ``days`` is empty)."""
    days = sorted(set(days))
    if not days:
        return EVERYTHING
    return Scope(tenant_ids, months_of(days), (days[0], days[-1]))


def months_of(days: Iterable[dt.date]) -> tuple[str, str] | None:
    """The inclusive month range ('YYYY-MM', 'YYYY-MM') covering ``days``; None if empty."""
    months = sorted({f"{d.year:04d}-{d.month:02d}" for d in days})
    return (months[0], months[-1]) if months else None
