"""Dagster's local SQLite storage, with an event log that writes an event in about a millisecond.

A sync records ~725 Dagster events (a 90-day range run plans and materializes every day's
partition; the marts run evaluates ~80 checks). Dagster's own ``SqliteEventLogStorage`` opens a
new engine and connection for every event and commits it with an fsync, twice for an asset
event (the run's shard and the cross-run index): ~7 ms of CPU and tens of milliseconds of disk
wait per event, half a minute per sync. ``QuickSqliteEventLogStorage`` keeps one connection per
recently used shard (at most ``_OPEN_SHARDS``, serialised by the storage's own lock, as before)
with ``synchronous=NORMAL``: in WAL mode (how Dagster creates its SQLite files) a commit is
still atomic and survives a crash of the process, and is made durable at the next WAL
checkpoint rather than at every commit (an OS crash can lose the last events, never corrupt the
files). The files, schema and rows are exactly Dagster's, so the Dagster UI and daemon, reading
them with the stock classes, see the same runs. The events Dagster hands over as one batch (a
run's planned asset events, a range run's materializations: ~180 of a 90-day sync's events)
are stored in one transaction per shard (``store_event_batch``; Dagster's
``DAGSTER_EVENT_BATCH_SIZE`` switch, off by default, is set by ``open_instance``).

Two more per-run costs of the stock class, kept out: every asset check event asks whether the
index has the checks table (a new engine and connection each time: ~0.7 ms, 164 times in a
marts run), and every new run's shard parses Dagster's Alembic scripts twice to find and stamp
the head revision (~40 ms a run). A table once there stays (only a wipe removes it), and the
head revision is read once per process; a new shard still gets Dagster's tables, WAL and stamp.

``open_instance(home)`` opens the instance at ``home`` like ``DagsterInstance.from_config``,
substituting this storage only where the ``dagster.yaml`` asks for Dagster's default SQLite
storage (PostgreSQL or any other configured storage is used as configured).
"""

from __future__ import annotations

import functools
import os
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from dagster._core.errors import DagsterInvariantViolationError
from dagster._core.events import (
    ASSET_CHECK_EVENTS,
    ASSET_EVENTS,
    EVENT_TYPE_TO_PIPELINE_RUN_STATUS,
    DagsterEventType,
)
from dagster._core.events.log import EventLogEntry
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.storage.event_log import sqlite as sqlite_event_log_package
from dagster._core.storage.event_log.schema import (
    AssetCheckExecutionsTable,
    SqlEventLogStorageMetadata,
)
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import SqliteScheduleStorage
from dagster._core.storage.sql import get_alembic_config
from dagster._core.storage.sqlalchemy_compat import db_result
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import (
    DagsterSqliteStorage,
    _event_logs_directory,
    _runs_directory,
    _schedule_directory,
)
from dagster._serdes import ConfigurableClassData, serialize_value
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DatabaseError
from sqlalchemy.pool import StaticPool

from warehouse.locks import file_lock

_OPEN_SHARDS = 8  # the index, the runs of this process in flight, a few recent ones
_EVENT_BATCH = 1000  # events of one batch stored together (a range run's ~90 materializations)


def _pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


@functools.cache
def _event_log_scripts() -> ScriptDirectory:
    """Dagster's Alembic scripts for its SQLite event log (as ``SqliteEventLogStorage`` finds them)."""
    return ScriptDirectory.from_config(get_alembic_config(sqlite_event_log_package.__file__))


@functools.cache
def _head_revision() -> str:
    return _event_log_scripts().as_revision_number("head")


@functools.cache
def _shard_template() -> tuple[tuple[str, ...], str]:
    """(the CREATE statements of a new run shard, the head revision it is stamped with), as
    Dagster's ``create_all`` and Alembic's ``stamp`` make them, worked out once per process on
    an in-memory database: a new shard then costs a few statements, not SQLAlchemy compiling
    every table and index and Alembic loading its scripts (~30 ms CPU a run)."""
    engine = create_engine("sqlite://", poolclass=StaticPool)
    try:
        with engine.connect() as conn:
            SqlEventLogStorageMetadata.create_all(conn)
            MigrationContext.configure(conn).stamp(_event_log_scripts(), "head")
            conn.commit()
            schema = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid"
            )
            statements = tuple(row[0] for row in schema)
            head = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()
    finally:
        engine.dispose()
    return statements, head


class QuickSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` keeping a connection per recently used shard (see module)."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._tables_seen: set[str] = set()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> QuickSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.get(shard)
        if engine is not None and os.path.exists(self.path_for_shard(shard)):
            self._engines.move_to_end(shard)
            return engine
        if engine is not None:  # its file was deleted (a wipe): start afresh
            self._forget(shard)
        engine = create_engine(
            self.conn_string_for_shard(shard),
            poolclass=StaticPool,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )
        event.listen(engine, "connect", _pragmas)
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        self._engines[shard] = engine
        while len(self._engines) > _OPEN_SHARDS:
            self._forget(next(iter(self._engines)))
        return engine

    def _initdb(self, engine: Engine, for_index_shard: bool = False) -> None:
        """A shard at the head revision is left alone; a new one gets Dagster's tables, WAL and
        the head stamp, as the stock ``_initdb`` does (which, with its retries on a concurrent
        init, still handles the index shard, old revisions and any database error)."""
        if not for_index_shard:
            try:
                with engine.connect() as conn:
                    revision = MigrationContext.configure(conn).get_current_revision()
                    if revision is None and not _has_tables(conn):
                        # WAL first: with synchronous=NORMAL a WAL commit waits for no fsync
                        # (made durable at the next checkpoint), and the schema goes in with
                        # its stamp in one transaction; the file ends as Dagster's would.
                        schema, head = _shard_template()
                        conn.rollback()
                        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
                        for statement in schema:
                            conn.exec_driver_sql(statement)
                        conn.exec_driver_sql(
                            "INSERT INTO alembic_version (version_num) VALUES (?)", (head,)
                        )
                        conn.commit()
                        return
                    if revision == _head_revision():
                        return
            except DatabaseError:
                pass
        super()._initdb(engine, for_index_shard=for_index_shard)

    def has_table(self, table_name: str) -> bool:
        if table_name in self._tables_seen:
            return True
        found = super().has_table(table_name)
        if found:
            self._tables_seen.add(table_name)
        return found

    def _forget(self, shard: str) -> None:
        self._engines.pop(shard).dispose()
        self._initialized_dbs.discard(shard)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock, self._engine(shard).connect() as conn, conn.begin():
            yield conn

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        """A batch Dagster hands over at once (a run's planned asset events, the materializations
        of a range run: ~90 each for a 90-day sync) stored in one transaction per shard, each
        event exactly as ``store_event`` stores it (the run's shard, then the cross-run index
        with its tags and asset row). Any other kind of batch goes event by event."""
        if not events or not all(_batchable(e) for e in events):
            return super().store_event_batch(events)
        if len({e.run_id for e in events}) != 1 or not events[0].run_id:
            return super().store_event_batch(events)
        planned_checks = [e.dagster_event_type in ASSET_CHECK_EVENTS for e in events]
        if any(planned_checks) and not self.supports_asset_checks:
            return super().store_event_batch(events)  # raises Dagster's own "migrate" error
        inserts = [self.prepare_insert_event(e) for e in events]
        with self.run_connection(events[0].run_id) as conn:
            for insert in inserts:
                conn.execute(insert)
        with self.index_transaction() as conn:
            ids = []
            for insert in inserts:
                with db_result(conn, insert) as result:
                    ids.append(result.inserted_primary_key[0])
            if None in ids:
                raise DagsterInvariantViolationError(
                    "Cannot store asset event tags for null event id."
                )
            assets = [(e, i) for e, i, c in zip(events, ids, planned_checks, strict=True) if not c]
            if assets:
                self._store_asset_event_tags(conn, [e for e, _ in assets], [i for _, i in assets])
            for event, event_id, planned_check in zip(events, ids, planned_checks, strict=True):
                if planned_check:
                    conn.execute(_planned_check_rows(self, event, event_id))
                else:
                    self._store_asset_event(conn, event, event_id)

    def close_connections(self) -> None:
        """Close every shard's connection (reopened on next use)."""
        with self._db_lock:
            while self._engines:
                self._forget(next(iter(self._engines)))

    _close_all = close_connections

    def wipe(self) -> None:
        self._close_all()
        self._tables_seen.clear()
        super().wipe()

    def delete_events(self, run_id: str) -> None:
        super().delete_events(run_id)
        self._close_all()

    def dispose(self) -> None:
        self._close_all()
        super().dispose()


def _batchable(event: EventLogEntry) -> bool:
    """An asset event ``store_event`` mirrors into the index and nothing else (no check or run
    status event), or a planned asset check (mirrored, plus its PLANNED execution row): what a
    run's planned batch holds (the marts run plans ~90 checks beside its materializations)."""
    kind = event.dagster_event_type if event.is_dagster_event else None
    if kind == DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED:
        return True
    return (
        kind in ASSET_EVENTS
        and kind not in ASSET_CHECK_EVENTS
        and kind not in EVENT_TYPE_TO_PIPELINE_RUN_STATUS
    )


def _planned_check_rows(storage: SqliteEventLogStorage, event: EventLogEntry, event_id: int):
    """The PLANNED execution rows of a planned check event, exactly as
    ``SqlEventLogStorage._store_asset_check_evaluation_planned`` inserts them (one per
    partition of the check, or one without), for the index transaction of a batch."""
    planned = event.get_dagster_event().event_specific_data
    subset = planned.partitions_subset
    partition_keys = subset.get_partition_keys() if subset else [None]
    return AssetCheckExecutionsTable.insert().values(
        [
            dict(
                asset_key=planned.asset_key.to_string(),
                check_name=planned.check_name,
                partition=partition_key,
                run_id=event.run_id,
                execution_status=AssetCheckExecutionRecordStatus.PLANNED.value,
                evaluation_event=serialize_value(event),
                evaluation_event_timestamp=storage._event_insert_timestamp(event),
                evaluation_event_storage_id=event_id,
            )
            for partition_key in partition_keys
        ]
    )


def _has_tables(conn: Connection) -> bool:
    return (
        conn.execute(text("SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1")).first()
        is not None
    )


class QuickSqliteStorage(DagsterSqliteStorage):
    """Dagster's default local storage with ``QuickSqliteEventLogStorage`` as its event log."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        # As ``DagsterSqliteStorage.__init__``, without first opening (on a new home:
        # creating) the stock event log that this one replaces.
        self.base_dir = base_dir
        self._run_storage = SqliteRunStorage.from_local(_runs_directory(base_dir))
        self._event_log_storage = QuickSqliteEventLogStorage(_event_logs_directory(base_dir))
        self._schedule_storage = SqliteScheduleStorage.from_local(_schedule_directory(base_dir))
        self._inst_data = inst_data
        super(DagsterSqliteStorage, self).__init__()

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> QuickSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)


def release_before_fork(instance: dg.DagsterInstance) -> bool:
    """Close the connections ``instance`` holds open, so forked children can use it as it is
    (each opens connections of its own on first use): True when it is on this module's storage,
    whose only open connections are the event log's (Dagster's SQLite run and schedule
    storages connect per call). Any other storage: False, nothing done (a child must open its
    own instance). Saves each child opening the instance again (parsing Dagster's Alembic
    scripts for its runs and schedules databases: ~0.2 s CPU a child)."""
    events = instance.event_log_storage
    if not (
        isinstance(events, QuickSqliteEventLogStorage)
        and isinstance(instance.run_storage, SqliteRunStorage)
        and isinstance(instance.schedule_storage, SqliteScheduleStorage)
    ):
        return False
    _shard_template()  # each child's run makes a new shard: from this, worked out once
    _head_revision()  # and checks the index shard's stamp against this
    events.close_connections()
    return True


def open_instance(home: str | Path) -> dg.DagsterInstance:
    """The persistent instance configured by ``home``/dagster.yaml (see module).

    Opening it creates Dagster's SQLite storage on first use, and two processes creating it at
    once stamp its schema version twice ("more than one head present", seen when a launched
    sync and the page following it opened a new home together): every aispend process opens
    it here, taking turns on ``home``/.instance.lock."""
    with file_lock(Path(home) / ".instance.lock", wait=120):
        return _open(str(home))


def _open(home: str) -> dg.DagsterInstance:
    ref = InstanceRef.from_dir(home)
    data = ref.storage_data
    if data is not None and (data.module_name, data.class_name) == (
        "dagster._core.storage.sqlite_storage",
        "DagsterSqliteStorage",
    ):
        quick = ConfigurableClassData(__name__, QuickSqliteStorage.__name__, data.config_yaml)
        ref = ref._replace(storage_data=quick)
        # Dagster's switch for handing batched events to ``store_event_batch`` (off by default;
        # a batch is stored once its last event arrives, so nothing waits on a size).
        os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", str(_EVENT_BATCH))
        base_dir = quick.config_dict.get("base_dir")
        if isinstance(base_dir, str) and not os.path.exists(_runs_directory(base_dir)):
            return _created(ref, base_dir)
    return dg.DagsterInstance.from_ref(ref)


def _created(ref: InstanceRef, base_dir: str) -> dg.DagsterInstance:
    """The instance of a new home, its storage created without a disk flush at every one of
    Dagster's commits (dozens: its tables, indexes and Alembic stamps in three databases; ~1.3
    s of waiting on a busy disk), then flushed once: every file it made, and their folders."""
    root = os.path.abspath(base_dir)

    def unsynced(dbapi_connection, _record) -> None:
        databases = dbapi_connection.execute("PRAGMA database_list").fetchall()
        if any(str(row[2]).startswith(root + os.sep) for row in databases):
            dbapi_connection.execute("PRAGMA synchronous=OFF")

    event.listen(Engine, "connect", unsynced)
    try:
        instance = dg.DagsterInstance.from_ref(ref)
    finally:
        event.remove(Engine, "connect", unsynced)
    instance.event_log_storage.close_connections()  # reopened as usual (synchronous=NORMAL)
    _flush_tree(root)
    return instance


def _flush_tree(root: str) -> None:
    for folder, _dirs, files in os.walk(root):
        for name in [*files, "."]:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
