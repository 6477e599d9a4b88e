"""The Replit connector (experimental) against the simulated Enterprise Admin API, over HTTP.

Besides the conformance kit: every plausible reading of what the doc leaves open works (groups
under ``data`` or at the top level, a member key as an object or a bare id); members who left
and usage nobody owns keep every cent (the day's records equal the timeseries total); a member
without an email is still an account; members summing to more than the day's total is a
clear error; the key never appears in an error.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest

from connectors.contract import UNATTRIBUTED, ConnectorError, CredentialError, FetchContext
from connectors.dates import days
from connectors.replit import ReplitConnector
from connectors.simulator import Simulator
from connectors.testing import ConnectorConformance, Fetched

# Its module fixture (a server, a simulator, an install) is started once: one xdist worker.
pytestmark = pytest.mark.xdist_group("replit_connector")

START = dt.date(2026, 9, 1)


class TestReplitConformance(ConnectorConformance):
    connector = ReplitConnector
    required_field = "totalCostUsd"
    bypass = {
        "test_tokens_are_counted_once": (
            "Replit's usage reports cost and usage units (checkpoints, edits, compute units), "
            "never tokens"
        ),
        "test_reconciliation_totals_agree": (
            "the only other figure, the current billing period, comes from the same ledger "
            "endpoint as the control total, and the period's boundaries are not documented"
        ),
    }


def _fetch(sim: Simulator, start: dt.date, end: dt.date, **config) -> Fetched:
    ctx = FetchContext(http_options={"sleep": lambda seconds: None})
    out = Fetched()
    for batch in ReplitConnector().fetch({**sim.config("replit"), **config}, start, end, ctx):
        out.usage.extend(batch.usage)
        out.accounts.extend(batch.accounts)
        out.vendor_totals.extend(batch.vendor_totals)
    return out


def _billed(got: Fetched) -> dict[dt.date, int]:
    billed: dict[dt.date, int] = defaultdict(int)
    for r in got.usage:
        billed[r.day] += r.billed_cost_micros
    return dict(billed)


@pytest.fixture(scope="module")
def sim():
    with Simulator(members=14, vendors=["replit"], page_cap=5) as simulator:
        yield simulator


@pytest.mark.parametrize(("envelope", "member_key"), [("data", "object"), ("bare", "scalar")])
def test_every_reading_of_the_shapes_bills_the_same(sim, envelope, member_key):
    vendor = sim.vendor("replit")
    vendor.envelope, vendor.member_key = envelope, member_key
    try:
        got = _fetch(sim, START, START + dt.timedelta(days=9))
    finally:
        vendor.envelope, vendor.member_key = "data", "object"
    billed = _billed(got)
    for day in days(START, START + dt.timedelta(days=9)):
        assert billed.get(day, 0) == sim.expected_billed_micros("replit", day)
    totals = {t.day: t.billed_cost_micros for t in got.vendor_totals}
    assert totals == {d: sim.expected_billed_micros("replit", d) for d in totals}
    assert all(r.confidence == "medium" for r in got.usage)


def test_people_who_left_and_shared_costs_keep_every_cent(sim):
    vendor = sim.vendor("replit")
    got = _fetch(sim, START, START + dt.timedelta(days=13))
    listed = {str(vendor.user_ids[m.index]) for m in vendor.listed_members()}
    left = {str(vendor.user_ids[m.index]) for m in vendor.team if m.index % 7 == 6}
    billed_accounts = {r.account_key for r in got.usage}
    assert left & billed_accounts, "a member who left should still carry their usage"
    assert UNATTRIBUTED in billed_accounts  # the shared deployment
    accounts = {a.account_key: a for a in got.accounts}
    assert set(accounts) >= billed_accounts
    assert all(accounts[k].email is None for k in left & billed_accounts)
    no_email = [m for m in vendor.listed_members() if m.index % 5 == 4]
    assert no_email and all(accounts[str(vendor.user_ids[m.index])].email is None for m in no_email)
    with_email = [m for m in vendor.listed_members() if m.index % 5 != 4]
    assert all(accounts[str(vendor.user_ids[m.index])].email == m.email for m in with_email)
    assert listed <= set(accounts)
    skus = {r.sku for r in got.usage}
    assert "unitemized" in skus  # totals beyond their metrics kept, not dropped
    assert all(
        r.consumed_quantity is None for r in got.usage if r.sku in ("ai_integrations", "unitemized")
    )
    assert len({(r.account_key, r.day, r.sku) for r in got.usage}) == len(got.usage)


def test_members_exceeding_the_day_total_are_a_clear_error(sim, monkeypatch):
    """A timeseries total below what the member groups add up to is refused, not booked as a
    negative remainder."""
    import connectors.simulator.replit.routes as routes

    vendor = sim.vendor("replit")
    day = next(d for d in days(START, START + dt.timedelta(days=20)) if vendor.day_groups(d))
    real_timeseries = routes.ReplitVendor._timeseries_group

    def short_timeseries(self, d, user_filter):
        group = real_timeseries(self, d, user_filter)
        if group is not None and d == day:
            group["totalCostUsd"] = 0.0001
        return group

    monkeypatch.setattr(routes.ReplitVendor, "_timeseries_group", short_timeseries)
    with pytest.raises(ConnectorError, match=f"replit.*{day}.*more than the day's total"):
        _fetch(sim, day, day)


def test_days_without_usage_report_a_zero_control_total(sim):
    before = START - dt.timedelta(days=3)
    got = _fetch(sim, before, START - dt.timedelta(days=1))
    assert [(t.day, t.billed_cost_micros) for t in got.vendor_totals] == [
        (d, 0) for d in days(before, START - dt.timedelta(days=1))
    ]
    assert got.usage == []


def test_a_rejected_key_never_appears_in_the_error(sim):
    bad = sim.config("replit", good=False)
    result = ReplitConnector().check(bad)
    assert not result.ok and "HTTP 401" in result.reason and bad["api_key"] not in result.reason
    with pytest.raises(CredentialError) as err:
        _fetch(sim, START, START, api_key=bad["api_key"])
    assert bad["api_key"] not in str(err.value)
    assert ReplitConnector().check(sim.config("replit")).ok


def test_requests_follow_the_documented_range_rules(sim):
    sim.requests_log.clear()
    _fetch(sim, START, START + dt.timedelta(days=40))
    usage = [r for r in sim.requests_for("replit") if r.path == "/v1/usage"]
    assert usage and all(r.status == 200 for r in usage)
    for r in usage:
        start = dt.datetime.fromisoformat(r.query["startTime"][0].replace("Z", "+00:00"))
        end = dt.datetime.fromisoformat(r.query["endTime"][0].replace("Z", "+00:00"))
        assert dt.timedelta(days=1) <= end - start <= dt.timedelta(days=31)
        assert ("granularity" in r.query) == (r.query["groupBy"] == ["timeseries"])
