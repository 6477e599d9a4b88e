"""JSON bodies decoded with floats read back exactly what ``parse_float=Decimal`` reads, and
errors about them read the same."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from connectors.contract import SchemaError
from connectors.json_body import float_decimal, loads_exact, loads_floats
from connectors.payload import PayloadReader


def _exact(value: Any) -> Any:
    """Floats as the literal's Decimal (what a reader makes of them)."""
    if isinstance(value, float):
        return float_decimal(value)
    if isinstance(value, list):
        return [_exact(v) for v in value]
    if isinstance(value, dict):
        return {k: _exact(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize(
    "body",
    [
        b'{"chargedCents": 12.3456, "requestsCosts": 2.5, "zero": 0.0, "minus": -0.0}',
        b'{"small": 1e-05, "big": 1E+300, "int": 1780272000000, "model": "claude-4.5-opus"}',
        b"[0.30000000000000004, 0.1000000000000000055511151231257827]",  # long: exact path
        b"[123456789012345678901234567890, -98765432109876543210]",  # beyond 64 bits
        b"[1e-400, 2.5e-310]",  # underflow
        b"[1e400]",  # overflow
        b'{"a": 1, "a": 2.5}',  # a repeated key: the last one
        '\ufeff{"a": 1.5}'.encode(),  # a byte-order mark
        b'["\\ud800", 7.25]',  # a lone surrogate
    ],
)
def test_floats_read_back_as_the_exact_literal(body):
    exact = loads_exact(body)
    read = _exact(loads_floats(body))
    assert read == exact
    assert repr(read) == repr(exact)  # the same Decimal, exponent included


@pytest.mark.parametrize("body", [b"", b"{", b'{"a": 1,}', b"[1, 2", b"\xff\xfe"])
def test_a_body_that_is_not_json_fails_alike(body):
    with pytest.raises(ValueError):
        loads_exact(body)
    with pytest.raises(ValueError):
        loads_floats(body)


@pytest.mark.parametrize(
    ("read", "message"),
    [
        (
            lambda row: row.boolean("isActive"),
            "'data[0].isActive' is Decimal('1.5'), not a boolean",
        ),
        (
            lambda row: row.text("email"),
            "'data[0].email' is Decimal('2.25'), not a non-empty string",
        ),
        (lambda row: row.count("lines"), "'data[0].lines' is 1.5, not a whole number"),
        (lambda row: row.text("nested"), "'data[0].nested' is {'x': [Decimal('0.5')]}, not a non"),
    ],
)
def test_errors_about_a_float_read_as_with_decimals(read, message):
    body = b'{"data": [{"isActive": 1.5, "email": 2.25, "lines": 1.5, "nested": {"x": [0.5]}}]}'
    errors = []
    for decoded in (loads_exact(body), loads_floats(body)):
        [row] = PayloadReader("cursor", "/teams/daily-usage-data").body(decoded).list("data")
        with pytest.raises(SchemaError) as caught:
            read(row)
        errors.append(str(caught.value))
    assert errors[0] == errors[1] and message in errors[0]


def test_money_as_a_float_is_the_literal_in_micros():
    body = b'{"spendCents": 1234.5678, "amount": 0.005}'
    for decoded in (loads_exact(body), loads_floats(body)):
        node = PayloadReader("cursor", "/teams/spend").body(decoded)
        assert node.money("spendCents", unit="cents") == 12_345_678
        assert node.money("amount", unit="cents") == 50
        assert node.number("amount") == Decimal("0.005")
