"""Badges on SQLite and PostgreSQL: earned from the team's data, appended, never revoked."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from suggestion_seed import PERIOD, seed_team

from pipelines.badges import refresh_badges
from pipelines.suggestions.inputs import member_months
from warehouse import badges
from warehouse.actors import SYSTEM, Actor, PermissionDenied
from warehouse.dashboard_settings import (
    SettingsError,
    get_dashboard_settings,
    update_dashboard_settings,
)

LOW = dict(
    badge_pioneer_first_n=1,
    badge_early_adopter_days=1,
    badge_token_titan_tokens=1_000_000,
    badge_big_spender_usd=40,
    badge_multi_tool_count=2,
    badge_daily_driver_days=2,
    badge_time_saver_hours=1,
    badge_model_explorer_count=2,
)


def _held(engine: Engine, tenant) -> set[tuple[int, str, str]]:
    return {(a.member_id, a.badge, a.period) for a in badges.awards(engine, tenant, SYSTEM)}


def test_the_team_earns_what_its_data_shows(engine: Engine) -> None:
    tenant, ids = seed_team(engine)
    update_dashboard_settings(engine, tenant, SYSTEM, **LOW)
    assert refresh_badges(engine, tenant) == 11
    ada, bob = ids["Ada"], ids["Bob"]
    assert _held(engine, tenant) == {
        # Ada and Bob both first used an AI tool (Cursor) on 2026-09-09: a tie at the cut.
        (ada, "ai_pioneer", "2026-09"),
        (bob, "ai_pioneer", "2026-09"),
        (ada, "early_adopter", "2026-09"),
        (bob, "early_adopter", "2026-09"),
        (ada, "big_spender", "2026-09"),  # $100 of Cursor in September, the first time
        (bob, "big_spender", PERIOD),  # $50 in October; $10 in September was not enough
        (ada, "token_titan", PERIOD),  # 1,101,500 tokens (the repeated Claude Code ones not)
        (ada, "multi_tool_master", PERIOD),  # Claude API and Claude Code
        (ada, "daily_driver", PERIOD),  # 10-03 and 10-05
        (ada, "time_saver", PERIOD),  # 600 lines x 6 s = 1 h
        (ada, "model_explorer", PERIOD),  # opus and sonnet
    }
    # Cy has no account: nothing. The unlinked zed account's $999 earns nobody anything.
    assert not {a for a in _held(engine, tenant) if a[0] == ids["Cy"]}


def test_awards_are_appended_once_and_never_revoked(engine: Engine) -> None:
    tenant, ids = seed_team(engine)
    update_dashboard_settings(engine, tenant, SYSTEM, **LOW)
    refresh_badges(engine, tenant)
    first = {(a.member_id, a.badge): a.earned_at for a in badges.awards(engine, tenant, SYSTEM)}
    assert refresh_badges(engine, tenant) == 0  # nothing new: nothing written
    # The bar goes up so far that nobody would earn anything today: nothing is taken back.
    update_dashboard_settings(
        engine,
        tenant,
        SYSTEM,
        **{k: 10**9 for k in LOW if "days" not in k and "first_n" not in k},
        badge_early_adopter_days=1,
        badge_daily_driver_days=31,
    )
    assert refresh_badges(engine, tenant) == 0
    again = {(a.member_id, a.badge): a.earned_at for a in badges.awards(engine, tenant, SYSTEM)}
    assert again == first


def test_suggestions_mention_the_badges_held_by_that_month(engine: Engine) -> None:
    tenant, ids = seed_team(engine)
    update_dashboard_settings(engine, tenant, SYSTEM, **LOW)
    refresh_badges(engine, tenant)
    months = {
        (m.member_id, m.period): m for m in member_months(engine, tenant.id, [PERIOD, "2026-09"])
    }
    assert months[(ids["Bob"], "2026-09")].badges == ("AI Pioneer", "Early Adopter")
    assert months[(ids["Bob"], PERIOD)].badges == ("AI Pioneer", "Early Adopter", "Big Spender")
    assert months[(ids["Cy"], PERIOD)].badges == ()


def test_criteria_follow_the_thresholds_and_settings_refuse_nonsense(engine: Engine) -> None:
    tenant, _ = seed_team(engine)
    titan = badges.BY_KEY["token_titan"]
    assert titan.criteria_text(get_dashboard_settings(engine, tenant, SYSTEM)) == (
        "10,000,000 tokens in one month"
    )
    update_dashboard_settings(engine, tenant, SYSTEM, badge_token_titan_tokens=5_000_000)
    assert titan.criteria_text(get_dashboard_settings(engine, tenant, SYSTEM)) == (
        "5,000,000 tokens in one month"
    )
    for bad in (0, -3, 1.5, True, "12"):
        with pytest.raises(SettingsError, match="badge_token_titan_tokens"):
            update_dashboard_settings(engine, tenant, SYSTEM, badge_token_titan_tokens=bad)
    with pytest.raises(SettingsError, match="badge_daily_driver_days must .* 1 to 31"):
        update_dashboard_settings(engine, tenant, SYSTEM, badge_daily_driver_days=32)
    with pytest.raises(PermissionDenied):
        update_dashboard_settings(
            engine, tenant, Actor("v@acme.example", "viewer"), badge_token_titan_tokens=7
        )
