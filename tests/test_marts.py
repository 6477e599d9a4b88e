"""Every shipped model built with its declared tests on SQLite and PostgreSQL; the member,
team and leaderboard marts hold exact figures; an incremental build equals a full rebuild."""

from __future__ import annotations

import datetime as dt

import pytest
from mart_seed import account_id, seed_team, usage, write
from sqlalchemy import inspect, text

from connectors.contract import ActivityRecord
from warehouse import identities, tenants
from warehouse.actors import SYSTEM
from warehouse.dashboard_settings import SettingsError, update_dashboard_settings
from warehouse.mart_tables import MartTestFailed, build
from warehouse.models import Setting
from warehouse.sql_models import EVERYTHING, Scope, days_scope, load_models, parse_model

MODELS = load_models()
MODELS_BY_NAME = {m.name: m for m in MODELS}
BY_NAME = {m.name: m for m in MODELS}


def build_all(engine, scope: Scope = EVERYTHING) -> dict[str, int]:
    return {m.name: build(engine, m, scope).rows for m in MODELS}


def rows(engine, sql: str, **params) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(str(v) if isinstance(v, dt.date) else v for v in r)
            for r in conn.execute(text(sql), params)
        ]


def snapshot(engine) -> dict[str, list[tuple]]:
    out = {}
    for m in MODELS:
        cols = ", ".join(c["name"] for c in inspect(engine).get_columns(m.name))
        out[m.name] = sorted(rows(engine, f"select {cols} from {m.name}"), key=repr)
    return out


def test_every_model_and_its_tests_run_on_an_empty_warehouse(engine):
    assert {"member_daily", "member_period", "team_period", "leaderboard"} <= set(BY_NAME)
    assert build_all(engine) == {m.name: 0 for m in MODELS}
    for m in MODELS:
        assert inspect(engine).has_table(m.name)
        assert m.tests and m.tests[0].kind == "unique"
        # Declared indexes exist for the readers.
        assert len(inspect(engine).get_indexes(m.name)) == len(m.indexes)


def test_member_period_is_exact_and_keeps_unknown_tokens_null(engine):
    team = seed_team(engine)
    build_all(engine)
    got = rows(
        engine,
        "select member_group, member_id, member_name, month, billed_cost_micros,"
        " estimated_cost_micros, list_price_micros, tokens, requests, active_days,"
        " seconds_saved, vendors_used, models_used from member_period"
        " order by month, member_group, member_id",
    )
    ada, bob = team.ada, team.bob
    assert got == [
        ("member", ada, "Ada", "2025-01", 1_000_001, 0, None, None, 3, 2, 60, 1, 1),
        ("member", bob, "Bob", "2025-01", 5_000_000, 0, 6_000_000, 700, None, 1, 0, 1, 1),
        ("unattributed", None, "Unattributed", "2025-01", 250_000, 0, None, None, None, 0, 0, 1, 1),
        ("member", ada, "Ada", "2025-02", 9_500_000, 777, None, 1_050, None, 1, 0, 1, 2),
        ("member", bob, "Bob", "2025-02", 2_000_000, 0, None, 300, None, 1, 60, 1, 1),
        ("unlinked", None, "Unlinked", "2025-02", 123, 0, None, 5, None, 1, 0, 1, 1),
    ]
    # Billed money in the member marts adds up to the facts, to the micro-dollar.
    assert rows(engine, "select sum(billed_cost_micros) from member_period") == rows(
        engine, "select sum(billed_cost_micros) from usage_facts"
    )
    by_model = rows(
        engine,
        "select model, billed_cost_micros, tokens from member_period_models"
        " where member_id = :m and month = '2025-02' order by model",
        m=ada,
    )
    assert by_model == [("opus", 9_000_000, 1_000), ("sonnet", 500_000, 50)]
    days = rows(
        engine,
        "select day, month, billed_cost_micros, estimated_cost_micros, tokens, is_active"
        " from member_daily where member_id = :m order by day",
        m=ada,
    )
    assert days == [
        ("2025-01-10", "2025-01", 1_000_001, 0, None, 1),
        ("2025-01-12", "2025-01", 0, 0, None, 1),
        ("2025-02-03", "2025-02", 9_500_000, 0, 1_050, 1),
        ("2025-02-04", "2025-02", 0, 777, None, 0),
    ]


