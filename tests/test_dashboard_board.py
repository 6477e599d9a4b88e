"""The Overview's team board on SQLite and PostgreSQL: KPIs, vendor cards, member cards, podium,
display modes and privacy — all decided in the query, for the actor asking."""

from __future__ import annotations

import dagster as dg
import pytest
from sqlalchemy import Engine
from suggestion_seed import PERIOD, seed_team

from dashboard.board_queries import Board, MemberCard, display_name, team_board, top_members
from dashboard.formatting import tokens_short, usd_whole
from pipelines.sync import refresh_marts
from warehouse.actors import SYSTEM, Actor
from warehouse.dashboard_settings import update_dashboard_settings
from warehouse.settings import Settings

D = 1_000_000
BOB = Actor("bob@acme.example", "viewer")


@pytest.fixture
def team(engine: Engine, warehouse_url, tmp_path):
    """The suggestion seed's team, with the marts built from its facts as a sync would."""
    tenant, ids = seed_team(engine)
    settings = Settings.from_env(
        {"AISPEND_HOME": str(tmp_path), "AISPEND_DATABASE_URL": warehouse_url}
    )
    refresh_marts(settings, instance=dg.DagsterInstance.ephemeral())
    return tenant, ids


def test_the_admin_sees_the_whole_team_for_october(engine: Engine, team) -> None:
    tenant, ids = team
    board = team_board(engine, tenant, SYSTEM, PERIOD)
    assert board.spend_micros == 1_079 * D  # zed's unlinked $999 is billed too: it is unattributed
    assert board.unattributed_micros == 999 * D
    assert board.previous_spend_micros == 110 * D
    assert round(board.mom_change_percent, 1) == 880.9
    assert board.tokens == 1_100_000 + 1_500 + 777 + 2_000 + 198
    assert board.active_members == 2 and board.spend_per_active_member_micros == 40 * D
    # Vendor cards read the vendor_period mart: seats are accounts paying a seat fee (none
    # in this seed), as the Analytics page counts them.
    assert [(v.source, v.spend_micros, v.tokens, v.seats, v.freshness) for v in board.vendors] == [
        ("cursor", 1_049 * D, 2_000 + 198, 0, "never"),
        ("anthropic", 30 * D, 1_100_000 + 1_500 + 777, 0, "never"),
    ]
    bob, ada = board.members
    assert (bob.name, bob.spend_micros, bob.rank, bob.climb) == ("Bob Babbage", 50 * D, 1, 1)
    assert [(p.tool, p.active) for p in ada.tools] == [
        ("Claude API", True),
        ("Claude Code", True),
        ("Cursor", False),  # a seat she did not use in October: dimmed
    ]
    assert [c.name for c in board.podium] == ["Bob Babbage", "Ada Lovelace"]
    assert not board.withheld


def test_a_viewer_sees_names_as_the_display_mode_says_and_their_own_always(
    engine: Engine, team
) -> None:
    tenant, ids = team
    update_dashboard_settings(engine, tenant, SYSTEM, display_mode="initialed")
    board = team_board(engine, tenant, BOB, PERIOD)
    assert [(c.name, c.is_me) for c in board.members] == [
        ("Bob Babbage", True),
        ("A. L.", False),
    ]
    update_dashboard_settings(engine, tenant, SYSTEM, display_mode="anonymous")
    assert [c.name for c in team_board(engine, tenant, BOB, PERIOD).members] == [
        "Bob Babbage",
        "Member 2",
    ]
    # Admins always see names.
    assert [c.name for c in team_board(engine, tenant, SYSTEM, PERIOD).members][1] == "Ada Lovelace"


def test_privacy_withholds_others_in_the_query_and_keeps_team_totals(engine: Engine, team) -> None:
    tenant, ids = team
    update_dashboard_settings(engine, tenant, SYSTEM, viewers_see_only_own_detail=True)
    board = team_board(engine, tenant, BOB, PERIOD)
    assert board.withheld and [c.name for c in board.members] == ["Bob Babbage"]
    assert board.podium == ()
    assert board.spend_micros == 1_079 * D and board.active_members == 2  # totals stay


