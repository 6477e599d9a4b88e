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
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Iterator
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
) -> Prefetched:
    """The connector's batches for ``start..end``, fetched by a worker thread from now on,
    counted for the active progress reporter; close it (``closing``) when done."""
    http_options = progress.http_options(connector.name)
    if deadline_seconds:
        http_options["deadline"] = Deadline(deadline_seconds)
    ctx = FetchContext(log=log, token_rates=token_rates, http_options=http_options)
    batches: Iterable = connector().fetch(config, start, end, ctx)
    return prefetched(
        progress.track_batches(connector.name, batches),
        name=f"fetch-{connector.name}-{tenant_slug}",
    )


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
    batches: Prefetched


_STARTED: dict[str, _Started] = {}  # by source, in this process
_GUARD = threading.Lock()


def start_early(
    settings: Settings,
    connector: type[Connector],
    start: dt.date,
    end: dt.date,
    only: str | None = None,
) -> bool:
    """Start fetching ``start..end`` for the first tenant a sync of ``connector`` covers
    (only the one with slug ``only``, if given); True if started."""
    from pipelines.resources import engine_for
    from warehouse.connector_inputs import config_for, tenants_for
    from warehouse.prices import price_book

    discard(connector.name)
    try:
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
        batches = open_fetch(
            connector, tenant.slug, config, rates, start, end, log=log,
            deadline_seconds=settings.source_deadline_seconds,
        )  # fmt: skip
    except Exception:  # the asset reads and fetches again, and reports what went wrong
        return False
    with _GUARD:
        _STARTED[connector.name] = _Started(tenant.id, start, end, config, log, batches)
    return True


def claim(
    source: str, tenant_id: int, start: dt.date, end: dt.date, config: dict, log: Any
) -> Iterator | None:
    """The batches started early for exactly this fetch (the run's ``log`` gets what the
    connector logged so far, and everything after), or None: fetch as usual."""
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
    return started.batches


def discard(source: str) -> None:
    """Stop a fetch of ``source`` started early and never claimed (nothing was written)."""
    with _GUARD:
        started = _STARTED.pop(source, None)
    if started is not None:
        started.batches.close()
