"""Locks that keep concurrent writers apart: one sync per (tenant, source), one migration run,
one rebuild per mart. The dialect differences live here.

PostgreSQL uses advisory locks keyed on a stable 64-bit hash of a name: session-level for a
sync (held on a connection of its own while a tenant's range is fetched and written) and
transaction-level for migrations and mart rebuilds. The server releases them if the process
dies, so a crash never leaves a stale lock.

SQLite has no advisory locks. A sync holds an exclusive ``flock`` on a small file beside the
database (one per tenant and source; the OS drops it if the process dies). An ``IMMEDIATE``
transaction for the whole sync would not do: it would block every other writer, the sync's
own writes included, for as long as the vendor takes to answer. Transactions that read before
they write (a mart rebuild) begin ``IMMEDIATE`` so that SQLite's busy timeout applies to them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

SYNC_LOCK_WAIT_SECONDS = 600.0  # a second sync of the same (tenant, source) waits this long
_POLL_SECONDS = 0.25
_IMMEDIATE_ATTEMPTS = 10
_MEMORY_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_MEMORY_GUARD = threading.Lock()


class SyncBusy(Exception):
    """Another sync of the same (tenant, source) held the lock for longer than we waited."""

    def __init__(self, source: str, tenant: str):
        super().__init__(f"another sync of {source} for {tenant} is running")
        self.source = source
        self.tenant = tenant


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_lock`` (the same in every process)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _sync_lock_name(tenant_id: int, source: str) -> str:
    return f"aispend:sync:{tenant_id}:{source}"


@contextlib.contextmanager
def sync_lock(
    engine: Engine,
    tenant_id: int,
    tenant_slug: str,
    source: str,
    *,
    wait: float | None = None,
) -> Iterator[None]:
    """Hold the (tenant, source) sync lock; waits up to ``wait`` seconds (default
    ``SYNC_LOCK_WAIT_SECONDS``), then raises SyncBusy."""
    wait = SYNC_LOCK_WAIT_SECONDS if wait is None else wait
    name = _sync_lock_name(tenant_id, source)
    if engine.dialect.name == "postgresql":
        lock = _pg_session_lock(engine, name, wait)
    else:
        lock = _sqlite_file_lock(engine, name, wait)
    with lock as acquired:
        if not acquired:
            raise SyncBusy(source, tenant_slug)
        yield


def _poll(try_once, wait: float) -> bool:
    deadline = time.monotonic() + max(0.0, wait)
    while True:
        if try_once():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL_SECONDS)


@contextlib.contextmanager
def _pg_session_lock(engine: Engine, name: str, wait: float) -> Iterator[bool]:
    key = advisory_key(name)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        acquired = _poll(
            lambda: bool(
                conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            ),
            wait,
        )
        try:
            yield acquired
        finally:
            # A broken connection has lost the lock already: closing it is enough.
            if acquired:
                with contextlib.suppress(DBAPIError):
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})


def _lock_dir(engine: Engine) -> Path | None:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database)
    folder = path.with_name(f"{path.name}-locks")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


@contextlib.contextmanager
def _sqlite_file_lock(engine: Engine, name: str, wait: float) -> Iterator[bool]:
    folder = _lock_dir(engine)
    if folder is None:  # an in-memory database lives in this process only
        with _memory_lock(str(engine.url), name, wait) as acquired:
            yield acquired
        return
    path = folder / (re.sub(r"[^A-Za-z0-9_.-]", "_", name) + ".lock")
    with file_lock(path, wait) as acquired:
        yield acquired


@contextlib.contextmanager
def file_lock(path: Path, wait: float) -> Iterator[bool]:
    """An exclusive ``flock`` on ``path`` (created 600), waiting up to ``wait`` seconds; yields
    whether it was acquired. Released on exit, or by the OS if the process dies."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:

        def try_once() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        acquired = _poll(try_once, wait)
        try:
            yield acquired
        finally:
            if acquired:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _memory_lock(url: str, name: str, wait: float) -> Iterator[bool]:
    with _MEMORY_GUARD:
        lock = _MEMORY_LOCKS.setdefault((url, name), threading.Lock())
    acquired = lock.acquire(timeout=max(0.0, wait))
    try:
        yield acquired
    finally:
        if acquired:
            lock.release()


def begin_exclusive(conn: Connection, name: str) -> None:
    """At the start of a write transaction on ``conn``: serialize it against every other
    transaction that calls this with the same ``name``, for the rest of the transaction.

    PostgreSQL: a transaction-level advisory lock (released at commit or rollback). SQLite: the
    transaction begins IMMEDIATE, taking the database's write lock now (waiting up to the busy
    timeout) instead of failing with "database is locked" when it first writes after reading.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": advisory_key(name)})
        return
    dbapi = conn.connection.dbapi_connection
    if dbapi.in_transaction:
        return
    # The busy timeout (30 s) bounds each attempt; a sync writing one long vendor range holds
    # the write lock for longer, so try a few times before giving up.
    for attempt in range(1, _IMMEDIATE_ATTEMPTS + 1):
        try:
            dbapi.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if attempt == _IMMEDIATE_ATTEMPTS or "locked" not in str(exc):
                raise
