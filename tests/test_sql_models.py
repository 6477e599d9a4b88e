"""The SQL model runner without a database: headers, refusals naming file and line, macros,
dependencies read from the SQL, and the models shipped inside the package."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import dagster as dg
import pytest

from pipelines.ingest import ingest_key
from pipelines.marts import admin_key, build_mart_definitions, marts_reading, model_deps
from warehouse.sql_models import ModelError, Scope, load_models, parse_model, render

ROOT = Path(__file__).resolve().parent.parent
HEADER = "/*\ndescription: test model\nkind: full\n*/\n"


def model(sql: str, header: str = HEADER, name: str = "m"):
    return parse_model(name, header + sql, f"dbt_like_sql/{name}.sql")


def test_shipped_models_load_in_dependency_order():
    models = load_models()
    names = [m.name for m in models]
    assert names.index("member_daily") < names.index("member_period") < names.index("leaderboard")
    assert names.index("member_period") < names.index("team_period")
    team = next(m for m in models if m.name == "team_monthly_spend")
    assert team.reads == {"member_period_models"}
    assert team.kind == "incremental_by_month" and team.grain == (
        "tenant_id",
        "month",
        "provider",
        "source",
    )
    by_model = next(m for m in models if m.name == "member_period_models")
    assert by_model.reads == {"usage_facts", "account_members"}
    keys = [ingest_key("anthropic"), ingest_key("manual")]
    assert set(model_deps(by_model, models, keys)) == {*keys, dg.AssetKey("account_members")}
    # Accounts resolve to members once (account_members); a changed link still reaches the
    # member marts through it.
    accounts = next(m for m in models if m.name == "account_members")
    assert set(model_deps(accounts, models, keys)) == {*keys, admin_key("identity_links")}
    assert model_deps(team, models, keys) == [dg.AssetKey("member_period_models")]
    period = next(m for m in models if m.name == "member_period")
    assert set(model_deps(period, models, keys)) == {
        dg.AssetKey("member_daily"),
        dg.AssetKey("member_period_models"),
        admin_key("members"),
    }
    assert marts_reading(models, "identity_links") == [
        "account_members",
        "member_daily",
        "member_period_models",
        "member_period",
        "leaderboard",
        "team_monthly_spend",
        "team_period",
    ]


def test_zero_models_is_an_error(tmp_path):
    with pytest.raises(ModelError, match="no SQL models"):
        load_models(tmp_path)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("select billed_cost_micros::numeric as x from usage_facts", "'::' casts"),
        ("select cast(billed_cost_micros as real) as x from usage_facts", "loses exactness"),
        ("select cast(billed_cost_micros as double precision) as x from usage_facts", "exactness"),
        ("select billed_cost_micros / 1000000 as x from usage_facts", "@safe_div"),
        ("select avg(billed_cost_micros) as x from usage_facts", "avg"),
        ("select date_trunc('month', charge_period_start) as x from usage_facts", "not portable"),
        ("select strftime('%Y', charge_period_start) as x from usage_facts", "not portable"),
        ("select cast('2025-01-01' as date) as x from usage_facts", "number on SQLite"),
        ("select @fortnight(charge_period_start) as x from usage_facts", "unknown macro"),
        ("select @safe_div(1) as x from usage_facts", "takes 2 argument"),
        ("select from from where", "does not parse"),
    ],
)
def test_refused_constructs_name_file_and_line(line, message):
    with pytest.raises(ModelError, match=rf"dbt_like_sql/m\.sql:6: .*{message}"):
        model("-- a comment with a / and date_trunc( in it is fine\n" + line + "\n")


def test_header_mistakes_are_named():
    with pytest.raises(ModelError, match="m.sql: the file must start with a /\\* header"):
        parse_model("m", "select 1 as x", "dbt_like_sql/m.sql")
    with pytest.raises(ModelError, match="kind must be one of full, incremental_by_month"):
        model("select 1 as x", "/*\ndescription: d\nkind: table\n*/\n")
    with pytest.raises(ModelError, match="needs a time_column"):
        model("select 1 as x", "/*\ndescription: d\nkind: incremental_by_month\n*/\n")
    with pytest.raises(ModelError, match="unknown test"):
        model("select 1 as x", "/*\ndescription: d\nkind: full\ntests: {positive: [x]}\n*/\n")
    with pytest.raises(ModelError, match="restricts its inputs with @scope"):
        model(
            "select tenant_id, charge_period_start as day from usage_facts",
            "/*\ndescription: d\nkind: incremental_by_month\ntime_column: day\n*/\n",
        )
    with pytest.raises(ModelError, match="incremental_by_day model has a date time_column"):
        model(
            "select tenant_id, month from t where @scope_months(tenant_id, month)",
            "/*\ndescription: d\nkind: incremental_by_day\ntime_column: month\n"
            "time_column_type: month\n*/\n",
        )
    with pytest.raises(ModelError, match="exactly one SELECT"):
        model("select 1 as x; select 2 as y")


def test_macros_render_for_each_engine_keeping_line_numbers():
    m = model(
        "select @month(day) as month,\n  @money_sum(cost) as cost\nfrom t\nwhere "
        "@scope_days(tenant_id,\n day)\ngroup by 1",
        "/*\ndescription: d\nkind: incremental_by_month\ntime_column: month\n"
        "time_column_type: month\nreads_previous_months: 1\n*/\n",
    )
    scope = Scope(frozenset({3, 1}), ("2025-03", "2025-04"))
    sqlite, pg = m.render("sqlite", scope), m.render("postgresql", scope)
    assert "substr(day, 1, 7)" in sqlite and "to_char(CAST(day AS TIMESTAMP), 'YYYY-MM')" in pg
    assert "COALESCE(aispend_sum(cost), 0)" in pg
    assert "CAST(COALESCE(SUM(cost), 0) AS BIGINT)" in sqlite
    # One month back for reads_previous_months; the day range ends before May.
    assert "tenant_id IN (1, 3) AND day >= '2025-02-01' AND day < '2025-05-01'" in sqlite
    for sql in (sqlite, pg):
        assert sql.count("\n") == m.source.count("\n")
    assert "(1 = 1)" in m.render("sqlite")


def test_scope_month_key_is_scope_days_on_the_month_key_on_sqlite():
    # SQLite: whole months as a range of @month_key (the index of migration 0021 serves it);
    # PostgreSQL, and the days of an incremental_by_day scope: the day range of @scope_days.
    m = model(
        "select @month(day) as month from t where @scope_month_key(tenant_id, day) group by 1",
        "/*\ndescription: d\nkind: incremental_by_month\ntime_column: month\n"
        "time_column_type: month\n*/\n",
    )
    months = Scope(frozenset({1}), ("2025-03", "2025-04"))
    assert (
        "(tenant_id IN (1) AND substr(day, 1, 7) >= '2025-03' AND substr(day, 1, 7) <= '2025-04')"
        in m.render("sqlite", months)
    )
    assert "(tenant_id IN (1) AND day >= '2025-03-01' AND day < '2025-05-01')" in m.render(
        "postgresql", months
    )
    days = Scope(None, ("2025-03", "2025-03"), (dt.date(2025, 3, 4), dt.date(2025, 3, 5)))
    body = "select day from t where @scope_month_key(tenant_id, day)"
    assert "(day >= '2025-03-04' AND day < '2025-03-06')" in render(body, "sqlite", days)
    assert "(1 = 1)" in m.render("sqlite") and "(1 = 1)" in m.render("postgresql")


def test_models_read_each_other_and_unknown_tables_are_refused(tmp_path):
    (tmp_path / "base_spend.sql").write_text(
        HEADER + "with f as (select * from usage_facts) select tenant_id, billed_cost_micros from f"
    )
    (tmp_path / "member_spend.sql").write_text(
        HEADER + "select b.tenant_id, m.display_name from base_spend b join members m"
        " on m.tenant_id = b.tenant_id"
    )
    models = load_models(tmp_path)
    assert [m.name for m in models] == ["base_spend", "member_spend"]
    assets, _sensors = build_mart_definitions([ingest_key("cursor")], models)
    deps = {
        a.key.to_user_string(): set(a.asset_deps[a.key])
        for a in assets
        if isinstance(a, dg.AssetsDefinition) and a.key.path[0] != "admin"
    }
    assert deps == {
        "base_spend": {ingest_key("cursor")},
        "member_spend": {dg.AssetKey("base_spend"), admin_key("members")},
    }
    (tmp_path / "odd.sql").write_text(HEADER + "select * from credentials")
    with pytest.raises(ModelError, match="odd.sql: reads 'credentials'"):
        build_mart_definitions([], load_models(tmp_path))


@pytest.mark.slow
@pytest.mark.xdist_group("checkout_build")  # builds in this checkout: never beside test_scaffold
def test_the_wheel_ships_the_models(tmp_path):
    """An installed aispend has its models: the built wheel contains every .sql file."""
    leftovers = [p for p in (ROOT / "build", ROOT / "aispend.egg-info") if not p.exists()]
    proc = subprocess.run(
        [sys.executable, "-m", "uv", "build", "--wheel", "--out-dir", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    for path in leftovers:  # setuptools builds inside the checkout: leave it as it was
        shutil.rmtree(path, ignore_errors=True)
    assert proc.returncode == 0, proc.stderr
    (wheel,) = tmp_path.glob("aispend-*.whl")
    shipped = {n for n in zipfile.ZipFile(wheel).namelist() if n.startswith("dbt_like_sql/")}
    expected = {f"dbt_like_sql/{p.name}" for p in (ROOT / "dbt_like_sql").glob("*.sql")}
    assert expected and expected | {"dbt_like_sql/__init__.py"} <= shipped
