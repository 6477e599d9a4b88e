"""Ingest benchmark: simulated members × days through the Cursor and Anthropic connectors over
real HTTP into SQLite and PostgreSQL, against the ceiling of bulk-inserting the same
already-normalised rows into the same database; plus peak memory for 30 and 90 days.

    .venv/bin/python bench/ingest.py                  # 1,000 members × 90 days (several minutes)
    .venv/bin/python bench/ingest.py --members 50 --days 10 --no-postgres   # a quick look
    .venv/bin/python bench/ingest.py --e2e            # the whole `aispend sync` command, timed
    .venv/bin/python bench/ingest.py --e2e --dlt      # ... beside the tuned dlt baseline

``--dlt`` runs the command and dlt_baseline.py (a tuned dlt ``rest_api`` pipeline over the same
simulator endpoints; needs ``.venv/bin/python -m pip install -e '.[bench]'``) interleaved,
cold, ``--repeat`` times each on each database, and prints their medians, the speed-up (dlt's
wall seconds over aispend's; target >= 2.0) and both tools' requests per endpoint.

``--e2e`` times the real command line, ``aispend sync --source cursor --source anthropic``, cold
(a fresh process, database and Dagster home) end to end (start-up, Dagster, fetch, write, marts):
wall time, CPU time, peak RSS, and the ratio to the bulk-insert ceiling of the same rows (the
ceiling's seconds over the command's; target >= 0.8). The simulator replays the bytes it served
a warm-up sync, so its own JSON generation does not count against the client; the load average
is printed beside every figure (on a shared machine wall time is inflated, CPU time less so).

The simulator runs in this process; each measurement runs in a fresh worker process and its
peak RSS is its own (VmHWM; the command's, with its forked children's, through a small launcher:
Linux carries ru_maxrss through execve, so a process started from this one would report this
one's peak). Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from statistics import median
from urllib.parse import urlsplit

from bench_db import drop_db, fresh_db  # noqa: E402
from dlt_baseline import INSTALL_HINT  # noqa: E402
from first_request import FOOTER, FirstRequest, column  # noqa: E402
from timed_commands import SOURCES, dlt_command, sync_command, warmed_simulator  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def worker(args: argparse.Namespace) -> None:
    """One measurement: mode 'stream' (fetch over HTTP and write) or 'ceiling' (write only)."""
    from connectors.contract import FetchBatch, FetchContext
    from connectors.registry import get_connector
    from warehouse import migrate
    from warehouse.engine import make_engine
    from warehouse.facts import replace_partition
    from warehouse.tenants import create_tenant

    config = json.loads(args.config)
    start = dt.date.fromisoformat(args.start)
    end = start + dt.timedelta(days=args.days - 1)
    engine = make_engine(args.url)
    migrate.upgrade(engine)
    tenant = create_tenant(engine, "bench")
    cls = get_connector(args.source)
    conn = cls()
    batches = conn.fetch(config, start, end, FetchContext())
    if args.mode == "ceiling":
        # Normalised rows gathered first (not timed): the ceiling is the database alone.
        gathered = list(batches)
        batches = [
            FetchBatch(usage=b.usage, activity=b.activity, accounts=b.accounts) for b in gathered
        ]
    t0, cpu0 = time.perf_counter(), time.process_time()
    result = replace_partition(
        engine,
        tenant.id,
        args.source,
        start,
        end,
        batches,
        source_type=cls.source_type,
        provider=cls.provider,
        run_id="bench",
    )
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    print(
        json.dumps({"rows": result.rows, "seconds": seconds, "cpu": cpu, "peak_mb": _own_peak_mb()})
    )


def _own_peak_mb() -> float:
    """This process's peak RSS since it started: VmHWM (ru_maxrss carries the peak of the
    process that started it through execve, here the benchmark holding the simulator)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(source: str, mode: str, url: str, config: dict, start: dt.date, days: int) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        "--source",
        source,
        "--mode",
        mode,
        "--url",
        url,
        "--config",
        json.dumps(config),
        "--start",
        start.isoformat(),
        "--days",
        str(days),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"worker failed ({source} {mode}): {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def e2e(args: argparse.Namespace, dbs: list[str]) -> None:

    start = dt.date(2026, 6, 1)
    print(
        f"aispend sync end to end: {args.members} members × {args.days} days, "
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores"
    )
    with warmed_simulator(args.members, start, args.days) as (sim, tmp, first):
        if args.dlt:  # dlt asks in bytes of its own (query order, JSON spacing): warm them too
            dlt_command(
                sim, "sqlite", fresh_db("sqlite", tmp), tmp, start, args.days, extract_only=True
            )
            return versus_dlt(sim, tmp, start, args, dbs, first)
        results = []
        for db in dbs:
            url = fresh_db(db, tmp)
            try:
                run = sync_command(sim, url, tmp, start, args.days, first=first)
            finally:
                drop_db(url)
            ceiling = 0.0
            for source in SOURCES:
                url = fresh_db(db, tmp)
                try:
                    measured = _measure(
                        source, "ceiling", url, sim.config(source), start, args.days
                    )
                finally:
                    drop_db(url)
                ceiling += measured["seconds"]
            results.append((db, run, ceiling))
        print(
            f"\n{'database':<9} {'rows':>10} {'first req s':>11} {'wall s':>7} {'cpu s':>7} "
            f"{'RSS MB':>7} {'ceiling s':>9} {'ratio':>6} {'load':>5}"
        )
        for db, run, ceiling in results:
            print(
                f"{db:<9} {run['rows']:>10,} {column(run['first_request'])} "
                f"{run['seconds']:>7.1f} {run['cpu']:>7.1f} {run['peak_mb']:>7.0f} "
                f"{ceiling:>9.1f} {ceiling / run['seconds']:>6.2f} {run['load']:>5.1f}"
            )
        print(
            "\ntarget: 2× faster than the tuned dlt baseline measured in the same run (--dlt); "
            f"ratio >= 0.80 (bulk-insert ceiling seconds / command seconds)\n{FOOTER}"
        )


