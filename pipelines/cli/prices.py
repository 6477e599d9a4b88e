"""`aispend prices list|set`: the model price table (list prices per million tokens), through
the same warehouse service the admin pages call (admin-checked, audited)."""

from __future__ import annotations

import datetime as dt

import click

from pipelines.cli.base import _date, _engine, _settings, _tenant, cli_actor, main

tenant_option = click.option("--tenant", "tenant_slug", default=None, help="Tenant slug.")


def _usd(value) -> str:
    return "-" if value is None else f"{value.normalize():f}"


@main.group()
def prices() -> None:
    """Model list prices (USD per million tokens), versioned by valid-from date."""


@prices.command("list")
@tenant_option
@click.option("--on", "on", callback=_date, default=None, help="Prices in force that day.")
@click.option("--history", is_flag=True, help="Every version, not only those in force.")
def prices_list(tenant_slug: str | None, on: dt.date | None, history: bool) -> None:
    """The price of every model in force today (or --on), or every version (--history)."""
    from warehouse import prices as price_table

    settings = _settings()
    engine = _engine(settings)
    tenant = _tenant(settings, engine, tenant_slug)
    actor = cli_actor()
    if history:
        versions = price_table.price_history(engine, tenant, actor)
    else:
        versions = price_table.list_prices(engine, tenant, actor, on=on)
    click.echo("model  provider  valid_from  input  output  cache_read  cache_write  version")
    for v in versions:
        click.echo(
            f"{v.model}  {v.provider}  {v.valid_from}  {_usd(v.input)}  {_usd(v.output)}  "
            f"{_usd(v.cache_read)}  {_usd(v.cache_write)}  {v.version}"
        )


@prices.command("set")
@click.argument("model")
@click.option("--provider", required=True, help="e.g. Anthropic, OpenAI.")
@click.option("--valid-from", "valid_from", required=True, callback=_date, help="YYYY-MM-DD.")
@click.option("--input", "input_", required=True, help="USD per million input tokens.")
@click.option("--output", "output", required=True, help="USD per million output tokens.")
@click.option("--cache-read", default=None, help="USD per million cache-read tokens.")
@click.option("--cache-write", default=None, help="USD per million cache-write tokens.")
@click.option("--note", default=None, help="Where the price comes from (a contract, a page).")
@tenant_option
def prices_set(
    model: str,
    provider: str,
    valid_from: dt.date,
    input_: str,
    output: str,
    cache_read: str | None,
    cache_write: str | None,
    note: str | None,
    tenant_slug: str | None,
) -> None:
    """Add a price version for MODEL from --valid-from on (never replaces one)."""
    from warehouse import prices as price_table

    settings = _settings()
    engine = _engine(settings)
    tenant = _tenant(settings, engine, tenant_slug)
    version = price_table.set_price(
        engine,
        tenant,
        cli_actor(),
        model=model,
        provider=provider,
        valid_from=valid_from,
        input=input_,
        output=output,
        cache_read=cache_read,
        cache_write=cache_write,
        note=note,
    )
    click.echo(f"{model}: price {version.version} valid from {valid_from}")
