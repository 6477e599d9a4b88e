"""What writing facts costs the client on PostgreSQL: COPY formatted per chunk vs row by row.

    .venv/bin/python bench/pg_copy.py                       # 300 members × 90 days, 3 pairs
    .venv/bin/python bench/pg_copy.py --members 1000 --pairs 5

Fetches every source's batches once from the simulator (held in memory), then writes them
with ``replace_partition`` into fresh PostgreSQL databases, alternately through psycopg's
``write_row`` (the per-row path, as before) and through ``warehouse.copy_text`` (one text per
chunk). Prints, per write, the client's CPU seconds (this process), the server backend's CPU
seconds (``/proc/<pid>/stat`` of the connection's backend: same machine only) and a SHA-256 of
every stored usage_facts and activity_days column but id and ingested_at: equal digests mean
identical stored facts. Asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

SOURCES = ("cursor", "anthropic")
START = dt.date(2026, 6, 1)
_SKIP = ("id", "ingested_at")


def stored_digest(engine) -> str:
    """SHA-256 of every usage_facts and activity_days row's columns (but id, ingested_at) as
    PostgreSQL's text of them, in a fixed order."""
    from sqlalchemy import text

    from warehouse.models import ActivityDay, UsageFact

    digest = hashlib.sha256()
    with engine.connect() as conn:
        for table, order in (
            (UsageFact.__table__, "tenant_id, record_key"),
            (ActivityDay.__table__, "tenant_id, source, account_key, day"),
        ):
            names = [c.name for c in table.c if c.name not in _SKIP]
            columns = ", ".join(f"CAST({n} AS TEXT)" for n in names)
            rows = conn.execute(text(f"SELECT {columns} FROM {table.name} ORDER BY {order}"))
            for row in rows:
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()[:16]


def _backend_cpu(conn) -> float:
    from sqlalchemy import text

    pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def write_all(url: str, fetched: dict, per_row: bool) -> tuple[float, float, str]:
    """Writes every source's batches into ``url``; (client CPU s, backend CPU s, digest)."""
    from sqlalchemy import insert

    from warehouse import copy_text, migrate
    from warehouse.engine import make_engine
    from warehouse.facts import replace_partition
    from warehouse.models import Tenant

    engine = make_engine(url)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        tenant = conn.execute(
            insert(Tenant).values(slug="t", name="t").returning(Tenant.id)
        ).scalar_one()
    original = copy_text.CopyText.__init__

    def init(self, raw):
        original(self, raw)
        self.usable = self.usable and not per_row

    copy_text.CopyText.__init__ = init
    client = server = 0.0
    try:
        for source, (end, batches) in fetched.items():
            with engine.connect() as conn:  # the pool hands replace_partition this backend
                before = _backend_cpu(conn)
            c0 = time.process_time()
            replace_partition(
                engine, tenant, source, START, end, batches,
                source_type="api", provider=source, run_id="bench",
            )  # fmt: skip
            client += time.process_time() - c0
            with engine.connect() as conn:
                server += _backend_cpu(conn) - before
    finally:
        copy_text.CopyText.__init__ = original
    digest = stored_digest(engine)
    engine.dispose()
    return client, server, digest


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--members", type=int, default=300)
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--pairs", type=int, default=3)
    args = p.parse_args()

    from bench_db import drop_db, fresh_db

    from connectors.contract import FetchContext
    from connectors.registry import get_connector
    from connectors.simulator import Simulator

    fetched = {}
    with Simulator(members=args.members, start=START, days=args.days, vendors=SOURCES) as sim:
        for source in SOURCES:
            ctx = FetchContext(today=sim.today)
            batches = list(
                get_connector(source)().fetch(sim.config(source), START, sim.end_day, ctx)
            )
            fetched[source] = (sim.end_day, batches)
            usage = sum(len(b.usage) for b in batches)
            print(f"{source}: {len(batches)} batches, {usage:,} usage records")
    results: dict[str, list[tuple[float, float, str]]] = {"per row": [], "per chunk": []}
    for _ in range(args.pairs):
        for name in results:
            url = fresh_db("postgres", Path("."))
            try:
                result = write_all(url, fetched, per_row=name == "per row")
            finally:
                drop_db(url)
            results[name].append(result)
            print(f"{name:<10} client {result[0]:6.2f}s  backend {result[1]:6.2f}s  "
                  f"digest {result[2]}  load {os.getloadavg()[0]:.2f}")  # fmt: skip
    print("\nmedians            client CPU   backend CPU   digests")
    for name, runs in results.items():
        client = statistics.median(r[0] for r in runs)
        server = statistics.median(r[1] for r in runs)
        print(f"{name:<18} {client:9.2f}s  {server:11.2f}s   {sorted({r[2] for r in runs})}")


if __name__ == "__main__":
    main()
