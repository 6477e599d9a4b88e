"""`aispend tag …`: tags on vendor accounts, API keys, workspaces and projects, for scripts.

The same warehouse service the Admin → Tags page calls (admin-checked, audited). The
``spend_by_tag`` mart follows a change within a minute while ``aispend serve`` runs, or at the
next ``aispend refresh``.
"""

from __future__ import annotations

import click

from pipelines.cli.base import _engine, _settings, _tenant, cli_actor, main

tenant_option = click.option("--tenant", "tenant_slug", default=None, help="Tenant slug.")
DIMENSIONS = click.Choice(["account", "api_key", "workspace", "project"])


def _context(tenant_slug: str | None):
    settings = _settings()
    engine = _engine(settings)
    return engine, _tenant(settings, engine, tenant_slug), cli_actor()


@main.group()
def tag() -> None:
    """Tags (key=value) on a source's accounts, API keys, workspaces and projects."""


@tag.command("set")
@click.argument("source")
@click.argument("dimension", type=DIMENSIONS)
@click.argument("value")
@click.argument("tag_text", metavar="KEY=VALUE")
@tenant_option
def tag_set(source: str, dimension: str, value: str, tag_text: str, tenant_slug) -> None:
    """Put KEY=VALUE on SOURCE's DIMENSION VALUE, e.g. `openai project proj_abc team=search`."""
    from warehouse import tags

    key, tag_value = tags.parse_tag(tag_text)
    engine, tenant, actor = _context(tenant_slug)
    row = tags.set_tag(
        engine, tenant, actor, source=source, dimension=dimension, value=value, key=key,
        tag_value=tag_value,
    )  # fmt: skip
    click.echo(
        f"{row['source']} {row['dimension']} {row['dimension_value']}: "
        f"{row['tag_key']}={row['tag_value']}"
    )


@tag.command("list")
@click.option("--source", default=None, help="Only this source's tags.")
@tenant_option
def tag_list(source: str | None, tenant_slug) -> None:
    """Every tag assignment: source, dimension, value, key=value."""
    from warehouse import tags

    engine, tenant, actor = _context(tenant_slug)
    rows = tags.list_assignments(engine, tenant, actor, source)
    if not rows:
        click.echo("no tags; add one with `aispend tag set openai project proj_abc team=search`")
    for r in rows:
        click.echo(
            f"{r['source']:<12} {r['dimension']:<9} {r['dimension_value']:<32} "
            f"{r['tag_key']}={r['tag_value']}"
        )


@tag.command("remove")
@click.argument("source")
@click.argument("dimension", type=DIMENSIONS)
@click.argument("value")
@click.argument("key")
@tenant_option
def tag_remove(source: str, dimension: str, value: str, key: str, tenant_slug) -> None:
    """Take tag KEY off SOURCE's DIMENSION VALUE."""
    from warehouse import tags

    engine, tenant, actor = _context(tenant_slug)
    tags.remove_tag(engine, tenant, actor, source=source, dimension=dimension, value=value, key=key)
    click.echo(f"removed {key} from {source} {dimension} {value}")
