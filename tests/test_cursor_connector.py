"""The Cursor connector against the simulated Cursor Admin API, over real HTTP on 127.0.0.1.

Beyond the conformance kit: billed totals equal the vendor's per-day charges across a 30-day
window boundary and under 429/500 storms, no event is lost or counted twice at a day or window
boundary (a window fetch equals a day-by-day fetch), no request spans more than 30 days, the
two Cursor user-id namespaces are joined on email, and no error text carries the key.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from connectors.contract import (
    ConnectorError,
    CredentialError,
    FetchBatch,
    FetchContext,
    SchemaError,
)
from connectors.cursor import CursorConnector
from connectors.dates import day_end_ms, day_start_ms
from connectors.simulator import SimRequest, SimResponse, Simulator
from connectors.simulator.cursor import DAY_MS, CursorVendor
from connectors.testing import ConnectorConformance
from connectors.testing.targets import SimulatorTarget

# Its module fixture (a server, a simulator, an install) is started once: one xdist worker.
pytestmark = pytest.mark.xdist_group("cursor_connector")

START = dt.date(2026, 9, 1)  # the simulator's first day


class TestCursorConformance(ConnectorConformance):
    connector = CursorConnector
    required_field = "chargedCents"
    # No unit_prices (an event's charge mixes request units and tokens at model rates, so no
    # fixed price per unit exists): the kit's unit guard runs through /teams/spend instead.


class _CentsAsDollars(CursorConnector):
    """Reads ``chargedCents`` as dollars: facts and daily control totals 100x, consistently
    (so the control-total check alone agrees), while ``/teams/spend`` stays right."""

    def fetch(self, config, start, end, ctx):
        for batch in super().fetch(config, start, end, ctx):
            batch.usage = [
                dataclasses.replace(r, billed_cost_micros=r.billed_cost_micros * 100)
                for r in batch.usage
            ]
            batch.vendor_totals = [
                dataclasses.replace(t, billed_cost_micros=t.billed_cost_micros * 100)
                for t in batch.vendor_totals
            ]
            yield batch


class _KitOn(ConnectorConformance):
    """The kit's scenarios for any connector, called directly (not collected: no ``Test``)."""

    connector = CursorConnector


@pytest.mark.parametrize(
    ("connector", "passes"), [(CursorConnector, True), (_CentsAsDollars, False)]
)
def test_the_unit_guard_fails_cents_read_as_dollars(connector, passes):
    """The kit's unit guard for Cursor is real: a connector reading ``chargedCents`` as dollars
    fails it through ``/teams/spend`` (in cents), and the right one passes."""
    kit = _KitOn()
    kit.connector = connector
    with Simulator(members=6, vendors=["cursor"], page_cap=4) as simulator:
        target = SimulatorTarget(simulator, "cursor", (simulator.start_day, simulator.start_day))
        if passes:
            kit.test_unit_guard_catches_cents_read_as_dollars(target)
            return
        with pytest.raises(AssertionError, match="cycle spend .* the vendor reports"):
            kit.test_unit_guard_catches_cents_read_as_dollars(target)


def _no_sleep(seconds: float) -> None:
    """Retry-After 0 and backoff must not slow the tests down."""


def fetch(
    config: dict[str, Any], start: dt.date, end: dt.date, **http_options: Any
) -> list[FetchBatch]:
    ctx = FetchContext(http_options={"sleep": _no_sleep, **http_options})
    return list(CursorConnector().fetch(config, start, end, ctx))


def billed_per_day(batches: list[FetchBatch]) -> dict[dt.date, int]:
    totals: dict[dt.date, int] = defaultdict(int)
    for batch in batches:
        for record in batch.usage:
            totals[record.day] += record.billed_cost_micros
    return dict(totals)


def usage_rows(batches: list[FetchBatch]) -> Counter:
    return Counter(record for batch in batches for record in batch.usage)


def days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    """15 members: a 30-day window holds a few thousand events, so events span several pages."""
    with Simulator(members=15, vendors=["cursor"]) as simulator:
        yield simulator


@pytest.fixture
def clean_sim(sim: Simulator) -> Iterator[Simulator]:
    sim.clear_faults()
    sim.reset_pages()
    yield sim
    sim.clear_faults()


