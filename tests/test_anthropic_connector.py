"""The Anthropic connector against the simulated Anthropic Admin API, over real HTTP.

Besides the conformance kit: the billed records of every day sum to the cost report exactly
(also through 429 and 500 storms), Claude Code estimates never count as billed, both Claude
Code ``date`` forms parse, a 45-day fetch makes the fewest usage/cost requests the limits
allow, the unattributed remainder is explicit, and errors name the vendor but never the key.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter, defaultdict

import httpx
import pytest

from connectors.anthropic import AnthropicConnector
from connectors.anthropic.allocation import allocate_day
from connectors.anthropic.payloads import (
    PATH_CLAUDE_CODE,
    PATH_COST,
    PATH_USAGE,
    CostLine,
    UsageTokens,
)
from connectors.contract import (
    UNATTRIBUTED,
    ConnectorError,
    CredentialError,
    FetchContext,
    SchemaError,
    UsageRecord,
)
from connectors.http import VendorHttp
from connectors.payload import PayloadReader
from connectors.simulator import Simulator
from connectors.simulator.anthropic import api_billed, claude_code_date_is_timestamp, uses_api_key
from connectors.testing import ConnectorConformance
from connectors.tokens import record_tokens

START = dt.date(2026, 9, 1)


class TestAnthropicConformance(ConnectorConformance):
    connector = AnthropicConnector
    required_field = "uncached_input_tokens"
    bypass = {
        "test_reconciliation_totals_agree": (
            "Anthropic publishes no independent total besides the cost report, which is "
            "already the control total"
        )
    }


def _ctx() -> FetchContext:
    return FetchContext(http_options={"sleep": lambda seconds: None})


def _fetch(sim: Simulator, start: dt.date, end: dt.date, **config_overrides):
    config = {**sim.config("anthropic"), **config_overrides}
    usage, activity, accounts = [], [], []
    for batch in AnthropicConnector().fetch(config, start, end, _ctx()):
        usage.extend(batch.usage)
        activity.extend(batch.activity_records())
        accounts.extend(batch.accounts)
    return usage, activity, accounts


def _billed_by_day(usage: list[UsageRecord]) -> dict[dt.date, int]:
    billed: dict[dt.date, int] = defaultdict(int)
    for r in usage:
        if r.cost_basis == "billed":
            billed[r.day] += r.billed_cost_micros
    return billed


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


@pytest.fixture
def sim():
    """A five-person team over September and October 2026."""
    with Simulator(members=5, vendors=["anthropic"], start=START, days=61) as simulator:
        yield simulator


@pytest.mark.parametrize(
    "faults",
    [{}, {"rate_limit_every": 2, "retry_after": 0}, {"server_error_every": 3}],
    ids=["clean", "429-every-2nd", "500-every-3rd"],
)
def test_billed_records_sum_to_the_cost_report_every_day(vendor_simulator, faults):
    start, end = START + dt.timedelta(days=3), START + dt.timedelta(days=23)
    vendor_simulator.set_faults("anthropic", **faults)
    usage, _, _ = _fetch(vendor_simulator, start, end)
    billed = _billed_by_day(usage)
    for day in _days(start, end):
        expected = vendor_simulator.expected_billed_micros("anthropic", day)
        assert expected > 0
        assert billed[day] == expected, day
    assert all(start <= r.day <= end for r in usage)
    if faults:
        statuses = Counter(r.status for r in vendor_simulator.requests_log)
        assert statuses[429] + statuses[500] > 0  # the storm really happened


def test_claude_code_is_estimated_and_never_billed(sim):
    start, end = START, START + dt.timedelta(days=6)
    usage, activity, _ = _fetch(sim, start, end)
    code = [r for r in usage if r.service == "Claude Code"]
    assert code, "the simulated team uses Claude Code"
    assert all(r.cost_basis == "estimated" and r.billed_cost_micros == 0 for r in code)
    assert all(r.confidence == "medium" for r in code)
    vendor = sim.vendor("anthropic")
    estimated: dict[dt.date, int] = defaultdict(int)
    for r in code:
        estimated[r.day] += r.list_cost_micros
    for day in _days(start, end):
        assert estimated[day] == vendor.expected_estimated_micros(day)
        # The billed total is the cost report alone: estimates are not added on top.
        assert _billed_by_day(usage)[day] == sim.expected_billed_micros("anthropic", day)
    metrics = {a.metric for a in activity}
    assert {"sessions", "lines_added", "lines_removed", "commits", "pull_requests"} <= metrics
    assert any(m.endswith("_accepted") for m in metrics)
    assert any(m.endswith("_rejected") for m in metrics)
    # api_actor records are keyed by the API key name, user_actor records by email.
    actors = {r.account_key for r in code}
    names = {m.api_key_name for m in sim.team}
    emails = {m.email for m in sim.team}
    assert actors & names and actors & emails and actors <= names | emails


def test_claude_code_tokens_are_counted_once_keyed_on_customer_type(sim):
    """API-billed Claude Code (an API key *or* an OAuth user on API billing) is already in the
    Messages usage report: its record keeps the estimate and the activity view of its tokens,
    but not the token columns. Subscription usage is in no other report: its columns count."""
    start, end = START, START + dt.timedelta(days=6)
    usage, activity, _ = _fetch(sim, start, end)
    by_member = {m.email: m for m in sim.team} | {m.api_key_name: m for m in sim.team}
    code = [r for r in usage if r.service == "Claude Code"]
    api_users = {
        by_member[r.account_key].index % 4 for r in code if api_billed(by_member[r.account_key])
    }
    assert api_users == {1, 3}, "the simulator has API-billed user_actors and api_actors"
    for r in code:
        member = by_member[r.account_key]
        if api_billed(member):
            assert r.input_tokens is None and r.cache_read_tokens is None, r
            assert uses_api_key(member) == (r.account_key == member.api_key_name)
        else:
            assert r.input_tokens and r.input_tokens > 0, r
        assert r.list_cost_micros and r.list_cost_micros > 0  # the estimate stays
    viewed = {(a.day, a.account_key) for a in activity if a.metric == "claude_code_input_tokens"}
    assert viewed == {(r.day, r.account_key) for r in code}  # every actor keeps the token view
    counted: dict[dt.date, int] = defaultdict(int)
    for r in usage:
        counted[r.day] += record_tokens(r)
    for day in _days(start, end):
        assert counted[day] == sim.expected_tokens("anthropic", day)


def test_both_claude_code_date_forms_parse(sim):
    start, end = START, START + dt.timedelta(days=3)
    forms = {claude_code_date_is_timestamp(day) for day in _days(start, end)}
    assert forms == {True, False}, "the range must cover both date forms"
    _, activity, _ = _fetch(sim, start, end)
    days_seen = {a.day for a in activity}
    assert days_seen == set(_days(start, end))

    def parse_day(text):
        return PayloadReader("anthropic", PATH_CLAUDE_CODE).body({"date": text}).day("date")

    assert parse_day("2025-09-08") == dt.date(2025, 9, 8)
    assert parse_day("2025-09-08T00:00:00Z") == dt.date(2025, 9, 8)
    assert parse_day("2025-09-08T23:30:00-02:00") == dt.date(2025, 9, 9)
    with pytest.raises(SchemaError, match="anthropic at .*claude_code: field 'date'"):
        parse_day("2025/09/08")


def test_a_45_day_fetch_makes_the_fewest_report_requests(sim):
    start, end = START, START + dt.timedelta(days=44)
    _fetch(sim, start, end)
    by_path = defaultdict(list)
    for r in sim.requests_log:
        by_path[r.path].append(r)
    # 45 days = one 31-day window + one 14-day window, one page each.
    assert len(by_path[PATH_USAGE]) == 2
    assert len(by_path[PATH_COST]) == 2
    assert [r.query["limit"] for r in by_path[PATH_USAGE]] == [["31"], ["14"]]
    assert sorted(by_path[PATH_USAGE][0].query["group_by[]"]) == ["api_key_id", "model"]
    assert by_path[PATH_COST][0].query["group_by[]"] == ["description"]
    # Claude Code serves one day per request; 1000 records per page covers the team.
    assert len(by_path[PATH_CLAUDE_CODE]) == 45
    assert sim.unconsumed_pages("anthropic") == []


def test_unattributed_remainder_is_explicit_and_not_negative(sim):
    start, end = START, START + dt.timedelta(days=13)
    usage, _, accounts = _fetch(sim, start, end)
    rest = [r for r in usage if r.account_key == UNATTRIBUTED]
    assert rest
    assert {r.day for r in rest} == set(_days(start, end))  # web search/code execution daily
    assert all(r.billed_cost_micros >= 0 for r in rest)
    assert sum(r.billed_cost_micros for r in rest) > 0
    skus = {r.sku for r in rest}
    assert {"web_search", "code_execution"} & skus
    # Workbench usage (api_key_id null) keeps its tokens on the unattributed account.
    workbench = [r for r in rest if r.sku.startswith("claude-")]
    assert workbench and all(r.input_tokens and r.input_tokens > 0 for r in workbench)
    # Keyed records carry the API key id, and their tokens as consumed quantity (the unit
    # guard's input); list-price equivalents are the warehouse price table's job, not ours.
    keyed = [r for r in usage if r.service == "Claude API" and r.account_key != UNATTRIBUTED]
    assert keyed and all(r.account_key.startswith("apikey_") for r in keyed)
    assert all(r.list_cost_micros is None for r in keyed)
    assert all(r.consumed_unit == "tokens" and r.consumed_quantity > 0 for r in keyed)
    kinds = {a.account_key: a for a in accounts}
    assert kinds[UNATTRIBUTED].kind == "unattributed"
    member = sim.team[0]
    assert kinds[member.api_key_id].email == member.email
    assert kinds[member.api_key_id].display_name == member.api_key_name


def test_allocate_day_weights_by_token_type_else_by_total_tokens_never_by_price():
    day = dt.date(2026, 9, 1)
    sonnet, mystery = "claude-sonnet-4-5-20250929", "claude-mystery-9"
    usage = {
        ("apikey_a", sonnet): UsageTokens(uncached_input=300, output=100),
        ("apikey_b", sonnet): UsageTokens(uncached_input=100, output=300),
        (None, sonnet): UsageTokens(uncached_input=100),  # Workbench
        ("apikey_a", mystery): UsageTokens(uncached_input=1, output=2),
        ("apikey_b", mystery): UsageTokens(uncached_input=3, output=4),
    }

    def line(micros, model=None, token_type=None, cost_type="tokens"):
        return CostLine(day, micros, model, token_type, cost_type, None)

    costs = [
        line(500_001, sonnet, "uncached_input_tokens"),  # shared 3:1:1 by input tokens
        line(400_000, sonnet, "output_tokens"),  # 1:3, Workbench has no output
        line(90_000, sonnet),  # no token type: by total tokens (400:400:100)
        line(1_000, mystery),  # unknown model, no token type: by total tokens (3:7)
        line(7_777, "claude-opus-4-1-20250805", "output_tokens"),  # no usage: unattributed
        line(20_000, cost_type="web_search"),
    ]
    records = {(r.account_key, r.sku): r for r in allocate_day(day, usage, costs)}
    assert sum(r.billed_cost_micros for r in records.values()) == sum(c.micros for c in costs)
    a, b = records[("apikey_a", sonnet)], records[("apikey_b", sonnet)]
    assert a.billed_cost_micros == 300_001 + 100_000 + 40_000
    assert b.billed_cost_micros == 100_000 + 300_000 + 40_000
    assert records[(UNATTRIBUTED, sonnet)].billed_cost_micros == 100_000 + 10_000
    assert records[(UNATTRIBUTED, sonnet)].input_tokens == 100
    assert records[("apikey_a", mystery)].billed_cost_micros == 300
    assert records[("apikey_b", mystery)].billed_cost_micros == 700
    assert all(r.list_cost_micros is None for r in records.values())  # no price table here
    assert (a.consumed_quantity, a.consumed_unit) == (400, "tokens")
    assert records[(UNATTRIBUTED, "claude-opus-4-1-20250805")].billed_cost_micros == 7_777
    assert records[(UNATTRIBUTED, "web_search")].billed_cost_micros == 20_000


def test_a_line_mixing_token_kinds_is_shared_by_list_price_when_the_price_table_has_one():
    """With the price table's rates (``FetchContext.token_rates``), a cost line without a token
    type is shared by what each row's tokens cost at list price; an unpriced model still by
    total tokens; billed totals stay exactly the cost lines."""
    from warehouse.prices import PriceBook, shipped_versions

    day = dt.date(2026, 9, 1)
    sonnet, mystery = "claude-sonnet-4-5-20250929", "claude-mystery-9"
    usage = {
        ("apikey_a", sonnet): UsageTokens(uncached_input=300, output=100),  # 300*3 + 100*15
        ("apikey_b", sonnet): UsageTokens(uncached_input=100, output=300),  # 100*3 + 300*15
        (None, sonnet): UsageTokens(uncached_input=100),  # 100*3
        ("apikey_a", mystery): UsageTokens(uncached_input=1, output=2),
        ("apikey_b", mystery): UsageTokens(uncached_input=3, output=4),
    }
    costs = [
        CostLine(day, 75_000, sonnet, None, "tokens", None),  # weights 2400:4800:300
        CostLine(day, 1_000, mystery, None, "tokens", None),  # unpriced: 3:7 by tokens
        CostLine(day, 400_000, sonnet, "output_tokens", "tokens", None),  # typed: 1:3 as before
    ]
    book = PriceBook(shipped_versions())
    rates = functools.partial(book.token_rates, day=day)
    records = {(r.account_key, r.sku): r for r in allocate_day(day, usage, costs, rates)}
    assert sum(r.billed_cost_micros for r in records.values()) == sum(c.micros for c in costs)
    assert records[("apikey_a", sonnet)].billed_cost_micros == 24_000 + 100_000
    assert records[("apikey_b", sonnet)].billed_cost_micros == 48_000 + 300_000
    assert records[(UNATTRIBUTED, sonnet)].billed_cost_micros == 3_000
    assert records[("apikey_a", mystery)].billed_cost_micros == 300
    assert records[("apikey_b", mystery)].billed_cost_micros == 700
    assert all(r.list_cost_micros is None for r in records.values())  # weights, not list cost


def test_a_malformed_page_raises_an_error_naming_anthropic(sim):
    sim.set_faults("anthropic", malformed_every=1, only_paths="cost_report")
    with pytest.raises(ConnectorError, match="anthropic") as info:
        _fetch(sim, START, START + dt.timedelta(days=2))
    assert isinstance(info.value, SchemaError)
    assert "cost_report" in str(info.value)


def test_a_missing_field_names_it(sim):
    sim.set_faults("anthropic", missing_field="amount")
    with pytest.raises(SchemaError, match="anthropic") as info:
        _fetch(sim, START, START + dt.timedelta(days=2))
    assert info.value.field_name.endswith("amount")
    assert "cost_report" in str(info.value)


def test_the_key_never_appears_in_error_text(sim):
    good = sim.config("anthropic")["admin_api_key"]
    bad = sim.config("anthropic", good=False)
    errors: list[Exception] = []
    with pytest.raises(CredentialError) as info:
        _fetch(sim, START, START, admin_api_key=bad["admin_api_key"])
    errors.append(info.value)
    sim.set_faults("anthropic", server_error_every=1)
    with pytest.raises(ConnectorError) as info:
        config = sim.config("anthropic")
        list(
            AnthropicConnector().fetch(
                config,
                START,
                START,
                FetchContext(http_options={"sleep": lambda s: None, "max_attempts": 2}),
            )
        )
    errors.append(info.value)
    sim.set_faults("anthropic", server_error_every=None, malformed_every=1)
    with pytest.raises(ConnectorError) as info:
        _fetch(sim, START, START)
    errors.append(info.value)
    for exc in errors:
        for text in (str(exc), repr(exc), str(exc.__cause__ or ""), str(exc.__context__ or "")):
            assert good not in text and bad["admin_api_key"] not in text
    result = AnthropicConnector().check(bad)
    assert result.reason == "the admin API key was rejected (HTTP 401)"
    assert bad["admin_api_key"] not in result.reason


def test_simulator_honours_auth_limits_and_bucket_pagination(sim):
    base = sim.base_url("anthropic")
    key = sim.config("anthropic")["admin_api_key"]
    users = base + "/v1/organizations/users"
    with httpx.Client() as client:
        bearer = {"authorization": f"Bearer {key}", "anthropic-version": "2023-06-01"}
        assert client.get(users, headers=bearer).status_code == 200
        no_version = client.get(users, headers={"x-api-key": key})
        assert no_version.status_code == 401 and "error" in no_version.json()
        too_many = client.get(
            base + PATH_USAGE,
            params={"starting_at": "2026-09-01T00:00:00Z", "limit": 32},
            headers={"x-api-key": key, "anthropic-version": "2023-06-01"},
        )
        assert too_many.status_code == 400
    # Ten days with the default 7 buckets per page: two pages, both consumed.
    http = VendorHttp(
        "anthropic", base, headers={"x-api-key": key, "anthropic-version": "2023-06-01"}
    )
    with http:
        pages = list(
            http.paginate_cursor(
                PATH_COST,
                {"starting_at": "2026-09-01T00:00:00Z", "ending_at": "2026-09-11T00:00:00Z"},
            )
        )
    assert [len(p["data"]) for p in pages] == [7, 3]
    amounts = [r["amount"] for p in pages for b in p["data"] for r in b["results"]]
    assert amounts and all(isinstance(a, str) for a in amounts)
    assert all(r["model"] is None for p in pages for b in p["data"] for r in b["results"])
    assert sim.unconsumed_pages("anthropic") == []
