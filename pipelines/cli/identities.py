"""`aispend member …` and `aispend link …`: members and identity linking, for scripts.

The same warehouse services the admin pages call (admin-checked, audited). An account is named
``SOURCE:KEY`` (as `aispend link list` prints it, e.g. ``cursor:ada@example.com``) or by its id;
a member by id or by email.
"""

from __future__ import annotations

import click

from pipelines.cli.base import _engine, _settings, _tenant, cli_actor, main


def _context(tenant_slug: str | None):
    settings = _settings()
    engine = _engine(settings)
    return engine, _tenant(settings, engine, tenant_slug), cli_actor()


def _member_id(engine, tenant, actor, ref: str) -> int:
    from warehouse import members

    if ref.isdigit():
        return int(ref)
    found = [
        m for m in members.list_members(engine, tenant, actor) if (m["email"] or "") == ref.lower()
    ]
    if len(found) != 1:
        problem = "no member" if not found else f"{len(found)} members"
        raise click.UsageError(f"{problem} with email {ref!r}; give the member's id instead")
    return found[0]["id"]


def _account_id(engine, tenant, actor, ref: str) -> int:
    from warehouse import identities

    if ref.isdigit():
        return int(ref)
    source, sep, key = ref.partition(":")
    if not sep or not key:
        raise click.UsageError(f"{ref!r} is not SOURCE:KEY (e.g. cursor:ada@example.com) or an id")
    for account in identities.list_accounts(engine, tenant, actor):
        if account["source"] == source and account["account_key"] == key:
            return account["id"]
    raise click.UsageError(
        f"no {source} account {key!r} in tenant {tenant.slug}; `aispend link list` shows them"
    )


tenant_option = click.option("--tenant", "tenant_slug", default=None, help="Tenant slug.")


@main.group()
def member() -> None:
    """Members: the people on the team."""


@member.command("list")
@tenant_option
def member_list(tenant_slug: str | None) -> None:
    """Every member, with the vendor accounts linked to them."""
    from warehouse import members

    engine, tenant, actor = _context(tenant_slug)
    for m in members.list_members(engine, tenant, actor):
        team = f"  [{m['team']}]" if m["team"] else ""
        click.echo(f"{m['id']:>5}  {m['display_name']}  <{m['email'] or 'no email'}>{team}")
        for account in m["accounts"]:
            click.echo(f"         {account}")


@member.command("add")
@click.argument("name")
@click.option("--email", default=None)
@click.option("--team", default=None)
@tenant_option
def member_add(name: str, email: str | None, team: str | None, tenant_slug: str | None) -> None:
    """Create a member."""
    from warehouse import members

    engine, tenant, actor = _context(tenant_slug)
    member_id = members.create_member(
        engine, tenant, actor, display_name=name, email=email, team=team
    )
    click.echo(f"created member {member_id}: {name}")


@member.command("edit")
@click.argument("member_ref", metavar="MEMBER")
@click.option("--name", default=None)
@click.option("--email", default=None, help="An empty string clears it.")
@click.option("--team", default=None, help="An empty string clears it.")
@tenant_option
def member_edit(
    member_ref: str,
    name: str | None,
    email: str | None,
    team: str | None,
    tenant_slug: str | None,
) -> None:
    """Change a member's name, email or team."""
    from warehouse import members

    engine, tenant, actor = _context(tenant_slug)
    member_id = _member_id(engine, tenant, actor, member_ref)
    members.edit_member(engine, tenant, actor, member_id, display_name=name, email=email, team=team)
    click.echo(f"updated member {member_id}")


