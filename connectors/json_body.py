"""Decoding vendor JSON bodies exactly, and quickly where exactness allows.

- ``loads_exact(content)`` is ``json.loads(content, parse_float=Decimal)``: a JSON number with a
  fraction or an exponent becomes the ``Decimal`` of its literal.
- ``loads_floats(content)`` decodes with orjson (about 2.5× faster on large pages), where such
  numbers come back as ``float``. It is used only when every float's shortest ``repr`` has the
  literal's value, which the bytes tell cheaply: no run of 16 or more digits and dots (so at most
  15 significant digits, which a double round-trips, and no integer beyond 64 bits) and no
  negative exponent of 3 digits (no underflow; an overflow makes orjson refuse the bytes).
  Otherwise, and whenever orjson refuses the bytes (``NaN``, a lone surrogate, UTF-16…), the
  exact decoder answers; a false alarm (a string that looks like a number) only costs speed.
  A reader turns a float back into the literal's ``Decimal`` with ``float_decimal``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import orjson

# Digits and dots → "0", e/E → "e", "-" stays, anything else → " ": then a long number, or a
# negative exponent of three digits after a digit, is a plain substring search.
_SHAPES = bytes(
    ord("0") if c in b"0123456789." else ord("e") if c in b"eE" else c if c == ord("-") else 32
    for c in range(256)
)
_LONG_NUMBER = b"0" * 16
_FLOAT_DECIMALS: dict[float, Decimal] = {}


def loads_exact(content: bytes) -> Any:
    return json.loads(content, parse_float=Decimal)


def loads_floats(content: bytes) -> Any:
    """The document, with non-integral numbers as ``float`` equal to their literal when read
    through ``float_decimal``; raises like ``loads_exact`` on a body that is not JSON."""
    shapes = content.translate(_SHAPES)
    if _LONG_NUMBER in shapes or b"0e-000" in shapes:
        return loads_exact(content)
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return loads_exact(content)


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
