"""The read-only API over real HTTP (uvicorn on a free 127.0.0.1 port) on SQLite and PostgreSQL:
answers with a token, 401 without one or with a revoked one, 403 for a missing scope, one
tenant's token never sees another's numbers, every call audited, money exact to the micro."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import socket
import threading
from decimal import Decimal

import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from suggestion_seed import seed_team, usage

from pipelines.api.app import ENDPOINTS, create_app, usd_text
from pipelines.cli import main
from warehouse import api_tokens, audit, budgets, dashboard_settings, sync_status
from warehouse.actors import SYSTEM, Actor, PermissionDenied
from warehouse.mart_tables import rebuild_table
from warehouse.models import UsageFact
from warehouse.models_api import ApiToken
from warehouse.sql_models import load_models

D = 1_000_000
OCT = "2026-10"


@pytest.fixture
def world(engine: Engine):
    """Two tenants with the suggestion seed team; beta's Bob spent $7.000123 more in October."""
    acme, acme_ids = seed_team(engine, "acme")
    beta, beta_ids = seed_team(engine, "beta")
    with Session(engine) as s, s.begin():
        s.add(usage(beta, "cursor", "bob@acme.example", dt.date(2026, 10, 9), service="Cursor",
                    sku="gpt-5-mini", billed=7_000_123, inp=40, out=2))  # fmt: skip
    for model in load_models():
        rebuild_table(engine, model)
    budgets.set_budget(
        engine, acme, SYSTEM, scope="vendor", target="cursor", monthly_micros=2_000 * D
    )
    sync_status.record_success(engine, acme.id, "cursor", 12)
    tokens = {
        "acme": api_tokens.create_token(engine, acme, SYSTEM, name="dash")[1],
        "acme_kpis": api_tokens.create_token(
            engine, acme, SYSTEM, name="kpi-bot", scopes=["read:kpis"]
        )[1],
        "beta": api_tokens.create_token(engine, beta, SYSTEM, name="dash")[1],
    }
    old, tokens["revoked"] = api_tokens.create_token(engine, acme, SYSTEM, name="old")
    api_tokens.revoke_token(engine, acme, SYSTEM, old.id)
    tenants = {"acme": acme, "beta": beta}
    return {"tenant": tenants, "ids": {"acme": acme_ids, "beta": beta_ids}, **tokens}