def test_estimated_tokens_of_an_api_key_are_left_out_of_the_member_marts(engine):
    # Claude Code through an API key: the key's billed rows carry the tokens, its estimated
    # rows are left out; a user's estimated tokens count (they are billed nowhere else).
    from connectors.contract import Account

    team = seed_team(engine)
    day = dt.date(2025, 3, 5)
    write(
        engine,
        team.tenant.id,
        "claude_code",
        day,
        day,
        [
            usage(day, "key-1", 4_000, tokens=100),
            usage(day, "key-1", 0, tokens=40, basis="estimated", listed=90),
            usage(day, "ada@x.io", 0, tokens=7, basis="estimated", listed=5),
            usage(day, "ada@x.io", 0, sku="haiku", basis="estimated", listed=1),
        ],
        accounts=[Account("key-1", kind="api_key"), Account("ada@x.io", email="ada@x.io")],
    )
    for key in ("key-1", "ada@x.io"):
        identities.link_account(
            engine,
            team.tenant,
            SYSTEM,
            account_id(engine, team.tenant.id, "claude_code", key),
            team.ada,
        )
    build_all(engine)
    march = "from {} where member_id = :m and month = '2025-03'"
    assert rows(
        engine,
        "select model, billed_cost_micros, estimated_cost_micros, list_price_micros, tokens "
        + march.format("member_period_models")
        + " order by model",
        m=team.ada,
    ) == [("haiku", 0, 1, None, None), ("sonnet", 4_000, 95, None, 107)]
    assert rows(
        engine,
        "select billed_cost_micros, estimated_cost_micros, tokens " + march.format("member_daily"),
        m=team.ada,
    ) == [(4_000, 96, 107)]  # NULL tokens of haiku stay out


def test_team_period_kpis(engine):
    seed_team(engine)
    build_all(engine)
    got = rows(
        engine,
        "select month, billed_cost_micros, estimated_cost_micros, tokens, active_members,"
        " previous_billed_cost_micros, billed_change_micros, billed_change_bp,"
        " billed_per_active_member_micros from team_period order by month",
    )
    assert got == [
        ("2025-01", 6_250_001, 0, 700, 2, None, None, None, 3_125_000),
        ("2025-02", 11_500_123, 777, 1_355, 2, 6_250_001, 5_250_122, 8_400, 5_750_061),
    ]


def test_leaderboard_ranks_climbs_and_new_entrants(engine):
    team = seed_team(engine)
    build_all(engine)
    sql = (
        "select month, member_id, ranked_by, score, place, previous_place, places_climbed,"
        " is_new_entrant from leaderboard order by month, place"
    )
    assert rows(engine, sql) == [
        ("2025-01", team.bob, "spend", 5_000_000, 1, None, None, 1),
        ("2025-01", team.ada, "spend", 1_000_001, 2, None, None, 1),
        ("2025-02", team.ada, "spend", 9_500_000, 1, 2, 1, 0),
        # Bob went from 1st to 2nd: no negative change exists, he just did not climb.
        ("2025-02", team.bob, "spend", 2_000_000, 2, 1, 0, 0),
    ]
    # The metric is a setting an admin changes: by active days, Ada leads January (2 against 1).
    update_dashboard_settings(engine, team.tenant, SYSTEM, leaderboard_metric="active_days")
    with pytest.raises(SettingsError, match="ranks by one of spend, tokens, active_days"):
        update_dashboard_settings(engine, team.tenant, SYSTEM, leaderboard_metric="vibes")
    build(engine, BY_NAME["leaderboard"])
    jan = rows(
        engine,
        "select member_id, ranked_by, score, place from leaderboard where month = '2025-01' order by place",
    )
    assert jan == [(team.ada, "active_days", 2, 1), (team.bob, "active_days", 1, 2)]


def test_seconds_saved_coefficients_are_settings(engine):
    team = seed_team(engine)
    with engine.begin() as conn:
        conn.execute(
            Setting.__table__.insert().values(
                tenant_id=team.tenant.id, key="marts.seconds_saved.lines_added", value={"value": 20}
            )
        )
    build_all(engine)
    got = rows(
        engine,
        "select seconds_saved from member_period where member_id = :m and month = '2025-01'",
        m=team.ada,
    )
    assert got == [(200,)]


