"""Runs killed mid-way: an in-process run (``aispend sync``, the demo, a dashboard launch) is
tagged with the host and pid of the process running it; if that process is gone, nothing will
ever finish the run. ``fail_orphaned_runs`` marks such runs FAILURE (with the reason), so the
Dagster UI does not show them STARTED forever. ``run_sync`` and ``aispend serve`` call it when
they start."""

from __future__ import annotations

import os
import socket

import dagster as dg

HOST_TAG = "aispend/host"
PID_TAG = "aispend/pid"
_UNFINISHED = [
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.NOT_STARTED,
]


def process_tags() -> dict[str, str]:
    """Tags naming this process, for the runs it executes in-process."""
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fail_orphaned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark FAILURE every unfinished run of this host whose process no longer exists; returns
    their run ids."""
    host = socket.gethostname()
    failed = []
    runs = instance.get_runs(
        filters=dg.RunsFilter(statuses=_UNFINISHED, tags={HOST_TAG: host}), limit=100
    )
    for run in runs:
        pid = run.tags.get(PID_TAG, "")
        if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        instance.report_run_failed(
            run, message=f"The process running this run (pid {pid}) is gone: killed mid-way."
        )
        failed.append(run.run_id)
    return failed
