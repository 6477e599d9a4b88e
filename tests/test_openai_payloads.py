"""OpenAI payload reading and attribution, on hand-written payloads: float dollars made exact,
inclusive input tokens split once, line-item labels understood, key owners resolved, and a
day's costs attributed exactly (by usage weights, never by price)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from connectors.contract import UNATTRIBUTED, SchemaError
from connectors.openai.allocation import allocate_day
from connectors.openai.directory import Directory
from connectors.openai.payloads import (
    CostLine,
    LineItem,
    UsageRow,
    parse_costs_page,
    parse_line_item,
    parse_usage_page,
)
from connectors.payload import PayloadReader
from connectors.tokens import TokenCounts

DAY = dt.date(2026, 9, 1)
T0 = 1788220800  # 2026-09-01T00:00:00Z


def _page(results: list[dict]) -> dict:
    """A page as VendorHttp parses it: JSON numbers with a fraction become Decimal."""
    bucket = {"object": "bucket", "start_time": T0, "end_time": T0 + 86_400, "results": results}
    text = json.dumps({"object": "page", "data": [bucket], "has_more": False, "next_page": None})
    return json.loads(text, parse_float=Decimal)


def _cost(value: float, currency: str = "usd", **dims) -> dict:
    return {
        "object": "organization.costs.result",
        "amount": {"value": value, "currency": currency},
        "line_item": dims.get("line_item"),
        "project_id": dims.get("project_id", "proj_a"),
        "api_key_id": dims.get("api_key_id"),
    }


def test_float_dollars_become_exact_micro_dollars():
    values = [0.1 + 0.2, 0.001001, 1.2e-05, 1234.5678901234, 0.0]
    lines = parse_costs_page(_page([_cost(v) for v in values]))
    assert [line.micros for line in lines] == [300_000, 1_001, 12, 1_234_567_890, 0]
    assert int(0.001001 * 1_000_000) == 1_000  # what truncating float code would have said
    assert all(line.day == DAY for line in lines)
    upper = parse_costs_page(_page([_cost(1.5, currency="USD")]))
    assert upper[0].micros == 1_500_000


def test_a_currency_other_than_usd_is_refused_naming_the_field():
    with pytest.raises(SchemaError, match=r"data\[0\]\.results\[0\]\.amount\.currency"):
        parse_costs_page(_page([_cost(1.0, currency="eur")]))
    with pytest.raises(SchemaError, match=r"results\[0\]\.amount' is missing"):
        parse_costs_page(_page([{"line_item": "x, input"}]))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "gpt-4.1-2025-04-14, input",
            LineItem("gpt-4.1-2025-04-14", "gpt-4.1-2025-04-14", "input"),
        ),
        ("gpt-4.1, output", LineItem("gpt-4.1", "gpt-4.1", "output")),
        ("gpt-4.1, cached input", LineItem("gpt-4.1", "gpt-4.1", "cache_read")),
        ("gpt-4.1, input, cached", LineItem("gpt-4.1", "gpt-4.1", "cache_read")),
        ("gpt-5, cache write input", LineItem("gpt-5", "gpt-5", "cache_write")),
        ("web search tool calls", LineItem("web search tool calls")),
        ("gpt-image-1, images", LineItem("gpt-image-1, images")),
        (None, LineItem("unknown")),
    ],
)
def test_line_items_name_a_model_and_a_token_kind(text, expected):
    assert parse_line_item(text) == expected


def _usage(**counts) -> dict:
    return {
        "object": "organization.usage.completions.result",
        "input_tokens": 1_000,
        "output_tokens": 50,
        "num_model_requests": 3,
        "project_id": "proj_a",
        "user_id": "user-1",
        "api_key_id": "key_1",
        "model": "gpt-5",
        **counts,
    }


def test_inclusive_input_tokens_are_split_so_each_counts_once():
    rows = parse_usage_page(
        _page(
            [
                _usage(
                    input_cached_tokens=600,
                    input_cache_write_tokens=100,
                    input_text_tokens=1_000,
                    input_cached_text_tokens=600,
                ),  # fmt: skip
                _usage(input_cached_tokens=None),  # optional counts may be null or absent
                _usage(user_id=None, api_key_id=None, model=None),
            ]
        )
    )
    assert rows[0].tokens == TokenCounts(input=300, output=50, cache_read=600, cache_write=100)
    assert rows[0].tokens.total == 1_050  # input_tokens + output_tokens, nothing added twice
    assert rows[1].tokens == TokenCounts(input=1_000, output=50)
    assert (rows[2].user_id, rows[2].api_key_id, rows[2].model) == (None, None, "unknown")
    assert rows[0].requests == 3 and rows[0].day == DAY


def test_cached_tokens_beyond_the_inclusive_input_are_a_schema_error():
    with pytest.raises(SchemaError, match=r"results\[0\]\.input_tokens' is 1000: cached"):
        parse_usage_page(_page([_usage(input_cached_tokens=900, input_cache_write_tokens=200)]))


def _keys_page(*owners) -> list:
    keys = [{"id": f"key_{i}", "name": f"k{i}", "owner": o} for i, o in enumerate(owners)]
    return PayloadReader("openai", "/api_keys").body({"data": keys}).list("data")


def test_key_owners_are_users_service_accounts_or_unattributed():
    directory = Directory()
    user = {"id": "user-9", "name": "Ada", "email": "ada@example.com"}
    owners = [
        {"type": "user", "user": user},
        {"type": "service_account", "service_account": {"id": "svc_acct_1", "name": "ci"}},
        {"type": "service_account"},  # no service_account object: nobody to name
        {"type": "robot"},
        None,
    ]
    resolved = [directory._owner(key) for key in _keys_page(*owners)]
    assert resolved == ["user-9", "svc_acct_1", UNATTRIBUTED, UNATTRIBUTED, UNATTRIBUTED]
    ada, ci = directory.accounts["user-9"], directory.accounts["svc_acct_1"]
    assert (ada.email, ada.display_name, ada.kind) == ("ada@example.com", "Ada", "user")
    assert (ci.display_name, ci.kind) == ("ci", "service_account")
    assert directory.user_account(None) == UNATTRIBUTED
    assert directory.user_account("user-gone") == "user-gone"  # a user who left: no email
    assert directory.accounts["user-gone"].email is None


def _row(user, key, model, tokens: TokenCounts, project="proj_a") -> UsageRow:
    return UsageRow(DAY, project, key, user, model, tokens, 1)


def _line(micros, item, key=None, project="proj_a") -> CostLine:
    return CostLine(DAY, micros, project, key, parse_line_item(item))


def test_a_day_is_attributed_exactly_by_owner_then_usage_weights():
    directory = Directory(key_owners={"key_ada": "user-ada", "key_ci": "svc_acct_ci"})
    usage = [
        _row("user-ada", "key_ada", "gpt-5", TokenCounts(100, 10, 0, 0)),
        _row(None, "key_ci", "gpt-5", TokenCounts(50, 5, 0, 0)),
        # Playground (no key): two users share each line by the tokens of its kind
        _row("user-bo", None, "gpt-5", TokenCounts(300, 100, 0, 0)),
        _row("user-cy", None, "gpt-5", TokenCounts(100, 300, 900, 0)),
        # a revoked key (no project lists it): its rows name the user
        _row("user-bo", "key_old", "gpt-5", TokenCounts(10, 1, 0, 0)),
        # a revoked service-account key: nobody to carry it
        _row(None, "key_gone", "gpt-5", TokenCounts(10, 1, 0, 0)),
    ]
    costs = [
        _line(1_000_001, "gpt-5, input", "key_ada"),
        _line(77, "web search tool calls", "key_ada"),
        _line(500, "gpt-5, output", "key_ci"),
        _line(400_001, "gpt-5, input"),  # 3:1 by uncached input
        _line(80_000, "gpt-5, output"),  # 1:3 by output
        _line(9_000, "gpt-5, cached input"),  # all to user-cy
        _line(33, "gpt-5, input", "key_old"),
        _line(44, "gpt-5, input", "key_gone"),
        _line(300_000, "vector store storage"),  # no model: unattributed
        _line(5, "o3, input"),  # a model nobody used without a key: unattributed
    ]
    records = {(r.account_key, r.sku): r for r in allocate_day(DAY, costs, usage, directory)}
    assert sum(r.billed_cost_micros for r in records.values()) == sum(c.micros for c in costs)
    assert records[("user-ada", "gpt-5")].billed_cost_micros == 1_000_001
    assert records[("user-ada", "web search tool calls")].billed_cost_micros == 77
    assert records[("user-ada", "web search tool calls")].input_tokens is None
    assert records[("svc_acct_ci", "gpt-5")].billed_cost_micros == 500
    assert records[("user-bo", "gpt-5")].billed_cost_micros == 300_001 + 20_000 + 33
    assert records[("user-cy", "gpt-5")].billed_cost_micros == 100_000 + 60_000 + 9_000
    assert records[(UNATTRIBUTED, "gpt-5")].billed_cost_micros == 44
    assert records[(UNATTRIBUTED, "vector store storage")].billed_cost_micros == 300_000
    assert records[(UNATTRIBUTED, "o3")].billed_cost_micros == 5
    # Tokens follow the same attribution, each row once.
    bo = records[("user-bo", "gpt-5")]
    assert (bo.input_tokens, bo.output_tokens, bo.requests) == (310, 101, 2)
    assert bo.consumed_quantity == 411 and bo.consumed_unit == "tokens"
    assert bo.sub_account == "proj_a" and bo.list_cost_micros is None  # no price table here
    total_tokens = sum(r.tokens.total for r in usage)
    assert sum((r.consumed_quantity or 0) for r in records.values()) == total_tokens
