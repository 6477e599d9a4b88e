"""A dump of every batch a connector yields, to prove a parsing change gives the same facts.

    .venv/bin/python bench/batch_dump.py                      # 40 members × 65 days, digests
    .venv/bin/python bench/batch_dump.py --out /tmp/dump      # also writes <source>.txt there
    .venv/bin/python bench/batch_dump.py --members 1000 --days 90

Runs the simulator (with its quirks: string timestamps, omitted counts, service accounts…)
and prints, per source, the SHA-256 of a text dump of every batch in order: each record's
``repr`` (every field, ``Decimal('2.50')`` distinct from ``Decimal('2.5')``), activity as one
``ActivityRecord`` per metric whatever shape the connector yielded it in. Run it on two
commits: equal digests mean byte-identical batches.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SOURCES = ("cursor", "anthropic")


def dump_lines(batches) -> list[str]:
    from connectors.contract import ActivityRecord

    lines: list[str] = []
    for n, batch in enumerate(batches):
        lines.append(f"batch {n}")
        lines.extend(repr(r) for r in batch.usage)
        lines.extend(repr(r) for r in batch.activity)
        for group in getattr(batch, "activity_days", ()):  # the grouped shape, flattened
            lines.extend(
                repr(ActivityRecord(group.day, group.account_key, metric, value))
                for metric, value in group.metrics.items()
            )
        for name in ("accounts", "vendor_totals", "reconciliation"):
            lines.extend(repr(r) for r in getattr(batch, name))
    return lines


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--members", type=int, default=40)
    p.add_argument("--days", type=int, default=65)
    p.add_argument("--out", type=Path, help="write <source>.txt dumps into this folder")
    args = p.parse_args()

    from connectors.contract import FetchContext
    from connectors.registry import get_connector
    from connectors.simulator import Simulator

    start = dt.date(2026, 6, 1)
    with Simulator(members=args.members, start=start, days=args.days, vendors=SOURCES) as sim:
        for source in SOURCES:
            ctx = FetchContext(today=sim.today)
            batches = get_connector(source)().fetch(sim.config(source), start, sim.end_day, ctx)
            text = "\n".join(dump_lines(batches)) + "\n"
            digest = hashlib.sha256(text.encode()).hexdigest()
            print(f"{source:<10} {text.count(chr(10)):>9,} lines  sha256 {digest}")
            if args.out:
                args.out.mkdir(parents=True, exist_ok=True)
                (args.out / f"{source}.txt").write_text(text)


if __name__ == "__main__":
    main()
