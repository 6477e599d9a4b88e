"""The OpenAI connector against the simulated Administration API, over real HTTP.

Besides the conformance kit: billed records sum to the costs endpoint every day (through 429
and 500 storms too); the float amounts the simulator really serves (``0.30000000000000004``,
exponents, values truncating float code gets wrong) come out exact; costs reach key owners,
service accounts, users of revoked keys and Playground users, and only what nobody can carry
is unattributed; tokens are counted once; a 45-day fetch asks for what the limits allow;
errors name the vendor but never the key.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from decimal import Decimal

import httpx
import pytest

from connectors.contract import (
    UNATTRIBUTED,
    ConnectorError,
    CredentialError,
    FetchContext,
    SchemaError,
)
from connectors.dates import days
from connectors.money import to_micros
from connectors.openai import OpenAIConnector
from connectors.openai.payloads import PATH_COSTS, PATH_USAGE, PATH_USERS
from connectors.simulator import Simulator
from connectors.simulator.openai import json_micros
from connectors.testing import ConnectorConformance, Fetched
from connectors.tokens import record_tokens

START = dt.date(2026, 9, 1)


class TestOpenAIConformance(ConnectorConformance):
    connector = OpenAIConnector
    required_field = "input_tokens"
    bypass = {
        "test_reconciliation_totals_agree": (
            "OpenAI publishes no independent total besides the costs endpoint, which is "
            "already the control total"
        )
    }


def _ctx(**http_options) -> FetchContext:
    return FetchContext(http_options={"sleep": lambda seconds: None, **http_options})


def _fetch(sim: Simulator, start: dt.date, end: dt.date, **config_overrides) -> Fetched:
    config = {**sim.config("openai"), **config_overrides}
    out = Fetched()
    for batch in OpenAIConnector().fetch(config, start, end, _ctx()):
        out.usage.extend(batch.usage)
        out.accounts.extend(batch.accounts)
        out.vendor_totals.extend(batch.vendor_totals)
    return out


@pytest.fixture
def sim():
    """A ten-person team over September and October 2026 (every quirk appears)."""
    with Simulator(members=10, vendors=["openai"], start=START, days=61) as simulator:
        yield simulator


@pytest.mark.parametrize(
    "faults",
    [{}, {"rate_limit_every": 2, "retry_after": 0}, {"server_error_every": 3}],
    ids=["clean", "429-every-2nd", "500-every-3rd"],
)
def test_billed_records_and_control_totals_equal_the_costs_every_day(sim, faults):
    start, end = START + dt.timedelta(days=3), START + dt.timedelta(days=23)
    sim.set_faults("openai", **faults)
    got = _fetch(sim, start, end)
    billed: dict[dt.date, int] = defaultdict(int)
    for r in got.usage:
        billed[r.day] += r.billed_cost_micros
    totals = {t.day: t.billed_cost_micros for t in got.vendor_totals}
    for day in days(start, end):
        expected = sim.expected_billed_micros("openai", day)
        assert expected > 0
        assert billed[day] == expected == totals[day], day
    if faults:
        statuses = Counter(r.status for r in sim.requests_log)
        assert statuses[429] + statuses[500] > 0  # the storm really happened


def test_float_amounts_on_the_wire_come_out_exact(sim):
    """The simulator really serves binary floats (checked in the raw JSON), including values a
    float-truncating reader gets wrong; the connector's totals equal their exact sums."""
    day = START + dt.timedelta(days=4)
    key = sim.config("openai")["admin_api_key"]
    start_time = (day - dt.date(1970, 1, 1)).days * 86_400
    raw = httpx.get(
        sim.base_url("openai") + PATH_COSTS,
        params={
            "start_time": start_time,
            "limit": 1,
            "group_by": ["project_id", "line_item", "api_key_id"],
        },
        headers={"authorization": f"Bearer {key}"},
    ).text
    assert "0.30000000000000004" in raw  # 0.1 + 0.1 + 0.1 in the vendor's float code
    values = [r["amount"]["value"] for r in json.loads(raw)["data"][0]["results"]]
    assert values and all(isinstance(v, float) for v in values)
    exact = [to_micros(Decimal(repr(v)), unit="usd") for v in values]
    truncated = [int(v * 1_000_000) for v in values]
    assert exact != truncated, "no amount trips float truncation: the trap is not set"
    assert sum(exact) == sim.expected_billed_micros("openai", day)
    assert json_micros(0.1 + 0.2) == 300_000 and json_micros(1.2e-05) == 12
    got = _fetch(sim, day, day)
    assert [t.billed_cost_micros for t in got.vendor_totals] == [sum(exact)]
    assert sum(r.billed_cost_micros for r in got.usage) == sum(exact)


