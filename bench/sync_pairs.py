"""Two installs of aispend compared on the same cold ``aispend sync``, back to back.

    .venv/bin/python bench/sync_pairs.py --baseline /path/to/other/.venv --members 20 --days 3

Runs the command of ``--baseline``'s venv and of this one alternately (``--pairs`` times on each
database; which goes first alternates too), each cold (a fresh process, database and home)
against one replaying simulator, and prints the medians and each pair's ratio (new / baseline)
of the seconds to the first request (``first_request.py``) and the CPU seconds used by then,
wall seconds and CPU seconds (the command and its children), with the load average. On a shared machine wall time is inflated;
pairs run back to back see the same load. Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from statistics import median

from bench_db import drop_db, fresh_db
from first_request import FOOTER
from timed_commands import sync_command, warmed_simulator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
KEYS = ("first_request", "first_request_cpu", "seconds", "cpu")


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--baseline", type=Path, required=True, help="the other install's venv")
    p.add_argument("--members", type=int, default=20)
    p.add_argument("--days", type=int, default=3)
    p.add_argument("--pairs", type=int, default=3)
    p.add_argument("--no-postgres", action="store_true")
    args = p.parse_args()
    venvs = {"baseline": args.baseline, "new": Path(sys.executable).parent.parent}
    dbs = ["sqlite"] + ([] if args.no_postgres else ["postgres"])
    start = dt.date(2026, 6, 1)
    runs: dict[tuple[str, str], list[dict]] = {(db, v): [] for db in dbs for v in venvs}
    with warmed_simulator(args.members, start, args.days) as (sim, tmp, first):
        for i in range(args.pairs):
            for db in dbs:
                for name in list(venvs)[:: 1 if i % 2 == 0 else -1]:
                    url = fresh_db(db, tmp)
                    try:
                        run = sync_command(
                            sim, url, tmp, start, args.days, first=first, venv=venvs[name]
                        )
                    finally:
                        drop_db(url)
                    runs[db, name].append(run)
                    print(
                        f"  pair {i + 1} {db:<8} {name:<8} first {run['first_request']:.2f} s "
                        f"({run['first_request_cpu']:.2f} s cpu)  "
                        f"wall {run['seconds']:.2f} s  cpu {run['cpu']:.2f} s  "
                        f"rows {run['rows']}  load {run['load']:.1f}",
                        flush=True,
                    )
    print(f"\naispend sync, {args.members} members × {args.days} days, medians of {args.pairs}")
    print(
        f"{'database':<9} {'install':<9} {'first req s':>11} {'(cpu s)':>7} {'wall s':>7} "
        f"{'cpu s':>7} {'load':>5}   new/baseline, median of pairs (first, its cpu, wall, cpu)"
    )
    for db in dbs:
        for name in venvs:
            rs = runs[db, name]
            m = {k: median(r[k] for r in rs) for k in (*KEYS, "load")}
            line = (
                f"{db:<9} {name:<9} {m['first_request']:>11.2f} {m['first_request_cpu']:>7.2f} "
                f"{m['seconds']:>7.2f} {m['cpu']:>7.2f} {m['load']:>5.1f}"
            )
            if name == "new":
                pairs = zip(runs[db, "baseline"], rs, strict=True)
                ratios = [[n[k] / b[k] for k in KEYS] for b, n in pairs]
                line += "   " + "  ".join(f"{median(r[j] for r in ratios):.2f}" for j in range(4))
            print(line)
    print(FOOTER)


if __name__ == "__main__":
    main()
