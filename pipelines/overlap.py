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


def prefetched(items: Iterable[T], depth: int = 2, name: str = "prefetch") -> Iterator[T]:
    """Yield ``items`` in order, produced by a worker thread up to ``depth`` ahead."""
    slots: queue.Queue = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        source = iter(items)
        try:
            for item in source:
                if not put(item):
                    break
                del item  # hold no reference while waiting for the next one
            else:
                put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            put(_Raised(exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=work, name=name, daemon=True)
    worker.start()
    try:
        while True:
            item = slots.get()
            if item is _DONE:
                return
            if isinstance(item, _Raised):
                raise item.exc
            yield item
            del item
    finally:
        stop.set()
        worker.join()
