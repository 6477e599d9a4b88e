"""Launch a sync or backfill of one source through Dagster without waiting for it.

The dashboard's "Sync now", "Backfill" and "Refresh now" buttons call ``launch_sync``: it
checks the actor (admin only) and audits the launch, then starts a child process that runs
``pipelines.sync.run_sync`` for the range — one single-run backfill of ``ingest_<source>``
followed by the marts — on the Dagster instance at ``settings.dagster_home``, so the runs are
recorded there and show in the Dagster UI (tagged ``aispend/launch=<id>``). The page never
blocks; ``launch_state`` reports the child and its Dagster runs. ``launch_refresh`` launches
only the marts (the import page, after a file import), as the launch of source ``marts``.

    python -m pipelines.launch --launch-id ID --tenant SLUG --source NAME --start D --end D

is the child's command line (what ``launch_sync`` runs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from connectors.contract import Connector
from warehouse import audit
from warehouse.actors import Actor, require_admin
from warehouse.errors import InvalidInput, NotFound, UserError
from warehouse.settings import Settings
from warehouse.tenants import TenantRef

LAUNCH_TAG = "aispend/launch"
SOURCE_TAG = "aispend/source"
FINISHED = frozenset({"SUCCESS", "FAILURE", "CANCELED"})
MARTS = "marts"  # the source of a launch that only recomputes the marts (``launch_refresh``)


class AlreadyRunning(UserError):
    """A launched sync of the same tenant and source has not finished yet."""


@dataclass(frozen=True)
class LaunchedSync:
    launch_id: str
    tenant: str
    source: str
    start: dt.date
    end: dt.date
    log_path: Path


@dataclass(frozen=True)
class LaunchState:
    """``running`` while the child lives; then ``succeeded`` or ``failed`` (with its exit code)."""

    status: str
    exit_code: int | None
    runs: tuple[tuple[str, str], ...]  # (Dagster run id, status), oldest first
    log_tail: str


_CHILDREN: dict[tuple[str, str], tuple[LaunchedSync, subprocess.Popen]] = {}
_LOCK = threading.Lock()


def _connectors() -> Mapping[str, type[Connector]]:
    from connectors.registry import load_connectors

    return load_connectors()


def sync_now_range(
    settings: Settings, connector: type[Connector], today: dt.date | None = None
) -> tuple[dt.date, dt.date]:
    """What "Sync now" covers, from the connector's declaration: for input at rest (admin
    input, a folder) every day the input covers or the source's facts sit on, over the tenants
    the connector covers; for an API, the vendor's revision window up to today."""
    from pipelines.resources import engine_for
    from pipelines.sensors import sync_span
    from warehouse.connector_inputs import config_for, tenants_for
    from warehouse.facts import fact_span

    today = today or dt.datetime.now(dt.UTC).date()
    if not connector.schedule.watch_input:
        return today - dt.timedelta(days=max(connector.revision_window_days, 1)), today
    engine = engine_for(settings)
    spans = []
    for tenant in tenants_for(engine, connector):
        config = config_for(engine, settings.secret_keys, connector, tenant)
        days = sync_span(
            connector, connector().input_span(config), fact_span(engine, tenant.id, connector.name)
        )
        if days is not None:
            spans.append(days)
    if not spans:
        raise InvalidInput(f"{connector.provider}: nothing to sync yet (no input and no facts)")
    return min(s[0] for s in spans), max(s[1] for s in spans)


def launch_sync(
    settings: Settings,
    actor: Actor,
    tenant: TenantRef,
    *,
    source: str,
    start: dt.date,
    end: dt.date,
    connectors: Mapping[str, type[Connector]] | None = None,
    on_behalf_of: str | None = None,
) -> LaunchedSync:
    """Start syncing ``source`` for ``tenant`` over ``start..end`` through Dagster; returns at once.

    ``on_behalf_of``: the user whose page load asked for it when the system launches it (a
    stale-while-revalidate refresh), recorded in the audit event.

    Raises PermissionDenied for a viewer, ValueError for an unknown source or a range outside
    the source's partitions, AlreadyRunning when the same sync is still going.
    """
    from pipelines.sync import check_range

    require_admin(actor, "launching a sync", tenant)
    connectors = connectors if connectors is not None else _connectors()
    if source not in connectors:
        raise NotFound(f"unknown source {source!r}; registered: {', '.join(sorted(connectors))}")
    if end < start:
        raise InvalidInput(f"the range ends ({end}) before it starts ({start})")
    check_range(connectors[source], start, end)
    extra = {"on_behalf_of": on_behalf_of} if on_behalf_of else {}
    return _launch(settings, actor, tenant, "vendor.sync", source, start, end, **extra)


def launch_refresh(settings: Settings, actor: Actor, tenant: TenantRef) -> LaunchedSync:
    """Recompute the tenant's marts through Dagster without waiting (after a file import, whose
    facts no sync brings); followed like a sync, as the launch of source ``MARTS``."""
    require_admin(actor, "refreshing the marts", tenant)
    today = dt.datetime.now(dt.UTC).date()
    return _launch(settings, actor, tenant, "marts.refresh", MARTS, today, today)


