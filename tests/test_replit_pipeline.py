"""Replit (experimental) through the real pipeline, on SQLite and PostgreSQL: the simulated
Enterprise Admin API over HTTP, the Dagster ingest asset and its checks (the unit guard on
agent checkpoints included), the warehouse, and the demo's identity linking.

Per day, linked members plus the explicit ``unattributed`` account (usage nobody owns) plus
members Replit no longer lists equal the timeseries total to the micro-dollar, as the FOCUS
export says it; members without an email are linked by name, as the demo does.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import dagster as dg
from cryptography.fernet import Fernet
from sqlalchemy.orm import Session

from connectors.dates import days
from connectors.replit import ReplitConnector
from connectors.simulator import Simulator
from pipelines.checks import build_ingest_checks
from pipelines.demo import link_demo_team
from pipelines.ingest import TENANT_TAG, build_ingest_asset, range_tags
from pipelines.resources import WarehouseResource, dispose_engines
from warehouse import credentials, identities, tenants
from warehouse.actors import SYSTEM
from warehouse.export import focus_rows
from warehouse.models import VendorAccount
from warehouse.settings import Settings

START, END = dt.date(2026, 9, 1), dt.date(2026, 9, 10)


def test_members_plus_unattributed_equal_the_daily_total(
    engine, warehouse_url, tmp_path, monkeypatch
):
    monkeypatch.setenv("AISPEND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AISPEND_DATABASE_URL", warehouse_url)
    monkeypatch.setenv("AISPEND_SECRET_KEY", Fernet.generate_key().decode())
    settings = Settings.from_env()
    acme = tenants.create_tenant(engine, "acme")
    resource = WarehouseResource.for_settings(settings)
    try:
        with Simulator(members=10, vendors=["replit"], start=START, days=20) as sim:
            credentials.configure_source(
                engine, settings.secret_keys, acme, SYSTEM, "replit", sim.config("replit"),
                {"api_key"},
            )  # fmt: skip
            result = dg.materialize(
                [build_ingest_asset(ReplitConnector), *build_ingest_checks(ReplitConnector)],
                resources={"warehouse": resource},
                tags={**range_tags(START, END), TENANT_TAG: "acme"},
            )
            checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
            expected = {d: sim.expected_billed_micros("replit", d) for d in days(START, END)}
            vendor = sim.vendor("replit")
            left = {m.name for m in vendor.team if m.index % 7 == 6}
    finally:
        resource.release()
        dispose_engines()
    assert {name: c.passed for name, c in checks.items()} == {
        "unique_record_keys": True,
        "no_negative_usage_cost": True,
        "accuracy_invariant": True,
    }
    listed = {m.name for m in vendor.listed_members()}
    no_email = [m for m in vendor.listed_members() if m.index % 5 == 4]
    assert no_email
    with Session(engine) as s, s.begin():  # the same people as another vendor knows them
        for m in no_email:
            s.add(VendorAccount(tenant_id=acme.id, source="cursor", account_key=m.email,
                                email=m.email, display_name=m.name))  # fmt: skip
    assert link_demo_team(engine, acme) == len(listed)  # members made from emails
    accounts = identities.list_accounts(engine, acme, SYSTEM)
    replit_linked = {a["member_name"] for a in accounts if a["source"] == "replit"}
    assert listed <= replit_linked  # those without an email too, by their display name

    by_day: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in focus_rows(engine, acme, START, END):
        assert row["x_Source"] == "replit" and row["x_Confidence"] == "medium"
        micros = Decimal(row["BilledCost"]).scaleb(6)
        assert micros == int(micros), row
        holder = row["x_MemberName"] or row["x_AccountKey"]
        by_day[row["ChargePeriodStart"][:10]][holder] += int(micros)
    saw_unattributed = False
    for day in days(START, END):
        holders = by_day[day.isoformat()]
        assert sum(holders.values()) == expected[day], day
        unknown = set(holders) - listed - {"unattributed"}
        assert all(h.isdigit() for h in unknown), unknown  # only members who left: user ids
        saw_unattributed |= "unattributed" in holders
    assert saw_unattributed and left