def test_billed_per_day_matches_the_vendor_across_a_window_boundary(clean_sim: Simulator):
    start, end = START, START + dt.timedelta(days=44)  # windows 09-01..09-30 and 10-01..10-15
    batches = fetch(clean_sim.config("cursor"), start, end)
    assert len([b for b in batches if b.vendor_totals]) == 2  # one usage batch per window
    got = billed_per_day(batches)
    for day in days(start, end):
        assert got.get(day, 0) == clean_sim.expected_billed_micros("cursor", day), day
    assert sum(got.values()) > 0
    assert clean_sim.unconsumed_pages("cursor") == []
    # The events really spanned several pages of 1,000.
    pages = [
        r.body["page"]
        for r in clean_sim.requests_for("cursor")
        if r.path == "/teams/filtered-usage-events"
    ]
    assert max(pages) >= 2


def test_window_fetch_equals_day_by_day_fetch(clean_sim: Simulator):
    """Inclusive ends at 23:59:59.999: events at 00:00:00.000 and 23:59:59.999 are counted once."""
    start, end = START + dt.timedelta(days=27), START + dt.timedelta(days=32)  # crosses 09-30
    config = clean_sim.config("cursor")
    window = fetch(config, start, end)
    by_day = [batch for day in days(start, end) for batch in fetch(config, day, day)]
    assert usage_rows(window) == usage_rows(by_day)
    # The simulator really put events on the boundary milliseconds of these days.
    stamps = []
    with httpx.Client(base_url=config["base_url"], auth=(config["api_key"], "")) as client:
        body = {"startDate": day_start_ms(start), "endDate": day_end_ms(end), "pageSize": 1000}
        for page in (1, 2, 3):
            events = client.post(
                "/teams/filtered-usage-events", json={**body, "page": page}
            ).json()["usageEvents"]
            stamps += [int(e["timestamp"]) % DAY_MS for e in events]
    assert 0 in stamps and DAY_MS - 1 in stamps


@pytest.mark.parametrize(
    "faults", [{"rate_limit_every": 2, "retry_after": 0}, {"server_error_every": 3}]
)
def test_totals_survive_rate_limits_and_server_errors(clean_sim: Simulator, faults: dict):
    start, end = START + dt.timedelta(days=20), START + dt.timedelta(days=44)
    config = clean_sim.config("cursor")
    clean = fetch(config, start, end)
    clean_sim.set_faults("cursor", **faults)
    stormy = fetch(config, start, end)
    assert usage_rows(stormy) == usage_rows(clean)
    for day in days(start, end):
        assert billed_per_day(stormy).get(day, 0) == clean_sim.expected_billed_micros("cursor", day)
    statuses = Counter(r.status for r in clean_sim.requests_for("cursor"))
    assert statuses[429 if "rate_limit_every" in faults else 500] > 0


def test_a_90_day_fetch_never_asks_for_more_than_30_days(clean_sim: Simulator):
    start, end = dt.date(2026, 8, 20), dt.date(2026, 11, 17)  # 90 days
    before = len(clean_sim.requests_for("cursor"))
    batches = fetch(clean_sim.config("cursor"), start, end)
    assert len([b for b in batches if b.vendor_totals]) == 3  # one usage batch per window
    posts = [r for r in clean_sim.requests_for("cursor")[before:] if r.method == "POST"]
    for path in ("/teams/filtered-usage-events", "/teams/daily-usage-data"):
        windows = sorted(
            {(r.body["startDate"], r.body["endDate"]) for r in posts if r.path == path}
        )
        assert windows, path
        for lo, hi in windows:
            assert hi - lo < 30 * DAY_MS, (path, lo, hi)
        # Contiguous, non-overlapping, exactly covering the range.
        assert windows[0][0] == day_start_ms(start)
        assert windows[-1][1] == day_end_ms(end)
        for (_, prev_hi), (next_lo, _) in zip(windows, windows[1:], strict=False):
            assert next_lo == prev_hi + 1
    for batch in batches:
        for record in [*batch.usage, *batch.activity_records()]:
            assert start <= record.day <= end


