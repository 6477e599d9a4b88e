"""Sources synced side by side, each in a process of its own (``aispend sync`` on PostgreSQL).

Fetching and parsing a vendor's pages is Python code holding the GIL, so threads would not use
a second core; and Dagster's run logging is process-wide. ``run_in_processes`` forks one child
per source: the child opens its own Dagster instance and database connections (the parent's are
never used there), runs that source's named job exactly as a sequential sync does, and reports
back through a pipe: progress (``start``/``add``/``finish``, shown by the parent's reporter)
and the ``SourceResult``. A child that dies without a result is that source's failure, never
the others'. On SQLite too: a partition write streams into staging tables of its own
connection and takes the one write lock only to copy them in (``warehouse.partition_staging``),
so the children fetch and parse side by side and take turns only for those seconds.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

from pipelines.progress import ProgressReporter


class _Forwarder(ProgressReporter):
    """A child's reporter: sends every call to the parent instead of printing."""

    def __init__(self, conn: Connection):
        super().__init__(live=False)
        self._conn = conn

    def start(self, source: str, days: int) -> None:
        self._conn.send(("start", source, days))

    def add(self, source: str, *, pages: int = 0, rows: int = 0) -> None:
        with self._lock:  # the fetch thread and the writer both report
            self._conn.send(("add", source, pages, rows))

    def finish(self, source: str, ok: bool) -> None:
        self._conn.send(("finish", source, ok))


def _child(name: str, run_one: Callable[[str, ProgressReporter], Any], conn: Connection) -> None:
    from pipelines.resources import forget_inherited_connections

    forget_inherited_connections()
    reporter = _Forwarder(conn)
    with reporter.active():
        result = run_one(name, reporter)
    conn.send(("result", name, result))
    conn.close()


def run_in_processes(
    names: Sequence[str],
    run_one: Callable[[str, ProgressReporter], Any],
    progress: ProgressReporter | None,
    died: Callable[[str, str], Any],
    meanwhile: Callable[[], Any] | None = None,
) -> list[Any]:
    """``run_one(name, reporter)`` for every source, each in a forked child; results in the
    order of ``names``. ``died(name, reason)`` makes the result of a child that gave none.
    ``meanwhile()`` runs here once every child has started (work of the parent's own, done
    while the children sync rather than after them)."""
    context = multiprocessing.get_context("fork")
    children: dict[str, multiprocessing.Process] = {}
    pipes: dict[Connection, str] = {}
    for name in names:
        receive, send = context.Pipe(duplex=False)
        child = context.Process(
            target=_child, args=(name, run_one, send), name=f"aispend-sync-{name}", daemon=True
        )
        child.start()
        send.close()
        children[name], pipes[receive] = child, name
    if meanwhile is not None:
        meanwhile()
    results: dict[str, Any] = {}
    while pipes:
        for conn in wait(list(pipes)):
            try:
                message = conn.recv()
            except EOFError:
                del pipes[conn]
                continue
            kind, name, *rest = message
            if kind == "result":
                results[name] = rest[0]
            elif progress is None:
                continue
            elif kind == "add":
                progress.add(name, pages=rest[0], rows=rest[1])
            elif kind == "start":
                progress.start(name, rest[0])
            else:
                progress.finish(name, rest[0])
    for name, child in children.items():
        child.join()
        if name not in results:
            results[name] = died(name, f"the sync process exited with code {child.exitcode}")
            if progress is not None:
                progress.finish(name, False)
    return [results[name] for name in names]
