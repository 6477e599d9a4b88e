"""The ``model_savings`` mart: what each member's tokens on each model would have cost on the
cheapest model of the same family in the price table — the basis for "switch model" hints.
A family is a provider's generation: Claude 4 (opus/sonnet/haiku 4, 4.1, 4.5), Claude 3,
GPT-5 (gpt-5, gpt-5-mini), GPT-4.1, GPT-4o, the o-series.

List prices throughout (an estimate, never billed cost), on the last day of the month (today
for the current one), with the price versions used recorded. A model without a price, or a
token kind it used without one, gives no row (unpriced, never $0). Tokens not linked to a
member are kept as member 0 ("not linked"). Rewritten for this month and the last.
"""

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence

import dagster as dg
from sqlalchemy import delete, func, select

from pipelines.marts import GROUP as MARTS_GROUP
from pipelines.marts import MART_CONDITION
from pipelines.tenant_assets import build_tenant_asset
from warehouse.locks import begin_exclusive
from warehouse.models import IdentityLink, UsageFact, VendorAccount
from warehouse.models_analytics import ModelSaving
from warehouse.prices import PriceBook, price_book
from warehouse.projection import month_bounds
from warehouse.tenants import TenantRef

ASSET_NAME = "model_savings"
NOT_LINKED = 0
TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")


def _tokens_by_member_model(engine, tenant_id: int, start: dt.date, end: dt.date):
    """{(member id or 0, model): [input, output, cache read, cache write]} for [start, end)."""
    columns = [func.sum(getattr(UsageFact, c)) for c in TOKENS]
    query = (
        select(IdentityLink.member_id, UsageFact.sku, *columns)
        .outerjoin(
            VendorAccount,
            (VendorAccount.tenant_id == UsageFact.tenant_id)
            & (VendorAccount.source == UsageFact.source)
            & (VendorAccount.account_key == UsageFact.account_key),
        )
        .outerjoin(IdentityLink, IdentityLink.vendor_account_id == VendorAccount.id)
        .where(
            UsageFact.tenant_id == tenant_id,
            UsageFact.charge_period_start >= start,
            UsageFact.charge_period_start < end,
        )
        .group_by(IdentityLink.member_id, UsageFact.sku)
    )
    out: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    with engine.connect() as conn:
        for member_id, sku, *parts in conn.execute(query):
            if all(p is None for p in parts):
                continue
            slot = out[(NOT_LINKED if member_id is None else int(member_id), sku)]
            for i, p in enumerate(parts):
                slot[i] += int(p or 0)
    return out


_FAMILIES = (
    re.compile(r"^(claude)-(?:[a-z]+-)?(\d+)"),
    re.compile(r"^(gpt)-(\d+o)"),
    re.compile(r"^(gpt)-(\d+(?:\.\d+)?)"),
    re.compile(r"^(o)\d"),
)


def model_family(model: str) -> str:
    """'claude-opus-4-1' -> 'claude-4', 'gpt-5-mini' -> 'gpt-5', 'gpt-4o' -> 'gpt-4o',
    'o4-mini' -> 'o'; a model of no known family is its own family."""
    for pattern in _FAMILIES:
        m = pattern.match(model)
        if m:
            return "-".join(g for g in m.groups() if g)
    return model


def cheapest(book: PriceBook, model: str, day: dt.date, tokens: Sequence[int]):
    """(this model's figure, cheapest model, its figure) among the priced models of the same
    family on ``day``; None when this model (or a token kind it used) is unpriced."""
    kwargs = dict(zip(TOKENS, tokens, strict=True))
    here = book.list_price(model, day, **kwargs)
    price = book.price_for(model, day)
    if here.micros is None or price is None:
        return None
    best = (here, price.model)
    for version in book.versions():
        same = version.provider == price.provider
        if not same or model_family(version.model) != model_family(price.model):
            continue
        figure = book.list_price(version.model, day, **kwargs)
        if figure.micros is not None and figure.micros < best[0].micros:
            best = (figure, version.model)
    return here, best[1], best[0]


def savings_rows(book: PriceBook, usage, period: str, day: dt.date) -> list[dict]:
    rows = []
    for (member_id, model), tokens in sorted(usage.items()):
        found = cheapest(book, model, day, tokens)
        if found is None:
            continue
        here, other, there = found
        rows.append(
            {
                "period": period,
                "member_id": member_id,
                "model": model,
                "tokens": sum(tokens),
                "list_micros": here.micros,
                "cheapest_model": other,
                "cheapest_micros": there.micros,
                "saving_micros": here.micros - there.micros,
                "price_versions": f"{here.version} -> {there.version}",
            }
        )
    return rows


def refresh_savings(engine, tenant: TenantRef, today: dt.date | None = None) -> dict[str, int]:
    today = today or dt.datetime.now(dt.UTC).date()
    book = price_book(engine, tenant)
    periods = [f"{today.replace(day=1) - dt.timedelta(days=1):%Y-%m}", f"{today:%Y-%m}"]
    rows = []
    for period in periods:
        start, end = month_bounds(period)
        priced_on = min(today, end - dt.timedelta(days=1))
        usage = _tokens_by_member_model(engine, tenant.id, start, end)
        rows += savings_rows(book, usage, period, priced_on)
    with engine.begin() as conn:
        # Two syncs finishing together both refresh the tenant: one at a time (see analytics).
        begin_exclusive(conn, f"aispend:savings:{tenant.id}")
        conn.execute(
            delete(ModelSaving).where(
                ModelSaving.tenant_id == tenant.id, ModelSaving.period.in_(periods)
            )
        )
        if rows:
            conn.execute(
                ModelSaving.__table__.insert(), [{"tenant_id": tenant.id, **r} for r in rows]
            )
    return {"savings_rows": len(rows)}


def build_savings_asset(deps: Sequence[dg.AssetKey]) -> dg.AssetsDefinition:
    return build_tenant_asset(
        ASSET_NAME,
        lambda engine, tenant, _settings: refresh_savings(engine, tenant),
        deps=deps,
        group=MARTS_GROUP,
        automation_condition=MART_CONDITION,
        rows_from=("savings_rows",),
        description=(
            "Per member and model: the same tokens at list price on the cheapest model of the "
            "same provider (an estimate; the price versions used are recorded)."
        ),
    )