def versus_dlt(
    sim, tmp: Path, start: dt.date, args: argparse.Namespace, dbs: list[str], first: FirstRequest
) -> None:
    """The aispend command beside the tuned dlt baseline, interleaved, cold, ``--repeat`` times
    each; medians, the speed-up (dlt's seconds over aispend's; target >= 2.0) and both tools'
    requests to the simulator per endpoint (the same pages, or the comparison is unfair)."""
    runs: dict[tuple[str, str], list[dict]] = {(db, t): [] for db in dbs for t in TOOLS}
    requests = count_requests(sim)
    for _ in range(args.repeat):
        for db in dbs:
            for tool in TOOLS:
                url = fresh_db(db, tmp)
                requests.clear()
                try:
                    if tool == "aispend":
                        run = sync_command(sim, url, tmp, start, args.days, first=first)
                    else:
                        run = dlt_command(sim, db, url, tmp, start, args.days, first=first)
                finally:
                    drop_db(url)
                run["requests"] = Counter(requests)
                runs[db, tool].append(run)
    print(
        f"\n{'database':<9} {'tool':<8} {'rows':>9} {'requests':>8} {'first req s':>11} "
        f"{'wall s':>7} {'cpu s':>7} {'RSS MB':>7} {'load':>5}   (medians of {args.repeat})"
    )
    med = {key: {k: median(r[k] for r in rs) for k in MEASURED} for key, rs in runs.items()}
    for (db, tool), m in med.items():
        asked = sum(runs[db, tool][-1]["requests"].values())
        print(
            f"{db:<9} {tool:<8} {m['rows']:>9,.0f} {asked:>8,} {column(m['first_request'])} "
            f"{m['seconds']:>7.1f} {m['cpu']:>7.1f} {m['peak_mb']:>7.0f} {m['load']:>5.1f}"
        )
    print("(rows: aispend's fact rows; dlt's raw JSON rows, child tables included)")
    print(FOOTER + "\n")
    for db in dbs:
        a, d = med[db, "aispend"], med[db, "dlt"]
        print(
            f"{db}: speed-up {d['seconds'] / a['seconds']:.2f}× wall, "
            f"{d['cpu'] / a['cpu']:.2f}× CPU (dlt / aispend; target >= 2.0 wall)"
        )
    print("\nrequests per endpoint (aispend / dlt, last run on each database):")
    for db in dbs:
        a, d = runs[db, "aispend"][-1]["requests"], runs[db, "dlt"][-1]["requests"]
        for endpoint in sorted(a.keys() | d.keys()):
            flag = "" if a[endpoint] == d[endpoint] else "   <-- differs"
            print(f"  {db:<9} {' '.join(endpoint):<56} {a[endpoint]:>6} {d[endpoint]:>6}{flag}")


