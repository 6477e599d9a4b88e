"""A member's month as suggestions see it, aggregated from facts on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Engine
from suggestion_seed import PERIOD, SECRET_STRINGS, build_marts, seed_team

from pipelines.suggestions.inputs import inputs_hash, member_months, periods_with_data


def _by_member(engine: Engine, tenant_id: int, periods: list[str]):
    build_marts(engine)  # ranks are the leaderboard mart's
    return {(m.member_id, m.period): m for m in member_months(engine, tenant_id, periods)}


def test_ada_october_is_aggregated_through_her_links(engine: Engine) -> None:
    tenant, ids = seed_team(engine)
    months = _by_member(engine, tenant.id, [PERIOD])
    assert set(months) == {(i, PERIOD) for i in ids.values()}  # every member, no one else
    ada = months[(ids["Ada"], PERIOD)].facts()
    assert ada["spend_usd"] == "30.00"  # billed only; zed's unlinked $999 is nobody's
    # Claude Code's list-price estimate stays apart; through an API key it repeats billed usage.
    assert ada["estimated_usage_usd_not_billed"] == "2.50"
    assert ada["tokens"] == 1_101_500  # the ada-laptop repeat is not counted twice
    assert ada["active_days"] == 2  # the control-total metric on 10-05 is no activity...
    assert ada["time_saved_hours_estimate"] == "1.0"  # 600 lines x 6 s
    assert ada["tools"] == [
        {"name": "Claude API", "spend_usd": "30.00", "tokens": 1_100_000},
        {"name": "Claude Code", "spend_usd": "0.00", "tokens": 1_500},
    ]
    assert ada["models"][0] == {"name": "claude-opus-4-1", "tokens": 1_100_000}  # undated
    assert (ada["rank"], ada["members_ranked"], ada["rank_climb"]) == (2, 2, None)  # no "fell"
    assert ada["hints"] == {
        # 1M in + 100K out: $22.50 at opus list price, $4.50 on sonnet -> about $18.00 saved
        "cheaper_model": {
            "from": "claude-opus-4-1",
            "to": "claude-sonnet-4-5",
            "saving_usd_estimate": "18.00",
        },
        "idle_tools": ["Cursor"],  # her Cursor seat saw no use in October
        "teammate_favourite": "Cursor",  # Bob, same team, uses it
    }
    assert ada["month_complete"] is True
    assert ada["month_label"] == "October 2026"


def test_ranks_climb_only_and_empty_members_are_quiet(engine: Engine) -> None:
    tenant, ids = seed_team(engine)
    months = _by_member(engine, tenant.id, [PERIOD])
    bob = months[(ids["Bob"], PERIOD)].facts()
    assert (bob["spend_usd"], bob["tokens"], bob["rank"], bob["rank_climb"]) == (
        "50.00",
        2_000,
        1,
        1,  # second in September, first in October
    )
    assert bob["time_saved_hours_estimate"] == "0.2"  # 100 lines x 6 s = 10 min
    assert bob["hints"]["teammate_favourite"] == "Claude API"
    cy = months[(ids["Cy"], PERIOD)].facts()
    assert (cy["spend_usd"], cy["tokens"], cy["active_days"], cy["rank"]) == ("0.00", None, 0, None)
    assert cy["tools"] == [] and cy["hints"]["idle_tools"] == []


def test_facts_carry_no_email_key_or_name(engine: Engine) -> None:
    tenant, _ = seed_team(engine)
    for mm in member_months(engine, tenant.id, [PERIOD, "2026-09"]):
        dumped = json.dumps(mm.facts())
        for secret in SECRET_STRINGS:
            assert secret not in dumped


def test_hash_follows_the_facts(engine: Engine) -> None:
    tenant, ids = seed_team(engine)
    first = _by_member(engine, tenant.id, [PERIOD])
    again = _by_member(engine, tenant.id, [PERIOD])
    key = (ids["Bob"], PERIOD)
    assert inputs_hash(first[key].facts()) == inputs_hash(again[key].facts())
    assert inputs_hash(first[key].facts()) != inputs_hash(first[(ids["Ada"], PERIOD)].facts())


def test_periods_with_data_look_back_only_as_far_as_asked(engine: Engine) -> None:
    tenant, _ = seed_team(engine)
    today = dt.date(2026, 11, 20)
    assert periods_with_data(engine, tenant.id, today, 3) == ["2026-10", "2026-09"]
    assert periods_with_data(engine, tenant.id, today, 2) == ["2026-10"]
    assert periods_with_data(engine, tenant.id, today, 1) == []
    assert member_months(engine, tenant.id, []) == []


def test_ranks_follow_the_tenants_leaderboard_metric(engine: Engine) -> None:
    """By tokens Ada (1,101,500) leads Bob (2,000), though Bob spent more: the suggestion says
    what the podium says."""
    from warehouse.actors import SYSTEM
    from warehouse.dashboard_settings import update_dashboard_settings

    tenant, ids = seed_team(engine)
    update_dashboard_settings(engine, tenant, SYSTEM, leaderboard_metric="tokens")
    months = _by_member(engine, tenant.id, [PERIOD])
    ada, bob = months[(ids["Ada"], PERIOD)], months[(ids["Bob"], PERIOD)]
    assert (ada.rank, ada.members_ranked, ada.ranked_by) == (1, 2, "tokens")
    assert (bob.rank, bob.ranked_by) == (2, "tokens")
