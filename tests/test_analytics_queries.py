"""The Analytics page's queries on SQLite and PostgreSQL: spend by tool and by model, day by day
and month over month each sum to the facts' billed total to the micro-dollar; idle seats and
savings; a viewer gets team totals but not who holds an idle seat; the CSV says the same."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pandas as pd
from analytics_seed import SEAT_FEE, billed_in_facts, seed_analytics
from dashboard_apptest import VIEWER
from sqlalchemy import Engine

from dashboard import analytics_csv
from dashboard import spend_queries as sq
from pipelines.suggestions.inputs import previous_period
from warehouse.actors import SYSTEM, Actor
from warehouse.dashboard_settings import update_dashboard_settings

PERIOD = "2026-03"


def test_every_spend_view_sums_to_the_facts_to_the_micro_dollar(dashboard_env, engine) -> None:
    tenant = dashboard_env
    seed_analytics(engine, tenant, PERIOD, VIEWER[0])
    billed = billed_in_facts(engine, tenant.id, PERIOD)
    assert billed == 1_234_567_891 + 25_000_003 + 777_777_777 + 1_000_009 + 4 * SEAT_FEE
    update_dashboard_settings(engine, tenant, SYSTEM, viewers_see_only_own_detail=True)
    viewer = Actor(VIEWER[0], "viewer")
    for actor in (SYSTEM, viewer):  # team totals: the same for a private viewer
        tools = sq.spend_by_tool(engine, tenant, actor, PERIOD)
        assert list(tools["tool"]) == ["anthropic", "copilot"]
        assert sum(tools["billed"]) == billed
        models = sq.spend_by_model(engine, tenant, actor, PERIOD)
        assert sum(models["billed"]) == billed
        opus = models[models.model == "claude-opus-4-1"].iloc[0]
        assert (opus.billed, opus.tokens) == (1_234_567_891 + 777_777_777 + 1_000_009, 3_000)
        daily = sq.daily_spend(engine, tenant, actor, PERIOD, today=dt.date(2026, 11, 1))
        assert len(daily) == 31 and daily["day"].iloc[0] == dt.date(2026, 3, 1)
        assert daily["cumulative"].iloc[-1] == billed == sum(daily["billed"])
        assert daily["billed"].iloc[1] == 25_000_003 + 777_777_777 + 1_000_009 + 2 * SEAT_FEE
    # The current month stops at today.
    early = sq.daily_spend(engine, tenant, SYSTEM, PERIOD, today=dt.date(2026, 3, 2))
    assert list(early["day"]) == [dt.date(2026, 3, 1), dt.date(2026, 3, 2)]


def test_month_over_month_is_exact(dashboard_env, engine) -> None:
    tenant = dashboard_env
    seed_analytics(engine, tenant, PERIOD, VIEWER[0])
    mom = sq.month_over_month(engine, tenant, SYSTEM, PERIOD)
    assert list(mom["month"]) == ["2025-10", "2025-11", "2025-12", "2026-01", "2026-02", PERIOD]
    before = billed_in_facts(engine, tenant.id, previous_period(PERIOD))
    now = billed_in_facts(engine, tenant.id, PERIOD)
    last = mom.iloc[-1]
    assert (last.billed, last.change) == (now, now - before)
    assert mom.iloc[-2].change is None  # January had nothing to compare with
    assert last.change_percent == round(100 * (now - before) / before, 1)


def test_idle_seats_total_for_all_which_seats_for_admins(dashboard_env, engine) -> None:
    tenant = dashboard_env
    seed_analytics(engine, tenant, PERIOD, VIEWER[0])
    admin = analytics_csv.on_screen(engine, tenant, SYSTEM, PERIOD)
    assert (admin.idle.count, admin.idle.fee_micros) == (1, 2 * SEAT_FEE)  # Zoe's seat
    assert admin.idle.seats.to_dict("records") == [
        {"tool": "copilot", "account": "zoe-gh", "member": "Zoe", "seat_fee": 2 * SEAT_FEE,
         "last_active": None}
    ]  # fmt: skip
    viewer = analytics_csv.on_screen(engine, tenant, Actor(VIEWER[0], "viewer"), PERIOD)
    assert (viewer.idle.count, viewer.idle.fee_micros) == (1, 2 * SEAT_FEE)
    assert viewer.idle.seats.empty and not viewer.idle.listed
    assert viewer.savings.to_dict("records") == [
        {"model": "claude-opus-4-1", "tokens": 3_000, "list_price": 45_000_033,
         "cheapest_model": "claude-haiku-4-5", "at_cheapest": 1_000_000 + 2_000_001,
         "saving": 45_000_033 - 3_000_001}
    ]  # fmt: skip


def test_the_csv_holds_what_is_on_screen_exactly(dashboard_env, engine: Engine) -> None:
    tenant = dashboard_env
    seed_analytics(engine, tenant, PERIOD, VIEWER[0])
    view = analytics_csv.on_screen(engine, tenant, SYSTEM, PERIOD)
    frame = pd.read_csv(io.BytesIO(analytics_csv.analytics_csv(view)), dtype=str,
                        keep_default_na=False)  # fmt: skip
    billed = Decimal(billed_in_facts(engine, tenant.id, PERIOD)).scaleb(-6)
    total = frame[frame.section == "total"].iloc[0]
    assert (total["item"], Decimal(total["billed_usd"])) == (PERIOD, billed)
    for section in ("tool", "model", "day"):
        assert sum(Decimal(v) for v in frame[frame.section == section]["billed_usd"]) == billed
    assert Decimal(frame[frame.section == "day"].iloc[-1]["cumulative_usd"]) == billed
    assert frame[frame.section == "tool"].iloc[0].to_dict()["billed_usd"] == "2038.345680"
    idle = frame[frame.section.str.startswith("idle")]
    assert list(idle["detail"]) == ["1", "copilot"]
    saving = frame[frame.section == "saving"].iloc[0]
    assert (saving["billed_usd"], saving["estimate_usd"]) == ("", "42.000032")
    assert set(frame.section) == {"total", "tool", "model", "day", "month", "idle_seats",
                                  "idle_seat", "saving"}  # fmt: skip
