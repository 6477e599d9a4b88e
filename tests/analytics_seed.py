"""A team's month for the Analytics tests (queries, AppTest, browser): facts over a month and
the one before it on two tools and three models, amounts with odd micro-dollars, a Copilot
seat paid for and not used, model savings; the marts built from the facts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from mart_seed import account_id, usage, write
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from connectors.contract import Account, ActivityRecord, UsageRecord
from pipelines.suggestions.inputs import previous_period
from warehouse import identities, members
from warehouse.actors import SYSTEM
from warehouse.mart_tables import build
from warehouse.models import UsageFact
from warehouse.models_analytics import ModelSaving
from warehouse.projection import month_bounds
from warehouse.sql_models import load_models
from warehouse.tenants import TenantRef

SEAT_FEE = 19_000_000 // 30 + 7  # one seat-day, odd micro-dollars


@dataclass(frozen=True)
class Seeded:
    period: str
    vic: int
    zoe: int


def _seat(day: dt.date, account: str) -> UsageRecord:
    return UsageRecord(
        day=day, account_key=account, service="Copilot Business", sku="seat",
        billed_cost_micros=SEAT_FEE, charge_category="Purchase",
        consumed_quantity=Decimal(1), consumed_unit="seat_days",
    )  # fmt: skip


def seed_analytics(engine: Engine, tenant: TenantRef, period: str, viewer_email: str) -> Seeded:
    """Vic (``viewer_email``) and Zoe, each on Anthropic; Copilot seats for both, Zoe's idle."""
    vic = members.create_member(engine, tenant, SYSTEM, display_name="Vic", email=viewer_email)
    zoe = members.create_member(engine, tenant, SYSTEM, display_name="Zoe", email="z@example.com")
    first, after = month_bounds(period)
    before = dt.date.fromisoformat(f"{previous_period(period)}-01")
    d1, d2 = first, first + dt.timedelta(days=1)
    write(
        engine, tenant.id, "anthropic", before, after - dt.timedelta(days=1),
        [
            usage(before, "vic@a", 3_000_000_001, tokens=10),
            usage(d1, "vic@a", 1_234_567_891, tokens=1_000, sku="claude-opus-4-1"),
            usage(d2, "vic@a", 25_000_003, tokens=500, sku="claude-sonnet-4-5"),
            usage(d2, "zoe@a", 777_777_777, tokens=2_000, sku="claude-opus-4-1"),
            usage(d2, "unattributed", 1_000_009, sku="claude-opus-4-1"),
        ],
        accounts=[Account("vic@a", email=viewer_email), Account("zoe@a", email="z@example.com"),
                  Account("unattributed", kind="unattributed")],
    )  # fmt: skip
    write(
        engine, tenant.id, "copilot", before, after - dt.timedelta(days=1),
        [_seat(d1, "vic-gh"), _seat(d2, "vic-gh"), _seat(d1, "zoe-gh"), _seat(d2, "zoe-gh")],
        activity=[ActivityRecord(d1, "vic-gh", "chat_requests", 4)],
        accounts=[Account("vic-gh", email=viewer_email), Account("zoe-gh", email="z@example.com")],
    )  # fmt: skip
    for source, key, member in (
        ("anthropic", "vic@a", vic), ("anthropic", "zoe@a", zoe),
        ("copilot", "vic-gh", vic), ("copilot", "zoe-gh", zoe),
    ):  # fmt: skip
        identities.link_account(
            engine, tenant, SYSTEM, account_id(engine, tenant.id, source, key), member
        )
    for model in load_models():
        build(engine, model)
    with Session(engine) as s, s.begin():
        for member, tokens, listed in ((vic, 1_000, 15_000_011), (zoe, 2_000, 30_000_022)):
            s.add(ModelSaving(tenant_id=tenant.id, period=period, member_id=member,
                              model="claude-opus-4-1", tokens=tokens, list_micros=listed,
                              cheapest_model="claude-haiku-4-5", cheapest_micros=listed // 15,
                              saving_micros=listed - listed // 15, price_versions="v1 -> v1"))  # fmt: skip
    return Seeded(period, vic, zoe)


def billed_in_facts(engine: Engine, tenant_id: int, period: str) -> int:
    """The warehouse's billed total for ``period``, straight from the facts."""
    start, end = month_bounds(period)
    with engine.connect() as conn:
        total = conn.execute(
            select(func.sum(UsageFact.billed_cost_micros)).where(
                UsageFact.tenant_id == tenant_id,
                UsageFact.charge_period_start >= start,
                UsageFact.charge_period_start < end,
            )
        ).scalar()
    return int(total or 0)
