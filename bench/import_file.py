"""File import benchmark: generated invoice/usage CSVs of 10,000 and 100,000 rows (and a FOCUS
file) through ``warehouse.file_imports.import_file`` into SQLite and PostgreSQL: seconds, rows
per second and peak memory, each measured in a fresh worker process (ru_maxrss is its own).

    .venv/bin/python bench/import_file.py                    # 10k and 100k rows, both databases
    .venv/bin/python bench/import_file.py --rows 20000 --no-postgres   # a quick look

Prints a table; asserts nothing. Flat memory means the 100k-row peak is close to the 10k one.
"CPU s" is the worker's own CPU time (this process; PostgreSQL's server time is not in it), so a
busy machine shows in "seconds" but not there.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_db import drop_db, fresh_db  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VENDORS = ("Windsurf", "Perplexity", "Mistral", "Groq", "Together")


def write_invoice_csv(path: Path, rows: int) -> None:
    rng = random.Random(rows)
    start = dt.date(2026, 1, 1)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Date", "Vendor", "Description", "Amount", "Invoice", "Email", "Tokens"])
        for i in range(rows):
            writer.writerow(
                [
                    (start + dt.timedelta(days=i % 300)).isoformat(),
                    VENDORS[i % len(VENDORS)],
                    f"usage line {i % 50}",
                    f"${rng.randint(1, 500_000) / 100:,.2f}",
                    f"INV-{i // 1000:05d}",
                    f"user{i % 400}@example.com",
                    rng.randint(0, 2_000_000),
                ]
            )


def write_focus_csv(path: Path, rows: int) -> None:
    """A FOCUS file as aispend exports it (one fact per row, its own columns)."""
    from warehouse.export import COLUMNS

    rng = random.Random(rows)
    start = dt.date(2026, 1, 1)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for i in range(rows):
            day = start + dt.timedelta(days=i % 300)
            cost = f"{rng.randint(0, 9_000_000) / 1_000_000:.6f}"
            writer.writerow(
                {
                    "BilledCost": cost,
                    "EffectiveCost": cost,
                    "ListCost": cost,
                    "BillingCurrency": "USD",
                    "ChargePeriodStart": f"{day}T00:00:00Z",
                    "ChargePeriodEnd": f"{day + dt.timedelta(days=1)}T00:00:00Z",
                    "ChargeCategory": "Usage",
                    "ProviderName": "Anthropic",
                    "ServiceName": "Claude API",
                    "SkuId": "claude-sonnet-4-5",
                    "x_Source": "anthropic",
                    "x_AccountKey": f"user{i % 400}@example.com",
                    "x_CostBasis": "billed",
                    "x_Confidence": "high",
                    "x_InputTokens": rng.randint(0, 100_000),
                    "x_OutputTokens": rng.randint(0, 10_000),
                    "x_ListCostFromBilled": "true",
                }
            )


def worker(args: argparse.Namespace) -> None:
    from warehouse import migrate
    from warehouse.actors import Actor
    from warehouse.engine import make_engine
    from warehouse.file_imports import import_file
    from warehouse.tenants import create_tenant

    engine = make_engine(args.url)
    migrate.upgrade(engine)
    tenant = create_tenant(engine, "bench")
    before = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    result = import_file(engine, tenant, Actor("bench", "admin"), Path(args.file))
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak_mb = after.ru_maxrss / 1024
    print(json.dumps({"facts": result.facts, "seconds": seconds, "cpu": cpu, "peak_mb": peak_mb}))


def _measure(url: str, file: Path) -> dict:
    cmd = [sys.executable, __file__, "--worker", "--url", url, "--file", str(file)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"worker failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--rows", default="10000,100000", help="row counts, comma-separated")
    p.add_argument("--no-postgres", action="store_true")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--url"), p.add_argument("--file")
    args = p.parse_args()
    if args.worker:
        return worker(args)

    counts = [int(n) for n in args.rows.split(",") if n]
    dbs = ["sqlite"] + ([] if args.no_postgres else ["postgres"])
    print(f"aispend file import benchmark, python {sys.version.split()[0]}, {os.cpu_count()} cores")
    print(
        f"\n{'file':<8} {'database':<9} {'rows':>8} {'MB':>6} {'seconds':>8} {'CPU s':>6} "
        f"{'rows/s':>8} {'peak RSS MB':>12}"
    )
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for kind, writer in (("invoice", write_invoice_csv), ("focus", write_focus_csv)):
            for rows in counts:
                file = tmp / f"{kind}-{rows}.csv"
                writer(file, rows)
                size_mb = file.stat().st_size / 1e6
                for db in dbs:
                    url = fresh_db(db, tmp)
                    try:
                        m = _measure(url, file)
                    finally:
                        drop_db(url)
                    print(
                        f"{kind:<8} {db:<9} {rows:>8,} {size_mb:>6.1f} {m['seconds']:>8.1f} "
                        f"{m['cpu']:>6.1f} "
                        f"{rows / m['seconds']:>8,.0f} {m['peak_mb']:>12.0f}"
                    )
    print("\ntarget: 100,000 rows in seconds; peak memory about the same for every row count")


if __name__ == "__main__":
    main()
