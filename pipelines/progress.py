"""What `aispend sync` and `aispend demo` show while they run: per-source progress (pages, records
fetched, rate), then a summary table (rows stored) (or JSON for schedulers) — not Dagster's log, unless asked.

The ingest asset reports through ``track_batches`` and ``http_options``; both are no-ops unless a
``ProgressReporter`` is active in this process (``with reporter.active():``), so runs launched by
the Dagster daemon or UI are unaffected. Progress goes to stderr; the summary to stdout.
"""

from __future__ import annotations

import contextlib
import json
import ssl
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

import httpx

_ACTIVE: ProgressReporter | None = None

# Dagster's console logger: silent unless --verbose (failures are summarised by us instead).
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass
class _Counts:
    pages: int = 0
    rows: int = 0
    started: float = field(default_factory=time.monotonic)
    last_line: float = 0.0
    done: bool = False


class ProgressReporter:
    """Prints a live line on a terminal (rewritten in place; sources running side by side share
    it), plain lines every ``plain_every`` seconds otherwise, and a closing line per source."""

    def __init__(
        self, stream: TextIO | None = None, live: bool | None = None, plain_every: float = 5.0
    ):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.plain_every = plain_every
        self._counts: dict[str, _Counts] = {}
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def active(self) -> Iterator[ProgressReporter]:
        global _ACTIVE
        previous, _ACTIVE = _ACTIVE, self
        try:
            yield self
        finally:
            _ACTIVE = previous

    def start(self, source: str, days: int) -> None:
        with self._lock:
            self._counts[source] = _Counts()
        if not self.live:
            self._write(f"{source}: syncing {days} day(s)\n")

    def add(self, source: str, *, pages: int = 0, rows: int = 0) -> None:
        with self._lock:
            counts = self._counts.setdefault(source, _Counts())
            counts.pages += pages
            counts.rows += rows
            now = time.monotonic()
            interval = 0.2 if self.live else self.plain_every
            if now - counts.last_line < interval:
                return
            counts.last_line = now
            if self.live:  # sources synced side by side share the live line
                running = [(s, c) for s, c in self._counts.items() if not c.done]
                line = "  ·  ".join(self._line(s, c) for s, c in running)
            else:
                line = self._line(source, counts)
        self._write(f"\r\x1b[K{line}" if self.live else f"{line}\n")

    def finish(self, source: str, ok: bool) -> None:
        with self._lock:
            counts = self._counts.get(source) or _Counts()
            counts.done = True
            line = self._line(source, counts) + (" — done" if ok else " — FAILED")
        self._write(f"\r\x1b[K{line}\n" if self.live else f"{line}\n")

    @staticmethod
    def _line(source: str, counts: _Counts) -> str:
        seconds = max(time.monotonic() - counts.started, 1e-6)
        rate = counts.rows / seconds
        return (
            f"{source}: {counts.pages} pages, {counts.rows:,} records, "
            f"{rate:,.0f} records/s, {seconds:.1f} s"
        )

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


def active() -> ProgressReporter | None:
    """The reporter active in this process, if any."""
    return _ACTIVE


def track_batches(source: str, batches: Iterable[Any], counter: Any = None) -> Iterator[Any]:
    """Pass a connector's ``FetchBatch``es through, counting their records (usage records
    and activity values) for ``counter`` (anything with ``add``), else the active reporter."""
    for batch in batches:
        to = counter if counter is not None else _ACTIVE
        if to is not None:
            to.add(source, rows=len(batch.usage) + batch.activity_count())
        yield batch
        # Not held while the connector builds the next one (a Cursor window is ~130 k records
        # at 1,000 members: the writer, the queue and this frame each holding one was RSS).
        del batch


_SSL_CONTEXT: ssl.SSLContext | None = None


def ssl_context() -> ssl.SSLContext:
    """The verifying SSL context of this process's counting transports, as ``httpx`` makes
    its default one: made once (loading the CA bundle costs ~0.1 s CPU, in every sync's
    critical path), shared by every transport, and inherited by forked source processes."""
    global _SSL_CONTEXT
    if _SSL_CONTEXT is None:
        _SSL_CONTEXT = httpx.create_ssl_context()
    return _SSL_CONTEXT


class _CountingTransport(httpx.BaseTransport):
    def __init__(self, source: str, reporter: Any):
        self._inner = httpx.HTTPTransport(verify=ssl_context())
        self._source = source
        self._reporter = reporter

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        self._reporter.add(self._source, pages=1)
        return response

    def close(self) -> None:
        self._inner.close()


def http_options(source: str, counter: Any = None) -> dict[str, Any]:
    """``FetchContext.http_options`` that count the vendor's pages (HTTP responses) for
    ``counter`` (anything with ``add``), else the active reporter; none if neither."""
    counter = counter if counter is not None else _ACTIVE
    if counter is None:
        return {}
    return {"transport": _CountingTransport(source, counter)}


def summary_table(results: Iterable[Any]) -> str:
    """Source, days, rows, seconds, status: one line per source."""
    rows = [("source", "days", "rows", "seconds", "status")]
    for r in results:
        rows.append(
            (r.source, str(r.days), f"{r.rows:,}", f"{r.seconds:.1f}", "ok" if r.ok else "FAILED")
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            cell.ljust(w) if i in (0, 4) else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def failure_lines(results: Iterable[Any]) -> list[str]:
    """One line per failed source: vendor, reason and the Dagster run holding the details."""
    return [
        f"error: {r.source}: {r.error}" + (f" (Dagster run {r.run_id})" if r.run_id else "")
        for r in results
        if not r.ok
    ]


def summary_json(results: Iterable[Any], **context: Any) -> str:
    results = list(results)
    return json.dumps(
        {
            **context,
            "ok": all(r.ok for r in results),
            "sources": [
                {
                    "source": r.source,
                    "days": r.days,
                    "rows": r.rows,
                    "seconds": round(r.seconds, 3),
                    "status": "ok" if r.ok else "failed",
                    "error": r.error,
                    "run_id": r.run_id,
                }
                for r in results
            ],
        },
        indent=2,
    )