def test_costs_reach_key_owners_service_accounts_and_users_of_revoked_keys(sim):
    start, end = START, START + dt.timedelta(days=13)
    got = _fetch(sim, start, end)
    vendor = sim.vendor("openai")
    by_account: dict[str, int] = defaultdict(int)
    for r in got.usage:
        by_account[r.account_key] += r.billed_cost_micros
    # What each key's lines billed, from the simulator's finest-grain lines.
    by_key: dict[str | None, int] = defaultdict(int)
    playground = 0
    for day in days(start, end):
        for line in vendor.day_costs(day):
            by_key[line.api_key_id] += json_micros(line.amount)
            if line.api_key_id is None and line.unit == "tokens":
                playground += json_micros(line.amount)
    for member in sim.team:
        owned = sum(by_key[k.id] for k in vendor.keys if k.owner_user == member)
        got_micros = by_account[vendor.user_id(member)]
        if member.index % 4 == 1:  # a Playground user: their keys plus a share of Playground
            assert owned < got_micros <= owned + playground, member.name
        else:  # revoked keys included: their usage rows name the member
            assert got_micros == owned, member.name
    services = {
        k.service_account[0]: by_key[k.id] for k in vendor.keys if k.listed and k.service_account
    }
    for service_id, micros in services.items():
        assert by_account[service_id] == micros > 0
    legacy = next(k for k in vendor.keys if k.service_account and not k.listed)
    storage = by_key[None] - playground
    assert by_account[UNATTRIBUTED] == by_key[legacy.id] + storage > 0
    kinds = {a.account_key: a for a in got.accounts}
    assert kinds[UNATTRIBUTED].kind == "unattributed"
    assert {kinds[s].kind for s in services} == {"service_account"}
    for member in sim.team:
        account = kinds[vendor.user_id(member)]
        assert (account.email, account.display_name, account.kind) == (
            member.email,
            member.name,
            "user",
        )
    assert len(got.accounts) == len(kinds), "an account was reported twice"


def test_tokens_are_counted_once_from_inclusive_input(sim):
    start, end = START, START + dt.timedelta(days=6)
    got = _fetch(sim, start, end)
    counted: dict[dt.date, int] = defaultdict(int)
    for r in got.usage:
        counted[r.day] += record_tokens(r)
    for day in days(start, end):
        assert counted[day] == sim.expected_tokens("openai", day)
    rows = [row for day in days(start, end) for row in sim.vendor("openai").day_rows(day)]
    assert any(row.cached for row in rows) and any(row.cache_write for row in rows)
    assert sum(r.cache_read_tokens or 0 for r in got.usage) == sum(row.cached for row in rows)
    assert sum(r.cache_write_tokens or 0 for r in got.usage) == sum(row.cache_write for row in rows)
    # Tokens are the unit guard's consumed quantity: every record with tokens carries them.
    tokened = [r for r in got.usage if record_tokens(r)]
    assert tokened and all(r.consumed_quantity == record_tokens(r) for r in tokened)
    assert all(r.consumed_unit == "tokens" for r in tokened)
    assert all(r.sub_account and r.sub_account.startswith("proj_") for r in got.usage)


def test_a_45_day_fetch_makes_the_fewest_requests_the_limits_allow(sim):
    start, end = START, START + dt.timedelta(days=44)
    _fetch(sim, start, end)
    by_path = defaultdict(list)
    for r in sim.requests_log:
        by_path[r.path].append(r)
    # 45 days = one 31-day window + one 14-day window, one page each.
    for path in (PATH_COSTS, PATH_USAGE):
        assert [r.query["limit"] for r in by_path[path]] == [["31"], ["14"]]
    first = by_path[PATH_USAGE][0].query
    assert first["start_time"] == ["1788220800"]  # 2026-09-01T00:00:00Z, inclusive
    assert first["end_time"] == ["1790899200"]  # 2026-10-02T00:00:00Z, exclusive
    assert first["group_by"] == ["project_id", "user_id", "api_key_id", "model"]
    assert by_path[PATH_COSTS][0].query["group_by"] == ["project_id", "line_item", "api_key_id"]
    assert len(by_path[PATH_USERS]) == 1
    key_lists = [p for p in by_path if p.endswith("/api_keys")]
    assert len(key_lists) == 3 and all(len(by_path[p]) == 1 for p in key_lists)
    assert sim.unconsumed_pages("openai") == []


