"""Model prices: the list prices aispend ships merged with a tenant's own, and what they price.

A price is a **version**: a model's four prices (input, output, cache read, cache write, USD
per million tokens) valid from a UTC day until the model's next version. The versions of a
model: the shipped ones (``warehouse.price_defaults``, labelled
``shipped:<model>@<valid_from>``) and the tenant's (``model_prices``, labelled ``tenant:<id>``,
set by an admin, audited). On a day, the one with the latest ``valid_from`` not after it wins,
the tenant's on a tie. Versions are
never edited, so recomputing an old day gives the same figure; a backdated version is an
explicit, audited admin act.

What prices are for: list-price **equivalents** of token usage (what the tokens would cost at
list price, for comparison) and usage weights. Never billed cost: the vendor's bill is the
only billed figure. A list-price figure always carries the version that priced it; a model
without a price (or a token kind without one) is **unpriced** (``micros`` None), never $0.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors.tokens import TokenRates
from warehouse import audit
from warehouse.actors import Actor, require_admin, require_signed_in
from warehouse.errors import InvalidInput
from warehouse.models import UsageFact
from warehouse.models_prices import ModelPrice
from warehouse.price_defaults import SHIPPED_PRICES
from warehouse.tenants import TenantRef

MAX_USD_PER_MTOK = Decimal(100_000)
_SUFFIX = re.compile(r"-(\d{8}|\d{4}-\d{2}-\d{2}|latest)$")  # claude-…-20250929, gpt-…-2025-04-14
UNPRICED = "unpriced"


class PriceError(InvalidInput):
    """A price an admin cannot set (bad number, duplicate version)."""


@dataclass(frozen=True)
class PriceVersion:
    version: str  # "shipped:claude-sonnet-4-5@2025-01-01" or "tenant:17"
    provider: str
    model: str
    valid_from: dt.date
    input: Decimal
    output: Decimal
    cache_read: Decimal | None
    cache_write: Decimal | None
    source: str  # "shipped" | "tenant"
    note: str | None = None


@dataclass(frozen=True)
class ListPriceFigure:
    """A list-price equivalent: ``micros`` None means unpriced (never shown as $0)."""

    micros: int | None
    version: str | None

    @property
    def status(self) -> str:
        return "priced" if self.micros is not None else UNPRICED


def base_model(model: str) -> str:
    """A model id without a release-date or ``-latest`` suffix."""
    return _SUFFIX.sub("", model.strip())


class PriceBook:
    """Every price version known to one tenant, for lookups without a query per fact."""

    def __init__(self, versions: Iterable[PriceVersion]):
        self._by_model: dict[str, list[PriceVersion]] = defaultdict(list)
        for v in versions:
            self._by_model[v.model].append(v)
        for history in self._by_model.values():  # oldest first; the tenant's after shipped on a tie
            history.sort(key=lambda v: (v.valid_from, v.source == "tenant"))

    def versions(self) -> list[PriceVersion]:
        return [v for model in sorted(self._by_model) for v in self._by_model[model]]

    def price_for(self, model: str | None, day: dt.date) -> PriceVersion | None:
        """The version pricing ``model`` on ``day`` (exact id first, then without its date
        suffix), or None: unpriced."""
        if not model:
            return None
        for name in (model, base_model(model)):
            valid = [v for v in self._by_model.get(name, ()) if v.valid_from <= day]
            if valid:
                return valid[-1]
        return None

    def token_rates(self, model: str, day: dt.date) -> TokenRates | None:
        """The version in force as connector-side ``TokenRates`` (``FetchContext.token_rates``:
        usage weights for sharing a billed total, never billed cost)."""
        price = self.price_for(model, day)
        if price is None:
            return None
        return TokenRates(price.input, price.output, price.cache_read, price.cache_write)

    def list_price(
        self,
        model: str | None,
        day: dt.date,
        *,
        input_tokens: int | None,
        output_tokens: int | None,
        cache_read_tokens: int | None = None,
        cache_write_tokens: int | None = None,
    ) -> ListPriceFigure:
        """Tokens at list price in micro-dollars (a token at $p per million is exactly p
        micro-dollars), rounded half-even once; unpriced when the model, or a token kind that
        was used, has no price."""
        price = self.price_for(model, day)
        if price is None:
            return ListPriceFigure(None, None)
        total = Decimal(0)
        for tokens, rate in (
            (input_tokens, price.input),
            (output_tokens, price.output),
            (cache_read_tokens, price.cache_read),
            (cache_write_tokens, price.cache_write),
        ):
            if not tokens:
                continue
            if rate is None:
                return ListPriceFigure(None, None)
            total += tokens * rate
        return ListPriceFigure(
            int(total.to_integral_value(rounding=ROUND_HALF_EVEN)), price.version
        )


def shipped_versions() -> list[PriceVersion]:
    return [
        PriceVersion(
            f"shipped:{p.model}@{p.valid_from.isoformat()}",
            p.provider,
            p.model,
            p.valid_from,
            p.input,
            p.output,
            p.cache_read,
            p.cache_write,
            "shipped",
        )  # fmt: skip
        for p in SHIPPED_PRICES
    ]


def _tenant_version(row: ModelPrice) -> PriceVersion:
    return PriceVersion(
        f"tenant:{row.id}", row.provider, row.model, row.valid_from, row.input_usd_per_mtok,
        row.output_usd_per_mtok, row.cache_read_usd_per_mtok, row.cache_write_usd_per_mtok,
        "tenant", row.note,
    )  # fmt: skip


def price_book(engine: Engine, tenant: TenantRef) -> PriceBook:
    """The shipped prices and the tenant's own (for pipelines and read functions)."""
    with Session(engine) as s:
        rows = s.scalars(select(ModelPrice).where(ModelPrice.tenant_id == tenant.id)).all()
        return PriceBook([*shipped_versions(), *(_tenant_version(r) for r in rows)])


