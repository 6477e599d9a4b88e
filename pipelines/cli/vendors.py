"""`aispend connectors …` and `aispend vendor …`: what is registered, and configuring a source."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pipelines.cli.base import _engine, _settings, _tenant, cli_actor, main
from warehouse.errors import InvalidInput


@main.group()
def connectors() -> None:
    """Registered connectors (entry-point group aispend.connectors)."""


@connectors.command("list")
def connectors_list() -> None:
    """Every connector found, with its credential fields."""
    from connectors.registry import describe, load_connectors

    for name, cls in load_connectors().items():
        info = describe(cls)
        click.echo(
            f"{name}  ({info['provider']}; {info['source_type']}; config from "
            f"{info['config_source']}; services: {', '.join(info['services'])})"
        )
        for f in cls.credential_fields:
            kind = "secret" if f.secret else "plain"
            click.echo(f"    --set {f.name}=…   [{kind}] {f.help}")
        for s in cls.settings_fields:
            default = f", default {s.default}" if s.default is not None else ""
            click.echo(f"    --set {s.name}=…   [setting: {s.kind}{default}] {s.help}")


@connectors.command("new")
@click.argument("name")
@click.option(
    "--dest", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True
)
def connectors_new(name: str, dest: Path) -> None:
    """Scaffold an external connector package (class, conformance test, README)."""
    from connectors.scaffold import next_steps, scaffold_connector

    path = scaffold_connector(name, dest)
    click.echo(f"created {path}")
    click.echo("next, in any shell (install into this aispend's environment, test, list):")
    for step in next_steps(path):
        click.echo(f"  {step}")


@main.group()
def vendor() -> None:
    """Configure and test a vendor source for a tenant."""


@vendor.command("configure")
@click.argument("source")
@click.option("--tenant", "tenant_slug", default=None)
@click.option(
    "--set",
    "pairs",
    multiple=True,
    metavar="FIELD=VALUE",
    help="A credential or setting field; repeat.",
)
@click.option(
    "--base-url", default=None, help="The vendor's API root (simulator, proxy, test server)."
)
def vendor_configure(
    source: str, tenant_slug: str | None, pairs: tuple[str, ...], base_url: str | None
) -> None:
    """Store a source's credentials, encrypted."""
    from connectors.fields import SettingField
    from connectors.registry import get_connector
    from warehouse import credentials

    cls = get_connector(source)
    known = {f.name: f for f in cls.config_fields()}
    values: dict[str, str] = {}
    for pair in pairs:
        field, sep, value = pair.partition("=")
        if not sep:
            # Never echo the pair: a value without its field name is likely a bare secret.
            raise click.BadParameter("expects FIELD=VALUE (no '=' given)", param_hint="--set")
        if field not in known:
            raise click.BadParameter(
                f"{source} has no field {field!r} (fields: {', '.join(known) or 'none'})",
                param_hint="--set",
            )
        if isinstance(known[field], SettingField):
            try:  # a setting that does not parse is refused, not stored
                known[field].parse(value)
            except ValueError as exc:
                raise InvalidInput(f"{source}: {exc}") from None
        values[field] = value
    if base_url is not None:
        values["base_url"] = base_url
    secret = {n for n, f in known.items() if f.secret}
    credentials.check_values(source, values, secret)  # before the warehouse is even opened
    settings = _settings()
    engine = _engine(settings)
    tenant = _tenant(settings, engine, tenant_slug)
    actor = cli_actor()
    stored = credentials.masked_config(engine, settings.secret_keys, tenant, actor, source)
    missing = [
        n
        for n, f in known.items()
        if f.required
        and getattr(f, "default", None) is None
        and n not in values
        and n not in stored
    ]
    if missing:
        raise click.UsageError(f"{source} needs --set {'=… --set '.join(missing)}=…")
    credentials.configure_source(
        engine, settings.secret_keys, tenant, actor, source, values, secret
    )
    shown = credentials.masked_config(engine, settings.secret_keys, tenant, actor, source)
    click.echo(
        f"configured {source} for {tenant.slug}: "
        + ", ".join(f"{k}={v}" for k, v in sorted(shown.items()))
    )


@vendor.command("test")
@click.argument("source")
@click.option("--tenant", "tenant_slug", default=None)
def vendor_test(source: str, tenant_slug: str | None) -> None:
    """Check the stored credentials against the vendor."""
    from connectors.registry import get_connector
    from warehouse import credentials

    settings = _settings()
    engine = _engine(settings)
    tenant = _tenant(settings, engine, tenant_slug)
    cls = get_connector(source)
    config = credentials.connector_config(engine, settings.secret_keys, tenant, source)
    if not config and cls.config_fields():
        raise click.UsageError(
            f"{source} is not configured for {tenant.slug}; run `aispend vendor configure {source}`"
        )
    result = credentials.check_connection(engine, settings.secret_keys, tenant, cli_actor(), cls)
    if not result.ok:
        click.echo(f"error: {source}: {result.reason}", err=True)
        sys.exit(1)
    click.echo(f"{source}: ok" + (f" ({result.reason})" if result.reason else ""))
