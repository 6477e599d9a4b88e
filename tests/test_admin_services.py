"""The admin area's warehouse services on SQLite and PostgreSQL: identity review and linking,
members created from accounts, merge previews, dashboard settings, the audit log's filters,
connection checks and manual entries with tokens."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors.contract import CheckResult, Connector, CredentialField, FetchContext
from connectors.manual import ManualConnector
from connectors.money import split_over_days
from warehouse import (
    audit,
    credentials,
    dashboard_settings,
    encryption,
    identities,
    manual_entries,
    members,
    sync_status,
)
from warehouse.actors import Actor
from warehouse.models import AuditEvent, IdentityLink, Member, VendorAccount
from warehouse.tenants import create_tenant

ADMIN = Actor("admin@a.example", "admin")
VIEWER = Actor("viewer@a.example", "viewer")
KEY = encryption.generate_key()


@pytest.fixture
def tenant(engine):
    return create_tenant(engine, "acme")


def _account(engine, tenant, key, source="cursor", email=None, name=None, kind="user"):
    with Session(engine) as s, s.begin():
        row = VendorAccount(
            tenant_id=tenant.id,
            source=source,
            account_key=key,
            email=email,
            display_name=name,
            kind=kind,
        )
        s.add(row)
        s.flush()
        return row.id


def _count(engine, model):
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


def test_unlinked_accounts_are_grouped_by_vendor_with_possible_matches(engine, tenant):
    ada = members.create_member(engine, tenant, ADMIN, display_name="Ada", email="Ada@A.example")
    members.create_member(engine, tenant, ADMIN, display_name="Bob", email="bob@a.example")
    cursor_ada = _account(engine, tenant, "ada@a.example", name="Ada L.")
    _account(engine, tenant, "carol@a.example", email="carol@a.example")
    _account(engine, tenant, "key-1", source="anthropic", email="ADA@a.example", kind="api_key")
    linked = _account(engine, tenant, "bob@a.example")
    identities.link_account(engine, tenant, ADMIN, linked, ada)
    _account(engine, tenant, "unattributed", source="anthropic", kind="unattributed")

    review = identities.unlinked_accounts(engine, tenant, ADMIN)

    assert sorted(review) == ["anthropic", "cursor"]
    by_key = {a["account_key"]: a for group in review.values() for a in group}
    assert set(by_key) == {"ada@a.example", "carol@a.example", "key-1"}
    assert by_key["ada@a.example"]["possible_match"] == ada
    assert by_key["ada@a.example"]["possible_match_name"] == "Ada"
    assert by_key["key-1"]["possible_match"] == ada  # matched on its email, case-insensitively
    assert by_key["carol@a.example"]["possible_match"] is None
    assert by_key["ada@a.example"]["id"] == cursor_ada


def test_two_members_with_one_email_are_not_a_possible_match(engine, tenant):
    members.create_member(engine, tenant, ADMIN, display_name="Ada", email="ada@a.example")
    members.create_member(engine, tenant, ADMIN, display_name="Ada 2", email="ada@a.example")
    _account(engine, tenant, "ada@a.example")
    [account] = identities.unlinked_accounts(engine, tenant, ADMIN)["cursor"]
    assert account["possible_match"] is None


def test_create_member_from_account_links_it_in_one_step(engine, tenant):
    account = _account(engine, tenant, "dana@a.example", name="Dana Scully")
    member_id = identities.create_member_from_account(engine, tenant, ADMIN, account)
    [member] = members.list_members(engine, tenant, ADMIN)
    assert member == {
        "id": member_id,
        "display_name": "Dana Scully",
        "email": "dana@a.example",
        "team": None,
        "accounts": ["cursor:dana@a.example"],
    }
    assert identities.unlinked_accounts(engine, tenant, ADMIN) == {}
    actions = [e["action"] for e in audit.list_events(engine, tenant, ADMIN)]
    assert actions == ["identity.link", "member.create"]
    # Twice is refused, naming who has it, and nothing is written.
    before = (_count(engine, Member), _count(engine, AuditEvent))
    with pytest.raises(members.MemberError, match="already linked to Dana Scully"):
        identities.create_member_from_account(engine, tenant, ADMIN, account)
    assert (_count(engine, Member), _count(engine, AuditEvent)) == before


def test_member_from_an_api_key_account_is_named_after_the_key(engine, tenant):
    account = _account(engine, tenant, "ci-bot-key", source="anthropic", kind="api_key")
    member_id = identities.create_member_from_account(
        engine, tenant, ADMIN, account, display_name="CI robot", team="Platform"
    )
    [member] = members.list_members(engine, tenant, ADMIN)
    assert (member["id"], member["display_name"], member["email"], member["team"]) == (
        member_id,
        "CI robot",
        None,
        "Platform",
    )


def test_merge_preview_says_what_moves_and_changes_nothing(engine, tenant):
    keep = members.create_member(engine, tenant, ADMIN, display_name="Ada Lovelace")
    gone = members.create_member(engine, tenant, ADMIN, display_name="ada (cursor)")
    identities.link_account(engine, tenant, ADMIN, _account(engine, tenant, "ada@x"), gone)
    identities.link_account(
        engine, tenant, ADMIN, _account(engine, tenant, "k1", source="anthropic"), gone
    )
    manual_entries.create_entry(
        engine,
        tenant,
        ADMIN,
        provider="GitHub",
        service="Copilot",
        amount="19",
        period_start=dt.date(2026, 10, 1),
        period_end=dt.date(2026, 10, 31),
        member_id=gone,
    )
    before = (_count(engine, IdentityLink), _count(engine, Member), _count(engine, AuditEvent))

    preview = members.merge_preview(engine, tenant, ADMIN, keep, gone)

    assert preview.accounts == ("anthropic:k1", "cursor:ada@x")  # not the manual member:<id>
    assert preview.manual_entries == 1
    assert (preview.keep_name, preview.remove_name) == ("Ada Lovelace", "ada (cursor)")
    assert "2 linked account(s)" in preview.describe() and "1 manual entry" in preview.describe()
    assert (
        _count(engine, IdentityLink),
        _count(engine, Member),
        _count(engine, AuditEvent),
    ) == before

    moved = members.merge_members(engine, tenant, ADMIN, keep, gone)
    assert moved == preview
    [member] = members.list_members(engine, tenant, ADMIN)
    assert member["accounts"] == ["anthropic:k1", "cursor:ada@x"]
    assert manual_entries.list_entries(engine, tenant, ADMIN)[0]["member_name"] == "Ada Lovelace"
    [event] = audit.list_events(engine, tenant, ADMIN, actions=["member.merge"])
    assert event["detail"]["accounts"] == ["anthropic:k1", "cursor:ada@x"]


def test_merging_a_member_into_itself_is_refused(engine, tenant):
    m = members.create_member(engine, tenant, ADMIN, display_name="Ada")
    with pytest.raises(members.MemberError, match="into itself"):
        members.merge_preview(engine, tenant, ADMIN, m, m)


def test_editing_a_member_to_an_empty_name_is_refused(engine, tenant):
    m = members.create_member(engine, tenant, ADMIN, display_name="Ada")
    with pytest.raises(members.MemberError, match="display name"):
        members.edit_member(engine, tenant, ADMIN, m, display_name="  ")
    assert members.list_members(engine, tenant, ADMIN)[0]["display_name"] == "Ada"


def test_dashboard_settings_default_update_validate_and_audit(engine, tenant):
    defaults = dashboard_settings.get_dashboard_settings(engine, tenant, VIEWER)
    assert defaults == dashboard_settings.DashboardSettings(
        display_mode="named", fresh_hours=6, stale_hours=24, viewers_see_only_own_detail=False
    )
    updated = dashboard_settings.update_dashboard_settings(
        engine, tenant, ADMIN, display_mode="initialed", viewers_see_only_own_detail=True
    )
    assert dashboard_settings.get_dashboard_settings(engine, tenant, VIEWER) == updated
    assert updated.display_mode == "initialed" and updated.viewers_see_only_own_detail is True
    [event] = audit.list_events(engine, tenant, ADMIN)
    assert event["action"] == "settings.update"
    assert event["detail"]["display_mode"] == {"old": "named", "new": "initialed"}

    for bad, message in [
        ({"display_mode": "famous"}, "display mode must be"),
        ({"fresh_hours": 30}, "must be above the fresh one"),
        ({"stale_hours": 0}, "whole number of hours"),
        ({"fresh_hours": "6"}, "whole number of hours"),
        ({"colour": "red"}, "unknown settings"),
    ]:
        with pytest.raises(dashboard_settings.SettingsError, match=message):
            dashboard_settings.update_dashboard_settings(engine, tenant, ADMIN, **bad)
    assert dashboard_settings.get_dashboard_settings(engine, tenant, ADMIN) == updated
    assert len(audit.list_events(engine, tenant, ADMIN)) == 1
    # Saving the same values again changes nothing and audits nothing.
    dashboard_settings.update_dashboard_settings(engine, tenant, ADMIN, display_mode="initialed")
    assert len(audit.list_events(engine, tenant, ADMIN)) == 1


def test_settings_are_per_tenant(engine, tenant):
    other = create_tenant(engine, "globex")
    dashboard_settings.update_dashboard_settings(engine, tenant, ADMIN, display_mode="anonymous")
    assert dashboard_settings.get_dashboard_settings(engine, other, ADMIN).display_mode == "named"


def test_freshness_follows_the_thresholds():
    now = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
    ten_hours_ago = now - dt.timedelta(hours=10)
    assert sync_status.freshness(ten_hours_ago, now) == "stale"
    assert sync_status.freshness(ten_hours_ago, now, fresh_hours=12, stale_hours=48) == "fresh"
    assert sync_status.freshness(ten_hours_ago, now, fresh_hours=2, stale_hours=8) == "old"


def test_audit_log_filters(engine, tenant):
    other = Actor("other@a.example", "admin")
    members.create_member(engine, tenant, ADMIN, display_name="Ada")
    members.create_member(engine, tenant, other, display_name="Bob")
    credentials.configure_source(
        engine, [KEY], tenant, ADMIN, "cursor", {"api_key": "k" * 12}, {"api_key"}
    )
    with Session(engine) as s, s.begin():  # an old event, to filter by day
        s.add(
            AuditEvent(
                tenant_id=tenant.id,
                actor=ADMIN.email,
                action="member.create",
                target="99",
                detail={},
                at=dt.datetime(2025, 3, 1, 23, 59, tzinfo=dt.UTC),
            )
        )

    def targets(**filters):
        return [e["target"] for e in audit.list_events(engine, tenant, ADMIN, **filters)]

    assert len(targets()) == 4
    assert targets(actions=["vendor.configure"]) == ["cursor"]
    assert len(targets(by=other.email)) == 1
    assert targets(target_contains="curs") == ["cursor"]
    assert targets(until=dt.date(2025, 3, 1)) == ["99"]
    assert "99" not in targets(since=dt.date(2025, 3, 2))
    facets = audit.event_facets(engine, tenant, ADMIN)
    assert facets == {
        "actions": ["member.create", "vendor.configure"],
        "actors": [ADMIN.email, other.email],
    }


class _LeakyConnector(Connector):
    """A connector whose check fails and (wrongly) puts the key in its reason."""

    name = "leaky"
    provider = "Leaky"
    services = ("Leaky",)
    credential_fields = (CredentialField("api_key"),)

    def check(self, config):
        return CheckResult(False, f"401 for key {config['api_key']}")


def test_check_connection_is_audited_and_never_keeps_the_secret(engine, tenant):
    secret = "leaky-secret-key-123456"
    credentials.configure_source(
        engine, [KEY], tenant, ADMIN, "leaky", {"api_key": secret}, {"api_key"}
    )
    result = credentials.check_connection(engine, [KEY], tenant, ADMIN, _LeakyConnector)
    assert not result.ok
    assert secret not in result.reason and "401" in result.reason
    [event] = audit.list_events(engine, tenant, ADMIN, actions=["vendor.test"])
    assert event["target"] == "leaky" and event["detail"]["ok"] is False
    assert secret not in str(event["detail"])


def test_check_connection_names_missing_fields(engine, tenant):
    result = credentials.check_connection(engine, [KEY], tenant, ADMIN, _LeakyConnector)
    assert result == CheckResult(False, "not configured: missing api_key")


def test_manual_entry_tokens_are_split_exactly_and_validated(engine, tenant):
    start, end = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
    entry = manual_entries.create_entry(
        engine,
        tenant,
        ADMIN,
        provider="OpenAI",
        service="ChatGPT Team",
        amount="300",
        tokens="1,000,003",
        period_start=start,
        period_end=end,
    )
    config = manual_entries.connector_config(engine, tenant)
    rows = [r for b in ManualConnector().fetch(config, start, end, FetchContext()) for r in b.usage]
    assert sum(r.input_tokens for r in rows) == 1_000_003
    assert {r.output_tokens for r in rows} == {None}
    assert manual_entries.list_entries(engine, tenant, ADMIN)[0]["tokens"] == 1_000_003

    with pytest.raises(manual_entries.ManualEntryError, match="whole number"):
        manual_entries.edit_entry(engine, tenant, ADMIN, entry, tokens="12.5")
    with pytest.raises(manual_entries.ManualEntryError, match="negative"):
        manual_entries.edit_entry(engine, tenant, ADMIN, entry, tokens=-1)
    with pytest.raises(manual_entries.ManualEntryError, match="needs a provider"):
        manual_entries.edit_entry(engine, tenant, ADMIN, entry, provider=" ")
    manual_entries.edit_entry(engine, tenant, ADMIN, entry, tokens="")
    assert manual_entries.list_entries(engine, tenant, ADMIN)[0]["tokens"] is None
    rows = [
        r
        for b in ManualConnector().fetch(
            manual_entries.connector_config(engine, tenant), start, end, FetchContext()
        )
        for r in b.usage
    ]
    assert {r.input_tokens for r in rows} == {None}


@pytest.mark.parametrize("total, days", [(0, 3), (7, 3), (10**12 + 5, 31), (2, 5)])
def test_split_count_sums_exactly(total, days):
    start = dt.date(2026, 1, 1)
    parts = split_over_days(total, start, start + dt.timedelta(days=days - 1), step=1)
    assert sum(p for _, p in parts) == total
    assert len(parts) == days
    assert max(p for _, p in parts) - min(p for _, p in parts) <= 1
