"""The warehouse's own reads of the fact tables, timed on two checkouts (a schema change must not
slow them): the partition delete of a sync, idle seats, the vendor_period mart, fact_span, the
accuracy check, daily spend, savings' tokens, the FOCUS export, a file import's delete.

    .venv/bin/python bench/fact_reads.py --base /work/main                  # 300 members × 120 days
    .venv/bin/python bench/fact_reads.py --base /work/main --members 50 --days 30 --plans

Each checkout gets a fresh database (migrated by it) seeded as ``bench/marts.py`` seeds it (six
sources of facts, cursor activity), plus a month of Copilot seat fees for every member; each
read runs in a worker process importing only that checkout: median seconds of 5 after one
warm-up (the delete rolled back each time). ``--plans`` prints each read's query plan
(EXPLAIN QUERY PLAN / EXPLAIN) on both. Prints the load average; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

from checkouts import checkouts, databases, parser, run_worker

START = dt.date(2026, 1, 1)


def _reads(engine, tenant, days: int) -> dict:
    """name -> (callable, SQL statement or None for its plan)."""
    from sqlalchemy import delete, func, select

    from pipelines.analytics import daily_spend
    from pipelines.savings import _tokens_by_member_model
    from warehouse import vendor_period
    from warehouse.export import focus_rows
    from warehouse.facts import fact_span
    from warehouse.idle_seats import idle_seat_query
    from warehouse.models import ActivityDay, UsageFact
    from warehouse.reconciliation import accuracy_report

    last = START + dt.timedelta(days=days - 1)
    week = last - dt.timedelta(days=6)
    month = (last.replace(day=1), last)
    f, a = UsageFact, ActivityDay
    delete_usage = delete(f).where(
        f.tenant_id == tenant.id, f.source == "cursor", f.charge_period_start.between(week, last)
    )
    delete_activity = delete(a).where(
        a.tenant_id == tenant.id, a.source == "cursor", a.day.between(week, last)
    )
    keys = (
        select(f.tenant_id, f.record_key, func.count())
        .where(f.source == "cursor", f.charge_period_start.between(week, last))
        .group_by(f.tenant_id, f.record_key)
        .having(func.count() > 1)
    )
    seats = idle_seat_query(tenant.id, *month)
    imported = delete(f).where(f.tenant_id == tenant.id, f.file_import_id == 1)

    def rolled_back(*statements):
        def run():
            with engine.connect() as conn:
                for s in statements:
                    conn.execute(s)
                conn.rollback()

        return run

    def rows(statement):
        def run():
            with engine.connect() as conn:
                conn.execute(statement).all()

        return run

    return {
        "partition delete (7 days)": (rolled_back(delete_usage, delete_activity), delete_usage),
        "activity delete (7 days)": (rolled_back(delete_activity), delete_activity),
        "file import delete": (rolled_back(imported), imported),
        "idle seats (a month)": (rows(seats), seats),
        "vendor_period": (lambda: vendor_period.compute(engine, tenant.id), None),
        "fact_span": (lambda: fact_span(engine, tenant.id, "cursor"), None),
        "record key check (7 days)": (rows(keys), keys),
        "accuracy report (7 days)": (lambda: accuracy_report(engine, "cursor", week, last), None),
        "daily_spend (28 days)": (
            lambda: daily_spend(engine, tenant.id, last - dt.timedelta(days=27), last),
            None,
        ),
        "savings tokens (a month)": (
            lambda: _tokens_by_member_model(engine, tenant.id, *month),
            None,
        ),
        "FOCUS export (a month)": (lambda: list(focus_rows(engine, tenant, *month)), None),
    }


def _plan(engine, statement) -> str:
    with engine.connect() as conn:
        sql = str(statement.compile(conn, compile_kwargs={"literal_binds": True}))
        prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
        rows = conn.exec_driver_sql(prefix + sql).all()
        conn.rollback()
    return "\n".join("    " + (str(r[-1]) if len(r) > 1 else str(r[0])) for r in rows)


def worker(args: argparse.Namespace) -> None:
    from marts import seed  # (puts this checkout first on sys.path: the worker's goes before it)

    sys.path.insert(0, args.repo)
    from warehouse import migrate
    from warehouse.engine import make_engine
    from warehouse.models import UsageFact
    from warehouse.tenants import get_tenant

    engine = make_engine(args.url)
    migrate.upgrade(engine)
    tenant_id, _ = seed(engine, args.members, args.days, START)
    last = START + dt.timedelta(days=args.days - 1)
    seat_days = [last.replace(day=1) + dt.timedelta(days=d) for d in range(last.day)]
    with engine.begin() as conn:
        conn.execute(
            UsageFact.__table__.insert(),
            [
                {
                    "tenant_id": tenant_id,
                    "source": "copilot",
                    "record_key": f"seat-{m}-{day}",
                    "account_key": f"user{m}@copilot",
                    "charge_period_start": day,
                    "charge_period_end": day + dt.timedelta(days=1),
                    "provider": "GitHub",
                    "service": "Copilot",
                    "sku": "seat",
                    "charge_category": "Purchase",
                    "billed_cost_micros": 633_333,
                    "consumed_quantity": 1,
                    "consumed_unit": "seat_days",
                    "cost_basis": "billed",
                    "source_type": "api",
                }
                for m in range(args.members)
                for day in seat_days
            ],
        )
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")
    tenant = get_tenant(engine, "bench")
    out = {}
    for name, (run, statement) in _reads(engine, tenant, args.days).items():
        run()
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            run()
            times.append(time.perf_counter() - t0)
        plan = _plan(engine, statement) if args.plans and statement is not None else ""
        out[name] = {"seconds": median(times), "plan": plan}
    engine.dispose()
    print(json.dumps(out))


def main() -> None:
    p = parser(__doc__, members=300, days=120)
    p.add_argument("--plans", action="store_true", help="print each read's query plan")
    args = p.parse_args()
    if args.worker:
        return worker(args)
    repos = checkouts(p, args)
    print(f"fact reads: {args.members} members × {args.days} days, load {os.getloadavg()}")
    options = ["--members", str(args.members), "--days", str(args.days)]
    options += ["--plans"] if args.plans else []
    with tempfile.TemporaryDirectory() as folder:
        for db in databases(args):
            measured = {
                name: run_worker(__file__, repo, db, Path(folder), options)
                for name, repo in repos.items()
            }
            print(f"\n{db} (load {os.getloadavg()[0]:.2f})")
            print(f"  {'read':<28} {'base ms':>9} {'new ms':>9}")
            for read, base in measured["base"].items():
                new = measured["new"][read]
                print(f"  {read:<28} {base['seconds'] * 1000:>9.1f} {new['seconds'] * 1000:>9.1f}")
                if args.plans and base["plan"]:
                    print(f"  base plan:\n{base['plan']}\n  new plan:\n{new['plan']}")


if __name__ == "__main__":
    main()
