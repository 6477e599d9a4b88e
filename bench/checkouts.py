"""Two checkouts side by side: a benchmark's worker run in a fresh process importing only one
checkout (its own .venv's Python when it has one), on a throw-away database of each kind."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from bench_db import drop_db, fresh_db

THIS = str(Path(__file__).resolve().parent.parent)


def parser(doc: str, members: int, days: int) -> argparse.ArgumentParser:
    """The options every two-checkout benchmark takes (``--worker``/``--repo``/``--url`` are
    the worker's own)."""
    p = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--base", help="the checkout to compare with (required)")
    p.add_argument("--members", type=int, default=members)
    p.add_argument("--days", type=int, default=days)
    p.add_argument("--no-postgres", action="store_true")
    p.add_argument("--no-sqlite", action="store_true")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    (
        p.add_argument("--repo", help=argparse.SUPPRESS),
        p.add_argument("--url", help=argparse.SUPPRESS),
    )
    return p


def checkouts(p: argparse.ArgumentParser, args: argparse.Namespace) -> dict[str, str]:
    if not args.base:
        p.error("--base is required")
    return {"base": str(Path(args.base).resolve()), "new": THIS}


def databases(args: argparse.Namespace) -> list[str]:
    return ([] if args.no_sqlite else ["sqlite"]) + ([] if args.no_postgres else ["postgres"])


def run_worker(script: str, repo: str, db: str, tmp: Path, options: list[str]) -> dict:
    """``script --worker`` for ``repo`` on a fresh ``db`` database: the JSON it prints last."""
    url = fresh_db(db, tmp)
    own = Path(repo) / ".venv" / "bin" / "python"
    cmd = [str(own) if own.exists() else sys.executable, script, "--worker", "--repo", repo]
    try:
        out = subprocess.run(
            [*cmd, "--url", url, *options], capture_output=True, text=True, cwd=repo
        )
        if out.returncode != 0:
            raise SystemExit(f"worker failed ({repo} {db} {options}): {out.stderr[-3000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        drop_db(url)
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
