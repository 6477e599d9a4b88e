"""`aispend sync` and `aispend export`: moving data in and out."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from pipelines.cli.base import _date, _engine, _settings, _tenant, main


@main.command()
@click.option("--tenant", "tenant_slug", default=None)
@click.option(
    "--source", "sources", multiple=True, help="Connector name; repeat. Default: all configured."
)
@click.option("--start", required=True, callback=_date, help="First day, YYYY-MM-DD (inclusive).")
@click.option("--end", required=True, callback=_date, help="Last day, YYYY-MM-DD (inclusive).")
def sync(tenant_slug: str | None, sources: tuple[str, ...], start: dt.date, end: dt.date) -> None:
    """Pull vendor data for a date range through Dagster, in-process."""
    from pipelines.sync import run_sync

    if end < start:
        raise click.BadParameter("--end is before --start")
    settings = _settings()
    results = run_sync(
        settings, tenant=tenant_slug, sources=list(sources) or None, start=start, end=end
    )
    failed = []
    for r in results:
        if r.ok:
            click.echo(f"{r.source}: {r.rows} rows")
        else:
            failed.append(r)
    for r in failed:
        click.echo(f"error: {r.source}: {r.error}", err=True)
    if failed:
        sys.exit(1)


@main.command()
@click.option("--tenant", "tenant_slug", default=None, help="Only this tenant (slug).")
def refresh(tenant_slug: str | None) -> None:
    """Recompute every mart now (of one tenant with --tenant), through Dagster in-process."""
    from pipelines.sync import refresh_marts

    rows = refresh_marts(_settings(), full=True, tenant=tenant_slug)
    for name, count in rows.items():
        click.echo(f"{name}: {count} rows")


@main.command()
@click.option("--format", "fmt", type=click.Choice(["focus-csv"]), required=True)
@click.option("--start", required=True, callback=_date)
@click.option("--end", required=True, callback=_date)
@click.option("--tenant", "tenant_slug", default=None)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Default: stdout."
)
def export(
    fmt: str, start: dt.date, end: dt.date, tenant_slug: str | None, out: Path | None
) -> None:
    """Export usage facts as FOCUS-shaped CSV."""
    from warehouse.export import write_focus_csv

    settings = _settings()
    engine = _engine(settings)
    tenant = _tenant(settings, engine, tenant_slug)
    if out is None:
        write_focus_csv(engine, tenant, start, end, sys.stdout)
        return
    with out.open("w", newline="") as fh:
        count = write_focus_csv(engine, tenant, start, end, fh)
    click.echo(f"wrote {count} rows to {out}", err=True)