def test_activity_and_usage_join_the_two_id_namespaces_on_email(vendor_simulator: Simulator):
    start, end = START, START + dt.timedelta(days=6)
    config = vendor_simulator.config("cursor")
    batches = fetch(config, start, end)
    team = {m.email: m for m in vendor_simulator.team}
    accounts = {a.account_key: a for b in batches for a in b.accounts}
    for email, member in team.items():
        assert accounts[email].email == email and accounts[email].display_name == member.name
    activity_keys = {a.account_key for b in batches for a in b.activity_records()}
    assert activity_keys and activity_keys <= set(team)
    usage_keys = {u.account_key for b in batches for u in b.usage}
    assert usage_keys - set(team) <= {"ci-agent"}  # the simulated service account
    assert accounts["ci-agent"].kind == "service_account"
    # The raw daily rows really carried the numeric namespace, not emails or user_... ids.
    with httpx.Client(base_url=config["base_url"], auth=(config["api_key"], "")) as client:
        rows = client.post(
            "/teams/daily-usage-data",
            json={"startDate": day_start_ms(start), "endDate": day_end_ms(start)},
        ).json()["data"]
    assert rows and all(isinstance(r["userId"], int) for r in rows)
    assert {r["userId"] for r in rows} <= {m.cursor_numeric_id for m in team.values()}
    # A day's activity metrics match what the vendor reported for that person.
    row = rows[0]
    metrics = {
        a.metric: a.value
        for b in batches
        for a in b.activity_records()
        if a.account_key == row["email"] and a.day == start
    }
    assert metrics["accepted_lines_added"] == row["acceptedLinesAdded"]
    assert metrics.get("chat_requests", 0) == row["chatRequests"]
    assert metrics["active_days"] == 1


def test_tokens_and_request_units_sum_from_events(vendor_simulator: Simulator):
    day = START + dt.timedelta(days=3)
    config = vendor_simulator.config("cursor")
    batches = fetch(config, day, day)
    with httpx.Client(base_url=config["base_url"], auth=(config["api_key"], "")) as client:
        events = client.post(
            "/teams/filtered-usage-events",
            json={"startDate": day_start_ms(day), "endDate": day_end_ms(day), "pageSize": 1000},
        ).json(parse_float=Decimal)["usageEvents"]
    records = [u for b in batches for u in b.usage]
    assert sum(r.requests for r in records) == len(events)
    assert sum(r.consumed_quantity for r in records) == sum(e["requestsCosts"] for e in events)
    token_events = [e for e in events if "tokenUsage" in e]
    assert sum(r.input_tokens or 0 for r in records) == sum(
        e["tokenUsage"]["inputTokens"] for e in token_events
    )
    assert sum(r.cache_read_tokens or 0 for r in records) == sum(
        e["tokenUsage"]["cacheReadTokens"] for e in token_events
    )
    for record in records:
        assert record.service == "Cursor" and record.cost_basis == "billed"
        assert record.consumed_unit == "requests"


class _OddCursor(CursorVendor):
    """Cursor with a twist on its usage events, to test what the connector does with them."""

    name = "cursor"
    mutate: Any = None

    def handle(self, req: SimRequest) -> SimResponse:
        response = super().handle(req)
        if req.path == "/teams/filtered-usage-events" and response.status == 200:
            for event in response.body["usageEvents"]:
                type(self).mutate(event)
        return response


def _odd_simulator(mutate: Any) -> Simulator:
    vendor = type("OddCursor", (_OddCursor,), {"mutate": staticmethod(mutate)})
    return Simulator(members=3, vendors=[vendor])


def test_events_without_an_email_stay_billed_as_unattributed():
    def anonymous(event: dict) -> None:
        event.pop("serviceAccountName", None)
        if event.get("userEmail", "").startswith("a"):
            del event["userEmail"]

    with _odd_simulator(anonymous) as simulator:
        start, end = START, START + dt.timedelta(days=9)
        batches = fetch(simulator.config("cursor"), start, end)
        got = billed_per_day(batches)
        for day in days(start, end):
            assert got.get(day, 0) == simulator.expected_billed_micros("cursor", day)
        assert "unattributed" in {u.account_key for b in batches for u in b.usage}
        assert any(a.kind == "unattributed" for b in batches for a in b.accounts)


def test_wrong_type_is_a_schema_error_naming_vendor_endpoint_and_field():
    def string_cents(event: dict) -> None:
        event["chargedCents"] = f"{event['chargedCents']} cents"

    with _odd_simulator(string_cents) as simulator, pytest.raises(SchemaError) as caught:
        fetch(simulator.config("cursor"), START, START + dt.timedelta(days=2))
    message = str(caught.value)
    assert "cursor" in message and "/teams/filtered-usage-events" in message
    assert "chargedCents" in caught.value.field_name


