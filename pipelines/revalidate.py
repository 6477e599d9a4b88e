"""Stale-while-revalidate: a page load that finds a vendor's data past the tenant's freshness
threshold shows what the warehouse holds at once and asks Dagster to refresh that vendor in
the background.

Only connectors polled from an API (``config_source == "credentials"`` with a clock refresh,
not a folder or admin input) whose credentials the tenant configured are refreshed. The
refresh re-reads yesterday and today, like the hourly schedule. It is launched by the system
on behalf of the viewer (``pipelines.launch.launch_sync``: audited as ``vendor.sync`` by
``system`` with ``on_behalf_of``), in a thread so the page never waits for it, and never twice
at once: not while this process has one pending or running for the vendor, not while Dagster
has an unfinished run launched for it, not while the vendor's last attempt (recorded by the
ingest asset) is newer than its last success and recent, and not again within
``RETRY_AFTER`` of the last one this process launched (a failing vendor is not hammered).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Mapping

from sqlalchemy import Engine

from connectors.contract import Connector
from pipelines import launch
from warehouse import credentials, dashboard_settings, sync_status
from warehouse.actors import SYSTEM, Actor, require_signed_in
from warehouse.settings import Settings
from warehouse.tenants import TenantRef

log = logging.getLogger(__name__)

RETRY_AFTER = dt.timedelta(minutes=15)
TRIGGER = "stale-while-revalidate"

_LOCK = threading.Lock()
_PENDING: dict[tuple[str, str], threading.Thread] = {}  # launching (before the child exists)
_LAUNCHED_AT: dict[tuple[str, str], float] = {}  # time.monotonic() of this process's last launch
_launch = launch.launch_sync  # the launcher the background thread calls


def refreshable(connector: type[Connector]) -> bool:
    """A connector scheduled from an API (not a folder, not admin input, not manual)."""
    return (
        connector.config_source == "credentials"
        and not connector.schedule.watch_input
        and connector.schedule.refresh_cron is not None
    )


def stale_sources(
    engine: Engine,
    tenant: TenantRef,
    actor: Actor,
    connectors: Mapping[str, type[Connector]],
    now: dt.datetime | None = None,
) -> dict[str, bool]:
    """The tenant's API vendors with credentials whose last success is past the freshness
    threshold, each with whether a sync of it is already under way (an attempt newer than the
    last success, within ``RETRY_AFTER``: a schedule, another server or the CLI started it)."""
    require_signed_in(actor, "checking vendor freshness", tenant)
    now = now or dt.datetime.now(dt.UTC)
    settings = dashboard_settings.get_dashboard_settings(engine, tenant, actor)
    configured = set(credentials.configured_sources(engine, tenant))
    out = {}
    for source, state in sorted(sync_status.tenant_statuses(engine, tenant, actor).items()):
        connector = connectors.get(source)
        if connector is None or not refreshable(connector) or source not in configured:
            continue
        fresh = sync_status.freshness(
            state.last_success_at,
            now,
            fresh_hours=settings.fresh_hours,
            stale_hours=settings.stale_hours,
        )
        if fresh not in ("stale", "old"):
            continue
        attempt = state.last_attempt_at
        out[source] = (
            attempt is not None and attempt > state.last_success_at and now - attempt < RETRY_AFTER
        )
    return out


def refreshing(tenant: TenantRef, source: str) -> bool:
    """Whether this process has a refresh of (tenant, source) being launched or running."""
    with _LOCK:
        pending = _PENDING.get((tenant.slug, source))
    return (pending is not None and pending.is_alive()) or launch.is_running(tenant, source)


def revalidate(
    settings: Settings,
    engine: Engine,
    tenant: TenantRef,
    viewer: Actor,
    connectors: Mapping[str, type[Connector]] | None = None,
) -> frozenset[str]:
    """Start a background refresh of every stale vendor not already refreshing; returns at
    once the tenant's vendors refreshing now (for the "refreshing" dot)."""
    connectors = connectors if connectors is not None else launch._connectors()
    stale = stale_sources(engine, tenant, viewer, connectors)
    started = {source for source, under_way in stale.items() if under_way}
    with _LOCK:
        for source in sorted(set(stale) - started):
            key = (tenant.slug, source)
            pending = _PENDING.get(key)
            if (pending is not None and pending.is_alive()) or launch.is_running(tenant, source):
                continue
            last = _LAUNCHED_AT.get(key)
            if last is not None and time.monotonic() - last < RETRY_AFTER.total_seconds():
                continue
            _LAUNCHED_AT[key] = time.monotonic()
            thread = threading.Thread(
                target=_refresh,
                args=(settings, tenant, source, viewer.email, connectors),
                name=f"aispend-revalidate-{tenant.slug}-{source}",
                daemon=True,
            )
            _PENDING[key] = thread
            thread.start()
            started.add(source)
    return frozenset(s for s in stale if s in started or refreshing(tenant, s))


def _refresh(
    settings: Settings,
    tenant: TenantRef,
    source: str,
    on_behalf_of: str,
    connectors: Mapping[str, type[Connector]],
) -> None:
    try:
        if launch.in_flight_runs(settings, source):
            return  # launched by another server process, still running in Dagster
        today = dt.datetime.now(dt.UTC).date()
        _launch(
            settings, SYSTEM, tenant, source=source, start=today - dt.timedelta(days=1),
            end=today, connectors=connectors, on_behalf_of=on_behalf_of,
        )  # fmt: skip
    except launch.AlreadyRunning:
        pass
    except Exception as exc:  # a background refresh must never take the server down
        log.warning("%s: refresh of %s failed to start: %s", TRIGGER, source, type(exc).__name__)


def wait_for_pending(timeout: float | None = None) -> None:
    """Join the threads still launching (for tests and shutdown)."""
    with _LOCK:
        threads = list(_PENDING.values())
    for thread in threads:
        thread.join(timeout)
