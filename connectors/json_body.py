"""Decoding vendor JSON bodies exactly, and quickly where exactness allows.

- ``loads_exact(content)`` is ``json.loads(content, parse_float=Decimal)``: a JSON number with a
  fraction or an exponent becomes the ``Decimal`` of its literal.
- ``loads_floats(content)`` decodes with orjson (about 2.5× faster on large pages), where such
  numbers come back as ``float``. It is used only when every float's shortest ``repr`` has the
  literal's value. The bytes tell that cheaply for almost every page: no run of 16 or more
  digits and dots (so at most 15 significant digits, which a double round-trips, and no
  integer beyond 64 bits) and no negative exponent of 3 digits (no underflow; an overflow
  makes orjson refuse the bytes). A page with such a run (a long id inside a string, or a
  17-digit float as JavaScript writes it) has each run looked at (``_long_numbers_round_trip``):
  runs inside strings don't count, and a number outside them must come back from its double
  as the very same ``Decimal`` (an integer: fit in 64 bits, which orjson keeps as ``int``).
  Otherwise, and whenever orjson refuses the bytes (``NaN``, a lone surrogate, UTF-16…), the
  exact decoder answers.
  A reader turns a float back into the literal's ``Decimal`` with ``float_decimal``, and a
  number of cents into micro-dollars with ``cents_micros``.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from connectors.money import cents_to_micros

# Digits and dots → "0", e/E → "e", "-" stays, anything else → " ": then a long number, or a
# negative exponent of three digits after a digit, is a plain substring search.
_SHAPES = bytes(
    ord("0") if c in b"0123456789." else ord("e") if c in b"eE" else c if c == ord("-") else 32
    for c in range(256)
)
_LONG_NUMBER = b"0" * 16
# A whole token holding what the shapes flagged (read in the original bytes).
_FLAGGED_TOKEN = re.compile(rb"[-+0-9.eE]*(?:[0-9.]{16}|[0-9.][eE]-[0-9]{3})[-+0-9.eE]*")
_INT64_MIN, _UINT64_MAX = -(1 << 63), (1 << 64) - 1
_FLOAT_DECIMALS: dict[float, Decimal] = {}
_CENTS_MICROS: dict[float | int, int] = {}
_INF = float("inf")


def loads_exact(content: bytes) -> Any:
    return json.loads(content, parse_float=Decimal)


def loads_floats(content: bytes) -> Any:
    """The document, with non-integral numbers as ``float`` equal to their literal when read
    through ``float_decimal``; raises like ``loads_exact`` on a body that is not JSON."""
    shapes = content.translate(_SHAPES)
    if (_LONG_NUMBER in shapes or b"0e-000" in shapes) and not _long_numbers_round_trip(content):
        return loads_exact(content)
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return loads_exact(content)


def _long_numbers_round_trip(content: bytes) -> bool:
    """True when every flagged number outside a string reads back from orjson exactly: an
    integer orjson keeps as ``int``, a float whose shortest ``repr`` is the literal's very
    ``Decimal``. Whether a token is inside a string is told by the parity of the quotes before
    it, so only a body without an escaped quote (``\\"``) is looked at; any other answers False
    (the exact decoder then reads it: slower, never wrong)."""
    if b'\\"' in content:
        return False
    quotes = 0
    counted_to = 0
    for match in _FLAGGED_TOKEN.finditer(content):
        start = match.start()
        quotes += content.count(b'"', counted_to, start)
        counted_to = start
        if quotes % 2:  # inside a string: an id, a page token…
            continue
        if not _reads_back_exactly(match.group()):
            return False
    return True


def _reads_back_exactly(token: bytes) -> bool:
    """Whether orjson gives a JSON number ``token`` as a value equal to its exact reading."""
    try:
        if token.isdigit() or (token[:1] == b"-" and token[1:].isdigit()):
            return _INT64_MIN <= int(token) <= _UINT64_MAX
        literal = Decimal(token.decode("ascii"))
        value = float(literal)
    except (InvalidOperation, ValueError, OverflowError):
        return False  # not a number after all: let the exact decoder judge the body
    if value in (float("inf"), float("-inf")):
        return False
    # The same digits and exponent, not only the same value: Decimal('1.0000000000000000')
    # is not what float_decimal would make of 1.0.
    return Decimal(repr(value)).as_tuple() == literal.as_tuple()


def float_decimal(value: float) -> Decimal:
    """The ``Decimal`` of a float's shortest ``repr`` (the literal ``loads_floats`` read),
    remembered per value (a page repeats the same prices)."""
    decimal = _FLOAT_DECIMALS.get(value)
    if decimal is None:
        decimal = Decimal(repr(value))
        if value != 0:  # 0.0 and -0.0 are one key but two literals
            if len(_FLOAT_DECIMALS) >= 1 << 16:
                _FLOAT_DECIMALS.clear()
            _FLOAT_DECIMALS[value] = decimal
    return decimal


def cents_micros(value: Any) -> int | None:
    """``cents_to_micros`` of a JSON number of cents as either decoder gives it (a float read as
    its literal, an int, a finite ``Decimal``); ``None`` for anything else (a string, a bool,
    null, NaN…), which the caller's full checks then accept or refuse. A float of at most 4
    decimals (``_whole_micros``) costs a multiplication; others are remembered per value (a
    page repeats the same amounts; 0.0 and -0.0 share a key: both are 0 micros)."""
    kind = type(value)
    if kind is float and -_WHOLE_MICROS_BOUND < value < _WHOLE_MICROS_BOUND:
        micros = round(value * 10_000)
        if micros / 10_000 == value:
            return micros
    if kind is float or kind is int:
        micros = _CENTS_MICROS.get(value)
        if micros is None:
            if kind is int:
                micros = cents_to_micros(value)
            elif value != value or value in (_INF, -_INF):
                return None
            else:
                micros = _float_cents_micros(value)
            if len(_CENTS_MICROS) >= 1 << 16:
                _CENTS_MICROS.clear()
            _CENTS_MICROS[value] = micros
        return micros
    if kind is Decimal and value.is_finite():
        return cents_to_micros(value)
    return None


# Below 2**38 cents (~$2.7 billion) a double's spacing is under 1e-4 / 2**14: no two amounts of
# at most 4 decimals (a whole number of micro-dollars) round to the same double.
_WHOLE_MICROS_BOUND = float(1 << 38)
# A float of cents is a whole number of micros m exactly when it is the double nearest m / 10**4
# (int / int is correctly rounded): then that decimal, the only one of at most 4 decimals that
# rounds to it, is the literal its shortest repr gives (``float_decimal``), and m its micros;
# value * 10**4 lies within an ulp of m, so rounding it finds m. Anything else fails the
# comparison (NaN, a fifth decimal, 5e-05) and takes ``_float_cents_micros``.


def _float_cents_micros(value: float) -> int:
    """``cents_to_micros(float_decimal(value))`` without decimal arithmetic when the literal
    has at most 4 decimals and no exponent (``"12.3456"`` cents is 123456 micros exactly)."""
    text = repr(value)
    whole, dot, fraction = text.partition(".")
    if dot and len(fraction) <= 4 and "e" not in fraction:
        return int(whole + fraction.ljust(4, "0"))
    return cents_to_micros(Decimal(text))