def test_the_simulator_enforces_limits_auth_and_both_paginations(sim):
    base, key = sim.base_url("openai"), sim.config("openai")["admin_api_key"]
    bearer = {"authorization": f"Bearer {key}"}
    with httpx.Client() as client:
        assert client.get(base + PATH_USERS, headers={"x-api-key": key}).status_code == 401
        too_many = client.get(
            base + PATH_USAGE, params={"start_time": 1788220800, "limit": 32}, headers=bearer
        )
        assert too_many.status_code == 400 and "limit" in too_many.json()["error"]["message"]
        costs = client.get(
            base + PATH_COSTS, params={"start_time": 1788220800, "limit": 180}, headers=bearer
        )
        assert costs.status_code == 200  # costs allow 180 buckets
        page = client.get(
            base + PATH_COSTS,
            params={"start_time": 1788220800, "end_time": 1788220800 + 10 * 86_400},
            headers=bearer,
        ).json()
        assert len(page["data"]) == 7 and page["has_more"]  # default 7 buckets
        rest = client.get(
            base + PATH_COSTS,
            params={
                "start_time": 1788220800,
                "end_time": 1788220800 + 10 * 86_400,
                "page": page["next_page"],
            },
            headers=bearer,
        ).json()
        assert len(rest["data"]) == 3 and not rest["has_more"]
        result = page["data"][0]["results"][0]
        assert result["project_id"] is None and result["line_item"] is None  # not grouped
        assert result["amount"]["currency"] == "usd"
        users = client.get(base + PATH_USERS, params={"limit": 4}, headers=bearer).json()
        more = client.get(
            base + PATH_USERS, params={"limit": 4, "after": users["last_id"]}, headers=bearer
        ).json()
        assert users["has_more"] and len(users["data"]) == 4
        assert {u["id"] for u in users["data"]}.isdisjoint(u["id"] for u in more["data"])
        forms = {u["id"][:5] for u in users["data"] + more["data"]}
        assert forms == {"user-", "user_"}  # opaque ids, both spellings
    assert sim.unconsumed_pages("openai") == [f"{PATH_USERS}?after={more['last_id']}"]


def test_a_missing_field_and_a_malformed_page_name_the_vendor(sim):
    sim.set_faults("openai", missing_field="amount")
    with pytest.raises(SchemaError, match="openai") as info:
        _fetch(sim, START, START + dt.timedelta(days=2))
    assert info.value.field_name.endswith("amount") and "costs" in str(info.value)
    sim.set_faults("openai", missing_field=None, malformed_every=1, only_paths="usage")
    with pytest.raises(SchemaError, match="openai at /v1/organization/usage/completions"):
        _fetch(sim, START, START + dt.timedelta(days=2))


def test_the_key_never_appears_in_error_text(sim):
    good = sim.config("openai")["admin_api_key"]
    bad = sim.config("openai", good=False)["admin_api_key"]
    errors: list[Exception] = []
    with pytest.raises(CredentialError) as info:
        _fetch(sim, START, START, admin_api_key=bad)
    errors.append(info.value)
    sim.set_faults("openai", server_error_every=1)
    with pytest.raises(ConnectorError) as info:
        list(OpenAIConnector().fetch(sim.config("openai"), START, START, _ctx(max_attempts=2)))
    errors.append(info.value)
    for exc in errors:
        for text in (str(exc), repr(exc), str(exc.__cause__ or ""), str(exc.__context__ or "")):
            assert good not in text and bad not in text
    result = OpenAIConnector().check({"admin_api_key": bad, "base_url": sim.base_url("openai")})
    assert result.reason == "the admin API key was rejected (HTTP 401)"