def test_late_data_recomputes_only_its_months_and_equals_a_full_rebuild(engine):
    team = seed_team(engine)
    seed_team(engine, "beta")
    build_all(engine)
    # Mark a February row of the other tenant and a March-less month: an incremental build
    # of acme's January must leave them alone.
    with engine.begin() as conn:
        conn.execute(text("update member_period set seconds_saved = 4242 where month = '2025-02'"))
    # A revision arrives days later for January 20th (one day re-synced).
    day = dt.date(2025, 1, 20)
    write(
        engine,
        team.tenant.id,
        "anthropic",
        day,
        day,
        [usage(day, "ada@x.io", 4_000_000, tokens=10)],
    )
    scope = Scope(frozenset({team.tenant.id}), ("2025-01", "2025-01"))
    written = {m.name: build(engine, m, scope) for m in MODELS}
    # a full model (account_members: a few rows per account) is rebuilt whatever the scope
    assert not any(r.full for n, r in written.items() if MODELS_BY_NAME[n].incremental)
    # member_period rebuilt January only; leaderboard and team_period also the month after.
    assert rows(engine, "select count(*) from member_period where seconds_saved = 4242") == [(6,)]
    assert rows(
        engine,
        "select billed_cost_micros from member_period where tenant_id = :t and member_id = :m"
        " and month = '2025-01'",
        t=team.tenant.id,
        m=team.ada,
    ) == [(5_000_001,)]
    board = rows(
        engine,
        "select month, member_id, place, previous_place, places_climbed from leaderboard"
        " where tenant_id = :t order by month, place",
        t=team.tenant.id,
    )
    assert board == [
        ("2025-01", team.ada, 1, None, None),
        ("2025-01", team.bob, 2, None, None),
        ("2025-02", team.ada, 1, 1, 0),
        ("2025-02", team.bob, 2, 2, 0),
    ]
    with engine.begin() as conn:
        conn.execute(text("update member_period set seconds_saved = 0 where seconds_saved = 4242"))
        conn.execute(
            text(
                "update member_period set seconds_saved = 60 where member_name = 'Bob' and month = '2025-02'"
            )
        )
    incremental = snapshot(engine)
    build_all(engine)
    assert snapshot(engine) == incremental


def test_a_one_day_refresh_recomputes_that_day_and_equals_a_full_rebuild(engine):
    team = seed_team(engine)
    seed_team(engine, "beta")
    build_all(engine)
    day = dt.date(2025, 2, 3)
    # Another day of the same month, marked: a one-day refresh of member_daily leaves it alone.
    mark = "update member_daily set seconds_saved = :s where tenant_id = :t and day = '2025-02-04'"
    with engine.begin() as conn:
        conn.execute(text(mark), {"s": 4242, "t": team.tenant.id})
    # February 3rd re-synced: Ada's figures revised (tokens now unknown), Bob's row gone, a new
    # account nobody is linked to.
    write(
        engine,
        team.tenant.id,
        "anthropic",
        day,
        day,
        [usage(day, "ada@x.io", 7_000_003), usage(day, "zed@x.io", 11, tokens=2)],
    )
    scope = days_scope(frozenset({team.tenant.id}), [day])
    written = {m.name: build(engine, m, scope) for m in MODELS}
    # a full model (account_members: a few rows per account) is rebuilt whatever the scope
    assert not any(r.full for n, r in written.items() if MODELS_BY_NAME[n].incremental)
    assert written["member_daily"].scope.days == (day, day)
    assert written["member_period"].scope.days is None  # monthly marts: the whole month
    assert rows(
        engine,
        "select member_group, member_id, billed_cost_micros, tokens from member_daily"
        " where tenant_id = :t and day = '2025-02-03' order by member_group",
        t=team.tenant.id,
    ) == [("member", team.ada, 7_000_003, None), ("unlinked", None, 11, 2)]
    marked = "select count(*) from member_daily where seconds_saved = 4242"
    assert rows(engine, marked) == [(1,)]
    with engine.begin() as conn:
        conn.execute(text(mark), {"s": 0, "t": team.tenant.id})
    for m in MODELS:
        build(engine, m, scope)
    incremental = snapshot(engine)
    build_all(engine)
    assert snapshot(engine) == incremental


def test_a_failing_declared_test_rolls_the_build_back(engine, tmp_path):
    seed_team(engine)
    model = parse_model(
        "refunds",
        "/*\ndescription: d\nkind: full\ngrain: [tenant_id]\n"
        "tests: {non_negative: [billed_cost_micros]}\n*/\n"
        "select tenant_id, -@money_sum(billed_cost_micros) as billed_cost_micros\n"
        "from usage_facts group by tenant_id\n",
        "dbt_like_sql/refunds.sql",
    )
    with pytest.raises(
        MartTestFailed, match=r"refunds: .*non_negative_billed_cost_micros \(1 rows\)"
    ):
        build(engine, model)
    assert not inspect(engine).has_table("refunds")


