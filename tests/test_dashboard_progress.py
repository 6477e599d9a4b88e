"""My progress's data on SQLite and PostgreSQL: rank, climb (never a fall), podium, badges."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from suggestion_seed import PERIOD, seed_team
from test_badges import LOW

from dashboard.progress_queries import Progress, member_progress
from pipelines.badges import refresh_badges
from warehouse.actors import SYSTEM, Actor, PermissionDenied
from warehouse.dashboard_settings import update_dashboard_settings
from warehouse.mart_tables import rebuild_table
from warehouse.sql_models import load_models


def seed_with_marts(engine: Engine):
    """The suggestion seed's team, with the marts My progress reads built from its facts."""
    tenant, ids = seed_team(engine)
    for model in load_models():
        rebuild_table(engine, model)
    return tenant, ids


def test_bob_climbed_to_the_top_and_ada_shows_no_fall(engine: Engine) -> None:
    tenant, ids = seed_with_marts(engine)
    update_dashboard_settings(engine, tenant, SYSTEM, **LOW)
    refresh_badges(engine, tenant)
    bob = member_progress(engine, tenant, SYSTEM, ids["Bob"], PERIOD)
    assert (bob.rank, bob.members_ranked, bob.previous_rank, bob.climb) == (1, 2, 2, 1)
    assert bob.trajectory == (("2026-09", 2), (PERIOD, 1))
    assert bob.on_podium and bob.spots_from_podium == 0
    earned = [b.key for b in bob.badges if b.earned]
    assert earned == ["ai_pioneer", "early_adopter", "big_spender"]  # in the order earned
    assert [b.key for b in bob.badges[:3]] == earned  # earned first, then the rest
    assert all(b.criteria for b in bob.badges) and len(bob.badges) == 8

    ada = member_progress(engine, tenant, SYSTEM, ids["Ada"], PERIOD)
    # First in September, second in October: her previous place shows, no arrow either way.
    assert (ada.rank, ada.previous_rank, ada.climb) == (2, 1, None)
    cy = member_progress(engine, tenant, SYSTEM, ids["Cy"], PERIOD)
    assert (cy.rank, cy.trajectory, cy.spots_from_podium) == (None, (), None)
    assert not any(b.earned for b in cy.badges)


def test_my_progress_ranks_by_the_leaderboard_metric(engine: Engine) -> None:
    tenant, ids = seed_with_marts(engine)
    assert member_progress(engine, tenant, SYSTEM, ids["Ada"], PERIOD).rank == 2  # by spend
    update_dashboard_settings(engine, tenant, SYSTEM, leaderboard_metric="tokens")
    for model in load_models():
        rebuild_table(engine, model)
    ada = member_progress(engine, tenant, SYSTEM, ids["Ada"], PERIOD)
    bob = member_progress(engine, tenant, SYSTEM, ids["Bob"], PERIOD)
    assert (ada.ranked_by, ada.rank, ada.members_ranked) == ("tokens", 1, 2)
    assert (bob.ranked_by, bob.rank, bob.members_ranked) == ("tokens", 2, 2)


def test_a_viewer_reads_only_their_own_progress(engine: Engine) -> None:
    tenant, ids = seed_with_marts(engine)
    bob = Actor("Bob@Acme.example", "viewer")  # the login's email, in any case
    assert member_progress(engine, tenant, bob, ids["Bob"], PERIOD).rank == 1
    with pytest.raises(PermissionDenied, match="only their own progress"):
        member_progress(engine, tenant, bob, ids["Ada"], PERIOD)
    with pytest.raises(PermissionDenied):
        member_progress(engine, tenant, Actor("x@acme.example", "hacker"), ids["Bob"], PERIOD)


@pytest.mark.parametrize(
    ("rank", "ranked", "on_podium", "spots", "podium"),
    [(11, 29, False, 3, 8), (8, 29, True, 0, 8), (1, 1, True, 0, 1), (5, 5, True, 0, 5)],
)
def test_podium_proximity(rank, ranked, on_podium, spots, podium) -> None:
    p = Progress(1, "A", PERIOD, rank, ranked, None, None, (), ())
    assert (p.on_podium, p.spots_from_podium, p.podium_size) == (on_podium, spots, podium)