@pytest.fixture
def api_url(engine: Engine):
    """The app served by a real uvicorn in a thread, on a free local port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(engine), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the API server did not start")
        thread.join(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def _no_float(text: str):
    raise AssertionError(f"the API sent a float: {text}")


def get(url: str, path: str, token: str | None = None, **params) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(url + path, headers=headers, params=params, timeout=10)


def body(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return json.loads(response.text, parse_float=_no_float)


def billed_in_warehouse(engine: Engine, tenant, start: dt.date, end: dt.date) -> int:
    with Session(engine) as s:
        return int(
            s.scalar(
                select(func.coalesce(func.sum(UsageFact.billed_cost_micros), 0)).where(
                    UsageFact.tenant_id == tenant.id,
                    UsageFact.charge_period_start >= start,
                    UsageFact.charge_period_start < end,
                )
            )
        )


def test_every_endpoint_answers_a_token_with_exact_money(engine, world, api_url) -> None:
    acme, ids = world["tenant"]["acme"], world["ids"]["acme"]
    kpis = body(get(api_url, "/v1/kpis", world["acme"], period=OCT))
    billed = billed_in_warehouse(engine, acme, dt.date(2026, 10, 1), dt.date(2026, 11, 1))
    assert billed == 1_079 * D  # Ada $30 + Bob $50 + the unlinked zed $999
    assert (kpis["billed_spend_micros"], kpis["billed_spend_usd"]) == (billed, "1079.00")
    assert kpis["estimated_list_value_micros"] == 2_500_000 + 9_990_000  # beside, never added
    assert kpis["active_members"] == 2 and kpis["members"] == 3
    assert kpis["tokens"] == 1_100_000 + 1_500 + 2_000  # linked members; repeats never counted

    members = {
        m["member_id"]: m
        for m in body(get(api_url, "/v1/members", world["acme"], period=OCT))["members"]
    }
    assert members[ids["Bob"]]["name"] == "Bob Babbage"
    assert members[ids["Bob"]]["billed_spend_usd"] == "50.00"
    assert members[ids["Bob"]]["tools"] == [
        {
            "name": "Cursor",
            "billed_spend_usd": "50.00",
            "billed_spend_micros": 50 * D,
            "tokens": 2_000,
        }
    ]
    assert (members[ids["Ada"]]["rank"], members[ids["Bob"]]["rank"]) == (2, 1)
    assert members[ids["Cy"]]["tokens"] is None and members[ids["Cy"]]["active_days"] == 0

    board = body(get(api_url, "/v1/leaderboard", world["acme"], period=OCT))
    assert [(r["rank"], r["name"], r["billed_spend_usd"]) for r in board["rows"]] == [
        (1, "Bob Babbage", "50.00"),
        (2, "Ada Lovelace", "30.00"),
    ]
    # September: Ada first ($100), Bob second ($10): Bob climbed one place; Ada shows no arrow.
    assert [(r["previous_rank"], r["rank_climb"]) for r in board["rows"]] == [(2, 1), (1, None)]
    vendors = body(get(api_url, "/v1/vendors", world["acme"]))["vendors"]
    assert [(v["source"], v["freshness"], v["rows"]) for v in vendors] == [("cursor", "fresh", 12)]
    (budget,) = body(get(api_url, "/v1/budgets", world["acme"], period=OCT))["budgets"]
    assert (budget["label"], budget["spend_usd"], budget["monthly_budget_usd"]) == (
        "vendor cursor", "1049.00", "2000.00"  # Bob $50 + the unlinked zed $999
    )  # fmt: skip
    assert budget["percent_used"] == "52.5" and budget["thresholds_crossed"] == []


def test_refuses_without_a_valid_token(world, api_url) -> None:
    for token in (None, "aispend_not-a-token", world["revoked"], world["acme"] + "x"):
        response = get(api_url, "/v1/kpis", token, period=OCT)
        assert response.status_code == 401, token
        assert response.json()["error"].startswith("a valid API token is required")
        assert response.headers["www-authenticate"].startswith("Bearer")
    basic = httpx.get(api_url + "/v1/kpis", auth=("dash", world["acme"]), timeout=10)
    assert basic.status_code == 401


def test_refuses_a_scope_the_token_lacks_and_audits_it(engine, world, api_url) -> None:
    assert body(get(api_url, "/v1/kpis", world["acme_kpis"], period=OCT))["billed_spend_usd"]
    for path in ("/v1/members", "/v1/leaderboard", "/v1/vendors", "/v1/budgets"):
        response = get(api_url, path, world["acme_kpis"], period=OCT)
        assert response.status_code == 403
        assert "read:" in response.json()["error"]
    events = audit.list_events(engine, world["tenant"]["acme"], SYSTEM, by="api:kpi-bot")
    assert sorted((e["target"], e["detail"]["status"]) for e in events) == [
        ("/v1/budgets", 403), ("/v1/kpis", 200), ("/v1/leaderboard", 403), ("/v1/members", 403),
        ("/v1/vendors", 403),
    ]  # fmt: skip


def test_a_token_never_sees_another_tenants_data(engine, world, api_url) -> None:
    acme, beta = world["tenant"]["acme"], world["tenant"]["beta"]
    oct_1, nov_1 = dt.date(2026, 10, 1), dt.date(2026, 11, 1)
    for slug, tenant in (("acme", acme), ("beta", beta)):
        # A tenant parameter is ignored: the token decides.
        kpis = body(get(api_url, "/v1/kpis", world[slug], period=OCT, tenant="acme"))
        assert kpis["billed_spend_micros"] == billed_in_warehouse(engine, tenant, oct_1, nov_1)
        members = body(get(api_url, "/v1/members", world[slug], period=OCT))["members"]
        assert {m["member_id"] for m in members} == set(world["ids"][slug].values())
    beta_kpis = body(get(api_url, "/v1/kpis", world["beta"], period=OCT))
    assert (beta_kpis["billed_spend_micros"], beta_kpis["billed_spend_usd"]) == (
        1_086_000_123, "1086.000123"
    )  # fmt: skip
    board = body(get(api_url, "/v1/leaderboard", world["beta"], period=OCT))["rows"]
    assert board[0]["billed_spend_usd"] == "57.000123"
    assert body(get(api_url, "/v1/budgets", world["beta"], period=OCT))["budgets"] == []
    assert body(get(api_url, "/v1/vendors", world["beta"]))["vendors"] == []
    acme_calls = {e["actor"] for e in audit.list_events(engine, acme, SYSTEM, actions=["api.call"])}
    beta_calls = audit.list_events(engine, beta, SYSTEM, actions=["api.call"])
    assert acme_calls == {"api:dash"} and len(beta_calls) == 6


def test_every_call_is_audited_with_the_token_name(engine, world, api_url) -> None:
    body(get(api_url, "/v1/leaderboard", world["acme"], period=OCT))
    assert get(api_url, "/v1/kpis", world["acme"], period="2026-13").status_code == 400
    events = audit.list_events(engine, world["tenant"]["acme"], SYSTEM, actions=["api.call"])
    assert [(e["actor"], e["target"], e["detail"]) for e in events] == [
        ("api:dash", "/v1/kpis", {"status": 400, "period": "2026-13"}),
        ("api:dash", "/v1/leaderboard", {"status": 200, "period": OCT}),
    ]
    (dash,) = [
        t
        for t in api_tokens.list_tokens(engine, world["tenant"]["acme"], SYSTEM)
        if t.name == "dash"
    ]
    assert dash.last_used_at is not None


def test_the_leaderboard_respects_the_display_mode(engine, world, api_url) -> None:
    acme = world["tenant"]["acme"]
    dashboard_settings.update_dashboard_settings(engine, acme, SYSTEM, display_mode="initialed")
    rows = body(get(api_url, "/v1/leaderboard", world["acme"], period=OCT))["rows"]
    assert [r["name"] for r in rows] == ["B. B.", "A. L."]
    members = body(get(api_url, "/v1/members", world["acme"], period=OCT))["members"]
    assert {m["name"] for m in members} == {"A. L.", "B. B.", "C. C."}
    dashboard_settings.update_dashboard_settings(engine, acme, SYSTEM, display_mode="anonymous")
    response = get(api_url, "/v1/leaderboard", world["acme"], period=OCT)
    board = body(response)
    assert [set(r) for r in board["rows"]] == [
        {"rank", "billed_spend_micros", "billed_spend_usd", "tokens", "active_days",
         "previous_rank", "rank_climb"}
    ] * 2  # fmt: skip
    assert "Bob" not in response.text and "Ada" not in response.text


def test_openapi_describes_every_endpoint_without_a_token(api_url) -> None:
    spec = httpx.get(api_url + "/openapi.json", timeout=10).json()
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {e.path for e in ENDPOINTS}
    for e in ENDPOINTS:
        operation = spec["paths"][e.path]["get"]
        assert operation["security"] == [{"bearer": [e.scope]}]
        assert {"200", "401", "403"} <= set(operation["responses"])


def test_usd_text_is_exact() -> None:
    assert [usd_text(m) for m in (0, 1, 10_000, 1_234_560_000, -5_000_000, 1_500)] == [
        "0.00", "0.000001", "0.01", "1234.56", "-5.00", "0.0015"
    ]  # fmt: skip
    for micros in (1, 999_999, 123_456_789_012):
        assert Decimal(usd_text(micros)) * 1_000_000 == micros


def test_tokens_are_stored_hashed_and_admin_only(engine, world) -> None:
    acme = world["tenant"]["acme"]
    with Session(engine) as s:
        stored = {
            r.name: r for r in s.scalars(select(ApiToken).where(ApiToken.tenant_id == acme.id))
        }
    assert stored["dash"].token_sha256 == hashlib.sha256(world["acme"].encode()).hexdigest()
    assert all(world["acme"] not in (r.token_sha256, r.name) for r in stored.values())
    viewer = Actor("v@acme.example", "viewer")
    for call in (
        lambda: api_tokens.create_token(engine, acme, viewer, name="x"),
        lambda: api_tokens.list_tokens(engine, acme, viewer),
        lambda: api_tokens.revoke_token(engine, acme, viewer, stored["dash"].id),
    ):
        with pytest.raises(PermissionDenied):
            call()
    with pytest.raises(api_tokens.ApiTokenError, match="active token named 'dash'"):
        api_tokens.create_token(engine, acme, SYSTEM, name="dash")
    with pytest.raises(api_tokens.ApiTokenError, match="no API token"):  # beta's token, from acme
        beta_id = api_tokens.list_tokens(engine, world["tenant"]["beta"], SYSTEM)[0].id
        api_tokens.revoke_token(engine, acme, SYSTEM, beta_id)
    assert api_tokens.authenticate(engine, world["beta"])[0] == world["tenant"]["beta"]


def test_cli_creates_lists_and_revokes_tokens(engine, world, warehouse_url, tmp_path, monkeypatch):
    monkeypatch.setenv("AISPEND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AISPEND_DATABASE_URL", warehouse_url)
    monkeypatch.setenv("AISPEND_TENANT", "acme")
    run = CliRunner().invoke
    made = run(
        main, ["api", "token", "create", "--name", "slack", "--scope", "read:kpis,read:budgets"]
    )
    assert made.exit_code == 0, made.output
    secret = made.output.strip().splitlines()[-1]
    tenant, token = api_tokens.authenticate(engine, secret)
    assert (tenant.slug, token.name, token.scopes) == (
        "acme",
        "slack",
        ("read:kpis", "read:budgets"),
    )
    listed = run(main, ["api", "token", "list"])
    assert "slack" in listed.output and secret not in listed.output and "revoked" in listed.output
    bad = run(main, ["api", "token", "create", "--name", "x", "--scope", "write:all"])
    assert bad.exit_code == 1 and "unknown scope(s) write:all" in bad.output
    assert run(main, ["api", "token", "revoke", str(token.id)]).exit_code == 0
    assert api_tokens.authenticate(engine, secret) is None
    again = run(main, ["api", "token", "revoke", str(token.id)])
    assert again.exit_code == 1 and "already revoked" in again.output
    other = run(main, ["api", "token", "create", "--name", "b", "--tenant", "beta"])
    assert api_tokens.authenticate(engine, other.output.strip().splitlines()[-1])[0].slug == "beta"
