"""Fetching the next batch while the current one is written: a bounded hand-off between threads.

``prefetched(batches)`` runs a connector's batch iterator in a worker thread and hands the
batches over through a queue of ``depth`` slots, so the HTTP requests, JSON parsing and
aggregation of the next batch overlap with the database writing the current one (the writer
waits on the database, the fetcher on the vendor, and both release the GIL then). At most
``depth`` batches wait in the queue, plus the one being written and the one being fetched:
memory stays bounded whatever the range.

Whatever the iterator raises is raised to the consumer at the same point of the sequence, so
``replace_partition`` rolls its write back as before. When the consumer stops early (its write
failed), the worker is told to stop and the iterator is closed in the worker thread before
the consumer returns: no request outlives the sync.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()
_POLL_SECONDS = 0.1


class _Raised:
    __slots__ = ("exc",)

    def __init__(self, exc: BaseException):
        self.exc = exc


def prefetched(items: Iterable[T], depth: int = 2, name: str = "prefetch") -> Prefetched[T]:
    """Yield ``items`` in order, produced by a worker thread up to ``depth`` ahead."""
    return Prefetched(items, depth, name)


class Prefetched(Iterator[T]):
    """The hand-off itself: its worker starts fetching at once, before the first ``next``
    (``pipelines.early_fetch`` starts one while Dagster readies the run that consumes it).
    ``close()`` stops the worker and closes ``items`` in its thread; call it (``closing``)
    whether or not the items were consumed."""

    def __init__(self, items: Iterable[T], depth: int = 2, name: str = "prefetch"):
        self._slots: queue.Queue = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._closed = False
        self._worker = threading.Thread(target=self._work, args=(items,), name=name, daemon=True)
        self._worker.start()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._slots.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def _work(self, items: Iterable[T]) -> None:
        source = iter(items)
        try:
            for item in source:
                if not self._put(item):
                    break
                del item  # hold no reference while waiting for the next one
            else:
                self._put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(_Raised(exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    def __iter__(self) -> Prefetched[T]:
        return self

    def __next__(self) -> T:
        if self._closed:
            raise StopIteration
        item = self._slots.get()
        if item is _DONE:
            self.close()
            raise StopIteration
        if isinstance(item, _Raised):
            self.close()
            raise item.exc
        return item

    def settle(self) -> bool:
        """Wait until the worker has ended, everything it will hand over queued (True), or
        until the queue is full (False: it waits for a consumer)."""
        while self._worker.is_alive():
            if self._slots.full():
                return False
            self._worker.join(_POLL_SECONDS / 4)
        return True

    def close(self) -> None:
        """Stop fetching; returns once the worker has closed the items (idempotent)."""
        self._closed = True
        self._stop.set()
        self._worker.join()