# -- services ---------------------------------------------------------------------------------
def list_prices(
    engine: Engine, tenant: TenantRef, actor: Actor, *, on: dt.date | None = None
) -> list[PriceVersion]:
    """The version of every model in force on ``on`` (default: today, UTC); models whose
    first version starts later are left out. Any signed-in user may read."""
    require_signed_in(actor, "reading model prices", tenant)
    day = on or dt.datetime.now(dt.UTC).date()
    book = price_book(engine, tenant)
    current = (book.price_for(m, day) for m in sorted({v.model for v in book.versions()}))
    return [v for v in current if v is not None]


def price_history(engine: Engine, tenant: TenantRef, actor: Actor) -> list[PriceVersion]:
    """Every version, per model oldest first. Any signed-in user may read."""
    require_signed_in(actor, "reading model prices", tenant)
    return price_book(engine, tenant).versions()


def unpriced_models(
    engine: Engine, tenant: TenantRef, actor: Actor, *, on: dt.date | None = None
) -> list[tuple[str, str]]:
    """(provider, model) of every model the usage facts report tokens for that has no price in
    force on ``on`` (default: today, UTC): its list-price equivalents are unpriced. Any
    signed-in user may read."""
    require_signed_in(actor, "reading model prices", tenant)
    day = on or dt.datetime.now(dt.UTC).date()
    book = price_book(engine, tenant)
    with Session(engine) as s:
        seen = s.execute(
            select(UsageFact.provider, UsageFact.sku)
            .where(
                UsageFact.tenant_id == tenant.id,
                (UsageFact.input_tokens.is_not(None)) | (UsageFact.output_tokens.is_not(None)),
            )
            .distinct()
        ).all()
    return sorted({(p, m) for p, m in seen if m and book.price_for(m, day) is None})


def _usd(name: str, value: Any, *, required: bool) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise PriceError(f"{name} is required (USD per million tokens)")
        return None
    if isinstance(value, float):
        raise PriceError(f"{name} must be given as a decimal string, not a float")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise PriceError(f"{name} {value!r} is not a number (USD per million tokens)") from None
    if not number.is_finite() or number < 0 or number > MAX_USD_PER_MTOK:
        raise PriceError(f"{name} {value!r} must be between 0 and {MAX_USD_PER_MTOK}")
    if number != number.quantize(Decimal("0.000001")):
        raise PriceError(f"{name} {value!r} has more than 6 decimal places")
    return number


