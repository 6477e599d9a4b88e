"""Cursor's page readers: the one-pass reading of plain dicts gives exactly the facts (and the
errors) of reading every event through the payload reader's full checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import httpx
import pytest

from connectors.contract import SchemaError
from connectors.cursor import EVENTS_PATH
from connectors.cursor_events import WindowUsage
from connectors.dates import day_end_ms, day_start_ms
from connectors.json_body import loads_exact, loads_floats
from connectors.payload import PayloadReader
from connectors.simulator import Simulator

START = dt.date(2026, 9, 1)
END = dt.date(2026, 9, 3)
MS = day_start_ms(START) + 3_600_000


def _checked(events: list[Any], start: dt.date = START, end: dt.date = END) -> WindowUsage:
    """Every event through ``WindowUsage.add``: the reference reading."""
    usage = WindowUsage(start, end)
    node = PayloadReader("cursor", EVENTS_PATH).body({"usageEvents": events})
    for i in range(len(events)):
        usage.add(node.sequence("usageEvents").item(i))
    return usage


def _paged(events: list[Any], start: dt.date = START, end: dt.date = END) -> WindowUsage:
    usage = WindowUsage(start, end)
    usage.add_page(
        PayloadReader("cursor", EVENTS_PATH).body({"usageEvents": events}).sequence("usageEvents")
    )
    return usage


def _same(a: WindowUsage, b: WindowUsage) -> None:
    assert a.records() == b.records()
    assert dict(a.charged_by_day) == dict(b.charged_by_day)
    assert a.service_accounts == b.service_accounts
    assert a.outside == b.outside


def _event(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "timestamp": str(MS),
        "userEmail": "a@example.com",
        "model": "claude-4.5-sonnet",
        "requestsCosts": Decimal("2.5"),
        "isTokenBasedCall": True,
        "tokenUsage": {"inputTokens": 10, "outputTokens": 5, "cacheReadTokens": 7},
        "chargedCents": Decimal("12.3456"),
    }
    event.update(changes)
    return {k: v for k, v in event.items() if v is not ...}


def test_a_simulated_month_reads_the_same_either_way():
    """Every event of a simulated window (service accounts and untokened calls included),
    decoded with floats (as the connector does) or exactly, read in one pass or checked."""
    with Simulator(members=12, start=START, days=10, vendors=["cursor"]) as sim:
        config = sim.config("cursor")
        content = httpx.post(
            config["base_url"] + EVENTS_PATH,
            json={"startDate": day_start_ms(START), "endDate": day_end_ms(END), "pageSize": 1000},
            auth=(config["api_key"], ""),
        ).content
    exact = loads_exact(content)["usageEvents"]
    floats = loads_floats(content)["usageEvents"]
    assert len(exact) > 100 and any("userEmail" not in e for e in exact)
    assert any(type(e["chargedCents"]) is float for e in floats)
    _same(_paged(floats), _checked(exact))
    _same(_paged(floats, START, START), _checked(exact, START, START))  # some outside


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"chargedCents": 3, "requestsCosts": 1},  # whole numbers
        {"chargedCents": 12.3456, "requestsCosts": 0.5},  # floats (connectors.json_body)
        {"chargedCents": "0.5"},  # a decimal string: the checked reading accepts it
        {"requestsCosts": "1.5"},
        {"timestamp": MS},  # a number rather than a string
        {"userEmail": None, "serviceAccountName": "bg-agent"},
        {"userEmail": "", "serviceAccountName": None},  # unattributed
        {"userEmail": ...},
        {"tokenUsage": None, "isTokenBasedCall": False},
        {"tokenUsage": ..., "isTokenBasedCall": ...},
        {"tokenUsage": {}},  # every count omitted: zeros, not unknown
        {"tokenUsage": {"inputTokens": "12"}},
        {"timestamp": str(day_start_ms(END) + 86_400_000)},  # the day after the window
    ],
)
def test_each_quirk_reads_the_same_either_way(changes):
    events = [_event(), _event(**changes), _event(model="gpt-5")]
    _same(_paged(events), _checked(events))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"chargedCents": None}, "'usageEvents[1].chargedCents' is None, not a number"),
        ({"chargedCents": True}, "'usageEvents[1].chargedCents' is True, not a number"),
        ({"model": ""}, "'usageEvents[1].model' is '', not a non-empty string"),
        ({"userEmail": 7}, "'usageEvents[1].userEmail' is 7, not a string"),
        ({"timestamp": "soon"}, "'usageEvents[1].timestamp' is 'soon', not epoch milliseconds"),
        ({"tokenUsage": ...}, "'usageEvents[1].tokenUsage' is missing on a token-based call"),
        ({"tokenUsage": []}, "'usageEvents[1].tokenUsage' is list, not an object"),
        (
            {"tokenUsage": {"outputTokens": -1}},
            "'usageEvents[1].tokenUsage.outputTokens' is -1, not a count (>= 0)",
        ),
        ({"isTokenBasedCall": "yes", "tokenUsage": ...}, "'usageEvents[1].isTokenBasedCall'"),
    ],
)
def test_a_malformed_event_is_refused_naming_its_field(changes, message):
    events = [_event(), _event(**changes)]
    with pytest.raises(SchemaError) as caught:
        _paged(events)
    with pytest.raises(SchemaError) as reference:
        _checked(events)
    assert str(caught.value) == str(reference.value)
    assert message in str(caught.value) and EVENTS_PATH in str(caught.value)
