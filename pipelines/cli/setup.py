"""`aispend init`, `db upgrade`, `user add`, `secrets rotate`: setting a warehouse up."""

from __future__ import annotations

import sys

import click

from pipelines.cli.base import _engine, _redacted_url, _settings, _tenant, cli_actor, main


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
    from pipelines.setup_home import check_init, init_home
    from warehouse import users
    from warehouse.tenants import TenantNotFound, get_tenant

    settings = _settings()
    slug = tenant_slug or settings.tenant
    password = settings.admin_password
    check_init(slug, admin_email, password)  # before the warehouse is touched
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


@user.command("unlock")
@click.argument("email")
@click.option("--tenant", "tenant_slug", default=None)
def user_unlock(email: str, tenant_slug: str | None) -> None:
    """Clear an account's failed sign-ins and lockout (audited)."""
    from warehouse.logins import unlock_account

    settings = _settings()
    engine = _engine(settings)
    tenant = _tenant(settings, engine, tenant_slug)
    if unlock_account(engine, tenant, cli_actor(), email):
        click.echo(f"unlocked {email.strip().lower()} in tenant {tenant.slug}")
    else:
        click.echo(f"{email.strip().lower()} had no failed sign-ins in tenant {tenant.slug}")


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
