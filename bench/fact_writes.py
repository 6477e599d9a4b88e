"""What writing the facts costs: client CPU and PostgreSQL backend CPU of one partition write
of already-fetched batches, for two checkouts run alternately (schema or write-path changes).

    .venv/bin/python bench/fact_writes.py --base /work/main             # 1,000 members × 90 days
    .venv/bin/python bench/fact_writes.py --base /work/main --members 50 --days 10 --repeat 1

The simulator's batches for each source are fetched once and pickled (not timed). Then, per
database and source, ``--repeat`` pairs: a fresh database migrated by the base checkout, the
batches written by its ``replace_partition``; the same with this checkout. Each write runs in a
fresh worker process importing only that checkout. Measured per write: wall seconds, the
worker's CPU seconds (process time) and, on PostgreSQL, the CPU of the server backend that
wrote (``/proc/<pg_backend_pid()>/stat`` utime+stime around the write on the same pooled
connection). Every write also prints a digest of the stored rows (every column of
``usage_facts`` and ``activity_days`` but the write time ``ingested_at``, in ``id`` order): equal
digests across checkouts mean identical facts. Prints medians and the load average; asserts
nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import hashlib
import json
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

from checkouts import checkouts, databases, parser, run_worker

SOURCES = ("cursor", "anthropic")
START = dt.date(2026, 6, 1)
TICKS = os.sysconf("SC_CLK_TCK")


def _backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def _digest(engine) -> str:
    from sqlalchemy import text

    h = hashlib.sha256()
    with engine.connect() as conn:
        for table in ("usage_facts", "activity_days"):
            names = list(conn.execute(text(f"select * from {table} where 1 = 0")).keys())
            cols = [c for c in names if c != "ingested_at"]
            for row in conn.execute(text(f"select {', '.join(cols)} from {table} order by id")):
                h.update(repr(tuple(str(v) for v in row)).encode())
    return h.hexdigest()[:16]


def worker(args: argparse.Namespace) -> None:
    sys.path.insert(0, args.repo)
    from sqlalchemy import text

    from connectors.registry import get_connector
    from warehouse import migrate
    from warehouse.engine import make_engine
    from warehouse.facts import replace_partition
    from warehouse.tenants import create_tenant

    batches = pickle.loads(Path(args.pickle).read_bytes())
    engine = make_engine(args.url)
    migrate.upgrade(engine)
    tenant = create_tenant(engine, "bench")
    cls = get_connector(args.source)
    pg = engine.dialect.name == "postgresql"
    pid = None
    if pg:
        with engine.connect() as conn:
            pid = conn.execute(text("select pg_backend_pid()")).scalar_one()
        backend0 = _backend_cpu(pid)
    gc.collect()  # the migration's garbage (a rebuild reflects tables) is no write's cost
    cpu0, t0 = time.process_time(), time.perf_counter()
    result = replace_partition(
        engine,
        tenant.id,
        args.source,
        START,
        START + dt.timedelta(days=args.days - 1),
        batches,
        source_type=cls.source_type,
        provider=cls.provider,
        run_id="bench",
    )
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    backend = None
    if pg:
        backend = _backend_cpu(pid) - backend0
        with engine.connect() as conn:  # the write ran on the one pooled connection
            assert conn.execute(text("select pg_backend_pid()")).scalar_one() == pid
    out = {"rows": result.rows, "wall": seconds, "cpu": cpu, "backend": backend, "pid": pid}
    out["digest"] = _digest(engine)
    engine.dispose()
    print(json.dumps(out))


def gather(members: int, days: int, folder: Path) -> dict[str, Path]:
    """Every source's batches for ``members`` × ``days``, pickled (fetched over HTTP once)."""
    from connectors.contract import FetchBatch, FetchContext
    from connectors.registry import get_connector
    from connectors.simulator import Simulator

    paths = {}
    with Simulator(members=members, start=START, days=days, vendors=list(SOURCES)) as sim:
        for source in SOURCES:
            end = START + dt.timedelta(days=days - 1)
            fetched = get_connector(source)().fetch(sim.config(source), START, end, FetchContext())
            batches = [
                FetchBatch(
                    usage=b.usage,
                    activity=b.activity,
                    activity_days=b.activity_days,
                    accounts=b.accounts,
                )
                for b in fetched
            ]
            paths[source] = folder / f"{source}.pickle"
            paths[source].write_bytes(pickle.dumps(batches, protocol=pickle.HIGHEST_PROTOCOL))
    return paths


def main() -> None:
    p = parser(__doc__, members=1000, days=90)
    p.add_argument("--repeat", type=int, default=3, help="pairs per database and source")
    (
        p.add_argument("--source", help=argparse.SUPPRESS),
        p.add_argument("--pickle", help=argparse.SUPPRESS),
    )
    args = p.parse_args()
    if args.worker:
        return worker(args)
    repos = checkouts(p, args)
    sys.path.insert(0, repos["new"])
    print(f"fact writes: {args.members} members × {args.days} days, load {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        pickles = gather(args.members, args.days, tmp)
        for db in databases(args):
            for source in SOURCES:
                runs: dict[str, list[dict]] = {"base": [], "new": []}
                options = ["--source", source, "--pickle", str(pickles[source])]
                options += ["--days", str(args.days)]
                for _ in range(args.repeat):
                    for name, repo in repos.items():
                        m = run_worker(__file__, repo, db, tmp, options)
                        runs[name].append(m)
                        print(f"  {db} {source} {name}: {m} load {os.getloadavg()[0]:.2f}")
                for name, ms in runs.items():
                    backend = [m["backend"] for m in ms if m["backend"] is not None]
                    print(
                        f"{db:<9} {source:<10} {name:<5} rows {ms[0]['rows']:>9,}"
                        f"  wall {median(m['wall'] for m in ms):6.2f}"
                        f"  cpu {median(m['cpu'] for m in ms):6.2f}"
                        + (f"  backend {median(backend):6.2f}" if backend else "")
                        + f"  digests {sorted({m['digest'] for m in ms})}"
                    )


if __name__ == "__main__":
    main()
