"""The fetch/write hand-off: same items in the same order, errors where they happened, and a
consumer that stops early stops the fetching too."""

from __future__ import annotations

import threading

import pytest

from pipelines.overlap import prefetched


def test_items_arrive_in_order():
    assert list(prefetched(iter(range(1000)), depth=2)) == list(range(1000))


def test_an_error_is_raised_after_the_items_before_it():
    def source():
        yield 1
        yield 2
        raise RuntimeError("vendor broke on page 3")

    seen = []
    with pytest.raises(RuntimeError, match="page 3"):
        for item in prefetched(source()):
            seen.append(item)
    assert seen == [1, 2]


def test_stopping_early_closes_the_source_in_its_thread():
    closed = threading.Event()
    produced = []

    def source():
        try:
            for i in range(10_000):
                produced.append(i)
                yield i
        finally:
            closed.set()

    batches = prefetched(source(), depth=1)
    assert next(batches) == 0
    batches.close()
    assert closed.is_set()
    assert len(produced) <= 4  # one written, one queued, one being fetched: never far ahead
