"""Warehouse services on SQLite and PostgreSQL: isolation, roles, encryption, merge, splits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from connectors.contract import FetchContext
from connectors.cursor import CursorConnector
from connectors.manual import ManualConnector
from warehouse import (
    api_tokens,
    audit,
    credentials,
    dashboard_settings,
    encryption,
    file_imports,
    identities,
    idle_seats,
    logins,
    manual_entries,
    members,
    prices,
    seat_plans,
    suggestion_config,
    sync_status,
    users,
)
from warehouse.actors import Actor, PermissionDenied
from warehouse.models import AuditEvent, Base, Credential, IdentityLink, UsageFact, VendorAccount
from warehouse.tenants import create_tenant

ADMIN = Actor("admin@a.example", "admin")
VIEWER = Actor("viewer@a.example", "viewer")
KEY_OLD = encryption.generate_key()
KEY_NEW = encryption.generate_key()


@pytest.fixture
def tenants(engine):
    return create_tenant(engine, "acme"), create_tenant(engine, "globex")


def _account(engine, tenant, key, source="cursor"):
    with Session(engine) as s, s.begin():
        row = VendorAccount(tenant_id=tenant.id, source=source, account_key=key)
        s.add(row)
        s.flush()
        return row.id


def test_migrations_from_empty_create_every_table(engine):
    names = set(inspect(engine).get_table_names())
    expected = {
        "tenants",
        "users",
        "members",
        "vendor_accounts",
        "identity_links",
        "usage_facts",
        "activity_days",
        "manual_entries",
        "credentials",
        "sync_status",
        "audit_events",
        "settings",
        "suggestions",
        "suggestion_generations",
        "vendor_billed_totals",
        "vendor_reconciliation_totals",
        "file_imports",
        "file_import_invoices",
    }
    assert expected <= names
    assert "activity_facts" in inspect(engine).get_view_names()  # activity_days, one row a metric
    with engine.connect() as conn:
        assert conn.execute(text("select version_num from alembic_version")).scalar() == _head()
    # The models and the migrations agree: autogenerate finds nothing to add.
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def _head() -> str:
    from alembic.script import ScriptDirectory

    from warehouse.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config(None)).get_current_head()


def test_create_tenant_is_idempotent(engine):
    a = create_tenant(engine, "acme", "Acme")
    b = create_tenant(engine, "acme")
    assert a == b
    with pytest.raises(ValueError, match="slug"):
        create_tenant(engine, "Not A Slug")


def test_tenant_isolation(engine, tenants):
    a, b = tenants
    users.create_user(engine, a, ADMIN, email="x@a.example", password="password-a", role="admin")
    m = members.create_member(engine, a, ADMIN, display_name="Ada", email="ada@a.example")
    manual_entries.create_entry(
        engine,
        a,
        ADMIN,
        provider="Cursor",
        service="Seats",
        amount="40.00",
        period_start=dt.date(2026, 10, 1),
        period_end=dt.date(2026, 10, 31),
        member_id=m,
    )
    credentials.configure_source(
        engine, [KEY_NEW], a, ADMIN, "cursor", {"api_key": "key_secret_1234"}, {"api_key"}
    )
    _account(engine, a, "ada@a.example")

    assert users.login_directory(engine, b) == []
    assert members.list_members(engine, b, ADMIN) == []
    assert identities.list_accounts(engine, b, ADMIN) == []
    assert manual_entries.list_entries(engine, b, ADMIN) == []
    assert manual_entries.connector_config(engine, b) == {"entries": []}
    assert credentials.connector_config(engine, [KEY_NEW], b, "cursor") == {}
    assert credentials.configured_tenants(engine, "cursor") == [a]
    assert audit.list_events(engine, b, ADMIN) == []
    # B cannot reach A's rows by id either.
    with pytest.raises(members.MemberError):
        members.edit_member(engine, b, ADMIN, m, display_name="Mallory")
    with pytest.raises(ValueError):
        identities.link_account(engine, b, ADMIN, _account(engine, a, "bob@a.example"), m)
    entry_id = manual_entries.list_entries(engine, a, ADMIN)[0]["id"]
    with pytest.raises(manual_entries.ManualEntryError):
        manual_entries.delete_entry(engine, b, ADMIN, entry_id)
    assert len(manual_entries.list_entries(engine, a, ADMIN)) == 1


ADMIN_CALLS = {
    "create_user": lambda e, t, actor: users.create_user(
        e, t, actor, email="n@a.example", password="long-password", role="viewer"
    ),
    "change_role": lambda e, t, actor: users.change_role(e, t, actor, "admin@a.example", "viewer"),
    "reset_password": lambda e, t, actor: users.reset_password(
        e, t, actor, "admin@a.example", "another-password"
    ),
    "create_member": lambda e, t, actor: members.create_member(e, t, actor, display_name="Z"),
    "edit_member": lambda e, t, actor: members.edit_member(e, t, actor, 1, display_name="Z"),
    "link_account": lambda e, t, actor: identities.link_account(e, t, actor, 1, 1),
    "unlink_account": lambda e, t, actor: identities.unlink_account(e, t, actor, 1),
    "merge_members": lambda e, t, actor: members.merge_members(e, t, actor, 1, 2),
    "create_entry": lambda e, t, actor: manual_entries.create_entry(
        e,
        t,
        actor,
        provider="X",
        service="Y",
        amount="1",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 1, 1),
    ),
    "edit_entry": lambda e, t, actor: manual_entries.edit_entry(e, t, actor, 1, amount="2"),
    "delete_entry": lambda e, t, actor: manual_entries.delete_entry(e, t, actor, 1),
    "configure_source": lambda e, t, actor: credentials.configure_source(
        e, [KEY_NEW], t, actor, "cursor", {"api_key": "k" * 12}, {"api_key"}
    ),
    "remove_source": lambda e, t, actor: credentials.remove_source(e, t, actor, "cursor"),
    "create_member_from_account": lambda e, t, actor: identities.create_member_from_account(
        e, t, actor, 1
    ),
    "update_dashboard_settings": lambda e, t, actor: dashboard_settings.update_dashboard_settings(
        e, t, actor, display_mode="anonymous"
    ),
    "check_connection": lambda e, t, actor: credentials.check_connection(
        e, [KEY_NEW], t, actor, CursorConnector
    ),
    "record_action": lambda e, t, actor: audit.record_action(e, t, actor, "vendor.sync", "cursor"),
    "link_possible_matches": lambda e, t, actor: identities.link_possible_matches(e, t, actor),
    "set_suggestion_config": lambda e, t, actor: suggestion_config.set_config(
        e, t, actor, model="claude-sonnet-4-5"
    ),
    "set_price": lambda e, t, actor: prices.set_price(
        e, t, actor, model="m", provider="P", valid_from=dt.date(2026, 1, 1), input="1", output="2"
    ),
    "set_seat_price": lambda e, t, actor: seat_plans.set_price(
        e, t, actor, source="copilot", plan="business", amount="19", valid_from=dt.date(2026, 1, 1)
    ),
    "create_api_token": lambda e, t, actor: api_tokens.create_token(e, t, actor, name="bot"),
    "revoke_api_token": lambda e, t, actor: api_tokens.revoke_token(e, t, actor, 1),
    "unlock_account": lambda e, t, actor: logins.unlock_account(e, t, actor, "admin@a.example"),
    "end_sessions_of_another": lambda e, t, actor: users.end_sessions(
        e, t, actor, "admin@a.example"
    ),
    "import_file": lambda e, t, actor: file_imports.import_file(e, t, actor, "/no/such.csv"),
    "delete_import": lambda e, t, actor: file_imports.delete_import(e, t, actor, 1),
}

# Reads of admin data: a viewer is refused these too, server-side.
ADMIN_READS = {
    "list_users": lambda e, t, actor: users.list_users(e, t, actor),
    "list_members": lambda e, t, actor: members.list_members(e, t, actor),
    "list_accounts": lambda e, t, actor: identities.list_accounts(e, t, actor),
    "unlinked_accounts": lambda e, t, actor: identities.unlinked_accounts(e, t, actor),
    "merge_preview": lambda e, t, actor: members.merge_preview(e, t, actor, 1, 2),
    "list_entries": lambda e, t, actor: manual_entries.list_entries(e, t, actor),
    "list_events": lambda e, t, actor: audit.list_events(e, t, actor),
    "list_api_tokens": lambda e, t, actor: api_tokens.list_tokens(e, t, actor),
    "event_facets": lambda e, t, actor: audit.event_facets(e, t, actor),
    "locked_accounts": lambda e, t, actor: logins.locked_accounts(e, t, actor),
    "masked_config": lambda e, t, actor: credentials.masked_config(
        e, [KEY_NEW], t, actor, "cursor"
    ),
    "list_seat_prices": lambda e, t, actor: seat_plans.list_prices(e, t, actor),
    "idle_seats": lambda e, t, actor: idle_seats.idle_seats(
        e, t, actor, dt.date(2026, 1, 1), dt.date(2026, 1, 31)
    ),
    "list_imports": lambda e, t, actor: file_imports.list_imports(e, t, actor),
}
# Reads every signed-in user may make; an unknown role is refused.
SIGNED_IN_READS = {
    "get_dashboard_settings": lambda e, t, actor: dashboard_settings.get_dashboard_settings(
        e, t, actor
    ),
    "tenant_statuses": lambda e, t, actor: sync_status.tenant_statuses(e, t, actor),
    "list_prices": lambda e, t, actor: prices.list_prices(e, t, actor),
    "price_history": lambda e, t, actor: prices.price_history(e, t, actor),
    "list_price_equivalents": lambda e, t, actor: prices.list_price_equivalents(
        e, t, actor, dt.date(2026, 1, 1), dt.date(2026, 1, 31)
    ),
}


@pytest.mark.parametrize("name", sorted(ADMIN_CALLS))
def test_every_admin_service_refuses_a_viewer(engine, tenants, name):
    tenant = tenants[0]
    users.create_user(
        engine, tenant, ADMIN, email="admin@a.example", password="password-a", role="admin"
    )
    before = _table_counts(engine)
    with pytest.raises(PermissionDenied, match="admin role"):
        ADMIN_CALLS[name](engine, tenant, VIEWER)
    assert _table_counts(engine) == before  # nothing written, not even an audit event


@pytest.mark.parametrize("name", sorted(ADMIN_READS))
def test_every_admin_read_refuses_a_viewer(engine, tenants, name):
    with pytest.raises(PermissionDenied, match="admin role"):
        ADMIN_READS[name](engine, tenants[0], VIEWER)


@pytest.mark.parametrize("name", sorted(SIGNED_IN_READS))
def test_signed_in_reads_serve_viewers_and_refuse_unknown_roles(engine, tenants, name):
    SIGNED_IN_READS[name](engine, tenants[0], VIEWER)
    with pytest.raises(PermissionDenied, match="signed-in"):
        SIGNED_IN_READS[name](engine, tenants[0], Actor("mallory@a.example", "superuser"))


def _table_counts(engine):
    from warehouse.models import Base

    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar()
            for t in Base.metadata.sorted_tables
        }


def test_every_admin_mutation_is_audited(engine, tenants):
    tenant = tenants[0]
    users.create_user(
        engine, tenant, ADMIN, email="v@a.example", password="password-v", role="viewer"
    )
    m1 = members.create_member(engine, tenant, ADMIN, display_name="Ada")
    members.edit_member(engine, tenant, ADMIN, m1, team="Platform")
    actions = [e["action"] for e in audit.list_events(engine, tenant, ADMIN)]
    assert actions == ["member.edit", "member.create", "user.create"]
    assert all(e["actor"] == ADMIN.email for e in audit.list_events(engine, tenant, ADMIN))


def test_encryption_round_trip_mask_and_rotation(engine, tenants):
    tenant = tenants[0]
    secret = "sk-ant-admin01-very-secret-9876"
    credentials.configure_source(
        engine,
        [KEY_OLD],
        tenant,
        ADMIN,
        "anthropic",
        {"admin_api_key": secret, "base_url": "http://127.0.0.1:9/anthropic"},
        {"admin_api_key"},
    )
    with Session(engine) as s:
        stored = {c.field: c.ciphertext for c in s.scalars(select(Credential))}
    assert secret not in stored["admin_api_key"]
    assert "very-secret" not in str(stored)
    assert (
        credentials.connector_config(engine, [KEY_OLD], tenant, "anthropic")["admin_api_key"]
        == secret
    )
    masked = credentials.masked_config(engine, [KEY_OLD], tenant, ADMIN, "anthropic")
    assert masked == {"admin_api_key": "••••9876", "base_url": "http://127.0.0.1:9/anthropic"}

    # Rotation: the new key first, the old one still accepted; afterwards the old key alone fails.
    assert credentials.rotate_all(engine, [KEY_NEW, KEY_OLD]) == 2
    assert (
        credentials.connector_config(engine, [KEY_NEW], tenant, "anthropic")["admin_api_key"]
        == secret
    )
    with pytest.raises(encryption.SecretKeyError, match="cannot be decrypted"):
        credentials.connector_config(engine, [KEY_OLD], tenant, "anthropic")


def test_merge_keeps_every_fact_and_every_link(engine, tenants):
    tenant = tenants[0]
    keep = members.create_member(engine, tenant, ADMIN, display_name="Ada Lovelace")
    gone = members.create_member(engine, tenant, ADMIN, display_name="ada (cursor)")
    accounts = [_account(engine, tenant, f"acct-{i}") for i in range(3)]
    identities.link_account(engine, tenant, ADMIN, accounts[0], keep)
    identities.link_account(engine, tenant, ADMIN, accounts[1], gone)
    identities.link_account(engine, tenant, ADMIN, accounts[2], gone)
    with Session(engine) as s, s.begin():
        for i in range(3):
            s.add(
                UsageFact(
                    tenant_id=tenant.id,
                    source="cursor",
                    record_key=f"rk{i}",
                    account_key=f"acct-{i}",
                    charge_period_start=dt.date(2026, 10, 1),
                    charge_period_end=dt.date(2026, 10, 2),
                    provider="Cursor",
                    service="Cursor",
                    sku="gpt",
                    billed_cost_micros=1_000_000 * (i + 1),
                )
            )
    facts_before = _facts(engine)
    members.merge_members(engine, tenant, ADMIN, keep, gone)
    assert _facts(engine) == facts_before
    with Session(engine) as s:
        links = {(k.vendor_account_id, k.member_id) for k in s.scalars(select(IdentityLink))}
    assert links == {(a, keep) for a in accounts}
    assert [m["id"] for m in members.list_members(engine, tenant, ADMIN)] == [keep]


def _facts(engine):
    with Session(engine) as s:
        return sorted(
            (f.record_key, f.account_key, f.billed_cost_micros)
            for f in s.scalars(select(UsageFact))
        )


def test_unlink_removes_only_the_link(engine, tenants):
    tenant = tenants[0]
    m = members.create_member(engine, tenant, ADMIN, display_name="Ada")
    a = _account(engine, tenant, "ada@x")
    identities.link_account(engine, tenant, ADMIN, a, m)
    assert identities.list_accounts(engine, tenant, ADMIN)[0]["member_id"] == m
    identities.unlink_account(engine, tenant, ADMIN, a)
    assert identities.list_accounts(engine, tenant, ADMIN)[0]["member_id"] is None


@pytest.mark.parametrize(
    "amount, start, end",
    [
        ("100.00", dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
        ("40", dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        ("0.07", dt.date(2026, 1, 1), dt.date(2026, 1, 10)),
        ("1234.567891", dt.date(2026, 3, 5), dt.date(2026, 4, 7)),
        ("-19.99", dt.date(2026, 5, 1), dt.date(2026, 5, 3)),
    ],
)
def test_manual_entry_split_sums_exactly(engine, tenants, amount, start, end):
    tenant = tenants[0]
    category = "Credit" if amount.startswith("-") else "Purchase"
    manual_entries.create_entry(
        engine,
        tenant,
        ADMIN,
        provider="GitHub",
        service="Copilot Business",
        amount=amount,
        period_start=start,
        period_end=end,
        charge_category=category,
    )
    config = manual_entries.connector_config(engine, tenant)
    batches = list(ManualConnector().fetch(config, start, end, FetchContext()))
    rows = [r for b in batches for r in b.usage]
    assert len(rows) == (end - start).days + 1
    assert sum(r.billed_cost_micros for r in rows) == int(Decimal(amount) * 1_000_000)
    assert {r.day for r in rows} == {start + dt.timedelta(days=i) for i in range(len(rows))}
    cents = [abs(r.billed_cost_micros) // 10_000 for r in rows]
    assert max(cents) - min(cents) <= 1  # even split


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"amount": "abc"}, "not a number"),
        ({"amount": "-5"}, "Credit or Adjustment"),
        ({"period_end": dt.date(2025, 12, 1)}, "before it starts"),
        ({"charge_category": "Gift"}, "category must be"),
        ({"amount": "1.0000001"}, "decimal places"),
    ],
)
def test_bad_manual_entries_get_clear_errors(engine, tenants, kwargs, message):
    base = dict(
        provider="Cursor",
        service="Seats",
        amount="10",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 1, 31),
    )
    with pytest.raises(manual_entries.ManualEntryError, match=message):
        manual_entries.create_entry(engine, tenants[0], ADMIN, **{**base, **kwargs})
    assert manual_entries.list_entries(engine, tenants[0], ADMIN) == []


def test_manual_entry_edit_is_attributed(engine, tenants):
    tenant = tenants[0]
    entry = manual_entries.create_entry(
        engine,
        tenant,
        ADMIN,
        provider="Cursor",
        service="Seats",
        amount="10",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 1, 31),
    )
    other = Actor("other-admin@a.example", "admin")
    manual_entries.edit_entry(engine, tenant, other, entry, amount="12.50")
    row = manual_entries.list_entries(engine, tenant, ADMIN)[0]
    assert row["amount_micros"] == 12_500_000
    assert row["created_by"] == ADMIN.email and row["updated_by"] == other.email
    assert row["updated_at"] is not None


def test_member_entry_is_booked_on_a_linked_account(engine, tenants):
    tenant = tenants[0]
    m = members.create_member(engine, tenant, ADMIN, display_name="Ada")
    manual_entries.create_entry(
        engine,
        tenant,
        ADMIN,
        provider="Cursor",
        service="Seats",
        amount="10",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 1, 1),
        member_id=m,
    )
    [acct] = identities.list_accounts(engine, tenant, ADMIN)
    assert (acct["source"], acct["account_key"], acct["member_id"]) == ("manual", f"member:{m}", m)
    assert (
        manual_entries.connector_config(engine, tenant)["entries"][0]["account_key"]
        == f"member:{m}"
    )


def test_users_roles_and_passwords(engine, tenants):
    tenant = tenants[0]
    users.create_user(
        engine, tenant, ADMIN, email="Boss@A.example", password="password-1", role="admin"
    )
    with pytest.raises(users.UserError, match="already exists"):
        users.create_user(
            engine, tenant, ADMIN, email="boss@a.example", password="password-1", role="admin"
        )
    with pytest.raises(users.UserError, match="at least 8"):
        users.create_user(
            engine, tenant, ADMIN, email="c@a.example", password="short", role="viewer"
        )
    with pytest.raises(users.UserError, match="role must be"):
        users.create_user(
            engine, tenant, ADMIN, email="c@a.example", password="password-1", role="root"
        )
    with pytest.raises(users.UserError, match="last admin"):
        users.change_role(engine, tenant, ADMIN, "boss@a.example", "viewer")
    [login] = users.login_directory(engine, tenant)
    assert login.email == "boss@a.example" and login.password_hash.startswith("$2")
    import bcrypt

    assert bcrypt.checkpw(b"password-1", login.password_hash.encode())
    users.reset_password(engine, tenant, ADMIN, "boss@a.example", "password-2")
    [login] = users.login_directory(engine, tenant)
    assert bcrypt.checkpw(b"password-2", login.password_hash.encode())
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 2
