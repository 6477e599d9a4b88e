"""Writing facts: one (tenant, source, day range) partition replaced in one transaction.

``replace_partition`` is the only way facts reach the warehouse. It deletes the partition's
usage facts, activity (``activity_days``: one row per account and day, its metrics in a JSON
object, grouped by ``warehouse.activity_days``) and vendor control totals, streams the
connector's batches in (in chunks through ``warehouse.bulk_insert``: COPY on PostgreSQL, a
prepared executemany on SQLite; never the whole range in memory), then writes the control totals,
upserts reconciliation totals and the vendor accounts it saw. Anything raised while streaming
rolls the whole write back, so a failed sync leaves the previous rows exactly as they were.
On SQLite the rows are streamed into staging tables first and the partition is replaced from
them at the end, so the one write lock is held for seconds, not for the whole fetch
(``warehouse.partition_staging``): syncs of several sources can fetch side by side.
Dialect-specific upserts live here and in ``warehouse.vendor_totals``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from operator import attrgetter

from sqlalchemy import Connection, Engine, delete, select

from connectors.contract import Account, ActivityRecord, DayActivity, FetchBatch, UsageRecord
from connectors.records import record_keys
from warehouse.activity_days import COLUMNS as ACTIVITY_COLUMNS
from warehouse.activity_days import ActivityDays
from warehouse.bulk_insert import BulkInsert
from warehouse.engine import is_sqlite
from warehouse.errors import InvalidInput
from warehouse.models import ActivityDay, UsageFact, VendorAccount
from warehouse.partition_staging import StagedTable, begin_immediate, commit_staging
from warehouse.sql_values import as_date
from warehouse.vendor_totals import TotalsBuffer, delete_billed_totals, upsert_insert

CHUNK_ROWS = 5000
_ONE_DAY = dt.timedelta(days=1)
# The columns a partition write fills row by row, in the order its row tuples carry them; the
# columns every row of a partition write shares are filled once (``_constants``).
USAGE_COLUMNS = (
    "record_key",
    "account_key",
    "charge_period_start",
    "charge_period_end",
    "provider",
    "service",
    "sku",
    "charge_category",
    "billed_cost_micros",
    "list_cost_micros",
    "effective_cost_micros",
    "currency",
    "consumed_quantity",
    "consumed_unit",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "requests",
    "sub_account",
    "cost_basis",
    "confidence",
    "tags",
)
# The columns between ``provider`` and ``tags``: the record's own fields, read in one call.
_PLAIN_USAGE = attrgetter(*USAGE_COLUMNS[5:-1])


@dataclass(frozen=True)
class WriteResult:
    usage_rows: int
    activity_rows: int  # activity values (one per account, day and metric), as connectors count
    accounts: int
    activity_days: int = 0  # the activity_days rows they were stored in

    @property
    def rows(self) -> int:
        """Rows stored: usage facts plus activity_days rows (not the activity values in them,
        ~4x as many: what a sync's summary and sync status report)."""
        return self.usage_rows + self.activity_days


class _PartitionWriter:
    """Buffers rows of one partition write and flushes them in chunks on one connection."""

    def __init__(
        self,
        conn: Connection,
        tenant_id: int,
        source: str,
        start: dt.date,
        end: dt.date,
        *,
        source_type: str,
        provider: str,
        run_id: str | None,
        staged: bool = False,
    ):
        """``staged``: the rows go to staging tables first (SQLite: ``self.staging``, copied in
        by the caller), else to the fact tables themselves."""
        self.conn = conn
        self.tenant_id = tenant_id
        self.source = source
        self.start = start
        self.end = end
        self.provider = provider
        self._record_key = record_keys(str(tenant_id), source)
        self._period_ends: dict[dt.date, dt.date] = {}  # a day in range → the day after
        self.usage: list[tuple] = []
        shared = {"tenant_id": tenant_id, "source": source, "ingestion_run_id": run_id}
        # ingested_at: this write's time, on every row it writes
        usage_constants = {**shared, "source_type": source_type, "ingested_at": _now()}
        usage_table, activity_table = UsageFact.__table__, ActivityDay.__table__
        self.staging: tuple[StagedTable, StagedTable] | None = None
        if staged:
            self.staging = (
                StagedTable(usage_table, USAGE_COLUMNS, usage_constants),
                StagedTable(activity_table, ACTIVITY_COLUMNS, shared),
            )
            usage_table, activity_table = (t.table for t in self.staging)
            usage_constants = shared = {}
        self.activity = ActivityDays(conn, tenant_id, source, activity_table, shared)
        self._usage_out = BulkInsert(conn, usage_table, USAGE_COLUMNS, constants=usage_constants)
        self.usage_rows = 0
        # account_key -> Account (full details when the connector described it)
        self.accounts: dict[str, Account | None] = {}

    def _outside(self, day: dt.date, what: str) -> None:
        raise ValueError(
            f"{self.source}: {what} for {day.isoformat()} is outside the requested range "
            f"{self.start.isoformat()}..{self.end.isoformat()}"
        )

    def add_usage(self, records: Iterable[UsageRecord]) -> None:
        """Buffers one batch's usage rows (a loop per batch: this runs for every fact)."""
        start, end, provider = self.start, self.end, self.provider
        key, ends, accounts = self._record_key, self._period_ends, self.accounts
        usage = self.usage
        append = usage.append
        for rec in records:
            if len(usage) >= CHUNK_ROWS:  # a batch may hold a whole window: written in chunks
                self._flush_usage()
                usage = self.usage
                append = usage.append
            day = rec.day
            period_end = ends.get(day)
            if period_end is None:
                if not (start <= day <= end):
                    self._outside(day, "usage record")
                period_end = ends[day] = day + _ONE_DAY
            account = rec.account_key
            append(
                (key(rec), account, day, period_end, rec.provider or provider)
                + _PLAIN_USAGE(rec)
                + (dict(rec.tags) if rec.tags else None,)
            )
            if account not in accounts:
                accounts[account] = None
        if len(usage) >= CHUNK_ROWS:
            self._flush_usage()

    def add_activity(self, records: Iterable[ActivityRecord]) -> None:
        """Groups one batch's activity records by (account, day)."""
        start, end = self.start, self.end
        for rec in records:
            if not (start <= rec.day <= end):
                self._outside(rec.day, "activity record")
        self.activity.add(records, self.accounts)  # flushed between batches

    def add_activity_days(self, groups: Sequence[DayActivity]) -> None:
        """Takes one batch's activity already grouped by (account, day)."""
        start, end = self.start, self.end
        for group in groups:
            if not (start <= group.day <= end):
                self._outside(group.day, "activity record")
        self.activity.add_days(groups, self.accounts)

    def add_account(self, account: Account) -> None:
        self.accounts[account.account_key] = account

    def delete_partition(self) -> None:
        self.conn.execute(
            delete(UsageFact).where(
                UsageFact.tenant_id == self.tenant_id,
                UsageFact.source == self.source,
                UsageFact.charge_period_start >= self.start,
                UsageFact.charge_period_start <= self.end,
            )
        )
        self.conn.execute(
            delete(ActivityDay).where(
                ActivityDay.tenant_id == self.tenant_id,
                ActivityDay.source == self.source,
                ActivityDay.day >= self.start,
                ActivityDay.day <= self.end,
            )
        )
        delete_billed_totals(self.conn, self.tenant_id, self.source, self.start, self.end)

    def _flush_usage(self) -> None:
        if self.usage:
            self._usage_out.write(self.usage)
            self.usage_rows += len(self.usage)
            self.usage = []

    def flush(self) -> None:
        self._flush_usage()
        self.activity.flush()

    def end_of_batch(self) -> None:
        """A batch is through: write the activity grouped so far once a chunk's worth waits
        (an account's day rarely spans batches, so its metrics land in one row)."""
        if len(self.activity) >= CHUNK_ROWS:
            self.activity.flush()

    def upsert_accounts(self) -> int:
        """Every account seen gets a vendor_accounts row; described ones refresh their details."""
        now = _now()
        table = VendorAccount.__table__
        described = []
        bare = []
        for key, account in self.accounts.items():
            row = {
                "tenant_id": self.tenant_id,
                "source": self.source,
                "account_key": key,
                "first_seen_at": now,
                "last_seen_at": now,
            }
            if account is None:
                bare.append({**row, "display_name": None, "email": None, "kind": "user"})
            else:
                described.append(
                    {
                        **row,
                        "display_name": account.display_name,
                        "email": account.email,
                        "kind": account.kind,
                    }
                )
        conflict = ["tenant_id", "source", "account_key"]
        for rows in (described, bare):
            for i in range(0, len(rows), CHUNK_ROWS):
                stmt = upsert_insert(self.conn, table)
                if rows is described:
                    update = {
                        "display_name": stmt.excluded.display_name,
                        "email": stmt.excluded.email,
                        "kind": stmt.excluded.kind,
                        "last_seen_at": stmt.excluded.last_seen_at,
                    }
                else:
                    update = {"last_seen_at": stmt.excluded.last_seen_at}
                stmt = stmt.on_conflict_do_update(index_elements=conflict, set_=update)
                self.conn.execute(stmt, rows[i : i + CHUNK_ROWS])
        return len(self.accounts)


def replace_partition(
    engine: Engine,
    tenant_id: int,
    source: str,
    start: dt.date,
    end: dt.date,
    batches: Iterable[FetchBatch],
    *,
    source_type: str,
    provider: str,
    run_id: str | None,
) -> WriteResult:
    """Replace the (tenant, source) facts for days ``start..end`` (inclusive) in one transaction.

    Raises ``ValueError`` naming the source and day for a record outside the range; any
    exception (including one raised by the ``batches`` iterator) rolls the write back.
    """
    if end < start:
        raise InvalidInput(f"{source}: end {end} is before start {start}")
    options = dict(source_type=source_type, provider=provider, run_id=run_id)
    if is_sqlite(engine):
        with engine.connect() as conn:
            return _replace_staged(conn, tenant_id, source, start, end, batches, options)
    with engine.begin() as conn:
        writer = _PartitionWriter(conn, tenant_id, source, start, end, **options)
        totals = TotalsBuffer(tenant_id, source, start, end, run_id)
        writer.delete_partition()
        _stream(writer, totals, batches)
        return _finish(writer, totals)


def _replace_staged(
    conn: Connection,
    tenant_id: int,
    source: str,
    start: dt.date,
    end: dt.date,
    batches: Iterable[FetchBatch],
    options: dict,
) -> WriteResult:
    """SQLite: rows streamed into staging tables, then the partition replaced from them in one
    short write transaction (``warehouse.partition_staging``)."""
    writer = _PartitionWriter(conn, tenant_id, source, start, end, **options, staged=True)
    staging = writer.staging
    assert staging is not None
    try:
        for table in staging:
            table.create(conn)
        totals = TotalsBuffer(tenant_id, source, start, end, options["run_id"])
        _stream(writer, totals, batches, staged=True)
        begin_immediate(conn)
        writer.delete_partition()
        for table in staging:
            table.copy_into_target(conn)
        result = _finish(writer, totals)
        conn.commit()
    except BaseException:
        conn.rollback()
        with suppress(Exception):  # what failed is what the caller must see
            _drop(conn, staging)
        raise
    _drop(conn, staging)
    return result


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _drop(conn: Connection, staging: tuple[StagedTable, ...]) -> None:
    for table in staging:
        table.drop(conn)
    conn.commit()


def _stream(
    writer: _PartitionWriter,
    totals: TotalsBuffer,
    batches: Iterable[FetchBatch],
    *,
    staged: bool = False,
) -> None:
    """Every batch into ``writer`` and ``totals``. ``staged``: each batch's staging rows are
    committed (temporary tables: no disk sync), so no transaction stays open between batches
    (an open one would pin the warehouse's WAL at its snapshot while the vendor is fetched)."""
    for batch in batches:
        writer.add_usage(batch.usage)
        writer.add_activity(batch.activity)
        writer.add_activity_days(batch.activity_days)
        for account in batch.accounts:
            writer.add_account(account)
        for total in batch.vendor_totals:
            totals.add_billed(total)
        for figure in batch.reconciliation:
            totals.add_reconciliation(figure)
        # Drop our reference before asking for the next batch, so at most one batch is
        # alive at a time (memory stays flat however many days a backfill covers).
        del batch
        writer.end_of_batch()
        if staged:
            commit_staging(writer.conn)
    writer.flush()


def _finish(writer: _PartitionWriter, totals: TotalsBuffer) -> WriteResult:
    """Control totals and accounts, once every row is in."""
    totals.write(writer.conn, CHUNK_ROWS)
    accounts = writer.upsert_accounts()
    activity = writer.activity
    return WriteResult(writer.usage_rows, activity.records, accounts, activity.rows)


def fact_span(engine: Engine, tenant_id: int, source: str) -> tuple[dt.date, dt.date] | None:
    """The first and last day a (tenant, source) has usage facts on, or None. Two queries, each
    walking the tenant's days in the unique index from one end (one ``min``/``max`` query walks
    every fact of the tenant on SQLite)."""
    day = UsageFact.charge_period_start
    query = select(day).where(UsageFact.tenant_id == tenant_id, UsageFact.source == source)
    with engine.connect() as conn:
        first = conn.execute(query.order_by(day).limit(1)).scalar()
        if first is None:
            return None
        last = conn.execute(query.order_by(day.desc()).limit(1)).scalar()
    return as_date(first), as_date(last)