def test_a_malformed_page_raises_an_error_naming_cursor(clean_sim: Simulator):
    # Request 1 lists members, request 2 is the first usage-events page, 3 the second page.
    clean_sim.set_faults("cursor", malformed_every=3)
    with pytest.raises(ConnectorError) as caught:
        fetch(clean_sim.config("cursor"), START, START + dt.timedelta(days=29))
    assert "cursor" in str(caught.value)
    assert "/teams/filtered-usage-events" in str(caught.value)


def test_the_key_never_appears_in_error_text(clean_sim: Simulator):
    good = clean_sim.config("cursor")
    bad = clean_sim.config("cursor", good=False)
    forms = [
        key_form
        for key in (good["api_key"], bad["api_key"])
        for key_form in (key, base64.b64encode(f"{key}:".encode()).decode())
    ]
    texts = []
    with pytest.raises(CredentialError) as caught:
        fetch(bad, START, START)
    texts.append(str(caught.value))
    texts.append(CursorConnector().check(bad).reason)
    clean_sim.set_faults("cursor", server_error_every=1)
    with pytest.raises(ConnectorError) as caught:
        fetch(good, START, START, max_attempts=2)
    texts.append(str(caught.value))
    texts.append(CursorConnector().check({**good, "base_url": good["base_url"] + "x"}).reason)
    for text in texts:
        assert "cursor" in text
        for form in forms:
            assert form not in text


def test_the_simulator_enforces_documented_limits(clean_sim: Simulator):
    config = clean_sim.config("cursor")
    lo = day_start_ms(START)
    with httpx.Client(base_url=config["base_url"], auth=(config["api_key"], "")) as client:
        too_long = client.post(
            "/teams/daily-usage-data", json={"startDate": lo, "endDate": lo + 31 * DAY_MS}
        )
        too_big = client.post(
            "/teams/filtered-usage-events",
            json={"startDate": lo, "endDate": lo + DAY_MS - 1, "pageSize": 1001},
        )
        no_auth = httpx.get(config["base_url"] + "/teams/members")
    assert too_long.status_code == 400 and "30 days" in too_long.json()["error"]
    assert too_big.status_code == 400
    assert no_auth.status_code == 401


def _daily_row(**changes: Any) -> dict[str, Any]:
    from connectors.cursor import REQUIRED_ACTIVITY

    row: dict[str, Any] = {"email": "a@example.com", "day": "2026-09-02", "isActive": True}
    row.update(dict.fromkeys(REQUIRED_ACTIVITY, 0), totalLinesAdded=5, bugbotUsages=2)
    row.update(changes)
    return {k: v for k, v in row.items() if v is not ...}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, {"active_days": 1, "total_lines_added": 5, "bugbot_usages": 2}),
        ({"bugbotUsages": ...}, {"active_days": 1, "total_lines_added": 5}),  # optional, absent
        (
            {"chatRequests": "12"},
            {"active_days": 1, "total_lines_added": 5, "chat_requests": 12, "bugbot_usages": 2},
        ),  # fmt: skip
        ({"chatRequests": -1}, "field 'data[0].chatRequests' is -1, not a count (>= 0)"),
        ({"chatRequests": ...}, "field 'data[0].chatRequests' is missing"),
        ({"bugbotUsages": None}, "field 'data[0].bugbotUsages' is None, not a number"),
        ({"totalTabsShown": 1.5}, "field 'data[0].totalTabsShown' is 1.5, not a whole number"),
    ],
)
def test_a_daily_row_reads_plain_counts_and_refuses_the_rest(changes, expected):
    """Each count of a daily-usage row: a whole number >= 0 (absent only when optional)."""
    from connectors.contract import SchemaError
    from connectors.cursor import DAILY_PATH
    from connectors.cursor_pages import page_activity
    from connectors.payload import PayloadReader

    body = {"data": [_daily_row(**changes)]}
    rows = PayloadReader("cursor", DAILY_PATH).body(body).sequence("data")
    day = dt.date(2026, 9, 2)
    if isinstance(expected, str):
        with pytest.raises(SchemaError) as caught:
            page_activity(rows, day, day, {})
        assert expected in str(caught.value) and "cursor" in str(caught.value)
        return
    records = [r for group in page_activity(rows, day, day, {}) for r in group.records()]
    assert {r.metric: r.value for r in records} == expected
    assert all(r.day == day and r.account_key == "a@example.com" for r in records)
