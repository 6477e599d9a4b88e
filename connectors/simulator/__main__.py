"""``python -m connectors.simulator [--port 8700] [--seed 7] [--members 6] [--days 61]``."""

from __future__ import annotations

import argparse
import datetime as dt

from connectors.simulator.server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the aispend vendor simulator.")
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--members", type=int, default=6)
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2026, 9, 1))
    parser.add_argument("--days", type=int, default=61)
    parser.add_argument("--vendor", action="append", dest="vendors")
    args = parser.parse_args(argv)
    serve(
        port=args.port,
        seed=args.seed,
        members=args.members,
        start=args.start,
        days=args.days,
        vendors=args.vendors,
    )


if __name__ == "__main__":
    main()
