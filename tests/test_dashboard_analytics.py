"""The Analytics page (AppTest, SQLite and PostgreSQL) and its queries: forecasts, budgets and
anomalies for the month, privacy withheld in the query, views and downloads audited, and a CSV
whose amounts are exact."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
from analytics_seed import billed_in_facts, seed_analytics
from dashboard_apptest import ADMIN, VIEWER, app, clear_caches, login
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from suggestion_seed import usage
from test_dashboard_queries import seed_mart

from dashboard import analytics_csv
from dashboard import analytics_queries as aq
from dashboard.formatting import current_month, usd
from warehouse import audit, budgets, members
from warehouse.actors import SYSTEM, Actor
from warehouse.dashboard_settings import update_dashboard_settings
from warehouse.models_analytics import SpendAnomaly, VendorForecast

D = 1_000_000


def _seed(engine: Engine, tenant) -> dict[str, int]:
    month = current_month()
    first = dt.date.fromisoformat(f"{month}-01")
    seed_mart(engine, [(tenant.id, month, "cursor", "cursor", 1_234_567_891, 0)])
    vic = members.create_member(engine, tenant, SYSTEM, display_name="Vic", email=VIEWER[0])
    zoe = members.create_member(engine, tenant, SYSTEM, display_name="Zoe", email="z@example.com")
    with Session(engine) as s, s.begin():
        s.add(usage(tenant, "cursor", "team", first, service="Cursor", sku="usage",
                    billed=1_234_567_891))  # fmt: skip
        s.add(VendorForecast(tenant_id=tenant.id, period=month, source="cursor",
                             realised_micros=1_234_567_891, daily_rate_micros=50 * D,
                             days_left=10, projected_micros=1_734_567_891))  # fmt: skip
        for who, amount in ((vic, 80), (zoe, 90)):
            s.add(SpendAnomaly(tenant_id=tenant.id, day=first, scope="member", subject=str(who),
                               spend_micros=amount * D, baseline_micros=10 * D,
                               reason=f"${amount}.00, {amount // 10}.0x its 28-day median"))  # fmt: skip
    budgets.set_budget(engine, tenant, SYSTEM, monthly_micros=2_000 * D)
    return {"vic": vic, "zoe": zoe}


def test_a_viewer_sees_the_month_and_only_their_own_anomalies_when_private(
    dashboard_env, engine: Engine
) -> None:
    tenant = dashboard_env
    _seed(engine, tenant)
    viewer = Actor(VIEWER[0], "viewer")
    assert list(aq.anomalies(engine, tenant, viewer, current_month())["who"]) == ["Vic", "Zoe"]
    update_dashboard_settings(engine, tenant, SYSTEM, viewers_see_only_own_detail=True)
    assert list(aq.anomalies(engine, tenant, viewer, current_month())["who"]) == ["Vic"]
    assert len(aq.anomalies(engine, tenant, SYSTEM, current_month())) == 2  # admins see all

    at = login(app(), *VIEWER[:2])
    at.switch_page("app_pages/analytics.py").run()
    assert not at.exception, at.exception
    tables = [d.value for d in at.dataframe]
    forecast = next(
        t for t in tables if "projected (estimate)" in t.columns and "vendor" in t.columns
    )
    assert forecast.to_dict("records")[0]["projected (estimate)"] == "$1,734.57"
    flagged = next(t for t in tables if "reason" in t.columns)
    assert list(flagged["who"]) == ["Vic"]  # Zoe's day is withheld from this viewer
    budget = next(t for t in tables if "used" in t.columns)
    assert budget.to_dict("records")[0]["used"] == "61.7 %"
    views = audit.list_events(engine, tenant, SYSTEM, actions=["analytics.view"])
    assert [(e["actor"], e["target"]) for e in views] == [(VIEWER[0], current_month())]


def test_the_csv_has_exact_amounts_and_the_download_is_audited(dashboard_env, engine) -> None:
    tenant = dashboard_env
    _seed(engine, tenant)
    month = current_month()
    csv = analytics_csv.analytics_csv(analytics_csv.on_screen(engine, tenant, SYSTEM, month))
    frame = pd.read_csv(io.BytesIO(csv), dtype=str, keep_default_na=False)
    assert frame.iloc[1][["section", "item", "billed_usd", "estimate_usd"]].to_dict() == {
        "section": "tool", "item": "cursor", "billed_usd": "1234.567891", "estimate_usd": "",
    }  # fmt: skip
    assert frame[frame.section == "forecast"].iloc[0]["estimate_usd"] == "1734.567891"
    assert frame[frame.section == "budget"].iloc[0]["budget_usd"] == "2000.000000"
    assert list(frame[frame.section == "anomaly"]["detail"]) == ["Vic", "Zoe"]

    at = login(app(), *ADMIN[:2])
    at.switch_page("app_pages/analytics.py").run()
    assert not at.exception, at.exception
    exports = audit.list_events(engine, tenant, SYSTEM, actions=["analytics.export"])
    assert exports == []  # viewing is not downloading


def test_the_page_shows_every_section_for_both_roles(dashboard_env, engine) -> None:
    tenant = dashboard_env
    month = current_month()
    seed_analytics(engine, tenant, month, VIEWER[0])
    billed = billed_in_facts(engine, tenant.id, month)
    update_dashboard_settings(engine, tenant, SYSTEM, viewers_see_only_own_detail=True)
    for who, sees_seats in ((ADMIN, True), (VIEWER, False)):
        at = login(app(), *who[:2])
        at.switch_page("app_pages/analytics.py").run()
        assert not at.exception, at.exception
        headers = [h.value for h in at.subheader]
        assert headers[:5] == [
            "Spend by tool",
            "Spend by model",
            "Spend by tag",
            "Day by day",
            "Month over month",
        ]
        assert {"Idle seats", "Savings from cheaper models"} <= set(headers)
        metric = next(m for m in at.metric if m.label.startswith("Billed, "))
        assert metric.value == usd(billed)
        tables = [d.value for d in at.dataframe]
        tools = next(t for t in tables if list(t.columns) == ["tool", "billed"])
        assert list(tools["tool"]) == ["anthropic", "copilot"]
        savings = next(t for t in tables if "saving (estimate)" in t.columns)
        assert list(savings["cheapest_model"]) == ["claude-haiku-4-5"]
        seats = [t for t in tables if "seat fee" in t.columns]
        assert (list(seats[0]["account"]) == ["zoe-gh"]) if sees_seats else not seats
        clear_caches()
