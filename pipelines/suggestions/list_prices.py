"""List prices for the suggestions' estimates only (the cost of generating a suggestion, the
"cheaper model" hint): the prices aispend ships (``warehouse.price_defaults``, through
``warehouse.prices``), never billed cost, never used by a connector.
"""

from __future__ import annotations

import datetime as dt

from warehouse.prices import ListPriceFigure, PriceBook, PriceVersion, shipped_versions

_SHIPPED = PriceBook(shipped_versions())


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def price_for(model: str | None) -> PriceVersion | None:
    """Today's shipped list price of a model id (a date suffix ignored), or None: unpriced."""
    return _SHIPPED.price_for(model, _today())


def list_price(model: str | None, **tokens: int) -> ListPriceFigure:
    """Tokens (``input_tokens=…``, ``output_tokens=…``, ``cache_read_tokens=…``,
    ``cache_write_tokens=…``) at today's shipped list price, with the version used."""
    tokens.setdefault("input_tokens", 0)
    tokens.setdefault("output_tokens", 0)
    return _SHIPPED.list_price(model, _today(), **tokens)
