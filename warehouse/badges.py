"""Badges: what each one means, and the append-only record of who earned which.

The catalogue (names, icons, criteria with the tenant's thresholds filled in) is read by the
dashboard; ``pipelines.badges`` decides who earned what and calls ``award``, which only ever
inserts. A badge, once earned, is never taken back (a quieter month revokes nothing), so the
record is a history people can be proud of, not a rebuilt table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from warehouse.actors import Actor, require_signed_in
from warehouse.dashboard_settings import DashboardSettings
from warehouse.models_badges import BadgeAward
from warehouse.tenants import TenantRef


@dataclass(frozen=True)
class Badge:
    key: str
    name: str
    icon: str
    criteria: str  # with {threshold} where the tenant's threshold goes
    setting: str  # the DashboardSettings field holding the threshold

    def criteria_text(self, settings: DashboardSettings) -> str:
        return self.criteria.format(threshold=f"{getattr(settings, self.setting):,}")


CATALOGUE: tuple[Badge, ...] = (
    Badge(
        "ai_pioneer",
        "AI Pioneer",
        "🚀",
        "Among the first {threshold} people on the team to use an AI tool",
        "badge_pioneer_first_n",
    ),
    Badge(
        "early_adopter",
        "Early Adopter",
        "🌱",
        "Tried a tool within {threshold} days of it arriving on the team",
        "badge_early_adopter_days",
    ),
    Badge(
        "token_titan",
        "Token Titan",
        "🪙",
        "{threshold} tokens in one month",
        "badge_token_titan_tokens",
    ),
    Badge(
        "big_spender",
        "Big Spender",
        "💎",
        "${threshold} of AI tools in one month",
        "badge_big_spender_usd",
    ),
    Badge(
        "multi_tool_master",
        "Multi-Tool Master",
        "🧰",
        "{threshold} different AI tools in one month",
        "badge_multi_tool_count",
    ),
    Badge(
        "daily_driver",
        "Daily Driver",
        "📅",
        "Used AI tools on {threshold} days of one month",
        "badge_daily_driver_days",
    ),
    Badge(
        "time_saver",
        "Time Saver",
        "⏱️",
        "An estimated {threshold} hours saved in one month",
        "badge_time_saver_hours",
    ),
    Badge(
        "model_explorer",
        "Model Explorer",
        "🧭",
        "{threshold} different models in one month",
        "badge_model_explorer_count",
    ),
)
BY_KEY = {b.key: b for b in CATALOGUE}


@dataclass(frozen=True)
class Award:
    member_id: int
    badge: str
    period: str
    earned_at: dt.datetime

    @property
    def name(self) -> str:
        return BY_KEY[self.badge].name if self.badge in BY_KEY else self.badge


def award(engine: Engine, tenant: TenantRef, earned: Iterable[tuple[int, str, str]]) -> int:
    """Record (member_id, badge, period) awards not yet held; returns how many were new.

    Only inserts: a badge already held keeps its first period and ``earned_at``. Called by the
    badges asset (the system), so it takes no actor.
    """
    wanted = {(m, b): p for m, b, p in sorted(earned, key=lambda e: e[2], reverse=True)}
    if not wanted:
        return 0
    with Session(engine) as s, s.begin():
        held = set(
            s.execute(
                select(BadgeAward.member_id, BadgeAward.badge).where(
                    BadgeAward.tenant_id == tenant.id
                )
            ).tuples()
        )
        new = [
            BadgeAward(tenant_id=tenant.id, member_id=m, badge=b, period=p)
            for (m, b), p in sorted(wanted.items())
            if (m, b) not in held
        ]
        s.add_all(new)
    return len(new)


def awards(
    engine: Engine, tenant: TenantRef, actor: Actor, member_id: int | None = None
) -> list[Award]:
    """The tenant's awards (one member's when given), oldest first. Any signed-in user."""
    require_signed_in(actor, "reading badges", tenant)
    query = select(BadgeAward).where(BadgeAward.tenant_id == tenant.id)
    if member_id is not None:
        query = query.where(BadgeAward.member_id == member_id)
    with Session(engine) as s:
        rows = s.scalars(query.order_by(BadgeAward.period, BadgeAward.id)).all()
        return [Award(r.member_id, r.badge, r.period, r.earned_at) for r in rows]


def badges_by_member(engine: Engine, tenant_id: int) -> dict[int, list[tuple[str, str]]]:
    """Per member, (period earned, badge name) of each badge held, in catalogue order."""
    order = {b.key: i for i, b in enumerate(CATALOGUE)}
    with engine.connect() as conn:
        rows = conn.execute(
            select(BadgeAward.member_id, BadgeAward.badge, BadgeAward.period).where(
                BadgeAward.tenant_id == tenant_id
            )
        ).all()
    held: dict[int, list[tuple[str, str]]] = {}
    for member_id, key, period in sorted(rows, key=lambda r: order.get(r.badge, len(order))):
        if key in BY_KEY:
            held.setdefault(member_id, []).append((period, BY_KEY[key].name))
    return held
