"""Payload readers: every missing or mistyped field becomes a ``SchemaError`` naming it.

A connector never indexes a vendor payload with ``body["data"][0]["amount"]`` (a ``KeyError``
tells the admin nothing). It reads through a ``PayloadReader`` bound to the vendor and the
endpoint, which names the exact field on failure::

    read = PayloadReader("acme", "/v1/usage")
    for item in read.body(body).list("data"):          # paths data[0], data[1], ...
        day = item.day("date")                          # YYYY-MM-DD or RFC 3339
        email = item.text("user_email")
        cost = item.money("cost_usd", unit="usd")       # integer micro-dollars
        tokens = item.count("input_tokens")              # whole number >= 0
        team = item.opt_text("team")                     # absent or null -> None
        item.currency("currency", default="USD")         # USD in any case, or refused

    # SchemaError: "acme at /v1/usage: field 'data[3].cost_usd' is missing"

The same reader works for CSV rows (``read.body(row, path="line 12")``; numbers given as
strings are accepted when they are exact). Floats never reach money as floats: ``VendorHttp``
parses JSON numbers as ``Decimal``, or (``json_floats``) as floats read back as their literal's
``Decimal`` (``connectors.json_body``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.contract import SchemaError
from connectors.dates import EXTRA_DAY_FORMATS, day_of_epoch_ms, parse_day
from connectors.json_body import float_decimal
from connectors.money import MoneyUnit, to_micros

_MISSING: Any = object()


def _as_parsed_exactly(value: Any) -> Any:
    """``value`` as ``json.loads(..., parse_float=Decimal)`` gives it (floats as their literal's
    ``Decimal``), so an error reads the same whichever decoder read the body."""
    if type(value) is float:
        return float_decimal(value) if value == value and abs(value) != float("inf") else value
    if type(value) is list:
        return [_as_parsed_exactly(v) for v in value]
    if type(value) is dict:
        return {k: _as_parsed_exactly(v) for k, v in value.items()}
    return value


def _describe(value: Any) -> str:
    text = repr(_as_parsed_exactly(value))
    return text if len(text) <= 40 else text[:37] + "..."


class PayloadReader:
    """Reads payloads of one vendor endpoint (or one file); errors name vendor, endpoint, field."""

    def __init__(self, vendor: str, endpoint: str):
        self.vendor = vendor
        self.endpoint = endpoint

    def body(self, value: Any, path: str = "") -> Node:
        """The root of a payload (a parsed JSON body, a CSV row as a dict)."""
        return Node(self, value, path)

    def error(self, path: str, problem: str) -> SchemaError:
        return SchemaError(self.vendor, self.endpoint, path or "<body>", problem)


class Node:
    """One value inside a payload, with the path that leads to it (``data[0].tokens``).

    The path is worked out only when asked for (an error names it): a well-formed page of
    thousands of items never builds their path strings. The scalar readers check the common
    well-formed case first and fall back to the full checks, so they accept and refuse
    exactly the same values either way."""

    __slots__ = ("_at", "reader", "value")

    def __init__(self, reader: PayloadReader, value: Any, path: str | tuple[Node, str | int]):
        self.reader = reader
        self.value = value
        self._at = path  # a path, or (parent node, key) to work it out from

    @property
    def path(self) -> str:
        at = self._at
        if isinstance(at, str):
            return at
        parent, key = at
        return parent._child_path(key)

    # -- navigation --------------------------------------------------------------------------
    def _child_path(self, key: str | int) -> str:
        path = self.path
        if isinstance(key, int):
            return f"{path}[{key}]"
        return f"{path}.{key}" if path else key

    def _fail(self, key: str | int | None, problem: str) -> SchemaError:
        return self.reader.error(self.path if key is None else self._child_path(key), problem)

    def _mapping(self) -> dict[str, Any]:
        if not isinstance(self.value, dict):
            raise self.reader.error(self.path, f"is {type(self.value).__name__}, not an object")
        return self.value

    def _raw(self, key: str | None) -> Any:
        """The value at ``key`` when this is an object holding it, else ``_MISSING`` (the
        fast paths' look-up: anything unusual goes to the full checks)."""
        value = self.value
        if key is None:
            return value
        if type(value) is dict:
            return value.get(key, _MISSING)
        return _MISSING

    def has(self, key: str) -> bool:
        """True when the object has ``key`` (even if its value is null)."""
        return key in self._mapping()

    def field(self, key: str) -> Node:
        """The value at ``key``; a missing key is a ``SchemaError`` (null is allowed here)."""
        mapping = self._mapping()
        if key not in mapping:
            raise self._fail(key, "is missing")
        return Node(self.reader, mapping[key], (self, key))

    def opt(self, key: str) -> Node | None:
        """The value at ``key``, or ``None`` when it is absent or null."""
        mapping = self._mapping()
        if mapping.get(key) is None:
            return None
        return Node(self.reader, mapping[key], (self, key))

    def obj(self, key: str) -> Node:
        """The object at ``key`` (must be a JSON object)."""
        node = self.field(key)
        node._mapping()
        return node

    def list(self, key: str | None = None) -> list[Node]:
        """The items of the list at ``key`` (or of this node), each with its indexed path."""
        node = self.sequence(key)
        reader = self.reader
        return [Node(reader, item, (node, i)) for i, item in enumerate(node.value)]

    def sequence(self, key: str | None = None) -> Node:
        """The list at ``key`` (or this node), checked to be a list but not wrapped item by item:
        a hot loop reads ``.value`` directly and asks ``item(i)`` for a node (the full checks,
        the indexed path) only when an item is not plainly well-formed."""
        node = self if key is None else self.field(key)
        if not isinstance(node.value, list):
            raise node.reader.error(node.path, f"is {type(node.value).__name__}, not a list")
        return node

    def item(self, index: int) -> Node:
        """Item ``index`` of this list node (see ``sequence``)."""
        return Node(self.reader, self.value[index], (self, index))

    def entries(self, key: str | None = None) -> list[tuple[str, Node]]:
        """The ``(name, value)`` pairs of the object at ``key`` (a map such as ``tool_actions``)."""
        node = self if key is None else self.obj(key)
        return [
            (name, Node(self.reader, value, (node, name)))
            for name, value in node._mapping().items()
        ]

    # -- scalars -----------------------------------------------------------------------------
    def _value(self, key: str | None, default: Any) -> tuple[Any, str | None]:
        if key is None:
            return self.value, None
        mapping = self._mapping()
        if key not in mapping:
            if default is not _MISSING:
                return default, key
            raise self._fail(key, "is missing")
        return mapping[key], key

    def text(self, key: str | None = None) -> str:
        """A non-empty string."""
        value = self._raw(key)
        if type(value) is str and value:
            return value
        value, at = self._value(key, _MISSING)
        if not isinstance(value, str) or not value:
            raise self._fail(at, f"is {_describe(value)}, not a non-empty string")
        return value

    def opt_text(self, key: str) -> str | None:
        """A string, or ``None`` when absent, null or empty (a dimension not grouped by)."""
        value = self._raw(key)
        if type(value) is str:
            return value or None
        value = self._mapping().get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise self._fail(key, f"is {_describe(value)}, not a string")
        return value

    def number(self, key: str | None = None, *, default: Any = _MISSING) -> Decimal:
        """An exact number (JSON number parsed as ``Decimal``, int, or a decimal string)."""
        value = self._raw(key)
        kind = type(value)
        if kind is int or (kind is Decimal and value.is_finite()):
            return Decimal(value)
        value, at = self._value(key, default)
        if isinstance(value, bool) or value is None:
            raise self._fail(at, f"is {_describe(value)}, not a number")
        if isinstance(value, float):  # only if someone parsed without parse_float=Decimal
            value = repr(value)
        try:
            number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
        except (InvalidOperation, TypeError, ValueError):
            raise self._fail(at, f"is {_describe(value)}, not a number") from None
        if not number.is_finite():
            raise self._fail(at, f"is {_describe(value)}, not a finite number")
        return number

    def integer(self, key: str | None = None, *, default: Any = _MISSING) -> int:
        """A whole number (may be negative)."""
        value = self._raw(key)
        if type(value) is int:
            return value
        number = self.number(key, default=default)
        if number != number.to_integral_value():
            raise self._fail(key, f"is {number}, not a whole number")
        return int(number)

    def count(self, key: str | None = None, *, default: Any = _MISSING) -> int:
        """A whole number ≥ 0 (tokens, requests, lines…). ``default`` when the key is absent."""
        value = self._raw(key)
        if type(value) is int and value >= 0:
            return value
        value = self.integer(key, default=default)
        if value < 0:
            raise self._fail(key, f"is {value}, not a count (>= 0)")
        return value

    def boolean(self, key: str | None = None, *, default: Any = _MISSING) -> bool:
        value = self._raw(key)
        if type(value) is bool:
            return value
        value, at = self._value(key, default)
        if not isinstance(value, bool):
            raise self._fail(at, f"is {_describe(value)}, not a boolean")
        return value

    def opt_boolean(self, key: str) -> bool | None:
        value = self._raw(key)
        if type(value) is bool:
            return value
        value = self._mapping().get(key)
        if value is None:
            return None
        return self.boolean(key)

    def money(self, key: str | None = None, *, unit: MoneyUnit) -> int:
        """An amount in ``unit`` (``"usd"`` or ``"cents"``) as integer micro-dollars."""
        return to_micros(self.number(key), unit=unit)

    def currency(
        self, key: str = "currency", *, expected: str = "USD", default: str | None = None
    ) -> str:
        """A currency code that must be ``expected``, in any case (OpenAI sends ``"usd"``).
        With a ``default``, an absent, null or empty code means the default."""
        value = (self.opt_text(key) or default) if default is not None else self.text(key)
        if value.upper() != expected.upper():
            raise self._fail(key, f"is {value!r}, not {expected}")
        return value

    def day(self, key: str | None = None, *, formats: Sequence[str] = EXTRA_DAY_FORMATS) -> dt.date:
        """A UTC day: ``YYYY-MM-DD``, an RFC 3339 timestamp, or one of ``formats``."""
        value, at = self._value(key, _MISSING)
        try:
            return parse_day(value, formats)
        except (ValueError, TypeError):
            raise self._fail(at, f"is {_describe(value)}, not a date") from None

    def epoch_ms_day(self, key: str | None = None) -> dt.date:
        """The UTC day of an epoch-milliseconds timestamp (a number or a string of digits)."""
        value = self._raw(key)
        kind = type(value)
        if kind is int:
            return day_of_epoch_ms(value)
        if kind is str and value.isdigit():  # Cursor sends its timestamps as strings
            return day_of_epoch_ms(int(value))
        value, at = self._value(key, _MISSING)
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail(at, f"is {_describe(value)}, not epoch milliseconds")
        return day_of_epoch_ms(value)

    def one_of(self, key: str, choices: Sequence[str]) -> str:
        """A string that must be one of ``choices`` (an enum the connector relies on)."""
        value = self.text(key)
        if value not in choices:
            raise self._fail(key, f"is {value!r}, not one of {', '.join(choices)}")
        return value
