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
them with the stock classes, see the same runs.

``open_instance(home)`` opens the instance at ``home`` like ``DagsterInstance.from_config``,
substituting this storage only where the ``dagster.yaml`` asks for Dagster's default SQLite
storage (PostgreSQL or any other configured storage is used as configured).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from warehouse.locks import file_lock

_OPEN_SHARDS = 8  # the index, the runs of this process in flight, a few recent ones


def _pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class QuickSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` keeping a connection per recently used shard (see module)."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
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

    def _forget(self, shard: str) -> None:
        self._engines.pop(shard).dispose()
        self._initialized_dbs.discard(shard)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock, self._engine(shard).connect() as conn, conn.begin():
            yield conn

    def _close_all(self) -> None:
        with self._db_lock:
            while self._engines:
                self._forget(next(iter(self._engines)))

    def wipe(self) -> None:
        self._close_all()
        super().wipe()

    def delete_events(self, run_id: str) -> None:
        super().delete_events(run_id)
        self._close_all()

    def dispose(self) -> None:
        self._close_all()
        super().dispose()


class QuickSqliteStorage(DagsterSqliteStorage):
    """Dagster's default local storage with ``QuickSqliteEventLogStorage`` as its event log."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(base_dir, inst_data=inst_data)
        self._event_log_storage = QuickSqliteEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> QuickSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)


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
    return dg.DagsterInstance.from_ref(ref)
