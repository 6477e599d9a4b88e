"""`aispend budget …`: monthly budgets and their alerts, for scripts.

The same warehouse services an admin page calls (admin-checked, audited). Amounts are dollars
as typed ("500", "1234.56"), stored exactly as micro-dollars.
"""

from __future__ import annotations

import datetime as dt

import click

from pipelines.cli.base import _engine, _settings, _tenant, cli_actor, main

tenant_option = click.option("--tenant", "tenant_slug", default=None, help="Tenant slug.")


def _context(tenant_slug: str | None):
    settings = _settings()
    engine = _engine(settings)
    return settings, engine, _tenant(settings, engine, tenant_slug), cli_actor()


def _micros(_ctx, _param, value: str) -> int:
    from warehouse.amounts import AmountError, dollars_to_micros

    try:
        return dollars_to_micros(value)
    except AmountError:
        raise click.BadParameter(
            f"{value!r} is not an amount in dollars, e.g. 500 or 1234.56"
        ) from None


@main.group()
def budget() -> None:
    """Monthly budgets per tenant, team, member, vendor or tag, and their alerts."""


@budget.command("set")
@click.option(
    "--scope",
    type=click.Choice(["tenant", "team", "member", "vendor", "tag"]),
    default="tenant",
    show_default=True,
)
@click.option("--target", default="", help="Team name, member id, source, or tag key=value.")
@click.option("--amount", required=True, callback=_micros, help="Dollars per month.")
@click.option(
    "--thresholds", default="75,90,100", show_default=True, help="Alert percents, comma-separated."
)
@tenant_option
def budget_set(
    scope: str, target: str, amount: int, thresholds: str, tenant_slug: str | None
) -> None:
    """Create or change a budget."""
    from warehouse import budgets
    from warehouse.amounts import usd_text

    try:
        levels = [int(t) for t in thresholds.split(",") if t.strip()]
    except ValueError:
        raise click.BadParameter(
            f"{thresholds!r} is not a list of percents like 75,90,100"
        ) from None
    _, engine, tenant, actor = _context(tenant_slug)
    ref = budgets.set_budget(
        engine, tenant, actor, scope=scope, target=target, monthly_micros=amount,
        thresholds=levels,
    )  # fmt: skip
    click.echo(f"budget {ref.id}: {ref.label}, {usd_text(ref.monthly_micros)} a month")


@budget.command("list")
@click.option("--period", default=None, help="YYYY-MM (default: this month).")
@tenant_option
def budget_list(period: str | None, tenant_slug: str | None) -> None:
    """Budgets with this month's spend, utilisation and month-end projection."""
    from warehouse import budgets
    from warehouse.amounts import usd_text

    _, engine, tenant, actor = _context(tenant_slug)
    period = period or f"{dt.datetime.now(dt.UTC).date():%Y-%m}"
    usage = budgets.utilisation(engine, tenant, actor, period)
    if not usage:
        click.echo("no budgets; add one with `aispend budget set --amount 500`")
    for u in usage:
        b = u.budget
        click.echo(
            f"{b.id:>4}  {b.label:<30} {usd_text(u.spend_micros):>14} of "
            f"{usd_text(b.monthly_micros):<14} {u.percent:5.1f} %  "
            f"projected {usd_text(u.projected_micros)} (estimate)"
        )


@budget.command("remove")
@click.argument("budget_id", type=int)
@tenant_option
def budget_remove(budget_id: int, tenant_slug: str | None) -> None:
    """Delete a budget and its alert history."""
    from warehouse import budgets

    _, engine, tenant, actor = _context(tenant_slug)
    budgets.remove_budget(engine, tenant, actor, budget_id)
    click.echo(f"removed budget {budget_id}")


@budget.command("check")
@tenant_option
def budget_check(tenant_slug: str | None) -> None:
    """Record new alerts now and deliver pending ones (the pipeline does this after syncs)."""
    from pipelines.budgets import check_budgets

    settings, engine, tenant, _ = _context(tenant_slug)
    result = check_budgets(engine, tenant, settings)
    click.echo(
        f"{result['new_alerts']} new alert(s); {result['delivered']} delivered, "
        f"{result['delivery_failed']} failed (retried next run)"
    )


@budget.command("alerts")
@tenant_option
def budget_alerts(tenant_slug: str | None) -> None:
    """Every alert event, newest first, with its delivery state."""
    from warehouse import budgets

    _, engine, tenant, actor = _context(tenant_slug)
    for a in budgets.list_alerts(engine, tenant, actor):
        state = "delivered" if a["delivered"] else f"pending ({a['attempts']} attempts)"
        click.echo(f"{a['period']}  {a['kind']:>9}  {state:<22} {a['message']}")
