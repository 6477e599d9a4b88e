"""Forecasts and anomalies on SQLite and PostgreSQL, from billed facts written as ingest would."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from suggestion_seed import usage

from pipelines.analytics import refresh_analytics
from warehouse import identities, members
from warehouse.actors import SYSTEM
from warehouse.models import VendorAccount
from warehouse.models_analytics import SpendAnomaly, VendorForecast
from warehouse.tenants import create_tenant

D = 1_000_000
TODAY = dt.date(2026, 11, 15)


def _team(engine: Engine):
    """Four people on Cursor at $10 a day since October; Bob spends $200 on Nov 10."""
    tenant = create_tenant(engine, "acme", "Acme")
    names = ["Ada", "Bob", "Cy", "Di"]
    ids = {n: members.create_member(engine, tenant, SYSTEM, display_name=n) for n in names}
    facts = []
    day = dt.date(2026, 10, 1)
    while day < TODAY:
        for n in names:
            amount = 200 * D if (n == "Bob" and day == dt.date(2026, 11, 10)) else 10 * D
            facts.append(usage(tenant, "cursor", f"{n}@acme.example", day, service="Cursor",
                               sku="gpt-5", billed=amount))  # fmt: skip
        day += dt.timedelta(days=1)
    with Session(engine) as s, s.begin():
        accounts = [
            VendorAccount(tenant_id=tenant.id, source="cursor", account_key=f"{n}@acme.example",
                          kind="user") for n in names
        ]  # fmt: skip
        s.add_all(accounts + facts)
        s.flush()
        links = [(a.id, ids[n]) for a, n in zip(accounts, names, strict=True)]
    for account_id, member_id in links:
        identities.link_account(engine, tenant, SYSTEM, account_id, member_id)
    return tenant, ids


def test_forecast_projects_the_month_from_the_trailing_week(engine: Engine) -> None:
    tenant, _ = _team(engine)
    assert refresh_analytics(engine, tenant, today=TODAY)["forecasts"] == 2
    with Session(engine) as s:
        rows = {r.period: r for r in s.scalars(select(VendorForecast))}
    october, november = rows["2026-10"], rows["2026-11"]
    assert (october.realised_micros, october.projected_micros, october.days_left) == (
        31 * 40 * D, 31 * 40 * D, 0,
    )  # fmt: skip
    # Nov 1-14: 14 days x $40 + Bob's extra $190; the week before the 15th holds the spike.
    assert november.realised_micros == 14 * 40 * D + 190 * D
    assert november.daily_rate_micros == (7 * 40 * D + 190 * D) // 7
    assert november.days_left == 16
    assert november.projected_micros == november.realised_micros + 16 * november.daily_rate_micros


def test_bobs_spike_is_flagged_with_its_reasons_and_steady_days_are_not(engine: Engine) -> None:
    tenant, ids = _team(engine)
    assert refresh_analytics(engine, tenant, today=TODAY)["anomalies"] == 2
    with Session(engine) as s:
        rows = {(r.scope, r.subject, r.day): r for r in s.scalars(select(SpendAnomaly))}
    spike = dt.date(2026, 11, 10)
    assert set(rows) == {("member", str(ids["Bob"]), spike), ("vendor", "cursor", spike)}
    bob = rows[("member", str(ids["Bob"]), spike)]
    assert (bob.spend_micros, bob.baseline_micros) == (200 * D, 10 * D)
    assert bob.reason == (
        "$200.00, 20.0x its 28-day median of $10.00; 20.0x the team's median member that day ($10.00)"
    )
    # A second refresh rewrites the same window: no duplicates, same verdicts.
    refresh_analytics(engine, tenant, today=TODAY)
    with Session(engine) as s:
        assert len(s.scalars(select(SpendAnomaly)).all()) == 2
