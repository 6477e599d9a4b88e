"""Commands timed cold for the ingest benchmark (``bench/ingest.py --e2e``): the real
``aispend sync`` of both sources, and the tuned dlt baseline (``dlt_baseline.py``), each in a
fresh process started by a small launcher that reports its wall time, CPU time and peak RSS."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from bench_db import fresh_db
from first_request import FirstRequest

SOURCES = ("cursor", "anthropic")


def _cli_env(url: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AISPEND_", "DAGSTER_"))}
    env.update(
        AISPEND_HOME=str(home), AISPEND_DATABASE_URL=url, AISPEND_ADMIN_PASSWORD="bench-pass-123"
    )
    return env


def _aispend(env: dict[str, str], *args: str, bin_dir: Path | None = None) -> None:
    cmd = [str((bin_dir or Path(sys.executable).parent) / "aispend"), *args]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"aispend {args[0]} failed: {out.stderr[-2000:]}")


@contextlib.contextmanager
def warmed_simulator(members: int, start: dt.date, days: int) -> Iterator[tuple]:
    """(a replaying simulator of both sources, a temporary folder, its ``FirstRequest``), the
    replay warmed by one sync so that the timed ones are served the bytes it was."""
    from connectors.simulator import Simulator

    with (
        Simulator(
            members=members, start=start, days=days, vendors=list(SOURCES), replay=True
        ) as sim,
        tempfile.TemporaryDirectory() as tmpdir,
    ):
        tmp = Path(tmpdir)
        first = FirstRequest(sim)
        sync_command(sim, fresh_db("sqlite", tmp), tmp, start, days)
        yield sim, tmp, first


def sync_command(
    sim,
    url: str,
    tmp: Path,
    start: dt.date,
    days: int,
    *,
    first: FirstRequest | None = None,
    venv: Path | None = None,
) -> dict:
    """Time ``aispend sync`` of both sources into ``url``, cold: a fresh home and process.
    ``first`` (armed once the home is set up) adds "first_request": seconds from launching the
    command to the simulator's first request. ``venv``: whose ``aispend`` (default: this one's)."""
    bin_dir = (venv / "bin") if venv is not None else Path(sys.executable).parent
    env = _cli_env(url, tmp / f"home-{uuid.uuid4().hex[:8]}")
    _aispend(env, "init", bin_dir=bin_dir)
    for source in SOURCES:
        config = dict(sim.config(source))
        args = ["vendor", "configure", source, "--base-url", config.pop("base_url")]
        for key, value in config.items():
            args += ["--set", f"{key}={value}"]
        _aispend(env, *args, bin_dir=bin_dir)
    end = start + dt.timedelta(days=days - 1)
    sources = [arg for source in SOURCES for arg in ("--source", source)]
    cmd = [str(bin_dir / "aispend"), "sync", *sources]
    cmd += ["--start", start.isoformat(), "--end", end.isoformat(), "--json"]
    timed, summary = _timed(cmd, env, "aispend sync", first)
    return {**timed, "rows": sum(s["rows"] for s in summary["sources"])}


def dlt_command(
    sim,
    db: str,
    url: str,
    tmp: Path,
    start: dt.date,
    days: int,
    *,
    extract_only: bool = False,
    first: FirstRequest | None = None,
) -> dict:
    """Time the tuned dlt baseline (dlt_baseline.py) of both sources into ``url``, cold: a
    fresh process and pipeline directory (``first``: as for ``sync_command``)."""
    configs = json.dumps({source: sim.config(source) for source in SOURCES})
    workdir = tmp / f"dlt-{uuid.uuid4().hex[:8]}"
    cmd = [sys.executable, str(Path(__file__).parent / "dlt_baseline.py"), "--db", db]
    cmd += ["--url", url, "--configs", configs, "--start", start.isoformat()]
    cmd += ["--days", str(days), "--workdir", str(workdir)] + ["--extract-only"] * extract_only
    timed, summary = _timed(cmd, dict(os.environ), "dlt baseline", first)
    return {**timed, "rows": summary["rows"]}


def _timed(
    cmd: list[str], env: dict[str, str], what: str, first: FirstRequest | None = None
) -> tuple[dict, dict]:
    """Run ``cmd``: its wall time, CPU time, peak RSS and load average, and its JSON output;
    with ``first``, also "first_request" (seconds from its launch to its first request)."""
    with tempfile.TemporaryFile() as err:
        # Started by a small fresh process, not this one: Linux carries a process's peak RSS
        # through execve, so a command started from here (the simulator holds the replayed
        # bytes: ~480 MB at 1,000 x 90) reported this process's peak as its own.
        timer = subprocess.Popen(
            [sys.executable, "-c", _TIMED, *cmd], env=env, stdout=subprocess.PIPE, stderr=err
        )
        if first is not None:
            first.arm(root=timer.pid)
        timed = json.loads(timer.communicate()[0])
        if timed["returncode"] != 0:
            err.seek(0)
            raise SystemExit(f"{what} failed: {err.read()[-2000:].decode(errors='replace')}")
    measured = {k: timed[k] for k in ("seconds", "cpu", "peak_mb", "launched")}
    if first is not None:
        measured["first_request_cpu"] = first.cpu()
        measured["first_request"] = first.seconds_since(timed["launched"])
    return {**measured, "load": os.getloadavg()[0]}, json.loads(timed["stdout"])


# Runs argv[1:], then prints its wall time, CPU time and peak RSS (with its children's: wait4),
# and the wall-clock time just before starting it ("launched", for the first request's delay).
_TIMED = """
import json, os, subprocess, sys, time
launched = time.time()
t0 = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, text=True)
stdout = child.stdout.read()
_, status, usage = os.wait4(child.pid, 0)
print(json.dumps({
    "stdout": stdout, "seconds": time.perf_counter() - t0,
    "returncode": os.waitstatus_to_exitcode(status),
    "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024,
    "launched": launched,
}))
"""