def set_price(
    engine: Engine,
    tenant: TenantRef,
    actor: Actor,
    *,
    model: str,
    provider: str,
    valid_from: dt.date,
    input: Any,  # noqa: A002 - the price's own name
    output: Any,
    cache_read: Any = None,
    cache_write: Any = None,
    note: str | None = None,
) -> PriceVersion:
    """Add a price version for ``model`` from ``valid_from`` on (admins only, audited). A
    version is never replaced: the same model and day twice is refused."""
    require_admin(actor, "setting a model price", tenant)
    model = (model or "").strip()
    provider = (provider or "").strip()
    if not model or len(model) > 200:
        raise PriceError("model is required (at most 200 characters), e.g. claude-sonnet-4-5")
    if not provider or len(provider) > 64:
        raise PriceError("provider is required (at most 64 characters), e.g. Anthropic")
    if not isinstance(valid_from, dt.date):
        raise PriceError("valid_from must be a date")
    row = ModelPrice(
        tenant_id=tenant.id,
        provider=provider,
        model=model,
        valid_from=valid_from,
        input_usd_per_mtok=_usd("input", input, required=True),
        output_usd_per_mtok=_usd("output", output, required=True),
        cache_read_usd_per_mtok=_usd("cache_read", cache_read, required=False),
        cache_write_usd_per_mtok=_usd("cache_write", cache_write, required=False),
        note=(note or "").strip() or None,
        created_by=actor.email,
    )
    try:
        with Session(engine) as s, s.begin():
            s.add(row)
            s.flush()
            audit.record(
                s, tenant, actor, "price.set", model,
                version=f"tenant:{row.id}", provider=provider, valid_from=valid_from.isoformat(),
                input=str(row.input_usd_per_mtok), output=str(row.output_usd_per_mtok),
                cache_read=_text(row.cache_read_usd_per_mtok),
                cache_write=_text(row.cache_write_usd_per_mtok),
            )  # fmt: skip
            version = _tenant_version(row)
    except IntegrityError:
        raise PriceError(
            f"{model} already has a price valid from {valid_from}: prices are versions, never "
            "replaced; add one with another valid-from date"
        ) from None
    return version


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# -- list-price equivalents of the facts -------------------------------------------------------
def list_price_equivalents(
    engine: Engine, tenant: TenantRef, actor: Actor, start: dt.date, end: dt.date
) -> list[dict[str, Any]]:
    """Per (day, source, SKU) with tokens: billed cost, tokens, and their list-price
    equivalent with the version that priced it, or ``"unpriced"``. Signed-in users may read."""
    require_signed_in(actor, "reading list-price equivalents", tenant)
    book = price_book(engine, tenant)
    sums: dict[tuple, list[int]] = {}
    with Session(engine) as s:
        rows = s.execute(
            select(
                UsageFact.charge_period_start, UsageFact.source, UsageFact.provider,
                UsageFact.sku, UsageFact.billed_cost_micros, UsageFact.input_tokens,
                UsageFact.output_tokens, UsageFact.cache_read_tokens,
                UsageFact.cache_write_tokens,
            ).where(
                UsageFact.tenant_id == tenant.id,
                UsageFact.charge_period_start >= start,
                UsageFact.charge_period_start <= end,
                UsageFact.cost_basis == "billed",
            )
        )  # fmt: skip
        for day, source, provider, sku, billed, *tokens in rows:
            if all(t is None for t in tokens):
                continue
            slot = sums.setdefault((day, source, provider, sku), [0, 0, 0, 0, 0])
            slot[0] += billed
            for i, t in enumerate(tokens, start=1):
                slot[i] += t or 0
    out = []
    for (day, source, provider, sku), (billed, inp, outp, cr, cw) in sorted(sums.items()):
        figure = book.list_price(
            sku, day, input_tokens=inp, output_tokens=outp,
            cache_read_tokens=cr, cache_write_tokens=cw,
        )  # fmt: skip
        out.append(
            {
                "day": day,
                "source": source,
                "provider": provider,
                "model": sku,
                "billed_cost_micros": billed,
                "input_tokens": inp,
                "output_tokens": outp,
                "cache_read_tokens": cr,
                "cache_write_tokens": cw,
                "list_cost_micros": figure.micros,
                "price_version": figure.version,
                "status": figure.status,
            }  # fmt: skip
        )
    return out