def test_the_podium_follows_the_leaderboard_metric(
    engine: Engine, team, warehouse_url, tmp_path
) -> None:
    tenant, ids = team
    board = team_board(engine, tenant, SYSTEM, PERIOD)
    assert board.ranked_by == "spend"
    assert [(c.name, c.rank) for c in board.podium] == [("Bob Babbage", 1), ("Ada Lovelace", 2)]
    # Ada used far more tokens than Bob, who spent more: ranked by tokens, she leads.
    ada, bob = (next(c for c in board.members if c.member_id == ids[n]) for n in ("Ada", "Bob"))
    assert bob.spend_micros > ada.spend_micros and ada.tokens > bob.tokens
    update_dashboard_settings(engine, tenant, SYSTEM, leaderboard_metric="tokens")
    settings = Settings.from_env(
        {"AISPEND_HOME": str(tmp_path), "AISPEND_DATABASE_URL": warehouse_url}
    )
    refresh_marts(settings, instance=dg.DagsterInstance.ephemeral())
    board = team_board(engine, tenant, SYSTEM, PERIOD)
    assert board.ranked_by == "tokens"
    assert [(c.name, c.rank) for c in board.podium] == [("Ada Lovelace", 1), ("Bob Babbage", 2)]
    assert [c.name for c in board.members] == ["Bob Babbage", "Ada Lovelace"]  # cards: by spend
    # Display modes still apply to the podium, decided in the query.
    update_dashboard_settings(engine, tenant, SYSTEM, display_mode="anonymous")
    assert [c.name for c in team_board(engine, tenant, BOB, PERIOD).podium] == [
        "Member 2",
        "Bob Babbage",
    ]


def test_a_big_team_shows_its_top_members_and_always_the_signed_in_person() -> None:
    cards = tuple(
        MemberCard(i, f"M{i}", (40 - i) * D, None, (), (), i, None, i == 31) for i in range(1, 41)
    )
    board = Board(PERIOD, 0, 0, None, 40, 0, (), cards, (), False)
    assert [c.member_id for c in top_members(board, 24)] == [*range(1, 25), 31]  # me, last
    assert [c.member_id for c in top_members(board, 32)] == list(range(1, 33))  # me, in place
    assert top_members(board, 100) == cards


def test_glance_formats() -> None:
    assert usd_whole(14_280_499_999) == "$14,280" and usd_whole(14_280_500_000) == "$14,281"
    assert [tokens_short(n) for n in (39_600_000, 287_000, 950, None, 0)] == [
        "39.6M", "287K", "950", "~", "0",
    ]  # fmt: skip
    assert display_name("Ada Lovelace", "initialed", 1) == "A. L."
    assert display_name("Ada Lovelace", "anonymous", 4) == "Member 4"


def test_the_overview_shows_member_cards_with_their_suggestion_teaser(
    dashboard_env, engine: Engine, warehouse_url, tmp_path
) -> None:
    import datetime as dt

    from dashboard_apptest import VIEWER, app, login
    from sqlalchemy.orm import Session
    from suggestion_seed import usage

    from dashboard.formatting import current_month
    from warehouse import identities, members
    from warehouse import suggestions as store
    from warehouse.models import VendorAccount

    tenant = dashboard_env
    month = current_month()
    vic = members.create_member(engine, tenant, SYSTEM, display_name="Vic Viewer", email=VIEWER[0])
    with Session(engine) as s, s.begin():
        account = VendorAccount(
            tenant_id=tenant.id, source="cursor", account_key=VIEWER[0], kind="user"
        )
        s.add(account)
        s.add(usage(tenant, "cursor", VIEWER[0], dt.date.fromisoformat(f"{month}-01"),
                    service="Cursor", sku="gpt-5", billed=14_280 * D, inp=1_000, out=500))  # fmt: skip
        s.flush()
        account_id = account.id
    identities.link_account(engine, tenant, SYSTEM, account_id, vic)
    store.save_suggestion(
        engine, tenant, SYSTEM, member_id=vic, period=month, text="Knit a scarf. Then another.",
        generator="offline", model="offline-muse-1", prompt_version="p", inputs_hash="h", inputs={},
    )  # fmt: skip
    settings = Settings.from_env(
        {"AISPEND_HOME": str(tmp_path), "AISPEND_DATABASE_URL": warehouse_url}
    )
    refresh_marts(settings, instance=dg.DagsterInstance.ephemeral())

    at = login(app(), *VIEWER[:2])
    (card,) = [m.value for m in at.markdown if "aispend-member-card" in m.value]
    assert "Vic Viewer (you)" in card and "$14,280" in card and "1.5K tokens" in card
    assert "Knit a scarf." in card  # the teaser: the first sentence
    assert "Exactly $14,280.00" in card
