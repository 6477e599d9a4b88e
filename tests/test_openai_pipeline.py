"""OpenAI through the real pipeline, on SQLite and PostgreSQL: the simulated Administration API
over HTTP, the Dagster ingest asset and its checks, the warehouse, and identity linking.

Per day, what people (members linked by email) plus service accounts plus the explicit
``unattributed`` account were billed, as the FOCUS export says it, equals the costs endpoint
to the micro-dollar, exactly as its float amounts read; the accuracy check passes; token
columns equal the tokens processed, each once; a second run changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import dagster as dg
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors.dates import days
from connectors.openai import OpenAIConnector
from connectors.simulator import Simulator
from pipelines.checks import build_ingest_checks
from pipelines.demo import link_demo_team
from pipelines.ingest import TENANT_TAG, build_ingest_asset, range_tags
from pipelines.resources import WarehouseResource, dispose_engines
from warehouse import credentials, tenants
from warehouse.actors import SYSTEM
from warehouse.export import focus_rows
from warehouse.models import UsageFact, VendorAccount, VendorBilledTotal
from warehouse.settings import Settings

START, END = dt.date(2026, 9, 1), dt.date(2026, 9, 12)


@pytest.fixture
def synced(engine, warehouse_url, tmp_path, monkeypatch):
    monkeypatch.setenv("AISPEND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AISPEND_DATABASE_URL", warehouse_url)
    monkeypatch.setenv("AISPEND_SECRET_KEY", Fernet.generate_key().decode())
    settings = Settings.from_env()
    acme = tenants.create_tenant(engine, "acme")
    resource = WarehouseResource.for_settings(settings)
    with Simulator(members=9, vendors=["openai"], start=START, days=30) as sim:
        credentials.configure_source(
            engine, settings.secret_keys, acme, SYSTEM, "openai", sim.config("openai"),
            {"admin_api_key"},
        )  # fmt: skip

        def run() -> dict[str, dg.AssetCheckEvaluation]:
            result = dg.materialize(
                [build_ingest_asset(OpenAIConnector), *build_ingest_checks(OpenAIConnector)],
                resources={"warehouse": resource},
                tags={**range_tags(START, END), TENANT_TAG: "acme"},
            )
            return {e.check_name: e for e in result.get_asset_check_evaluations()}

        yield sim, acme, run
    resource.release()
    dispose_engines()


def _billed_by_day_and_holder(engine, tenant, services: set[str]) -> dict[str, dict[str, int]]:
    """From the FOCUS export: billed micros per day and holder (the linked member's name,
    ``service_account``, ``unattributed``, or an unexpected account key)."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in focus_rows(engine, tenant, START, END):
        if row["x_Source"] != "openai" or row["x_CostBasis"] != "billed":
            continue
        key = row["x_AccountKey"]
        holder = row["x_MemberName"] or ("service_account" if key in services else key)
        micros = Decimal(row["BilledCost"]).scaleb(6)
        assert micros == int(micros), row  # exact micro-dollars in the export
        out[row["ChargePeriodStart"][:10]][holder] += int(micros)
    return out


def test_people_plus_unattributed_equal_the_bill_every_day(engine, synced):
    sim, acme, run = synced
    checks = run()
    assert {name: c.passed for name, c in checks.items()} == {
        "unique_record_keys": True,
        "no_negative_usage_cost": True,
        "accuracy_invariant": True,
    }
    assert checks["accuracy_invariant"].metadata["days_checked"].value == (END - START).days + 1
    assert link_demo_team(engine, acme) == len(sim.team)  # members from accounts, by email

    vendor = sim.vendor("openai")
    services = {k.service_account[0] for k in vendor.keys if k.service_account}
    by_day = _billed_by_day_and_holder(engine, acme, services)
    names = {m.name for m in sim.team}
    with Session(engine) as s:
        totals = dict(
            s.execute(
                select(VendorBilledTotal.day, VendorBilledTotal.billed_cost_micros).where(
                    VendorBilledTotal.source == "openai"
                )
            ).all()
        )
    for day in days(START, END):
        holders = by_day[day.isoformat()]
        people = sum(micros for who, micros in holders.items() if who in names)
        services = holders.get("service_account", 0)
        unattributed = holders.get("unattributed", 0)
        assert set(holders) - names <= {"service_account", "unattributed"}, holders
        assert people > 0 and services > 0 and unattributed > 0
        expected = sim.expected_billed_micros("openai", day)
        assert people + services + unattributed == expected == totals[day], day


def test_tokens_are_counted_once_and_a_rerun_changes_nothing(engine, synced):
    sim, _, run = synced
    run()
    tokens = (
        func.coalesce(func.sum(UsageFact.input_tokens), 0)
        + func.coalesce(func.sum(UsageFact.output_tokens), 0)
        + func.coalesce(func.sum(UsageFact.cache_read_tokens), 0)
        + func.coalesce(func.sum(UsageFact.cache_write_tokens), 0)
    )
    with Session(engine) as s:
        per_day = dict(
            s.execute(
                select(UsageFact.charge_period_start, tokens)
                .where(UsageFact.source == "openai")
                .group_by(UsageFact.charge_period_start)
            ).all()
        )
        cached = s.scalar(select(func.sum(UsageFact.cache_read_tokens)))
        before = sorted(
            s.execute(
                select(UsageFact.record_key, UsageFact.billed_cost_micros, UsageFact.input_tokens)
            ).all()
        )
        kinds = dict(s.execute(select(VendorAccount.account_key, VendorAccount.kind)).all())
    for day in days(START, END):
        assert int(per_day[day]) == sim.expected_tokens("openai", day), day
    assert cached and cached > 0
    assert not any(k.startswith("x_") for k in kinds), "a control total became an account"
    assert "service_account" in kinds.values() and kinds["unattributed"] == "unattributed"

    assert run()["accuracy_invariant"].passed
    with Session(engine) as s:
        after = sorted(
            s.execute(
                select(UsageFact.record_key, UsageFact.billed_cost_micros, UsageFact.input_tokens)
            ).all()
        )
    assert after == before
