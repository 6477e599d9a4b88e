"""The GitHub Copilot connector against the simulated REST API, over real HTTP.

Besides the conformance kit: a month of seats sums to exactly seats × price, per login, with
null assignees unattributed and pending cancellations billed to the end of the cycle; a seat
plan price change re-prices only the months from its start; AI credits per user plus the
unattributed remainder equal the organisation's total every day, SKU and unit as GitHub spells
them; the signed report links are fetched without the token from another host; 204 days have
no activity; seats are paged over several ``Link`` pages.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict

import pytest

from connectors.contract import UNATTRIBUTED, ConnectorError, FetchContext
from connectors.copilot import CopilotConnector
from connectors.dates import days
from connectors.simulator import Simulator
from connectors.testing import ConnectorConformance, Fetched

# Its module fixture (a server, a simulator, an install) is started once: one xdist worker.
pytestmark = pytest.mark.xdist_group("copilot_connector")

START = dt.date(2026, 9, 1)


class TestCopilotConformance(ConnectorConformance):
    connector = CopilotConnector
    required_field = "created_at"
    bypass = {
        "test_tokens_are_counted_once": (
            "GitHub reports no token counts for billed Copilot use; the CLI token sums of the "
            "usage reports are a CLI-only view kept as activity (cli_prompt_tokens, "
            "cli_output_tokens), never in the token columns"
        ),
        "test_reconciliation_totals_agree": (
            "Copilot's independent figure, the organisation's AI-credit total, is checked per "
            "day as the control total (scope ai_credits); a period total would mix in seat "
            "fees, which come from the tenant's plan, not from GitHub"
        ),
    }


def _ctx() -> FetchContext:
    return FetchContext(http_options={"sleep": lambda seconds: None})


def _fetch(sim: Simulator, start: dt.date, end: dt.date, **overrides) -> Fetched:
    config = {**sim.config("copilot"), **overrides}
    out = Fetched()
    for batch in CopilotConnector().fetch(config, start, end, _ctx()):
        out.usage.extend(batch.usage)
        out.activity.extend(batch.activity)
        out.accounts.extend(batch.accounts)
        out.vendor_totals.extend(batch.vendor_totals)
    return out


@pytest.fixture(scope="module")
def sim():
    with Simulator(vendors=["copilot"], members=8, start=START, days=61, page_cap=3) as s:
        yield s


@pytest.fixture(scope="module")
def october(sim) -> Fetched:
    return _fetch(sim, dt.date(2026, 10, 1), dt.date(2026, 10, 31))


def _seat_rows(got: Fetched) -> list:
    return [r for r in got.usage if r.charge_category == "Purchase"]


def test_a_month_of_seats_sums_to_exactly_seats_times_price(sim, october):
    per_account: dict[str, int] = defaultdict(int)
    effective: dict[str, int] = defaultdict(int)
    for r in _seat_rows(october):
        per_account[r.account_key] += r.billed_cost_micros
        effective[r.account_key] += r.effective_cost_micros
    logins = {s.login for s in sim.vendor("copilot").seats if s.login}
    assert set(per_account) == logins | {UNATTRIBUTED}  # the two null assignees
    assert all(per_account[login] == 19_000_000 for login in logins)
    assert per_account[UNATTRIBUTED] == 2 * 19_000_000
    assert effective == per_account
    assert sum(per_account.values()) == 10 * 19_000_000  # 10 seats × $19, to the micro-dollar


def test_pending_cancellation_is_billed_to_the_end_of_the_cycle(sim, october):
    seat = next(s for s in sim.vendor("copilot").seats if s.pending_cancellation)
    assert seat.pending_cancellation == dt.date(2026, 11, 1)
    rows = [r for r in _seat_rows(october) if r.account_key == seat.login]
    assert {r.day for r in rows} == set(days(dt.date(2026, 10, 1), dt.date(2026, 10, 31)))
    assert rows[0].tags["pending_cancellation"] == "2026-11-01"
    november = _fetch(sim, dt.date(2026, 11, 1), dt.date(2026, 11, 2))
    assert seat.login not in {r.account_key for r in _seat_rows(november)}
    assert {r.account_key for r in _seat_rows(november)} >= {UNATTRIBUTED}


def test_a_seat_granted_late_is_billed_from_the_day_it_was_granted(sim):
    late = next(s for s in sim.vendor("copilot").seats if s.created > START)
    assert late.created == dt.date(2026, 9, 21)
    september = _fetch(sim, dt.date(2026, 9, 1), dt.date(2026, 9, 30))
    rows = [r for r in _seat_rows(september) if r.account_key == late.login]
    assert {r.day for r in rows} == set(days(late.created, dt.date(2026, 9, 30)))
    # its share of the month's split: 1,900 cents over 30 days, 64 on days 1-10, 63 after
    assert sum(r.billed_cost_micros for r in rows) == 10 * 630_000


def test_a_price_change_never_reprices_earlier_months(sim):
    plan = [
        {"plan": "business", "usd_per_seat_month": "19", "valid_to": "2026-09-30"},
        {"plan": "business", "usd_per_seat_month": "21.50", "valid_from": "2026-10-01"},
    ]
    got = _fetch(sim, dt.date(2026, 9, 1), dt.date(2026, 10, 31), seat_plan=json.dumps(plan))
    login = next(s.login for s in sim.vendor("copilot").seats if s.login and s.created < START)
    month = defaultdict(int)
    for r in _seat_rows(got):
        if r.account_key == login:
            month[r.day.month] += r.billed_cost_micros
    assert month == {9: 19_000_000, 10: 21_500_000}


def test_a_seat_plan_without_a_price_for_a_month_is_a_clear_error(sim):
    plan = [{"plan": "business", "usd_per_seat_month": "19", "valid_from": "2026-10-01"}]
    with pytest.raises(ConnectorError, match="no business price valid on 2026-09-01"):
        _fetch(sim, dt.date(2026, 9, 29), dt.date(2026, 9, 30), seat_plan=json.dumps(plan))


def test_ai_credits_per_user_plus_unattributed_equal_the_org_total(sim, october):
    credits = [r for r in october.usage if r.charge_category == "Usage"]
    org = {t.day: t.billed_cost_micros for t in october.vendor_totals if t.scope == "ai_credits"}
    assert set(org) == set(days(dt.date(2026, 10, 1), dt.date(2026, 10, 31)))
    by_day: dict[dt.date, int] = defaultdict(int)
    for r in credits:
        by_day[r.day] += r.billed_cost_micros
    assert {d: by_day.get(d, 0) for d in org} == org
    vendor = sim.vendor("copilot")
    for day in org:
        assert org[day] + vendor.seat_billed_micros(day) == vendor.expected_billed_micros(day)
    # SKU and unit as GitHub spells them: per user "AI Credit"/"ai-credits", the org otherwise
    people = [r for r in credits if r.account_key != UNATTRIBUTED]
    assert people and all(r.sku.startswith("AI Credit · ") for r in people)
    assert {r.consumed_unit for r in people} == {"ai-credits"}
    former = [r for r in credits if r.account_key == UNATTRIBUTED and r.billed_cost_micros]
    assert former and {r.sku for r in former} == {"Copilot AI Credits"}
    # the pooled included credits: billed 0, their list value kept
    pooled = [r for r in people if r.day.day <= 10]
    assert pooled and all(r.billed_cost_micros == 0 and r.list_cost_micros > 0 for r in pooled)


def test_usage_reports_are_activity_and_204_days_have_none(sim, october):
    active_days = {a.day for a in october.activity}
    no_data = {
        d for d in days(dt.date(2026, 10, 1), dt.date(2026, 10, 31)) if d.toordinal() % 9 == 0
    }
    assert no_data and not (active_days & no_data)
    assert active_days == set(days(dt.date(2026, 10, 1), dt.date(2026, 10, 31))) - no_data
    metrics = {a.metric for a in october.activity}
    assert {"interactions", "code_generations", "lines_added", "active_days"} <= metrics
    assert {"cli_prompt_tokens", "cli_output_tokens"} <= metrics
    assert all(r.input_tokens is None and r.output_tokens is None for r in october.usage)


def test_idle_seats_have_fees_and_no_activity(sim, october):
    idle = {s.login for s in sim.vendor("copilot").seats if s.member and s.member.index % 6 == 3}
    assert idle and idle <= {r.account_key for r in _seat_rows(october)}
    assert not idle & {a.account_key for a in october.activity}


def test_report_links_are_signed_on_another_host_and_fetched_without_the_token(sim):
    import httpx

    config = sim.config("copilot")
    day = next(d for d in days(dt.date(2026, 10, 1), dt.date(2026, 10, 9)) if d.toordinal() % 9)
    url = f"{config['base_url']}/orgs/{config['org']}/copilot/metrics/reports/users-1-day"
    headers = {"authorization": f"Bearer {config['token']}"}
    links = httpx.get(url, params={"day": day.isoformat()}, headers=headers).json()[
        "download_links"
    ]
    assert len(links) == 2 and all(link.startswith("http://localhost:") for link in links)
    assert httpx.get(links[0], headers=headers).status_code == 400  # the token is refused
    assert httpx.get(links[0]).status_code == 200
    got = _fetch(sim, day, day)
    assert got.activity


def test_seats_are_read_over_every_link_page(sim):
    before = len(sim.requests_for("copilot"))
    _fetch(sim, dt.date(2026, 10, 1), dt.date(2026, 10, 1))
    seat_pages = [
        r.query.get("page", ["1"])[0]
        for r in sim.requests_for("copilot")[before:]
        if r.path.endswith("/copilot/billing/seats")
    ]
    assert seat_pages == ["1", "2", "3", "4"]  # 10 seats, 3 a page


def test_errors_never_show_the_token_or_the_signature(sim):
    config = sim.config("copilot")
    result = CopilotConnector().check({**config, "token": "ghp_wrong_token_value"})
    assert not result.ok and "ghp_wrong_token_value" not in result.reason
    assert "401" in result.reason
    sim.set_faults("copilot", malformed_every=1, only_paths="/downloads/")
    try:
        with pytest.raises(ConnectorError) as caught:
            _fetch(sim, dt.date(2026, 10, 2), dt.date(2026, 10, 2))
    finally:
        sim.clear_faults()
    assert "copilot" in str(caught.value) and "sig=" not in str(caught.value)
    assert config["token"] not in str(caught.value)


def test_a_403_rate_limit_is_waited_out_not_taken_for_a_bad_token():
    """GitHub answers an exhausted rate limit with 403 and x-ratelimit-remaining: 0."""
    import httpx

    from connectors.contract import CredentialError
    from connectors.http import VendorHttp

    answers = iter(
        [
            httpx.Response(403, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1"}),
            httpx.Response(403, headers={"retry-after": "2"}, json={"message": "secondary"}),
            httpx.Response(200, json={"plan_type": "business"}),
        ]
    )
    waits: list[float] = []
    transport = httpx.MockTransport(lambda request: next(answers))
    with VendorHttp("copilot", "https://api.github.test", transport=transport,
                    sleep=waits.append) as http:  # fmt: skip
        assert http.get_json("/orgs/o/copilot/billing") == {"plan_type": "business"}
    assert waits == [0.0, 2.0]  # the reset is in the past: no wait; then Retry-After
    refused = httpx.MockTransport(lambda request: httpx.Response(403, json={"message": "no"}))
    http = VendorHttp("copilot", "https://api.github.test", transport=refused)
    with http, pytest.raises(CredentialError, match="HTTP 403"):
        http.get_json("/orgs/o/copilot/billing")


def test_ai_credits_are_asked_per_login_and_month_then_per_day_only_of_those_who_used_them(sim):
    before = len(sim.requests_for("copilot"))
    _fetch(sim, dt.date(2026, 10, 5), dt.date(2026, 10, 6))
    asked = [
        r.query
        for r in sim.requests_for("copilot")[before:]
        if r.path.endswith("/ai_credit/usage") and "user" in r.query
    ]
    idle = next(s.login for s in sim.vendor("copilot").seats if s.member and s.member.index == 3)
    monthly = [q["user"][0] for q in asked if "day" not in q]
    daily = [q["user"][0] for q in asked if "day" in q]
    assert sorted(monthly) == sorted(s.login for s in sim.vendor("copilot").seats if s.login)
    assert idle in monthly and idle not in daily  # no credits this month: no daily requests
    assert daily
