"""`aispend seats`: seat plan prices (valid-from dates; history never re-priced) and idle seats."""

from __future__ import annotations

import datetime as dt

import click

from pipelines.cli.base import _date, _engine, _settings, _tenant, cli_actor, main


@main.group()
def seats() -> None:
    """Seat prices per plan, and seats nobody uses."""


@seats.group()
def plan() -> None:
    """A tenant's price per seat and month for a vendor's plans (default Copilot $19/$39)."""


@plan.command("list")
@click.option("--tenant", "tenant_slug", default=None)
@click.option("--source", default=None, help="Only this connector, e.g. copilot.")
def plan_list(tenant_slug: str | None, source: str | None) -> None:
    """Stored prices, oldest first per plan (a plan without one uses the connector's default)."""
    from warehouse.seat_plans import list_prices

    settings = _settings()
    engine = _engine(settings)
    rows = list_prices(engine, _tenant(settings, engine, tenant_slug), cli_actor(), source)
    if not rows:
        click.echo("no seat prices stored: the connectors' defaults apply")
    for r in rows:
        until = r["valid_to"].isoformat() if r["valid_to"] else "…"
        click.echo(
            f"{r['source']} {r['plan']}: ${r['usd_per_seat_month']} per seat and month, "
            f"{r['valid_from']} to {until} (set by {r['created_by']})"
        )


@plan.command("set")
@click.argument("plan_name", metavar="PLAN")
@click.argument("price", metavar="USD_PER_SEAT_MONTH")
@click.option("--from", "valid_from", required=True, callback=_date,
              help="First day of the first month at this price (YYYY-MM-01).")  # fmt: skip
@click.option("--source", default="copilot", show_default=True)
@click.option("--tenant", "tenant_slug", default=None)
def plan_set(
    plan_name: str, price: str, valid_from: dt.date, source: str, tenant_slug: str | None
) -> None:
    """Price PLAN (business, enterprise) from a month on; the previous price ends before it."""
    from warehouse.seat_plans import set_price

    settings = _settings()
    engine = _engine(settings)
    tenant = _tenant(settings, engine, tenant_slug)
    row = set_price(engine, tenant, cli_actor(), source=source, plan=plan_name, amount=price,
                    valid_from=valid_from)  # fmt: skip
    click.echo(
        f"{row['source']} {row['plan']}: ${row['usd_per_seat_month']} per seat and month from "
        f"{row['valid_from']}; re-sync those months to re-price them"
    )


@seats.command()
@click.option("--start", required=True, callback=_date, help="First day, YYYY-MM-DD.")
@click.option("--end", required=True, callback=_date, help="Last day, YYYY-MM-DD (inclusive).")
@click.option("--source", default=None, help="Only this connector, e.g. copilot.")
@click.option("--tenant", "tenant_slug", default=None)
def idle(start: dt.date, end: dt.date, source: str | None, tenant_slug: str | None) -> None:
    """Seats paid for in the period whose holder shows no activity in it."""
    from connectors.money import micros_to_decimal
    from warehouse.idle_seats import idle_seats

    settings = _settings()
    engine = _engine(settings)
    rows = idle_seats(engine, _tenant(settings, engine, tenant_slug), cli_actor(), start, end,
                      source)  # fmt: skip
    if not rows:
        click.echo(f"no idle seats {start}..{end}")
    for r in rows:
        who = r["member"] or r["display_name"] or "unlinked"
        last = r["last_active"].isoformat() if r["last_active"] else "never"
        fee = micros_to_decimal(r["seat_fee_micros"]).quantize(micros_to_decimal(10_000))
        click.echo(
            f"{r['source']}:{r['account_key']} ({who}): ${fee} of seat fees, last active {last}"
        )
