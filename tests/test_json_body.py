"""JSON bodies decoded with floats read back exactly what ``parse_float=Decimal`` reads, and
errors about them read the same."""

from __future__ import annotations

import math
import random
from decimal import Decimal
from typing import Any

import pytest

from connectors.contract import SchemaError
from connectors.json_body import cents_micros, float_decimal, loads_exact, loads_floats
from connectors.money import cents_to_micros
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
        # Long digit runs inside strings, beside numbers a double keeps exactly.
        b'{"id": "12345678901234567890", "next_page": "page_1780272000000.123456", "c": 1.25}',
        b'{"ts": "1780272000000123456", "amount": 0.30000000000000004, "n": 2.5}',
        # 16 and 17 significant digits as JavaScript writes them: the shortest repr.
        b'{"a": 0.30000000000000004, "b": 1234.5678901234567, "c": -2.220446049250313e-16}',
        b'{"a": 1.7976931348623157e+308, "b": 5e-324, "c": 18446744073709551615}',
        # Long literals a double cannot give back: the exact decoder's Decimal or int.
        b'{"id": "12345678901234567890", "cents": 12.345678901234567890}',
        b'{"cents": 1.0000000000000000, "ok": 1.5}',  # the value survives, the digits don't
        b'{"big": 18446744073709551616, "small": -9223372036854775809}',
        b'{"tiny": 1e-400, "s": "x"}',
        b'[12345678901234567.5, "1234567890123456789"]',
        # An escaped quote: where strings end is not worked out, the exact decoder reads it.
        b'{"note": "say \\"hi\\" 12345678901234567890", "c": 0.1000000000000000055511151231257827}',
        b'{"note": "\\\\", "c": 0.30000000000000004}',
        # A long run right after a string, and a string that looks like a bad number.
        b'{"a": "x", "b": 12345678901234567890123}',
        b'{"a": "1.2.3.4.5.6.7.8.9.0.1", "b": 2.5}',
    ],
)
def test_floats_read_back_as_the_exact_literal(body):
    exact = loads_exact(body)
    read = _exact(loads_floats(body))
    assert read == exact
    assert repr(read) == repr(exact)  # the same Decimal, exponent included


@pytest.mark.parametrize(
    "body",
    [
        b'{"id": "12345678901234567890", "cents": 12.3456}',
        b'{"ids": ["98765432109876543210", "1e-1234"], "cents": 0.5}',
        b'{"cents": 0.30000000000000004, "units": 1234.5678901234567}',
        b'{"cents": 2.5e-310, "count": 9223372036854775807}',
    ],
)
def test_long_runs_that_read_back_exactly_keep_the_fast_decoder(body):
    """A long id inside a string, or a float written as its shortest repr, is no reason to
    decode a page slowly: its floats come back as floats, read back as the literal."""
    fast = loads_floats(body)
    floats = [v for v in (fast.values() if isinstance(fast, dict) else fast) if type(v) is float]
    assert floats
    assert repr(_exact(fast)) == repr(loads_exact(body))


@pytest.mark.parametrize(
    ("body", "key", "literal"),
    [
        (
            b'{"id": "12345678901234567890", "c": 12.345678901234567890}',
            "c",
            "12.345678901234567890",
        ),
        (
            b'{"c": 0.1000000000000000055511151231257827}',
            "c",
            "0.1000000000000000055511151231257827",
        ),
        (b'{"c": 1.0000000000000000}', "c", "1.0000000000000000"),
        (b'{"c": 99999999999999999999.5}', "c", "99999999999999999999.5"),
        (b'{"c": 1e-400}', "c", "1E-400"),
    ],
)
def test_a_literal_a_double_cannot_give_back_stays_exact(body, key, literal):
    value = loads_floats(body)[key]
    assert type(value) is Decimal and value.as_tuple() == Decimal(literal).as_tuple()


def test_an_integer_beyond_64_bits_stays_an_exact_integer():
    body = b'{"id": "x", "n": 123456789012345678901234567890, "m": -9223372036854775809}'
    assert loads_floats(body) == {"id": "x", "n": 123456789012345678901234567890, "m": -(2**63) - 1}


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


@pytest.mark.parametrize(
    "value",
    [0.0, -0.0, 12.3456, -12.3456, 123.0, 0.5, 1e-05, 1.5e-05, 0.00005, 0.12345, 0.12355, 1e16,
     99999999.99995, 2.220446049250313e-16, 7, -3, 0, Decimal("12.34565"), Decimal("-0.00005"),
     274877906943.9999, -274877906943.9999, 274877906944.0, 274877906944.0001, 5e-324,
     4503599627370495.5, 0.1 + 0.2],
)  # fmt: skip
def test_cents_micros_is_cents_to_micros_of_the_literal(value):
    literal = float_decimal(value) if type(value) is float else value
    assert cents_micros(value) == cents_to_micros(literal)


def test_cents_micros_of_many_floats_is_the_literal_in_micros():
    """Whole micros (at most 4 decimals, the fast path), and near misses, over magnitudes."""
    rng = random.Random(7)
    for _ in range(20_000):
        micros = rng.randrange(-(1 << 60), 1 << 60) // 10 ** rng.randrange(0, 20)
        for value in (micros / 10_000, micros / 10_000 + 5e-9, math.nextafter(micros / 10_000, 0)):
            assert cents_micros(value) == cents_to_micros(float_decimal(value)), value


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), -float("inf"), True, None, "1.5", Decimal("NaN")]
)
def test_cents_micros_leaves_anything_else_to_the_full_checks(value):
    assert cents_micros(value) is None
