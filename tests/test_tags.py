"""Tag assignments and the two marts behind them (spend_by_tag, vendor_period), on SQLite and
PostgreSQL: validation, audit, viewers refused; a key's rows sum to the month's spend to the
micro-dollar with an untagged row; the narrowest assignment wins; seats, idle seats and their
fee; freshness computed when read; the CLI."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from click.testing import CliRunner
from mart_seed import write
from sqlalchemy import Engine, select

from connectors.contract import Account, ActivityRecord, UsageRecord
from pipelines.cli import main
from warehouse import sync_status, tag_spend, tags, tenants, vendor_period
from warehouse.actors import SYSTEM, Actor, PermissionDenied
from warehouse.errors import InvalidInput, NotFound
from warehouse.models import AuditEvent, SyncStatus, UsageFact

JAN = dt.date(2025, 1, 10)
VIEWER = Actor("val@x.io", "viewer")


def _use(account, cost, *, sub=None, tokens=None, vendor_tags=None, basis="billed", listed=None):
    return UsageRecord(
        day=JAN, account_key=account, service="API", sku=f"m-{account}-{sub}-{basis}",
        billed_cost_micros=cost, input_tokens=tokens, sub_account=sub, tags=vendor_tags,
        cost_basis=basis, list_cost_micros=listed,
    )  # fmt: skip


def _seat(account, fee):
    return UsageRecord(
        day=JAN, account_key=account, service="Copilot", sku="seat", billed_cost_micros=fee,
        charge_category="Purchase", consumed_quantity=Decimal(1), consumed_unit="seat_days",
    )  # fmt: skip


@pytest.fixture
def acme(engine: Engine):
    tenant = tenants.create_tenant(engine, "acme")
    jan = (dt.date(2025, 1, 1), dt.date(2025, 1, 31))
    write(engine, tenant.id, "openai", *jan, [
        _use("key_a", 1_000_001, sub="proj_search", tokens=100),
        _use("bob@x.io", 2_000_000, sub="proj_ads"),
        _use("bob@x.io", 0, sub="proj_ads", basis="estimated", listed=555),
        _use("unattributed", 333_333, tokens=7, vendor_tags={"team": "vendor-team"}),
        _use("carol@x.io", 10, vendor_tags={"description": "d" * 5000}),
    ], accounts=[Account("key_a", kind="api_key"), Account("bob@x.io"), Account("carol@x.io"),
                 Account("unattributed", kind="unattributed")])  # fmt: skip
    write(engine, tenant.id, "copilot", *jan,
          [_seat("ada", 19_000_000), _seat("cy", 39_000_000), _seat("unattributed", 5)],
          activity=[ActivityRecord(JAN, "ada", "chat_requests", 3)],
          accounts=[Account("ada"), Account("cy")])  # fmt: skip
    return tenant


def _set(engine, tenant, source, dimension, value, key, tag_value, actor=SYSTEM):
    return tags.set_tag(engine, tenant, actor, source=source, dimension=dimension, value=value,
                        key=key, tag_value=tag_value)  # fmt: skip


def _month_total(engine, tenant_id) -> int:
    with engine.connect() as conn:
        rows = conn.execute(select(UsageFact.billed_cost_micros).where(
            UsageFact.tenant_id == tenant_id)).scalars()  # fmt: skip
        return sum(rows)


def test_assignments_are_validated_audited_and_admin_only(engine: Engine, acme) -> None:
    row = _set(engine, acme, "openai", "project", "proj_search", " Team ", "search")
    assert (row["tag_key"], row["tag_value"]) == ("team", "search")
    _set(engine, acme, "openai", "project", "proj_search", "team", "search-2")  # replaces
    listed = tags.list_assignments(engine, acme, SYSTEM)
    assert [(r["dimension_value"], r["tag_key"], r["tag_value"]) for r in listed] == [
        ("proj_search", "team", "search-2")
    ]
    bad = [
        (("openai", "team", "x", "k", "v"), "dimension must be one of"),
        (("openai", "project", "x", "9lives", "v"), "tag key '9lives'"),
        (("openai", "project", "  ", "k", "v"), "the project is required"),
        (("openai", "project", "x", "k", ""), "the value of tag 'k' is required"),
        (("Open AI", "project", "x", "k", "v"), "source 'Open AI'"),
        (("openai", "project", "x", "k", "v" * 201), "at most 200 allowed"),
    ]
    for args, message in bad:
        with pytest.raises(InvalidInput, match=message):
            _set(engine, acme, *args)
    with pytest.raises(PermissionDenied):
        _set(engine, acme, "openai", "project", "proj_ads", "team", "ads", actor=VIEWER)
    with pytest.raises(PermissionDenied):
        tags.list_assignments(engine, acme, VIEWER)
    with pytest.raises(NotFound, match="no tag 'owner'"):
        tags.remove_tag(engine, acme, SYSTEM, source="openai", dimension="project",
                        value="proj_search", key="owner")  # fmt: skip
    tags.remove_tag(engine, acme, SYSTEM, source="openai", dimension="project",
                    value="proj_search", key="team")  # fmt: skip
    assert tags.list_assignments(engine, acme, SYSTEM) == []
    with engine.connect() as conn:
        events = conn.execute(
            select(AuditEvent.action, AuditEvent.target, AuditEvent.detail).order_by(AuditEvent.id)
        ).all()
    assert [(e.action, e.detail.get("old"), e.detail.get("new")) for e in events] == [
        ("tag.set", None, "search"),
        ("tag.set", "search", "search-2"),
        ("tag.remove", "search-2", None),
    ]
    assert events[0].target == "openai/project/proj_search:team"


def test_discovered_values_are_what_an_admin_can_tag(engine: Engine, acme) -> None:
    found = tags.discovered_values(engine, acme, SYSTEM)
    assert found["api_key"] == [("openai", "key_a")]
    assert ("openai", "bob@x.io") in found["account"] and ("copilot", "cy") in found["account"]
    assert all(v != "unattributed" for _, v in found["account"])
    assert found["project"] == [("openai", "proj_ads"), ("openai", "proj_search")]


def test_spend_by_tag_sums_to_the_month_with_an_untagged_row(engine: Engine, acme) -> None:
    _set(engine, acme, "openai", "project", "proj_search", "team", "search")
    _set(engine, acme, "openai", "api_key", "key_a", "team", "platform")  # narrower: wins
    _set(engine, acme, "openai", "project", "proj_ads", "team", "ads")
    _set(engine, acme, "openai", "account", "bob@x.io", "cost_center", "cc1")
    written = tag_spend.refresh(engine, acme.id)
    assert written == tag_spend.refresh(engine, acme.id)  # a rebuild replaces, never adds
    team = tag_spend.spend_by_tag(engine, acme, VIEWER, "2025-01", "team")
    by_value = {(r["tag_value"], r["tagged"]): r for r in team}
    assert by_value[("platform", True)]["billed_cost_micros"] == 1_000_001
    assert by_value[("platform", True)]["tokens"] == 100
    ads = by_value[("ads", True)]
    assert (ads["billed_cost_micros"], ads["estimated_cost_micros"], ads["tokens"]) == (
        2_000_000, 555, None)  # fmt: skip
    assert by_value[("vendor-team", True)]["billed_cost_micros"] == 333_333
    untagged = by_value[("", False)]  # carol (10) and every copilot seat
    assert untagged["billed_cost_micros"] == 10 + 19_000_000 + 39_000_000 + 5
    assert untagged["tokens"] is None and team[-1] is untagged
    assert ("search", True) not in by_value
    total = _month_total(engine, acme.id)
    for key in tag_spend.tag_keys(engine, acme, VIEWER, "2025-01"):
        rows = tag_spend.spend_by_tag(engine, acme, VIEWER, "2025-01", key)
        assert sum(r["billed_cost_micros"] for r in rows) == total, key
    cost = {r["tag_value"]: r["billed_cost_micros"]
            for r in tag_spend.spend_by_tag(engine, acme, VIEWER, "2025-01", "cost_center")}  # fmt: skip
    assert cost == {"cc1": 2_000_000, "": total - 2_000_000}
    (long,) = [r for r in tag_spend.spend_by_tag(engine, acme, VIEWER, "2025-01", "description")
               if r["tagged"]]  # fmt: skip
    assert long["tag_value"] == "d" * 199 + "…" and long["billed_cost_micros"] == 10


def test_spend_by_tag_without_tags_is_empty_until_an_assignment(engine: Engine) -> None:
    """No vendor tag and no assignment: no key, no row. An assignment alone makes its key's
    rows (and the untagged rest) over the untagged facts."""
    tenant = tenants.create_tenant(engine, "plain")
    write(engine, tenant.id, "openai", JAN, JAN, [_use("bob@x.io", 7), _use("eve@x.io", 5)],
          accounts=[Account("bob@x.io"), Account("eve@x.io")])  # fmt: skip
    assert tag_spend.refresh(engine, tenant.id) == 0
    _set(engine, tenant, "openai", "account", "bob@x.io", "team", "ads")
    assert tag_spend.refresh(engine, tenant.id) == 2
    rows = tag_spend.spend_by_tag(engine, tenant, VIEWER, "2025-01", "team")
    assert [(r["tag_value"], r["tagged"], r["billed_cost_micros"]) for r in rows] == [
        ("ads", True, 7), ("", False, 5)]  # fmt: skip


def test_vendor_period_counts_seats_idle_seats_and_their_fee(engine: Engine, acme) -> None:
    sync_status.record_success(engine, acme.id, "openai", 5)
    sync_status.record_success(engine, acme.id, "manual", 1)
    write(engine, acme.id, "manual", JAN, JAN, [_use("ada", 42)])
    assert vendor_period.refresh(engine, acme.id) == 3
    with engine.connect() as conn:
        synced = conn.execute(select(SyncStatus.last_success_at).where(
            SyncStatus.source == "openai")).scalar_one()  # fmt: skip
    synced = sync_status.aware(synced)
    months = {m.source: m for m in vendor_period.vendor_periods(
        engine, acme, VIEWER, "2025-01", now=synced + dt.timedelta(hours=2))}  # fmt: skip
    copilot, openai = months["copilot"], months["openai"]
    assert (copilot.seats, copilot.idle_seats, copilot.idle_seat_cost_micros) == (2, 1, 39_000_000)
    assert copilot.billed_cost_micros == 58_000_005 and copilot.tokens is None
    assert copilot.freshness == "never"
    assert (openai.billed_cost_micros, openai.estimated_cost_micros, openai.tokens) == (
        3_333_344, 555, 107)  # fmt: skip
    assert (openai.seats, openai.freshness, openai.last_sync_at) == (0, "fresh", synced)
    assert months["manual"].freshness == "manual" and months["manual"].age_days == 0
    later = {m.source: m for m in vendor_period.vendor_periods(
        engine, acme, VIEWER, "2025-01", now=synced + dt.timedelta(hours=30, days=2))}  # fmt: skip
    assert later["openai"].freshness == "old" and later["manual"].age_days >= 3
    stale = vendor_period.vendor_periods(
        engine, acme, VIEWER, "2025-01", now=synced + dt.timedelta(hours=10)
    )
    assert {m.source: m.freshness for m in stale}["openai"] == "stale"


def test_the_cli_sets_lists_and_removes_tags(
    engine: Engine, acme, warehouse_url, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("AISPEND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AISPEND_DATABASE_URL", warehouse_url)
    monkeypatch.setenv("AISPEND_TENANT", "acme")
    run = CliRunner().invoke
    out = run(main, ["tag", "set", "openai", "project", "proj_ads", "team=ads"])
    assert out.exit_code == 0, out.output
    assert "openai project proj_ads: team=ads" in out.output
    listed = run(main, ["tag", "list"])
    assert "proj_ads" in listed.output and "team=ads" in listed.output
    bad = run(main, ["tag", "set", "openai", "project", "proj_ads", "team"])
    assert bad.exit_code == 1 and "error: tag 'team' is not key=value" in bad.output
    bad = run(main, ["tag", "set", "openai", "team", "proj_ads", "a=b"])
    assert bad.exit_code != 0 and "'team' is not one of" in bad.output
    missing = run(main, ["tag", "remove", "openai", "project", "proj_ads", "owner"])
    assert missing.exit_code == 1 and "error: no tag 'owner'" in missing.output
    assert run(main, ["tag", "remove", "openai", "project", "proj_ads", "team"]).exit_code == 0
    assert tags.list_assignments(engine, acme, SYSTEM) == []
    with engine.connect() as conn:  # the refused commands wrote nothing, not even an event
        actions = conn.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars()
        assert list(actions) == ["tag.set", "tag.remove"]


def test_a_tag_budget_counts_spend_its_tag_was_assigned_to(engine: Engine, acme) -> None:
    from warehouse import budgets

    budgets.set_budget(engine, acme, SYSTEM, scope="tag", target="team=ads",
                       monthly_micros=4_000_000)  # fmt: skip
    budgets.set_budget(engine, acme, SYSTEM, scope="tag", target="team=vendor-team",
                       monthly_micros=1_000_000)  # fmt: skip

    def spent() -> dict[str, int]:
        usage = budgets.utilisation(engine, acme, SYSTEM, "2025-01", today=dt.date(2025, 2, 1))
        return {u.budget.target: u.spend_micros for u in usage}

    assert spent() == {"team=ads": 0, "team=vendor-team": 333_333}  # the vendor's own tag
    _set(engine, acme, "openai", "project", "proj_ads", "team", "ads")
    _set(engine, acme, "openai", "account", "unattributed", "team", "ads")  # replaces the vendor's
    assert spent() == {"team=ads": 2_333_333, "team=vendor-team": 0}  # billed only: no estimate


def test_the_analytics_csv_holds_spend_by_tag_summing_to_the_month(engine: Engine, acme) -> None:
    import csv
    import io

    from dashboard import analytics_csv

    _set(engine, acme, "openai", "api_key", "key_a", "team", "platform")
    _set(engine, acme, "openai", "project", "proj_ads", "team", "ads")
    _set(engine, acme, "openai", "account", "bob@x.io", "cost_center", "cc1")
    tag_spend.refresh(engine, acme.id)
    view = analytics_csv.on_screen(engine, acme, VIEWER, "2025-01")
    assert list(view.by_tag) == tag_spend.tag_keys(engine, acme, VIEWER, "2025-01")
    rows = list(csv.DictReader(io.StringIO(analytics_csv.analytics_csv(view).decode())))
    tagged = [r for r in rows if r["section"] == "tag"]
    total = Decimal(_month_total(engine, acme.id)) / 1_000_000
    assert {r["detail"] for r in tagged} == {"cost_center", "description", "team"}
    for key in ("cost_center", "description", "team"):
        assert sum(Decimal(r["billed_usd"]) for r in tagged if r["detail"] == key) == total, key
    team = {r["item"]: r for r in tagged if r["detail"] == "team"}
    assert team["platform"]["billed_usd"] == "1.000001" and team["platform"]["tokens"] == "100"
    assert team["ads"]["estimate_usd"] == "0.000555" and team["ads"]["tokens"] == ""
    assert team["(untagged)"]["billed_usd"] == "58.000015"  # carol's 10 and the copilot seats
