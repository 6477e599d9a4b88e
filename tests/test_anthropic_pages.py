"""Anthropic's page readers: the one-pass reading of plain dicts gives exactly the facts (and
the errors) of reading every record through the payload reader's full checks."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any

import httpx
import pytest

from connectors.anthropic import claude_code, payloads
from connectors.anthropic.claude_code import (
    ClaudeCodeDay,
    claude_code_activity,
    claude_code_records,
    parse_claude_code_page,
)
from connectors.anthropic.payloads import PATH_CLAUDE_CODE, PATH_USAGE, VENDOR, parse_usage_page
from connectors.contract import SchemaError
from connectors.json_body import loads_exact, loads_floats
from connectors.payload import PayloadReader
from connectors.simulator import Simulator
from connectors.simulator.faults import encode_json

DAY = dt.date(2026, 9, 2)


@pytest.fixture(scope="module")
def pages() -> dict[str, Any]:
    with Simulator(members=15, start=DAY, days=3, vendors=["anthropic"]) as sim:
        config = sim.config("anthropic")
        headers = {"x-api-key": config["admin_api_key"], "anthropic-version": "2023-06-01"}
        base = config["base_url"]
        code = httpx.get(
            base + PATH_CLAUDE_CODE,
            params={"starting_at": DAY.isoformat(), "limit": 1000},
            headers=headers,
        )
        usage = httpx.get(
            base + PATH_USAGE,
            params={
                "starting_at": "2026-09-02T00:00:00Z",
                "ending_at": "2026-09-05T00:00:00Z",
                "bucket_width": "1d",
                "group_by[]": ["api_key_id", "model"],
            },
            headers=headers,
        )
    return {
        "code": code.json(parse_float=Decimal),
        "usage": usage.json(parse_float=Decimal),
    }


def _code_facts(body: dict[str, Any], *, checked: bool = False) -> tuple:
    """A page's facts; ``checked``: every record through the full checks (the reference)."""
    cc = ClaudeCodeDay(DAY)
    if checked:
        records = PayloadReader(VENDOR, PATH_CLAUDE_CODE).body(body).sequence("data")
        for i in range(len(body["data"])):
            claude_code._checked_record(records.item(i), DAY, cc)
    else:
        parse_claude_code_page(body, DAY, cc)
    return claude_code_records(cc), claude_code_activity(cc), cc.users, cc.api_key_names


def _usage_facts(body: dict[str, Any]) -> dict:
    into: dict = {}
    parse_usage_page(body, into)
    return into


def _checked_usage_rows(body: dict[str, Any]) -> list:
    """Every row of every bucket through the full checks (the reference)."""
    rows = []
    for bucket in PayloadReader(VENDOR, PATH_USAGE).body(body).list("data"):
        results = bucket.sequence("results")
        rows += [payloads._checked_usage_row(results.item(i)) for i in range(len(results.value))]
    return rows


def _quirky(body: dict[str, Any]) -> dict[str, Any]:
    """The simulated page with the quirks the checked reading accepts."""
    body = copy.deepcopy(body)
    recs = body["data"]
    recs[0]["core_metrics"]["num_sessions"] = "3"  # a count given as a string
    recs[1].pop("tool_actions", None)  # the object can be absent
    recs[2]["model_breakdown"][0]["estimated_cost"]["currency"] = "usd"
    recs[3]["model_breakdown"][0]["estimated_cost"]["amount"] = 12  # whole cents
    recs[4]["date"] = DAY.isoformat()  # the other documented date form
    return body


def test_claude_code_reads_the_same_either_way(pages):
    body = _quirky(pages["code"])
    fast = _code_facts(body)
    assert fast == _code_facts(body, checked=True)
    assert fast[0] and fast[1] and fast[2]


def test_claude_code_reads_the_same_from_either_decoder(pages):
    """The connector decodes with floats (json_floats): estimated cents come back as floats,
    read as their literal, and the facts are those of the exact decoder's Decimals."""
    body = _quirky(pages["code"])
    body["data"][5]["model_breakdown"][0]["estimated_cost"]["amount"] = Decimal("1234.56789")
    content = encode_json(body)  # Decimals as JSON numbers, as the simulator serves them
    floats, exact = loads_floats(content), loads_exact(content)
    assert any(
        type(m["estimated_cost"]["amount"]) is float
        for r in floats["data"]
        for m in r["model_breakdown"]
    )
    assert _code_facts(floats) == _code_facts(exact) == _code_facts(exact, checked=True)


def test_the_usage_report_reads_the_same_either_way(pages):
    body = copy.deepcopy(pages["usage"])
    rows = body["data"][0]["results"]
    rows[0]["output_tokens"] = "7"
    rows[1]["api_key_id"] = ""  # Workbench, like null
    plain = [payloads._plain_usage_row(row) for b in body["data"] for row in b["results"]]
    checked = _checked_usage_rows(body)
    assert plain[0] is None and plain[1:] == checked[1:]  # "7" is left to the full checks
    assert checked[0][2][1] == 7 and checked[1][0] is None
    assert len(_usage_facts(body)) > 10


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["actor"].update(type="robot"), "'data[2].actor.type' is 'robot', not one of"),
        (lambda r: r.update(customer_type=None), "'data[2].customer_type' is None"),
        (
            lambda r: r["core_metrics"].update(num_sessions=-2),
            "'data[2].core_metrics.num_sessions'",
        ),
        (lambda r: r.update(tool_actions=[]), "'data[2].tool_actions' is list, not an object"),
        (
            lambda r: r["model_breakdown"][0]["estimated_cost"].update(currency="EUR"),
            "'data[2].model_breakdown[0].estimated_cost.currency' is 'EUR', not USD",
        ),
        (lambda r: r.update(date="2026-09-03"), "'data[2].date' is 2026-09-03, not the requested"),
    ],
)
def test_a_malformed_record_is_refused_naming_its_field(pages, change, message):
    body = copy.deepcopy(pages["code"])
    change(body["data"][2])
    with pytest.raises(SchemaError) as caught:
        _code_facts(body)
    assert message in str(caught.value) and PATH_CLAUDE_CODE in str(caught.value)
