"""A source's first pages asked for while Dagster readies the run that will write them.

``aispend sync`` runs each source as a Dagster job. Before the ingest asset's body runs, Dagster
records the run, its planned events, the step's start and its resources: on a small sync about
as long as the fetch itself. ``start_early`` (called by ``run_sync`` as it launches a source's
run) reads what the asset would read for the first tenant it syncs (its config and list
prices) and starts the connector's fetch at once, through the same bounded hand-off the asset
uses (``open_fetch``, ``pipelines.overlap``): at most ``depth`` batches wait, so memory stays
bounded whatever the range. Nothing is written; the sync lock is not taken (the fetch only
reads the vendor's API).

The asset then ``claim``s it for that tenant, source and range, if its config is still the same,
and writes it exactly as it would its own fetch: the same batches in the same order, and
whatever the fetch raised raised there, at the same point, so the run fails the same way and
records the same redacted reason. What the connector logged before the run's log existed is
held and passed to the run's log on claim. A fetch nobody claims (the run failed before the
asset, a different tenant, changed config) is stopped by ``discard``. Starting early never
fails a sync: any error there leaves the asset to fetch as before, and report what went wrong.
Credentials are read as the asset reads them and never logged.

Sooner still, for a small range (at most ``SMALL_RANGE_DAYS``, what the scheduled refreshes
ask): the CLI calls ``begin`` before it imports Dagster (a second or so of a small sync), so
the vendor answers while Dagster loads. Those fetches run in the CLI's process, but the runs
claiming them run in processes forked per source; no thread may cross that fork, so
``run_sync`` first ``settle``s them: a fetch that has ended (its batches, or its error, all
buffered: ``_BEGIN_DEPTH`` batches at most) is inherited by the child that claims it; one that
filled its buffer is stopped, and that child fetches as it would have (its requests made
twice). Pages and records counted before any reporter was there are passed to the claiming
run's reporter (``_Tally``).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.contract import Connector, FetchContext
from connectors.http import Deadline
from pipelines import progress
from pipelines.overlap import Prefetched, prefetched
from warehouse.settings import Settings


def open_fetch(
    connector: type[Connector],
    tenant_slug: str,
    config: dict,
    token_rates: Any,
    start: dt.date,
    end: dt.date,
    *,
    log: Any = None,
    deadline_seconds: float | None = None,
    counter: Any = None,
    depth: int = 2,
) -> Prefetched:
    """The connector's batches for ``start..end``, fetched by a worker thread from now on (up
    to ``depth`` ahead), counted for ``counter`` (else the active progress reporter); close it
    (``closing``) when done."""
    http_options = progress.http_options(connector.name, counter)
    if deadline_seconds:
        http_options["deadline"] = Deadline(deadline_seconds)
    ctx = FetchContext(log=log, token_rates=token_rates, http_options=http_options)
    batches: Iterable = connector().fetch(config, start, end, ctx)
    return prefetched(
        progress.track_batches(connector.name, batches, counter),
        depth=depth,
        name=f"fetch-{connector.name}-{tenant_slug}",
    )


class _Tally:
    """Pages and records of a fetch started early, kept until its run's reporter is known
    (``attach``: the reporter active where the run claims it), then passed on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pages = self._rows = 0
        self._attached = False
        self._to: Any = None

    def add(self, source: str, *, pages: int = 0, rows: int = 0) -> None:
        with self._lock:
            if not self._attached:
                self._pages += pages
                self._rows += rows
                return
            to = self._to
        if to is not None:
            to.add(source, pages=pages, rows=rows)

    def attach(self, source: str, reporter: Any) -> None:
        with self._lock:
            self._attached, self._to = True, reporter
            pages, rows, self._pages, self._rows = self._pages, self._rows, 0, 0
        if reporter is not None and (pages or rows):
            reporter.add(source, pages=pages, rows=rows)


