"""Connector CPU benchmark: what fetching, parsing and normalising costs the client, per source.

    .venv/bin/python bench/parse.py                        # 1,000 members × 90 days
    .venv/bin/python bench/parse.py --members 200 --days 30
    .venv/bin/python bench/parse.py --profile cursor       # cProfile of one source, top 25
    .venv/bin/python bench/parse.py --gc sync              # under ``aispend sync``'s collector

The simulator runs in a child process and replays the bytes it served a warm-up fetch, so the
CPU seconds measured here (``time.process_time`` of this process) are the connector's alone:
HTTP client, JSON, payload checks and aggregation into records. Nothing is written to a
database. Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SOURCES = ("cursor", "anthropic")
START = dt.date(2026, 6, 1)

_SERVE = """
import datetime as dt, json, sys
from connectors.simulator import Simulator
sim = Simulator(members={members}, start=dt.date.fromisoformat("{start}"), days={days},
                vendors={sources!r}, replay=True).start()
print(json.dumps({{s: sim.config(s) for s in {sources!r}}}), flush=True)
sys.stdin.read()
"""


def _fetch(source: str, config: dict, days: int) -> tuple[int, int, float, float]:
    """One fetch of ``source``: (usage records, activity records, CPU s, wall s)."""
    from connectors.contract import FetchContext
    from connectors.registry import get_connector

    conn = get_connector(source)()
    end = START + dt.timedelta(days=days - 1)
    usage = activity = 0
    cpu, wall = time.process_time(), time.perf_counter()
    for batch in conn.fetch(config, START, end, FetchContext()):
        usage += len(batch.usage)
        counted = getattr(batch, "activity_count", None)  # older commits: records only
        activity += counted() if counted else len(batch.activity)
    return usage, activity, time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--members", type=int, default=1000)
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--repeat", type=int, default=2, help="measured fetches per source (best kept)")
    p.add_argument("--profile", choices=SOURCES, help="cProfile one source, print the top 25")
    p.add_argument(
        "--gc",
        choices=("default", "sync"),
        default="default",
        help="sync: measure under the collector settings aispend sync uses "
        "(gc.freeze, young threshold 50,000: pipelines/cli/data.py)",
    )
    args = p.parse_args()
    sources = [args.profile] if args.profile else list(SOURCES)
    code = _SERVE.format(members=args.members, start=START, days=args.days, sources=sources)
    server = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT
    )
    try:
        assert server.stdout is not None
        configs = json.loads(server.stdout.readline())
        print(
            f"connector CPU: {args.members} members × {args.days} days, "
            f"python {sys.version.split()[0]}, gc {args.gc}, load {os.getloadavg()[0]:.1f}"
        )
        for source in sources:
            _fetch(source, configs[source], args.days)  # warm-up: the simulator records bytes
        if args.gc == "sync":
            import gc

            gc.freeze()
            gc.set_threshold(50_000, 50, 100)
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            _fetch(args.profile, configs[args.profile], args.days)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
            return
        print(f"\n{'source':<10} {'usage':>9} {'activity':>10} {'cpu s':>7} {'wall s':>7}")
        for source in sources:
            runs = [_fetch(source, configs[source], args.days) for _ in range(args.repeat)]
            usage, activity, cpu, wall = min(runs, key=lambda r: r[2])
            print(f"{source:<10} {usage:>9,} {activity:>10,} {cpu:>7.2f} {wall:>7.2f}")
    finally:
        server.stdin.close()  # type: ignore[union-attr]
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
