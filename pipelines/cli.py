"""The `aispend` command line. A contract other programs rely on: keep command names stable.

User mistakes end in one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import getpass
import sys
from pathlib import Path

import click

from connectors.contract import ConnectorError
from warehouse.actors import Actor, PermissionDenied
from warehouse.encryption import SecretKeyError
from warehouse.settings import Settings

USER_ERRORS = (ValueError, PermissionDenied, ConnectorError, SecretKeyError, FileExistsError)


class AispendGroup(click.Group):
    """Turns expected failures into `error: …` and exit code 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)


def _settings() -> Settings:
    return Settings.from_env()


def _engine(settings: Settings):
    from warehouse.engine import make_engine

    return make_engine(settings.database_url)


def _tenant(settings: Settings, engine, slug: str | None):
    from warehouse.tenants import get_tenant

    return get_tenant(engine, slug or settings.tenant)


def cli_actor() -> Actor:
    """Whoever can run the CLI on the warehouse's machine acts as an admin."""
    return Actor(f"cli:{getpass.getuser()}", "admin")


def _date(_ctx, _param, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


@click.group(cls=AispendGroup)
@click.version_option(package_name="aispend")
def main() -> None:
    """aispend: what your team spends on AI tools, per person, per tool, per day."""


# -- setup ------------------------------------------------------------------------------------
@main.command()
@click.option(
    "--tenant",
    "tenant_slug",
    default=None,
    help="Tenant slug (default: $AISPEND_TENANT or 'default').",
)
@click.option("--admin-email", default="admin@example.com", show_default=True)
def init(tenant_slug: str | None, admin_email: str) -> None:
    """Migrate the warehouse, create the tenant and the first admin, generate keys."""
    from pipelines.setup_home import init_home
    from warehouse import users
    from warehouse.tenants import TenantNotFound, get_tenant

    settings = _settings()
    slug = tenant_slug or settings.tenant
    password = settings.admin_password
    if not password:
        engine = _engine(settings)
        try:
            from warehouse import migrate

            migrate.upgrade(engine)
            exists = users.user_exists(engine, get_tenant(engine, slug), admin_email)
        except TenantNotFound:
            exists = False
        if not exists:
            if not sys.stdin.isatty():
                raise click.UsageError("set AISPEND_ADMIN_PASSWORD (no terminal to prompt on)")
            password = click.prompt(
                f"Password for {admin_email}", hide_input=True, confirmation_prompt=True
            )
    result = init_home(settings, tenant_slug=slug, admin_email=admin_email, admin_password=password)
    click.echo(f"warehouse: {_redacted_url(result.settings.database_url)} (migrated)")
    click.echo(f"tenant:    {result.tenant.slug}")
    state = "created" if result.admin_created else "already exists"
    click.echo(f"admin:     {result.admin_email} ({state})")
    if result.keys_written:
        click.echo(
            f"keys:      {', '.join(result.keys_written)} written to {result.settings.dotenv_path}"
        )


def _redacted_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@main.group()
def db() -> None:
    """Warehouse schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    from warehouse import migrate

    settings = _settings()
    migrate.upgrade(_engine(settings))
    click.echo(f"migrated {_redacted_url(settings.database_url)}")


@main.group()
def user() -> None:
    """Dashboard users."""


@user.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "viewer"]), required=True)
@click.option("--tenant", "tenant_slug", default=None)
@click.option("--name", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_add(
    email: str, role: str, tenant_slug: str | None, name: str | None, password_stdin: bool
) -> None:
    """Create a dashboard user."""
    from warehouse import users

    settings = _settings()
    engine = _engine(settings)
    tenant = _tenant(settings, engine, tenant_slug)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt(f"Password for {email}", hide_input=True, confirmation_prompt=True)
    users.create_user(
        engine, tenant, cli_actor(), email=email, name=name, password=password, role=role
    )
    click.echo(f"created {role} {email.lower()} in tenant {tenant.slug}")


@main.group()
def secrets() -> None:
    """Credential encryption keys."""


@secrets.command("rotate")
def secrets_rotate() -> None:
    """Re-encrypt every stored credential under the newest AISPEND_SECRET_KEY (listed first)."""
    from warehouse import credentials

    settings = _settings()
    count = credentials.rotate_all(_engine(settings), settings.secret_keys)
    click.echo(f"re-encrypted {count} credential field(s) under the newest key")


# -- connectors and vendors -------------------------------------------------------------------
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
            f"{name}  ({info['provider']}; {info['source_type']}; services: {', '.join(info['services'])})"
        )
        for f in cls.credential_fields:
            kind = "secret" if f.secret else "plain"
            click.echo(f"    --set {f.name}=…   [{kind}] {f.help}")


@connectors.command("new")
@click.argument("name")
@click.option(
    "--dest", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True
)
def connectors_new(name: str, dest: Path) -> None:
    """Scaffold an external connector package (class, conformance test, README)."""
    from connectors.scaffold import scaffold_connector

    path = scaffold_connector(name, dest)
    click.echo(f"created {path}")
    click.echo(f"next: cd {path} && uv pip install -e . && pytest")


@main.group()
def vendor() -> None:
    """Configure and test a vendor source for a tenant."""


@vendor.command("configure")
@click.argument("source")
@click.option("--tenant", "tenant_slug", default=None)
@click.option(
    "--set", "pairs", multiple=True, metavar="FIELD=VALUE", help="A credential field; repeat."
)
@click.option(
    "--base-url", default=None, help="The vendor's API root (simulator, proxy, test server)."
)
def vendor_configure(
    source: str, tenant_slug: str | None, pairs: tuple[str, ...], base_url: str | None
) -> None:
    """Store a source's credentials, encrypted."""
    from connectors.registry import get_connector
    from warehouse import credentials

    cls = get_connector(source)
    known = {f.name: f for f in cls.credential_fields}
    values: dict[str, str] = {}
    for pair in pairs:
        field, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not FIELD=VALUE", param_hint="--set")
        if field not in known:
            raise click.BadParameter(
                f"{source} has no field {field!r} (fields: {', '.join(known) or 'none'})",
                param_hint="--set",
            )
        values[field] = value
    if base_url:
        values["base_url"] = base_url
    settings = _settings()
    engine = _engine(settings)
    tenant = _tenant(settings, engine, tenant_slug)
    stored = credentials.masked_config(engine, settings.secret_keys, tenant, source)
    missing = [n for n, f in known.items() if f.required and n not in values and n not in stored]
    if missing:
        raise click.UsageError(f"{source} needs --set {'=… --set '.join(missing)}=…")
    secret = {n for n, f in known.items() if f.secret}
    credentials.configure_source(
        engine, settings.secret_keys, tenant, cli_actor(), source, values, secret
    )
    shown = credentials.masked_config(engine, settings.secret_keys, tenant, source)
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
    config = credentials.connector_config(engine, settings.secret_keys, tenant, source)
    if not config and get_connector(source).credential_fields:
        raise click.UsageError(
            f"{source} is not configured for {tenant.slug}; run `aispend vendor configure {source}`"
        )
    result = get_connector(source)().check(config)
    if not result.ok:
        click.echo(f"error: {source}: {result.reason}", err=True)
        sys.exit(1)
    click.echo(f"{source}: ok" + (f" ({result.reason})" if result.reason else ""))


# -- data ---------------------------------------------------------------------------------------
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


# -- running --------------------------------------------------------------------------------------
@main.command()
def serve() -> None:
    """Start the Dagster UI (with its daemon) and the dashboard on 127.0.0.1."""
    from pipelines.serve import serve as run

    sys.exit(run(_settings(), echo=click.echo))


@main.command()
@click.option("--no-serve", is_flag=True, help="Prepare the demo data and exit.")
@click.option("--days", default=90, show_default=True, help="How many days of history to generate.")
@click.option("--members", default=12, show_default=True, help="Size of the generated team.")
def demo(no_serve: bool, days: int, members: int) -> None:
    """A working aispend on simulator data: no vendor key needed."""
    from pipelines.demo import run_demo

    sys.exit(
        run_demo(_settings(), serve_after=not no_serve, days=days, members=members, echo=click.echo)
    )


@main.group()
def simulator() -> None:
    """The vendor simulator (real HTTP on 127.0.0.1)."""


@simulator.command("serve")
@click.option("--port", default=8765, show_default=True)
@click.option("--seed", default=7, show_default=True)
@click.option("--members", default=12, show_default=True)
@click.option("--days", default=90, show_default=True)
@click.option(
    "--start", callback=_date, default=None, help="First simulated day (default: --days ago)."
)
def simulator_serve(port: int, seed: int, members: int, days: int, start: dt.date | None) -> None:
    """Serve simulated vendor APIs until Ctrl-C."""
    import time

    from connectors.simulator import Simulator

    start = start or (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days - 1))
    sim = Simulator(seed=seed, members=members, start=start, days=days, port=port).start()
    try:
        for name in sim.vendor_names():
            config = sim.config(name)
            flags = " ".join(f"--set {k}={v}" for k, v in config.items() if k != "base_url")
            click.echo(
                f"{name}: {sim.base_url(name)}   aispend vendor configure {name} {flags} --base-url {sim.base_url(name)}"
            )
        click.echo("Press Ctrl-C to stop.")
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