class _HeldLog:
    """A logger for a fetch started before its run: holds messages until ``attach``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: list[tuple[str, tuple, dict]] = []
        self._attached = False
        self._log: Any = None

    def _emit(self, level: str, *args: Any, **kwargs: Any) -> None:
        with self._lock:  # held while passing on, so the held messages stay first
            if not self._attached:
                self._held.append((level, args, kwargs))
            elif self._log is not None:
                getattr(self._log, level)(*args, **kwargs)

    def attach(self, log: Any) -> None:
        with self._lock:
            self._attached, self._log = True, log
            held, self._held = self._held, []
            if log is not None:
                for level, args, kwargs in held:
                    getattr(log, level)(*args, **kwargs)

    def debug(self, *args: Any, **kwargs: Any) -> None:
        self._emit("debug", *args, **kwargs)

    def info(self, *args: Any, **kwargs: Any) -> None:
        self._emit("info", *args, **kwargs)

    def warning(self, *args: Any, **kwargs: Any) -> None:
        self._emit("warning", *args, **kwargs)

    def error(self, *args: Any, **kwargs: Any) -> None:
        self._emit("error", *args, **kwargs)


@dataclass
class _Started:
    tenant_id: int
    start: dt.date
    end: dt.date
    config: dict
    log: _HeldLog
    tally: _Tally | None
    batches: Prefetched


_STARTED: dict[str, _Started] = {}  # by source, in this process
_GUARD = threading.Lock()
SMALL_RANGE_DAYS = 7  # ``begin`` starts fetches of at most this many days
_BEGIN_DEPTH = 16  # batches a fetch begun before the fork may hold (see ``settle``)


def begin(
    settings: Settings,
    connectors: Mapping[str, type[Connector]],
    sources: Sequence[str],
    start: dt.date,
    end: dt.date,
    only: str | None = None,
) -> None:
    """Before ``run_sync`` (before Dagster is imported): start fetching every source of a
    small range (at most ``SMALL_RANGE_DAYS``) that has credentials, each ``_BEGIN_DEPTH``
    batches deep. What is complete by the time the sources' processes fork is theirs
    (``settle``); anything else is stopped and fetched there as usual."""
    if not 0 <= (end - start).days < SMALL_RANGE_DAYS:
        return
    from warehouse.engine import make_engine

    try:
        engine = make_engine(settings.database_url)
    except Exception:
        return
    try:  # the engine is this function's: no connection of it is open across the fork
        for name in sources or sorted(connectors):
            if name in connectors:
                start_early(settings, connectors[name], start, end, only, engine, _BEGIN_DEPTH)
    finally:
        engine.dispose()


def start_early(
    settings: Settings,
    connector: type[Connector],
    start: dt.date,
    end: dt.date,
    only: str | None = None,
    engine: Any = None,
    depth: int = 2,
) -> bool:
    """Start fetching ``start..end`` for the first tenant a sync of ``connector`` covers
    (only the one with slug ``only``, if given); True if started, or already started so."""
    from warehouse.connector_inputs import config_for, tenants_for
    from warehouse.prices import price_book

    with _GUARD:
        started = _STARTED.get(connector.name)
        if started is not None and (started.start, started.end) == (start, end):
            return True
    discard(connector.name)
    try:
        if engine is None:
            from pipelines.resources import engine_for

            engine = engine_for(settings)
        tenants = tenants_for(engine, connector, only)
        if not tenants:
            return False
        tenant = tenants[0]
        config = config_for(engine, settings.secret_keys, connector, tenant)
        if connector.missing_credentials(config):
            return False
        rates = price_book(engine, tenant).token_rates
        log = _HeldLog()
        tally = _Tally() if progress.active() is not None else None
        batches = open_fetch(
            connector, tenant.slug, config, rates, start, end, log=log,
            deadline_seconds=settings.source_deadline_seconds, counter=tally, depth=depth,
        )  # fmt: skip
    except Exception:  # the asset reads and fetches again, and reports what went wrong
        return False
    with _GUARD:
        _STARTED[connector.name] = _Started(tenant.id, start, end, config, log, tally, batches)
    return True


def settle() -> None:
    """Before forking: wait for each fetch started here to end (everything it will yield is
    buffered, and its thread and connections are gone) or fill its buffer (then stopped: the
    forked process fetches it again, as it would have). No fetch thread crosses the fork."""
    with _GUARD:
        names = list(_STARTED)
    for name in names:
        with _GUARD:
            started = _STARTED.get(name)
        if started is not None and not started.batches.settle():
            discard(name)


def claim(
    source: str, tenant_id: int, start: dt.date, end: dt.date, config: dict, log: Any
) -> Iterator | None:
    """The batches started early for exactly this fetch (the run's ``log`` gets what the
    connector logged so far, and everything after; the active reporter its pages and
    records), or None: fetch as usual."""
    with _GUARD:
        started = _STARTED.get(source)
        if started is None or (started.tenant_id, started.start, started.end) != (
            tenant_id,
            start,
            end,
        ):
            return None
        del _STARTED[source]
    if started.config != config:  # changed in between: what was fetched is not what is asked
        started.batches.close()
        return None
    started.log.attach(log)
    if started.tally is not None:
        started.tally.attach(source, progress.active())
    return started.batches


def discard(source: str) -> None:
    """Stop a fetch of ``source`` started early and never claimed (nothing was written)."""
    with _GUARD:
        started = _STARTED.pop(source, None)
    if started is not None:
        started.batches.close()


def discard_all() -> None:
    """Stop every fetch started early in this process and never claimed."""
    with _GUARD:
        names = list(_STARTED)
    for name in names:
        discard(name)