def count_requests(sim) -> Counter:
    """Count every request the simulator answers by (method, path), replayed ones included
    (its ``requests_log`` records only those it generates)."""
    counts: Counter = Counter()
    lock = threading.Lock()
    respond = sim.respond

    def counting(method: str, target: str, headers: dict, raw: bytes):
        with lock:
            counts[method, urlsplit(target).path] += 1
        return respond(method, target, headers, raw)

    sim.respond = counting  # the HTTP handler calls sim.respond: this instance's wins
    return counts


TOOLS = ("aispend", "dlt")
MEASURED = ("rows", "first_request", "seconds", "cpu", "peak_mb", "load")


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--members", type=int, default=1000)
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--memory-days", default="30,90", help="day counts for the peak-memory rows")
    p.add_argument("--no-postgres", action="store_true")
    p.add_argument("--e2e", action="store_true", help="time the whole `aispend sync` command")
    p.add_argument("--dlt", action="store_true", help="--e2e beside the tuned dlt baseline")
    p.add_argument("--repeat", type=int, default=1, help="--dlt: interleaved runs of each")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--source"), p.add_argument("--mode"), p.add_argument("--url")
    p.add_argument("--config"), p.add_argument("--start")
    args = p.parse_args()
    if args.worker:
        return worker(args)

    dbs = ["sqlite"] + ([] if args.no_postgres else ["postgres"])
    if args.dlt and importlib.util.find_spec("dlt") is None:
        raise SystemExit(INSTALL_HINT)
    if args.e2e or args.dlt:
        return e2e(args, dbs)

    from connectors.simulator import Simulator

    memory_days = [int(d) for d in args.memory_days.split(",") if d]
    span = max([args.days, *memory_days])
    start = dt.date(2026, 6, 1)
    print(
        f"aispend ingest benchmark: {args.members} members × {args.days} days, python {sys.version.split()[0]}, {os.cpu_count()} cores"
    )
    with (
        Simulator(
            members=args.members, start=start, days=span, vendors=list(SOURCES), replay=True
        ) as sim,
        tempfile.TemporaryDirectory() as tmpdir,
    ):
        tmp = Path(tmpdir)
        # Each range asked for once, untimed: the measured runs get the bytes replayed, so the
        # simulator's JSON generation (in this process, on the same cores) is not the client's.
        for source in SOURCES:
            for days in sorted({args.days, *memory_days}):
                _measure(source, "stream", fresh_db("sqlite", tmp), sim.config(source), start, days)
        rows = []
        for source in SOURCES:
            config = sim.config(source)
            for db in dbs:
                measured = {}
                for mode in ("stream", "ceiling"):
                    url = fresh_db(db, tmp)
                    try:
                        measured[mode] = _measure(source, mode, url, config, start, args.days)
                    finally:
                        drop_db(url)
                    sim.requests_log.clear()
                s, c = measured["stream"], measured["ceiling"]
                s_rate, c_rate = s["rows"] / s["seconds"], c["rows"] / c["seconds"]
                rows.append(
                    (source, db, s["rows"], s["seconds"], s["cpu"], s_rate, c_rate, s_rate / c_rate)
                )
        print()
        print(
            f"{'source':<10} {'database':<9} {'rows':>9} {'seconds':>8} {'cpu s':>6} {'rows/s':>9} {'ceiling/s':>10} {'ratio':>6}"
        )
        for source, db, n, secs, cpu, s_rate, c_rate, ratio in rows:
            print(
                f"{source:<10} {db:<9} {n:>9,} {secs:>8.1f} {cpu:>6.1f} {s_rate:>9,.0f} {c_rate:>10,.0f} {ratio:>6.2f}"
            )
        print(
            "\ntarget: ratio >= 0.50 (fetch over HTTP + write, against write alone; the simulator replays)"
        )

        print(f"\n{'source':<10} {'days':>5} {'rows':>9} {'peak RSS MB':>12}   (SQLite, streaming)")
        for source in SOURCES:
            for days in memory_days:
                url = fresh_db("sqlite", tmp)
                m = _measure(source, "stream", url, sim.config(source), start, days)
                sim.requests_log.clear()
                print(f"{source:<10} {days:>5} {m['rows']:>9,} {m['peak_mb']:>12.0f}")
        print("target: peak memory does not grow with the number of days")


if __name__ == "__main__":
    main()