@member.command("merge")
@click.argument("keep_ref", metavar="KEEP")
@click.argument("remove_ref", metavar="REMOVE")
@click.option("--dry-run", is_flag=True, help="Only say what would move.")
@tenant_option
def member_merge(keep_ref: str, remove_ref: str, dry_run: bool, tenant_slug: str | None) -> None:
    """Move REMOVE's linked accounts and manual entries to KEEP, then remove REMOVE."""
    from warehouse import members

    engine, tenant, actor = _context(tenant_slug)
    keep = _member_id(engine, tenant, actor, keep_ref)
    remove = _member_id(engine, tenant, actor, remove_ref)
    if dry_run:
        click.echo(
            "would merge: " + members.merge_preview(engine, tenant, actor, keep, remove).describe()
        )
        return
    click.echo("merged: " + members.merge_members(engine, tenant, actor, keep, remove).describe())


@main.group()
def link() -> None:
    """Identity links: which member each vendor account belongs to."""


@link.command("list")
@click.option("--unlinked", is_flag=True, help="Only accounts linked to nobody, by vendor.")
@tenant_option
def link_list(unlinked: bool, tenant_slug: str | None) -> None:
    """Vendor accounts and the member each is linked to."""
    from warehouse import identities

    engine, tenant, actor = _context(tenant_slug)
    if unlinked:
        for source, accounts in identities.unlinked_accounts(engine, tenant, actor).items():
            click.echo(f"{source}:")
            for a in accounts:
                match = (
                    f"   possible match: {a['possible_match_name']} (member {a['possible_match']})"
                    if a["possible_match"] is not None
                    else ""
                )
                click.echo(f"  {a['id']:>5}  {source}:{a['account_key']}{match}")
        return
    for a in identities.list_accounts(engine, tenant, actor):
        owner = f"{a['member_name']} (member {a['member_id']})" if a["member_id"] else "not linked"
        click.echo(f"{a['id']:>5}  {a['source']}:{a['account_key']}  →  {owner}")


@link.command("add")
@click.argument("account_ref", metavar="ACCOUNT")
@click.argument("member_ref", metavar="MEMBER")
@tenant_option
def link_add(account_ref: str, member_ref: str, tenant_slug: str | None) -> None:
    """Link ACCOUNT (SOURCE:KEY or id) to MEMBER (id or email); moves an existing link."""
    from warehouse import identities

    engine, tenant, actor = _context(tenant_slug)
    account = _account_id(engine, tenant, actor, account_ref)
    member_id = _member_id(engine, tenant, actor, member_ref)
    identities.link_account(engine, tenant, actor, account, member_id)
    click.echo(f"linked {account_ref} to member {member_id}")


@link.command("remove")
@click.argument("account_ref", metavar="ACCOUNT")
@tenant_option
def link_remove(account_ref: str, tenant_slug: str | None) -> None:
    """Unlink ACCOUNT from its member (its facts stay; they show as unlinked)."""
    from warehouse import identities

    engine, tenant, actor = _context(tenant_slug)
    identities.unlink_account(
        engine, tenant, actor, _account_id(engine, tenant, actor, account_ref)
    )
    click.echo(f"unlinked {account_ref}")


@link.command("new-member")
@click.argument("account_ref", metavar="ACCOUNT")
@click.option("--name", default=None, help="Default: the name or email the vendor reports.")
@click.option("--team", default=None)
@tenant_option
def link_new_member(
    account_ref: str, name: str | None, team: str | None, tenant_slug: str | None
) -> None:
    """Create a member from an unlinked ACCOUNT and link them."""
    from warehouse import identities

    engine, tenant, actor = _context(tenant_slug)
    account = _account_id(engine, tenant, actor, account_ref)
    member_id = identities.create_member_from_account(
        engine, tenant, actor, account, display_name=name, team=team
    )
    click.echo(f"created member {member_id} from {account_ref}")


@link.command("matches")
@tenant_option
def link_matches(tenant_slug: str | None) -> None:
    """Link every unlinked account whose email equals exactly one member's."""
    from warehouse import identities

    engine, tenant, actor = _context(tenant_slug)
    linked = identities.link_possible_matches(engine, tenant, actor)
    for label, member_id in linked:
        click.echo(f"linked {label} to member {member_id}")
    click.echo(f"{len(linked)} account(s) linked")