def _launch(
    settings: Settings,
    actor: Actor,
    tenant: TenantRef,
    action: str,
    source: str,
    start: dt.date,
    end: dt.date,
    **detail: str,
) -> LaunchedSync:
    """Audit ``action`` and start the child process (one at a time per tenant and source)."""
    from pipelines.resources import engine_for
    from pipelines.setup_home import write_dagster_home

    with _LOCK:
        key = (tenant.slug, source)
        running = _CHILDREN.get(key)
        if running is not None and running[1].poll() is None:
            launched = running[0]
            raise AlreadyRunning(
                f"a sync of {source} ({launched.start}…{launched.end}) is still running"
            )
        launch_id = uuid.uuid4().hex[:12]
        audit.record_action(
            engine_for(settings),
            tenant,
            actor,
            action,
            source,
            start=start.isoformat(),
            end=end.isoformat(),
            launch_id=launch_id,
            **detail,
        )
        write_dagster_home(settings)
        logs = settings.dagster_home / "launches"
        logs.mkdir(parents=True, exist_ok=True)
        launched = LaunchedSync(
            launch_id, tenant.slug, source, start, end, logs / f"{launch_id}.log"
        )
        with launched.log_path.open("wb") as log:
            child = subprocess.Popen(
                _child_command(launched),
                env={**os.environ, **settings.to_env()},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _CHILDREN[key] = (launched, child)
        return launched


def is_running(tenant: TenantRef, source: str) -> bool:
    """Whether this server process launched a sync of (tenant, source) that has not finished."""
    with _LOCK:
        entry = _CHILDREN.get((tenant.slug, source))
    return entry is not None and entry[1].poll() is None


def in_flight_runs(settings: Settings, source: str) -> list[str]:
    """Ids of unfinished Dagster runs launched for ``source`` (by any server process)."""
    import dagster as dg

    from pipelines.dagster_sqlite import open_instance

    if not (settings.dagster_home / "dagster.yaml").exists():
        return []
    with open_instance(settings.dagster_home) as instance:
        runs = instance.get_runs(filters=dg.RunsFilter(tags={SOURCE_TAG: source}))
        return [r.run_id for r in runs if r.status.value not in FINISHED]


def _child_command(launched: LaunchedSync) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pipelines.launch",
        "--launch-id",
        launched.launch_id,
        "--tenant",
        launched.tenant,
        "--source",
        launched.source,
        "--start",
        launched.start.isoformat(),
        "--end",
        launched.end.isoformat(),
    ]


def launch_state(settings: Settings, launched: LaunchedSync) -> LaunchState:
    """How a launch is doing: its child process and the Dagster runs tagged with its id."""
    with _LOCK:
        entry = _CHILDREN.get((launched.tenant, launched.source))
    child = entry[1] if entry is not None and entry[0] == launched else None
    runs = tuple(launched_runs(settings, launched.launch_id))
    code = child.poll() if child is not None else None
    if child is not None:
        status = "running" if code is None else ("succeeded" if code == 0 else "failed")
    elif any(state not in FINISHED for _, state in runs):
        status = "running"  # launched by another server process: judge by its runs
    else:
        status = "succeeded" if runs and all(state == "SUCCESS" for _, state in runs) else "failed"
    return LaunchState(status, code, runs, _tail(launched.log_path))


def launched_runs(settings: Settings, launch_id: str) -> list[tuple[str, str]]:
    """(run id, status) of the Dagster runs a launch started, oldest first."""
    import dagster as dg

    from pipelines.dagster_sqlite import open_instance

    if not (settings.dagster_home / "dagster.yaml").exists():
        return []
    with open_instance(settings.dagster_home) as instance:
        runs = instance.get_runs(filters=dg.RunsFilter(tags={LAUNCH_TAG: launch_id}))
        return [(r.run_id, r.status.value) for r in reversed(runs)]


def _tail(path: Path, lines: int = 12) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def main(argv: list[str] | None = None) -> int:
    """The child: run the sync in this process on the persistent instance; 1 if a source failed."""
    from pipelines.sync import refresh_marts, run_sync

    parser = argparse.ArgumentParser(description="Run one launched aispend sync.")
    parser.add_argument("--launch-id", required=True)
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--start", required=True, type=dt.date.fromisoformat)
    parser.add_argument("--end", required=True, type=dt.date.fromisoformat)
    args = parser.parse_args(argv)
    tags = {LAUNCH_TAG: args.launch_id, SOURCE_TAG: args.source}
    if args.source == MARTS:
        rows = refresh_marts(Settings.from_env(), tenant=args.tenant, tags=tags)
        print(f"marts: {sum(rows.values())} rows", flush=True)
        return 0
    results = run_sync(
        Settings.from_env(),
        tenant=args.tenant,
        sources=[args.source],
        start=args.start,
        end=args.end,
        tags=tags,
    )
    for r in results:
        print(f"{r.source}: {r.rows} rows" if r.ok else f"{r.source}: FAILED {r.error}", flush=True)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
