"""Copilot seat plans and idle seats through the warehouse and the real pipeline, on SQLite and
PostgreSQL: a price change closes the old price and never re-prices earlier months; the
pipeline hands the tenant's prices to the connector; a month of seats in the FOCUS export sums
to exactly seats × price; the accuracy check passes; seats without activity are idle.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from decimal import Decimal

import dagster as dg
import pytest
from cryptography.fernet import Fernet

from connectors.copilot import CopilotConnector
from connectors.copilot.seats import DEFAULT_SEAT_PLAN
from connectors.simulator import Simulator
from pipelines.checks import build_ingest_checks
from pipelines.ingest import TENANT_TAG, build_ingest_asset, range_tags
from pipelines.resources import WarehouseResource, dispose_engines
from warehouse import credentials, seat_plans, tenants
from warehouse.actors import SYSTEM, Actor
from warehouse.connector_inputs import config_for
from warehouse.export import focus_rows
from warehouse.idle_seats import idle_seats

ADMIN = Actor("admin@a.example", "admin")
START, END = dt.date(2026, 9, 1), dt.date(2026, 10, 31)


def test_a_price_change_closes_the_old_price_and_never_rewrites_it(engine):
    t = tenants.create_tenant(engine, "acme")
    seat_plans.set_price(engine, t, ADMIN, source="copilot", plan="business", amount="19",
                         valid_from=dt.date(2026, 1, 1))  # fmt: skip
    seat_plans.set_price(engine, t, ADMIN, source="copilot", plan="Business", amount="$21.50",
                         valid_from=dt.date(2026, 10, 1))  # fmt: skip
    rows = seat_plans.list_prices(engine, t, ADMIN, "copilot")
    assert [(r["usd_per_seat_month"], r["valid_from"], r["valid_to"]) for r in rows] == [
        (Decimal("19"), dt.date(2026, 1, 1), dt.date(2026, 9, 30)),
        (Decimal("21.5"), dt.date(2026, 10, 1), None),
    ]
    with pytest.raises(seat_plans.SeatPlanError, match="never re-priced"):
        seat_plans.set_price(engine, t, ADMIN, source="copilot", plan="business", amount="5",
                             valid_from=dt.date(2026, 10, 1))  # fmt: skip
    with pytest.raises(seat_plans.SeatPlanError, match="first day of a month"):
        seat_plans.set_price(engine, t, ADMIN, source="copilot", plan="business", amount="5",
                             valid_from=dt.date(2026, 11, 15))  # fmt: skip
    with pytest.raises(seat_plans.SeatPlanError, match="not a number"):
        seat_plans.set_price(engine, t, ADMIN, source="copilot", plan="business", amount="lots",
                             valid_from=dt.date(2026, 12, 1))  # fmt: skip
    assert len(seat_plans.list_prices(engine, t, ADMIN)) == 2  # nothing half-written
    # the connector gets the default before the first stored price, then the stored ones
    plan = json.loads(seat_plans.plan_setting(engine, t, "copilot", DEFAULT_SEAT_PLAN))
    assert {"plan": "enterprise", "usd_per_seat_month": "39"} in plan
    assert {"plan": "business", "usd_per_seat_month": "19", "valid_to": "2025-12-31"} in plan
    assert plan[-1] == {"plan": "business", "usd_per_seat_month": "21.5",
                        "valid_from": "2026-10-01", "valid_to": None}  # fmt: skip
    assert seat_plans.plan_setting(engine, t, "cursor", None) is None


@pytest.fixture
def synced(engine, warehouse_url, tmp_path, monkeypatch):
    monkeypatch.setenv("AISPEND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AISPEND_DATABASE_URL", warehouse_url)
    monkeypatch.setenv("AISPEND_SECRET_KEY", Fernet.generate_key().decode())
    from warehouse.settings import Settings

    settings = Settings.from_env()
    acme = tenants.create_tenant(engine, "acme")
    resource = WarehouseResource.for_settings(settings)
    with Simulator(members=7, vendors=["copilot"], start=START, days=61) as sim:
        credentials.configure_source(engine, settings.secret_keys, acme, SYSTEM, "copilot",
                                     sim.config("copilot"), {"token"})  # fmt: skip

        def run() -> dict[str, dg.AssetCheckEvaluation]:
            result = dg.materialize(
                [build_ingest_asset(CopilotConnector), *build_ingest_checks(CopilotConnector)],
                resources={"warehouse": resource},
                tags={**range_tags(START, END), TENANT_TAG: "acme"},
            )
            return {e.check_name: e for e in result.get_asset_check_evaluations()}

        yield sim, acme, settings, run
    resource.release()
    dispose_engines()


def _seat_months(engine, tenant) -> dict[int, int]:
    months: dict[int, int] = defaultdict(int)
    for row in focus_rows(engine, tenant, START, END):
        if row["x_Source"] == "copilot" and row["ChargeCategory"] == "Purchase":
            months[int(row["ChargePeriodStart"][5:7])] += int(Decimal(row["BilledCost"]).scaleb(6))
    return months


def test_seat_prices_reach_the_facts_and_the_checks_pass(engine, synced):
    sim, acme, settings, run = synced
    seats = len(sim.vendor("copilot").seats)  # 7 members + 2 without an assignee
    checks = run()
    assert checks and all(c.passed for c in checks.values()), {
        n: c.metadata for n, c in checks.items() if not c.passed
    }
    assert _seat_months(engine, acme) == {
        9: 19_000_000 * (seats - 1) + 10 * 630_000,  # one seat granted on 2026-09-21
        10: 19_000_000 * seats,
    }
    billed: dict[str, int] = defaultdict(int)
    for row in focus_rows(engine, acme, START, END):
        if row["x_Source"] == "copilot" and row["x_CostBasis"] == "billed":
            billed[row["ChargePeriodStart"][:10]] += int(Decimal(row["BilledCost"]).scaleb(6))
    vendor = sim.vendor("copilot")
    for day in (START + dt.timedelta(days=i) for i in range((END - START).days + 1)):
        assert billed[day.isoformat()] == vendor.expected_billed_micros(day), day
    seat_plans.set_price(engine, acme, ADMIN, source="copilot", plan="business", amount="25",
                         valid_from=dt.date(2026, 10, 1))  # fmt: skip
    config = config_for(engine, settings.secret_keys, CopilotConnector, acme)
    assert "25" in config["seat_plan"]
    checks = run()
    assert all(c.passed for c in checks.values())
    # September keeps $19 (the seat granted on 2026-09-21 pays its share from that day)
    assert _seat_months(engine, acme) == {
        9: 19_000_000 * (seats - 1) + 10 * 630_000,  # one seat granted on 2026-09-21
        10: 25_000_000 * seats,
    }


def test_seats_without_activity_are_idle(engine, synced):
    sim, acme, _settings, run = synced
    run()
    idle = idle_seats(engine, acme, ADMIN, dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    expected = {
        s.login for s in sim.vendor("copilot").seats if s.member and s.member.index % 6 == 3
    }
    assert {r["account_key"] for r in idle} == expected
    assert all(r["seat_fee_micros"] == 19_000_000 and r["last_active"] is None for r in idle)
    with pytest.raises(Exception, match="admin role"):
        idle_seats(engine, acme, Actor("v@a.example", "viewer"), START, END)
    # the suggestions' idle-seat hint: a seat fee is not use
    from pipelines.demo import link_demo_team
    from pipelines.suggestions.inputs import member_months

    assert link_demo_team(engine, acme)  # the accounts with a public email become members
    hints = {
        m.member_id: m.facts()["hints"]["idle_tools"]
        for m in member_months(engine, acme.id, ["2026-10"])
    }
    linked = {a["account_key"]: a["member_id"] for a in _accounts(engine, acme)}
    (idle_login,) = expected
    assert hints[linked[idle_login]] == ["Copilot"]
    assert all(hints[m] == [] for k, m in linked.items() if m and k != idle_login)


def _accounts(engine, tenant):
    from warehouse.identities import list_accounts

    return [a for a in list_accounts(engine, tenant, ADMIN) if a["source"] == "copilot"]


def test_the_seats_cli_sets_lists_and_refuses_with_one_line(engine, warehouse_url, tmp_path,
                                                            monkeypatch):  # fmt: skip
    from click.testing import CliRunner

    from pipelines.cli import main

    monkeypatch.setenv("AISPEND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AISPEND_DATABASE_URL", warehouse_url)
    monkeypatch.delenv("AISPEND_TENANT", raising=False)
    tenants.create_tenant(engine, "default")

    def run(*args: str):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    assert "defaults apply" in run("seats", "plan", "list").output
    done = run("seats", "plan", "set", "enterprise", "42", "--from", "2026-11-01")
    assert done.exit_code == 0 and "$42 per seat and month from 2026-11-01" in done.output
    listed = run("seats", "plan", "list", "--source", "copilot").output
    assert "copilot enterprise: $42 per seat and month, 2026-11-01 to …" in listed
    refused = run("seats", "plan", "set", "enterprise", "40", "--from", "2026-10-01")
    assert refused.exit_code == 1
    assert refused.output.startswith("error: ") and refused.output.count("\n") == 1
    assert "no idle seats" in run("seats", "idle", "--start", "2026-10-01", "--end",
                                  "2026-10-31").output  # fmt: skip


@pytest.mark.slow
@pytest.mark.xdist_group("demo")
def test_the_demo_bills_copilot_seats_to_linked_members(demo_run) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from warehouse.engine import make_engine
    from warehouse.models import IdentityLink, VendorAccount

    home = demo_run.home
    assert demo_run.exit_code == 0, demo_run.lines
    # The demo's summary table has a row per source: copilot synced fine.
    summary = "\n".join(demo_run.lines)
    assert re.search(r"^copilot\s+\d+\s+[\d,]+\s+[\d.]+\s+ok$", summary, re.M), summary
    engine = make_engine(f"sqlite:///{home / 'warehouse.db'}")
    with Session(engine) as s:
        logins = s.execute(
            select(VendorAccount.account_key, IdentityLink.member_id)
            .outerjoin(IdentityLink, IdentityLink.vendor_account_id == VendorAccount.id)
            .where(VendorAccount.source == "copilot", VendorAccount.kind == "user")
        ).all()
    tenant = tenants.get_tenant(engine, "default")
    rows = [r for r in focus_rows(engine, tenant, dt.date(2000, 1, 1), dt.date(2100, 1, 1))
            if r["x_Source"] == "copilot" and r["ChargeCategory"] == "Purchase"]  # fmt: skip
    engine.dispose()
    assert len(logins) == 4 and all(member is not None for _, member in logins)
    assert rows
    assert all(r["x_MemberName"] for r in rows if r["x_AccountKey"] != "unattributed")


def test_admins_set_seat_prices_on_the_copilot_card(dashboard_env, engine) -> None:
    from dashboard_apptest import ADMIN as DASH_ADMIN
    from dashboard_apptest import app, errors, login

    at = login(app(), *DASH_ADMIN[:2])
    at.switch_page("app_pages/admin_vendors.py").run()
    assert not at.exception, at.exception
    assert any("defaults apply" in c.value for c in at.caption)
    at.text_input(key="seat_plan_copilot_plan").input("business")
    at.text_input(key="seat_plan_copilot_usd").input("21.50")
    at.date_input(key="seat_plan_copilot_from").set_value(dt.date(2026, 12, 1))
    next(b for b in at.button if b.label == "Set price").click().run()
    assert not at.exception, at.exception
    assert errors(at) == []
    [row] = seat_plans.list_prices(engine, dashboard_env, ADMIN, "copilot")
    assert (row["plan"], row["usd_per_seat_month"], row["valid_from"]) == (
        "business", Decimal("21.5"), dt.date(2026, 12, 1))  # fmt: skip
    at.text_input(key="seat_plan_copilot_plan").input("business")
    at.text_input(key="seat_plan_copilot_usd").input("5")
    at.date_input(key="seat_plan_copilot_from").set_value(dt.date(2026, 11, 1))
    next(b for b in at.button if b.label == "Set price").click().run()
    assert any("never re-priced" in e for e in errors(at))
    assert len(seat_plans.list_prices(engine, dashboard_env, ADMIN, "copilot")) == 1
