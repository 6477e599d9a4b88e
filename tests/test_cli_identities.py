"""`aispend member …` and `aispend link …` on both databases: what a script sees and what lands
in the warehouse."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipelines.cli import main
from warehouse import audit, identities, members
from warehouse.actors import SYSTEM
from warehouse.models import VendorAccount
from warehouse.tenants import get_tenant


@pytest.fixture
def tenant(tmp_path, warehouse_url, monkeypatch, engine):
    monkeypatch.setenv("AISPEND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AISPEND_DATABASE_URL", warehouse_url)
    monkeypatch.setenv("AISPEND_ADMIN_PASSWORD", "correct-horse")
    for key in ("AISPEND_SECRET_KEY", "AISPEND_COOKIE_KEY", "AISPEND_TENANT", "DAGSTER_HOME"):
        monkeypatch.delenv(key, raising=False)
    assert run("init").exit_code == 0
    tenant = get_tenant(engine, "default")
    with Session(engine) as s, s.begin():
        for source, key, email in [
            ("cursor", "ada@example.com", "ada@example.com"),
            ("cursor", "grace@example.com", "grace@example.com"),
            ("anthropic", "key-ci", None),
        ]:
            s.add(VendorAccount(tenant_id=tenant.id, source=source, account_key=key, email=email))
    return tenant


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def _links(engine, tenant):
    return {
        f"{a['source']}:{a['account_key']}": a["member_name"]
        for a in identities.list_accounts(engine, tenant, SYSTEM)
    }


def test_member_add_list_edit(tenant, engine):
    result = run("member", "add", "Ada Lovelace", "--email", "ADA@example.com", "--team", "Core")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("created member ")
    assert run("member", "edit", "ada@example.com", "--team", "Platform").exit_code == 0
    listing = run("member", "list").output
    assert "Ada Lovelace  <ada@example.com>  [Platform]" in listing
    [m] = members.list_members(engine, tenant, SYSTEM)
    assert (m["email"], m["team"]) == ("ada@example.com", "Platform")


def test_unlinked_list_flags_possible_matches_and_matches_links_them(tenant, engine):
    run("member", "add", "Ada Lovelace", "--email", "ada@example.com")
    listing = run("link", "list", "--unlinked").output
    assert "cursor:\n" in listing and "anthropic:\n" in listing
    ada_line = next(line for line in listing.splitlines() if "cursor:ada@example.com" in line)
    assert "possible match: Ada Lovelace" in ada_line
    grace_line = next(line for line in listing.splitlines() if "grace@" in line)
    assert "possible match" not in grace_line

    result = run("link", "matches")
    assert result.exit_code == 0, result.output
    assert "1 account(s) linked" in result.output
    assert _links(engine, tenant)["cursor:ada@example.com"] == "Ada Lovelace"
    assert _links(engine, tenant)["cursor:grace@example.com"] is None


def test_link_add_remove_and_new_member(tenant, engine):
    run("member", "add", "Ada Lovelace", "--email", "ada@example.com")
    assert run("link", "add", "anthropic:key-ci", "ada@example.com").exit_code == 0
    assert _links(engine, tenant)["anthropic:key-ci"] == "Ada Lovelace"
    assert "→  Ada Lovelace" in run("link", "list").output
    assert run("link", "remove", "anthropic:key-ci").exit_code == 0
    assert _links(engine, tenant)["anthropic:key-ci"] is None

    result = run("link", "new-member", "cursor:grace@example.com", "--name", "Grace Hopper")
    assert result.exit_code == 0, result.output
    assert _links(engine, tenant)["cursor:grace@example.com"] == "Grace Hopper"
    actions = [e["action"] for e in audit.list_events(engine, tenant, SYSTEM)]
    assert actions[:4] == ["identity.link", "member.create", "identity.unlink", "identity.link"]
    assert all(e["actor"].startswith("cli:") for e in audit.list_events(engine, tenant, SYSTEM)[:4])


def test_merge_dry_run_changes_nothing_then_merges(tenant, engine):
    run("member", "add", "Ada Lovelace", "--email", "ada@example.com")
    run("link", "new-member", "cursor:grace@example.com", "--name", "ada (second account)")
    [keep, gone] = sorted(m["id"] for m in members.list_members(engine, tenant, SYSTEM))
    dry = run("member", "merge", str(keep), str(gone), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would merge: ada (second account) is merged into Ada Lovelace" in dry.output
    assert "cursor:grace@example.com" in dry.output
    assert len(members.list_members(engine, tenant, SYSTEM)) == 2

    done = run("member", "merge", str(keep), str(gone))
    assert done.exit_code == 0, done.output
    assert done.output.startswith("merged: ")
    [m] = members.list_members(engine, tenant, SYSTEM)
    assert m["accounts"] == ["cursor:grace@example.com"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["link", "add", "cursor-ada", "1"], "is not SOURCE:KEY"),
        (["link", "add", "cursor:nobody@example.com", "1"], "no cursor account"),
        (["link", "add", "cursor:ada@example.com", "who@example.com"], "no member with email"),
        (["link", "add", "cursor:ada@example.com", "999"], "no member 999"),
        (["member", "merge", "1", "1"], "into itself"),
        (["member", "add", " "], "needs a display name"),
    ],
)
def test_mistakes_are_one_clear_line(tenant, engine, args, message):
    run("member", "add", "Ada Lovelace", "--email", "ada@example.com")
    with Session(engine) as s:
        before = s.scalars(select(VendorAccount.id)).all()
    result = run(*args)
    assert result.exit_code != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.output
    assert _links(engine, tenant)["cursor:ada@example.com"] is None
    with Session(engine) as s:
        assert s.scalars(select(VendorAccount.id)).all() == before
