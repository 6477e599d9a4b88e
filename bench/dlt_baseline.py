"""The speed baseline of aispend issue 10: a dlt ``rest_api`` pipeline over the endpoints that
``aispend sync --source cursor --source anthropic`` reads, loading the raw JSON rows (no
attribution) into SQLite (dlt's ``sqlalchemy`` destination) or PostgreSQL (``postgres``).

dlt is a bench-only extra, never installed by ``.ci/install`` or CI:

    .venv/bin/python -m pip install -e '.[bench]'

``bench/ingest.py --e2e --dlt`` starts this script cold (a fresh process, database and pipeline
directory) beside the aispend command against the same replaying simulator and prints both.
Run alone it prints one JSON line: the rows it loaded per table.

It asks for exactly the pages aispend asks for: Cursor's members, then usage events (1,000 a
page) and daily usage (100 users a page) per 30-day window; Anthropic's users and API keys
(1,000 a page), the usage (grouped by API key and model) and cost (by description) reports
per window of at most 31 day buckets, and the Claude Code report per day (1,000 a page).

Tuned per dlt's performance guide ("Optimizing dlt", docs/reference/performance); knobs in
``KNOBS`` and ``DB_KNOBS`` (one already set in the environment wins, to try another), chosen
by measuring dlt alone at 200 members x 90 days on this 2-core machine (CPU seconds, SQLite /
PostgreSQL; one run each, the machine shared):

- every endpoint is a ``parallelized`` resource (one per window), extracted round-robin
  (``next_item_mode``, the default, which parallel extraction needs) by the thread pool's 5
  workers: requests overlap the simulator's replies instead of waiting one by one;
- resources yield whole pages (``rest_api`` does) and JSON goes through orjson (dlt's default
  when installed; it is an aispend dependency);
- item buffers raised from 5,000 to 100,000 items and gzip of the intermediary and load files
  off (they never leave this machine): with dlt's defaults for these and the two below,
  27.7 s -> 21.3 s CPU on SQLite;
- normalize in the main process (``workers`` 1, dlt's default): a pool of 2 (the guide's
  parallel normalize, with extract files rotated every 50,000 items) cost more than it saved
  on 2 shared cores (24.8 s vs 21.3 s CPU on SQLite, 17.1 s vs 16.3 s on PostgreSQL);
- load files rotated every 50,000 items on PostgreSQL, so the loader's 20 threads COPY several
  files of a table at once (36.7 s vs 46.9 s wall, same CPU); on SQLite, which has one writer
  at a time, no rotation (23.3 s vs 21.3 s CPU with it) and one load worker;
- the load format each destination loads fastest: ``csv`` on PostgreSQL (COPY; 17.1 s vs
  20.2 s CPU for ``insert_values``), ``typed-jsonl`` on SQLite (``parquet``: 25.7 s vs 24.8 s);
- ``max_table_nesting`` stays dlt's default: nested lists (a report's day buckets -> results,
  a Claude Code record's model breakdown) become child tables, the "raw JSON rows".
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys

INSTALL_HINT = "dlt is not installed: .venv/bin/python -m pip install -e '.[bench]'"

KNOBS = {
    "RUNTIME__DLTHUB_TELEMETRY": "false",  # no network beyond the simulator
    "RUNTIME__LOG_LEVEL": "WARNING",
    "EXTRACT__NEXT_ITEM_MODE": "round_robin",
    "EXTRACT__WORKERS": "5",
    "DATA_WRITER__BUFFER_MAX_ITEMS": "100000",
    "DATA_WRITER__DISABLE_COMPRESSION": "true",
    "NORMALIZE__WORKERS": "1",
}
# PostgreSQL COPYs rotated load files in parallel (dlt's 20 load workers); SQLite has one
# writer at a time: one load worker, files not rotated (parallel jobs only wait on its lock,
# and at 1,000 x 90 on a busy machine they waited past its timeout: "database is locked").
DB_KNOBS = {
    "sqlite": {"LOAD__WORKERS": "1"},
    "postgres": {"LOAD__WORKERS": "20", "NORMALIZE__DATA_WRITER__FILE_MAX_ITEMS": "50000"},
}
LOADER_FILE_FORMAT = {"sqlite": "typed-jsonl", "postgres": "csv"}

CURSOR_WINDOW_DAYS = 30  # Cursor's maximum range (connectors/cursor.py)
ANTHROPIC_WINDOW_DAYS = 31  # the most 1d buckets a report page holds
PAGE_LIMIT = 1000


def cursor_source(config: dict, start: dt.date, end: dt.date):
    from dlt.sources.rest_api import rest_api_source

    from connectors.dates import day_end_ms, day_start_ms, day_windows

    def paged(path: str, lo: dt.date, hi: dt.date, size: int, total: str, selector: str):
        return {
            "path": path,
            "method": "POST",
            "json": {"startDate": day_start_ms(lo), "endDate": day_end_ms(hi), "pageSize": size},
            "data_selector": selector,
            "paginator": {
                "type": "page_number",
                "page_body_path": "page",
                "base_page": 1,
                "total_path": total,
            },
        }

    resources: list = [
        {
            "name": "cursor_members",
            "endpoint": {"path": "/teams/members", "data_selector": "teamMembers"},
        }
    ]
    for i, (lo, hi) in enumerate(day_windows(start, end, CURSOR_WINDOW_DAYS)):
        events = "/teams/filtered-usage-events"
        daily = "/teams/daily-usage-data"
        resources += [
            {
                "name": f"cursor_usage_events_{i}",
                "table_name": "cursor_usage_events",
                "endpoint": paged(events, lo, hi, PAGE_LIMIT, "pagination.numPages", "usageEvents"),
            },
            {
                "name": f"cursor_daily_usage_{i}",
                "table_name": "cursor_daily_usage",
                "endpoint": paged(daily, lo, hi, 100, "pagination.totalPages", "data"),
            },
        ]
    return rest_api_source(
        {
            "client": {
                "base_url": config["base_url"],
                "auth": {"type": "http_basic", "username": config["api_key"], "password": ""},
            },
            "resource_defaults": {"parallelized": True, "endpoint": {"paginator": "single_page"}},
            "resources": resources,
        },
        name="cursor",
    )


def anthropic_source(config: dict, start: dt.date, end: dt.date):
    import dlt
    from dlt.sources.rest_api import rest_api_source

    from connectors.dates import day_windows, days, iso_midnight

    org = "/v1/organizations"

    def listing(name: str) -> dict:
        paginator = {"type": "cursor", "cursor_param": "after_id", "cursor_path": "last_id"}
        return {
            "name": f"anthropic_{name}",
            "endpoint": {
                "path": f"{org}/{name}",
                "params": {"limit": PAGE_LIMIT},
                "paginator": {**paginator, "has_more_path": "has_more"},
            },
        }

    def report(name: str, path: str, group_by: list[str], i: int, lo: dt.date, hi: dt.date):
        return {
            "name": f"anthropic_{name}_{i}",
            "table_name": f"anthropic_{name}",
            "endpoint": {
                "path": f"{org}/{path}",
                "params": {
                    "starting_at": iso_midnight(lo),
                    "ending_at": iso_midnight(hi + dt.timedelta(days=1)),
                    "bucket_width": "1d",
                    "limit": (hi - lo).days + 1,
                    "group_by[]": group_by,
                },
            },
        }

    # The Claude Code report is asked for one day at a time: a parent resource yields the days.
    @dlt.resource(selected=False)
    def claude_code_days():
        yield [{"day": day.isoformat()} for day in days(start, end)]

    resources: list = [listing("users"), listing("api_keys"), claude_code_days]
    for i, (lo, hi) in enumerate(day_windows(start, end, ANTHROPIC_WINDOW_DAYS)):
        resources.append(
            report("usage", "usage_report/messages", ["api_key_id", "model"], i, lo, hi)
        )
        resources.append(report("cost", "cost_report", ["description"], i, lo, hi))
    resources.append(
        {
            "name": "anthropic_claude_code",
            "endpoint": {
                "path": f"{org}/usage_report/claude_code",
                "params": {
                    "starting_at": "{resources.claude_code_days.day}",
                    "limit": PAGE_LIMIT,
                },
            },
        }
    )
    return rest_api_source(
        {
            "client": {
                "base_url": config["base_url"],
                "auth": {
                    "type": "api_key",
                    "name": "x-api-key",
                    "api_key": config["admin_api_key"],
                },
                "headers": {"anthropic-version": "2023-06-01"},
            },
            "resource_defaults": {
                "parallelized": True,
                "endpoint": {
                    "data_selector": "data",
                    "paginator": {
                        "type": "cursor",
                        "cursor_param": "page",
                        "cursor_path": "next_page",
                        "has_more_path": "has_more",
                    },
                },
            },
            "resources": resources,
        },
        name="anthropic",
    )


def run(
    db: str, url: str, configs: dict, start: dt.date, days: int, workdir: str, extract_only: bool
) -> dict:
    """One cold dlt run of both sources into ``url``; the rows it loaded, per table (none
    when ``extract_only``: it only asks for every page, to warm a replaying simulator)."""
    for knob, value in {**KNOBS, **DB_KNOBS[db]}.items():  # one set in the environment wins
        os.environ.setdefault(knob, value)
    file_format = os.environ.get("NORMALIZE__LOADER_FILE_FORMAT", LOADER_FILE_FORMAT[db])
    try:
        import dlt
    except ImportError:
        raise SystemExit(INSTALL_HINT) from None

    end = start + dt.timedelta(days=days - 1)
    if db == "sqlite":
        destination = dlt.destinations.sqlalchemy(credentials=url)
    else:  # psycopg2 (a plain postgresql:// URL), and a password dlt insists on (trust auth)
        from sqlalchemy.engine import make_url

        pg = make_url(url).set(drivername="postgresql")
        pg = pg if pg.password else pg.set(password="unused")
        destination = dlt.destinations.postgres(credentials=pg.render_as_string(False))
    pipeline = dlt.pipeline(
        pipeline_name="aispend_dlt_baseline",
        pipelines_dir=workdir,
        destination=destination,
        dataset_name="raw",
        progress=None,
    )
    sources = [
        cursor_source(configs["cursor"], start, end),
        anthropic_source(configs["anthropic"], start, end),
    ]
    if extract_only:
        pipeline.extract(sources)
        return {"rows": 0, "tables": {}}
    info = pipeline.run(sources, loader_file_format=file_format)
    info.raise_on_failed_jobs()
    # Counted in the database (not dlt's own tallies: its csv writer's are not rows).
    tables = {}
    for schema in pipeline.schemas.values():
        with pipeline.sql_client(schema.name) as client:
            for name in schema.data_table_names(seen_data_only=True):
                table = client.make_qualified_table_name(name)
                (tables[name],) = client.execute_sql(f"SELECT count(*) FROM {table}")[0]
    return {"rows": sum(tables.values()), "tables": dict(sorted(tables.items()))}


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--db", choices=sorted(LOADER_FILE_FORMAT), required=True)
    p.add_argument("--url", required=True, help="SQLAlchemy URL of an empty database")
    p.add_argument("--configs", required=True, help='JSON: {"cursor": {...}, "anthropic": {...}}')
    p.add_argument("--start", type=dt.date.fromisoformat, required=True)
    p.add_argument("--days", type=int, required=True)
    p.add_argument("--workdir", required=True, help="an empty folder for the pipeline's files")
    p.add_argument("--extract-only", action="store_true", help="ask for every page, load none")
    args = p.parse_args()
    configs = json.loads(args.configs)
    result = run(args.db, args.url, configs, args.start, args.days, args.workdir, args.extract_only)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