def test_month_and_day_macros_agree_on_both_databases(engine):
    model = parse_model(
        "dates",
        "/*\ndescription: d\nkind: full\n*/\n"
        "select @month(@add_days('2025-01-31', 1)) as next_month, @prev_month('2025-01') as before,\n"
        "  @safe_div(7, 2) as half, @safe_div(-7, 2) as neg, @safe_div(1, 0) as zero,\n"
        "  @month(@month_key(@add_days('2025-01-31', 29))) as keyed\n",
        "dbt_like_sql/dates.sql",
    )
    build(engine, model)
    assert rows(engine, "select next_month, before, half, neg, zero, keyed from dates") == [
        ("2025-02", "2024-12", 3, -3, None, "2025-03")
    ]
    with engine.begin() as conn:
        conn.execute(text("drop table dates"))


def test_a_failed_incremental_build_leaves_the_previous_rows(engine):
    team = seed_team(engine)
    header = (
        "/*\ndescription: d\nkind: incremental_by_month\ntime_column: month\n"
        "time_column_type: month\ngrain: [tenant_id, month]\n"
        "tests: {non_negative: [billed_cost_micros]}\n*/\n"
    )
    model = parse_model(
        "spend_by_month",
        header + "select tenant_id, @month(charge_period_start) as month,\n"
        "  @money_sum(billed_cost_micros) as billed_cost_micros\nfrom usage_facts\n"
        "where @scope_days(tenant_id, charge_period_start)\ngroup by 1, 2\n",
        "dbt_like_sql/spend_by_month.sql",
    )
    build(engine, model)
    before = rows(engine, "select month, billed_cost_micros from spend_by_month order by month")
    assert before == [("2025-01", 6_250_001), ("2025-02", 11_500_123)]
    day = dt.date(2025, 2, 20)
    write(engine, team.tenant.id, "cursor", day, day, [usage(day, "ada@x.io", -99_000_000)])
    with pytest.raises(MartTestFailed, match="non_negative_billed_cost_micros"):
        build(engine, model, Scope(frozenset({team.tenant.id}), ("2025-02", "2025-02")))
    assert (
        rows(engine, "select month, billed_cost_micros from spend_by_month order by month")
        == before
    )
    with engine.begin() as conn:
        conn.execute(text("drop table spend_by_month"))


def test_a_percent_sign_in_a_model_builds_on_both_databases(engine):
    # psycopg takes every '%' of a statement for a placeholder: a comment such as "half (50 %)"
    # or a LIKE pattern must still build, full and incremental.
    m = parse_model(
        "percent_mart",
        "/*\ndescription: a model with percent signs\nkind: full\n*/\n"
        "-- about 50 % of the rows\n"
        "select '100%' as label, case when 'ab' like 'a%' then 1 else 0 end as hit",
        "dbt_like_sql/percent_mart.sql",
    )
    assert build(engine, m).rows == 1
    assert rows(engine, "select label, hit from percent_mart") == [("100%", 1)]


def test_member_daily_seconds_saved_overrides_and_control_figures(engine):
    """seconds_saved per metric: the default, a tenant's override of a listed metric and of an
    unlisted one, an override without a value (the default); a day with only vendors' control
    figures (x_) is nobody's day; a metric at zero is no activity."""
    tenant = tenants.create_tenant(engine, "acme")
    d1, d2, d3 = dt.date(2025, 3, 3), dt.date(2025, 3, 4), dt.date(2025, 3, 5)
    ann = "ann@x.io"
    activity = [
        ActivityRecord(d1, ann, "lines_added", 10),  # overridden: 20 s
        ActivityRecord(d1, ann, "commits", 3),  # unlisted, overridden: 7 s
        ActivityRecord(d1, ann, "chat_requests", 2),  # an override without a value: 30 s
        ActivityRecord(d1, ann, "pull_requests", 1),  # the default: 600 s
        ActivityRecord(d1, ann, "x_control_total", 4),  # a control figure: never counted
        ActivityRecord(d2, ann, "x_control_total", 5),
        ActivityRecord(d3, ann, "cmdk_usages", 0),
    ]
    write(engine, tenant.id, "cursor", d1, d3, activity=activity)
    overrides = {"lines_added": 20, "commits": 7, "chat_requests": None, "x_control_total": 1000}
    with engine.begin() as conn:
        for metric, seconds in overrides.items():
            conn.execute(
                Setting.__table__.insert().values(
                    tenant_id=tenant.id,
                    key=f"marts.seconds_saved.{metric}",
                    value={"value": seconds},
                )
            )
    build_all(engine)
    got = rows(engine, "select day, member_group, seconds_saved, is_active from member_daily")
    assert sorted(got) == [
        ("2025-03-03", "unlinked", 10 * 20 + 3 * 7 + 2 * 30 + 600, 1),
        ("2025-03-05", "unlinked", 0, 0),
    ]
