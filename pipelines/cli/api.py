"""`aispend api …`: the read-only JSON API and its tokens.

Tokens are created, listed and revoked through the warehouse service (admin-checked, audited);
a new token's text is printed once and never stored (only its sha256 is).
"""

from __future__ import annotations

import click

from pipelines.cli.base import _engine, _settings, _tenant, cli_actor, main

tenant_option = click.option("--tenant", "tenant_slug", default=None, help="Tenant slug.")


@main.group()
def api() -> None:
    """The read-only JSON API for other dashboards and chat bots, and its tokens."""


@api.command("serve")
@click.option("--port", default=8787, show_default=True, type=click.IntRange(1, 65535))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
def api_serve(port: int, host: str) -> None:
    """Serve the API (every tenant's tokens; each token sees only its tenant)."""
    from pipelines.api.app import serve

    engine = _engine(_settings())
    click.echo(f"aispend API on http://{host}:{port} (description at /openapi.json)")
    serve(engine, host=host, port=port)


@api.group()
def token() -> None:
    """Per-tenant API tokens."""


@token.command("create")
@click.option("--name", required=True, help="Who uses it, e.g. slack-bot.")
@click.option(
    "--scope",
    "scopes",
    default="all",
    show_default=True,
    help="Comma-separated: read:kpis,read:members,read:vendors,read:leaderboard,read:budgets.",
)
@tenant_option
def token_create(name: str, scopes: str, tenant_slug: str | None) -> None:
    """Create a token; its text is printed once: store it now."""
    from warehouse import api_tokens

    settings = _settings()
    engine = _engine(settings)
    tenant = _tenant(settings, engine, tenant_slug)
    ref, secret = api_tokens.create_token(
        engine, tenant, cli_actor(), name=name, scopes=api_tokens.parse_scopes(scopes)
    )
    click.echo(f"token {ref.id} ({ref.name}) for tenant {tenant.slug}: {', '.join(ref.scopes)}")
    click.echo("shown once, store it now:")
    click.echo(secret)


@token.command("list")
@tenant_option
def token_list(tenant_slug: str | None) -> None:
    """The tenant's tokens (never their text), revoked ones marked."""
    from warehouse import api_tokens

    settings = _settings()
    engine = _engine(settings)
    tokens = api_tokens.list_tokens(engine, _tenant(settings, engine, tenant_slug), cli_actor())
    if not tokens:
        click.echo("no API tokens; create one with `aispend api token create --name NAME`")
    for t in tokens:
        state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
        used = f"last used {t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never used"
        click.echo(f"{t.id:>4}  {t.name:<24} {state:<18} {used:<28} {','.join(t.scopes)}")


@token.command("revoke")
@click.argument("token_id", type=int)
@tenant_option
def token_revoke(token_id: int, tenant_slug: str | None) -> None:
    """Revoke a token: the API refuses it from the next call."""
    from warehouse import api_tokens

    settings = _settings()
    engine = _engine(settings)
    ref = api_tokens.revoke_token(
        engine, _tenant(settings, engine, tenant_slug), cli_actor(), token_id
    )
    click.echo(f"revoked token {ref.id} ({ref.name})")
