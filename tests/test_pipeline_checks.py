"""The accuracy invariant as a Dagster asset check, on SQLite and PostgreSQL: judged per day
of the run's partitions (not the whole table), holding people + unattributed to the vendor's
control total, guarding units, and reconciling independent period totals once synced."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import dagster as dg
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import MetaData, UniqueConstraint, insert
from sqlalchemy.exc import IntegrityError

from connectors.contract import (
    CheckResult,
    Connector,
    CredentialField,
    FetchBatch,
    ReconciliationTotal,
    UnitPrice,
    UsageRecord,
    VendorTotal,
)
from connectors.dates import days
from pipelines.checks import build_ingest_checks, duplicate_record_keys
from pipelines.ingest import TENANT_TAG, build_ingest_asset, range_tags
from pipelines.resources import WarehouseResource, dispose_engines
from warehouse import credentials, tenants
from warehouse.actors import SYSTEM
from warehouse.engine import make_engine
from warehouse.models import FACT_IDENTITY, Base, Tenant, UsageFact
from warehouse.settings import Settings

BAD_DAY = dt.date(2025, 3, 3)
MILLION = Decimal(1_000_000)


class Scripted(Connector):
    """Bills $3 per million tokens a day to one key; the test sets what goes wrong."""

    name = "scripted"
    provider = "Scripted"
    services = ("API",)
    credential_fields = (CredentialField("api_key"),)
    unit_prices = (UnitPrice("tokens", Decimal("0.000000005"), Decimal("0.00008")),)
    script: dict = {}

    def check(self, config):
        return CheckResult(True)

    def fetch(self, config, start, end, ctx):
        scale = self.script.get("scale", 1)
        batch = FetchBatch()
        for day in days(start, end):
            batch.usage.append(
                UsageRecord(
                    day=day,
                    account_key="key-1",
                    service="API",
                    sku="m",
                    billed_cost_micros=3_000_000 * scale,
                    consumed_quantity=MILLION,
                    consumed_unit="tokens",
                )
            )
            if not self.script.get("no_totals"):
                short = 1 if day == self.script.get("short_day") else 0
                batch.vendor_totals.append(VendorTotal(day, 3_000_000 * scale - short))
        if self.script.get("refund_as_usage"):  # a credit booked as usage: negative cost
            batch.usage.append(
                UsageRecord(
                    day=start,
                    account_key="key-1",
                    service="API",
                    sku="refund",
                    billed_cost_micros=-1_000_000,
                )
            )
        period = self.script.get("reconcile")
        if period:
            first, last, amount = period
            batch.reconciliation.append(ReconciliationTotal("cycle", first, last, amount, "key-1"))
        batch.reconciliation.extend(self.script.get("totals", ()))
        yield batch


@pytest.fixture
def warehouse(engine, warehouse_url, tmp_path, monkeypatch):
    monkeypatch.setenv("AISPEND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AISPEND_DATABASE_URL", warehouse_url)
    monkeypatch.setenv("AISPEND_SECRET_KEY", Fernet.generate_key().decode())
    settings = Settings.from_env()
    acme = tenants.create_tenant(engine, "acme")
    credentials.configure_source(
        engine, settings.secret_keys, acme, SYSTEM, "scripted", {"api_key": "k"}, {"api_key"}
    )
    resource = WarehouseResource.for_settings(settings)
    yield resource
    resource.release()
    Scripted.script = {}
    dispose_engines()


def _run(resource, start: dt.date, end: dt.date, **script) -> dict[str, dg.AssetCheckEvaluation]:
    Scripted.script = script
    result = dg.materialize(
        [build_ingest_asset(Scripted), *build_ingest_checks(Scripted)],
        resources={"warehouse": resource},
        tags={**range_tags(start, end), TENANT_TAG: "acme"},
    )
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_a_short_day_fails_only_the_runs_that_cover_it(warehouse):
    first = _run(warehouse, dt.date(2025, 3, 1), dt.date(2025, 3, 5), short_day=BAD_DAY)
    accuracy = first["accuracy_invariant"]
    assert not accuracy.passed
    assert "2025-03-03" in accuracy.description and "off by $0.000001" in accuracy.description
    assert accuracy.metadata["days_checked"].value == 5
    # The bad day stays in the table; a run over other days judges only its own days.
    later = _run(warehouse, dt.date(2025, 3, 4), dt.date(2025, 3, 6))
    assert later["accuracy_invariant"].passed
    assert later["accuracy_invariant"].metadata["days_checked"].value == 3
    assert later["unique_record_keys"].passed and later["no_negative_usage_cost"].passed
    assert later["unique_record_keys"].metadata["duplicates"].value == []


def test_negative_usage_cost_fails_its_check_and_the_same_pass_feeds_the_invariant(warehouse):
    checks = _run(warehouse, dt.date(2025, 3, 1), dt.date(2025, 3, 2), refund_as_usage=True)
    negative = checks["no_negative_usage_cost"]
    assert not negative.passed and negative.metadata["negative_rows"].value == 1
    # One pass over the run's facts serves both checks: the refund lowers 2025-03-01's billed
    # spend below its control total (the invariant's problem), and nothing else is wrong.
    accuracy = checks["accuracy_invariant"]
    assert not accuracy.passed and "2025-03-01" in accuracy.description
    assert "off by $-1" in accuracy.description
    assert accuracy.metadata["days_checked"].value == 2


def test_cents_read_as_dollars_fail_even_when_facts_and_totals_agree(warehouse):
    checks = _run(warehouse, dt.date(2025, 3, 1), dt.date(2025, 3, 2), scale=100)
    accuracy = checks["accuracy_invariant"]
    assert not accuracy.passed
    assert "cents read as dollars" in accuracy.description


def test_a_source_without_control_totals_is_a_warning_not_a_pass(warehouse):
    checks = _run(warehouse, dt.date(2025, 3, 1), dt.date(2025, 3, 2), no_totals=True)
    accuracy = checks["accuracy_invariant"]
    assert not accuracy.passed and accuracy.severity == dg.AssetCheckSeverity.WARN
    assert "no control total" in accuracy.description


def test_reconciliation_waits_for_the_whole_period_then_compares(warehouse):
    march = (dt.date(2025, 3, 1), dt.date(2025, 3, 10))
    right = (*march, 30_000_000)  # ten days at $3
    partial = _run(warehouse, dt.date(2025, 3, 8), dt.date(2025, 3, 10), reconcile=right)
    metadata = partial["accuracy_invariant"].metadata
    assert partial["accuracy_invariant"].passed
    assert "not every day is synced" in str(metadata["reconciliation_pending"].value)
    whole = _run(warehouse, *march, reconcile=right)
    assert whole["accuracy_invariant"].passed
    assert whole["accuracy_invariant"].metadata["reconciled"].value
    wrong = _run(warehouse, *march, reconcile=(*march, 3_000_000_000))
    assert not wrong["accuracy_invariant"].passed
    assert "cycle for key-1" in wrong["accuracy_invariant"].description


def test_totals_of_one_period_are_each_judged_against_their_own_accounts(warehouse):
    """Per-member totals of one cycle (summed together) and an organisation total."""
    march = (dt.date(2025, 3, 1), dt.date(2025, 3, 10))
    totals = [
        ReconciliationTotal("cycle", *march, 30_000_000, "key-1"),  # its ten days at $3
        ReconciliationTotal("cycle", *march, 5, "key-2"),  # an account without facts
        ReconciliationTotal("cycle", *march, 0, "key-3"),
        ReconciliationTotal("org", *march, 30_000_000),
        ReconciliationTotal("org", dt.date(2025, 2, 20), march[1], 1),  # days not synced
    ]
    accuracy = _run(warehouse, *march, totals=totals)["accuracy_invariant"]
    assert not accuracy.passed
    problems = accuracy.metadata["problems"].value
    assert len(problems) == 1 and "cycle for key-2" in problems[0] and "$0.000005" in problems[0]
    reconciled = accuracy.metadata["reconciled"].value
    assert sorted(line.split(" 2025")[0] for line in reconciled) == [
        "acme cycle for key-1",
        "acme cycle for key-3",
        "acme org",
    ]
    assert "acme org 2025-02-20..2025-03-10: not every day" in str(
        accuracy.metadata["reconciliation_pending"].value
    )


def _fact(tenant_id: int, key: str) -> dict:
    day = dt.date(2025, 3, 1)
    return {
        "tenant_id": tenant_id,
        "source": "scripted",
        "record_key": key,
        "account_key": "key-1",
        "charge_period_start": day,
        "charge_period_end": day + dt.timedelta(days=1),
        "provider": "Scripted",
        "service": "API",
        "sku": "m",
        "charge_category": "Usage",
        "billed_cost_micros": 1,
        "currency": "USD",
        "cost_basis": "billed",
        "confidence": "high",
        "source_type": "api",
        "ingested_at": dt.datetime(2025, 3, 2),
    }


def _facts_engine(url: str, unique: tuple[str, ...] | None):
    """The models' tables, usage_facts with ``UNIQUE(*unique)`` as its only unique constraint
    (none when ``unique`` is None)."""
    metadata = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    facts = metadata.tables[UsageFact.__tablename__]
    for constraint in [c for c in facts.constraints if isinstance(c, UniqueConstraint)]:
        facts.constraints.discard(constraint)
    for index in [i for i in facts.indexes if i.unique]:
        facts.indexes.discard(index)
    if unique:
        facts.append_constraint(UniqueConstraint(*unique))
    eng = make_engine(url)
    metadata.create_all(eng)
    return eng


def _tenant_row(conn) -> int:
    return conn.execute(
        insert(Tenant.__table__).values(slug="acme", name="Acme")
    ).inserted_primary_key[0]


@pytest.mark.parametrize("unique", [FACT_IDENTITY, ("tenant_id", "record_key")])
def test_unique_record_keys_rests_on_a_unique_constraint(unmigrated_url, unique):
    """The schema's constraint (``FACT_IDENTITY``, migration 0018), or one on fewer of its
    columns: the database refuses the second row, so nothing is scanned."""
    eng = _facts_engine(unmigrated_url, unique)
    with eng.begin() as conn:
        tenant_id = _tenant_row(conn)
        conn.execute(insert(UsageFact.__table__), [_fact(tenant_id, "k1")])
        enforced, dupes = duplicate_record_keys(conn, [UsageFact.source == "scripted"])
    assert enforced and dupes == []
    with pytest.raises(IntegrityError), eng.begin() as conn:  # what "enforced" promises
        conn.execute(insert(UsageFact.__table__), [_fact(tenant_id, "k1")])
    eng.dispose()


@pytest.mark.parametrize(
    "unique", [None, ("tenant_id", "charge_period_start", "record_key", "account_key")]
)
def test_unique_record_keys_looks_for_duplicates_where_nothing_refuses_them(unmigrated_url, unique):
    """No unique constraint, or one on a column outside the fact's identity (two rows of one
    fact pass it): the check scans, and finds the fact stored twice. The same record key on
    another day is another fact (the key hashes the day), not a duplicate."""
    eng = _facts_engine(unmigrated_url, unique)
    other_day = {
        "charge_period_start": dt.date(2025, 3, 2),
        "charge_period_end": dt.date(2025, 3, 3),
    }
    twice = [_fact(0, "k1"), {**_fact(0, "k1"), "account_key": "key-2"}]
    with eng.begin() as conn:
        tenant_id = _tenant_row(conn)
        rows = [{**_fact(tenant_id, "k2"), **other_day}, _fact(tenant_id, "k2")]
        rows += [{**row, "tenant_id": tenant_id} for row in twice]
        conn.execute(insert(UsageFact.__table__), rows)
        enforced, dupes = duplicate_record_keys(conn, [UsageFact.source == "scripted"])
    assert not enforced
    assert [tuple(d) for d in dupes] == [(tenant_id, dt.date(2025, 3, 1), "scripted", "k1", 2)]
    eng.dispose()
