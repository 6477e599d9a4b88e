"""The team board behind the Overview: KPIs, vendor cards, member cards and the podium.

Pure: an engine, a tenant and the actor in, values out; no Streamlit. Per-member figures come
from the marts (``dashboard.member_marts``: through identity links; billed spend, estimates
apart, NULL tokens stay unknown; places from the ``leaderboard`` mart, by the tenant's metric),
vendor cards from the ``vendor_period`` mart. Privacy is enforced here: with "viewers see only
their own detail", a viewer's board holds only their own card and no podium; team totals stay. Names follow the tenant's display mode for viewers
(admins always see names; a viewer always sees their own).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, select

from connectors.registry import installed_connectors
from dashboard.member_marts import month_from_marts
from dashboard.queries import billed_totals
from pipelines.member_summary import MonthMembers, tools_by_spend
from pipelines.suggestions.inputs import MemberMonth, previous_period
from warehouse import sync_status
from warehouse.actors import Actor, require_signed_in
from warehouse.dashboard_settings import DashboardSettings, get_dashboard_settings
from warehouse.models import Member
from warehouse.models_tags import VendorPeriod
from warehouse.tenants import TenantRef

PODIUM_MAX = 8
RANKED_BY = {"spend": "billed spend", "tokens": "tokens", "active_days": "active days"}
TOP_CARDS = 24  # the Overview's cards before "Show all"
TOP_BARS = 30  # the Overview's chart bars before "Show all"


@dataclass(frozen=True)
class VendorCard:
    source: str
    spend_micros: int
    tokens: int | None
    seats: int  # accounts paying a seat fee this month (the vendor_period mart)
    freshness: str  # fresh | stale | old | never | manual
    last_success_at: dt.datetime | None


@dataclass(frozen=True)
class ToolPill:
    tool: str
    spend_micros: int
    tokens: int
    active: bool  # False: a seat held but not used this month (shown dimmed)


@dataclass(frozen=True)
class MemberCard:
    member_id: int
    name: str
    spend_micros: int
    tokens: int | None
    tools: tuple[ToolPill, ...]
    badges: tuple[str, ...]
    rank: int | None
    climb: int | None
    is_me: bool


@dataclass(frozen=True)
class Board:
    period: str
    spend_micros: int
    previous_spend_micros: int
    tokens: int | None
    active_members: int
    unattributed_micros: int  # billed spend on accounts linked to nobody
    vendors: tuple[VendorCard, ...]
    members: tuple[MemberCard, ...]  # by spend, highest first
    podium: tuple[MemberCard, ...]  # by the leaderboard's place (its metric), first first
    withheld: bool  # other members' detail withheld from this viewer
    ranked_by: str = "spend"  # the leaderboard mart's metric: spend | tokens | active_days

    @property
    def mom_change_percent(self) -> float | None:
        """Display only: month-over-month change of billed spend (None without a last month)."""
        if not self.previous_spend_micros:
            return None
        return 100 * (self.spend_micros - self.previous_spend_micros) / self.previous_spend_micros

    @property
    def spend_per_active_member_micros(self) -> int | None:
        if not self.active_members:
            return None
        return (self.spend_micros - self.unattributed_micros) // self.active_members


def display_name(name: str, mode: str, index: int) -> str:
    """A person as the display mode shows them: "Ada Lovelace", "A. L." or "Member 3"."""
    if mode == "initialed":
        return " ".join(f"{part[0]}." for part in name.split() if part) or "?"
    if mode == "anonymous":
        return f"Member {index}"
    return name


def _per_source(conn, tenant_id: int, period: str) -> dict[str, tuple[int, int | None, int]]:
    """source -> (billed, tokens, seats) from the ``vendor_period`` mart (empty until built)."""
    v = VendorPeriod
    rows = conn.execute(
        select(v.source, v.billed_cost_micros, v.tokens, v.seats).where(
            v.tenant_id == tenant_id, v.period == period
        )
    )
    return {r.source: (int(r.billed_cost_micros), r.tokens, int(r.seats)) for r in rows}


def _known_sum(values) -> int | None:
    known = [int(v) for v in values if v is not None]
    return sum(known) if known else None


def _vendor_cards(engine, tenant, actor, settings: DashboardSettings, per_source):
    statuses = sync_status.tenant_statuses(engine, tenant, actor)
    declared = installed_connectors()
    cards = []
    for source, (spend, tokens, seats) in sorted(
        per_source.items(), key=lambda kv: (-kv[1][0], kv[0])
    ):
        state = statuses.get(source)
        last = state.last_success_at if state else None
        fresh = sync_status.vendor_freshness(
            last,
            polled=sync_status.is_polled(source, declared),
            fresh_hours=settings.fresh_hours,
            stale_hours=settings.stale_hours,
        ).state
        cards.append(VendorCard(source, spend, tokens, seats, fresh, last))
    return tuple(cards)


def _member_cards(months: list[MemberMonth], names, me: int | None, mode: str) -> list[MemberCard]:
    ranked = sorted(months, key=lambda m: (-m.billed_micros, names[m.member_id][0].lower()))
    cards = []
    for index, m in enumerate(ranked, start=1):
        name, _ = names[m.member_id]
        shown = name if (m.member_id == me or mode == "named") else display_name(name, mode, index)
        pills = [ToolPill(tool, spend, tokens, True) for tool, spend, tokens in tools_by_spend(m)]
        pills += [ToolPill(tool, 0, 0, False) for tool in m.idle_tools if tool not in m.tools]
        cards.append(
            MemberCard(
                m.member_id,
                shown,
                m.billed_micros,
                m.tokens,
                tuple(pills),
                m.badges,
                m.rank,
                m.rank_climb,
                m.member_id == me,
            )
        )
    return cards


def team_board(engine: Engine, tenant: TenantRef, actor: Actor, period: str) -> Board:
    """Everything the Overview shows for ``period`` ('YYYY-MM'), as this actor may see it."""
    require_signed_in(actor, "reading the team board", tenant)
    settings = get_dashboard_settings(engine, tenant, actor)
    # Every figure from the marts: a few indexed reads, whatever the team's size.
    totals = billed_totals(engine, tenant.id, [period, previous_period(period)])
    month = MonthMembers(
        period, totals.get(period, 0), tuple(month_from_marts(engine, tenant.id, period))
    )
    spend = month.billed_micros
    previous = totals.get(previous_period(period), 0)
    with engine.connect() as conn:
        per_source = _per_source(conn, tenant.id, period)
        names = {
            i: (name, (email or "").lower())
            for i, name, email in conn.execute(
                select(Member.id, Member.display_name, Member.email).where(
                    Member.tenant_id == tenant.id
                )
            )
        }
    email = actor.email.strip().lower()
    me = next((i for i, (_, e) in names.items() if e and e == email), None)
    months = [m for m in month.members if m.member_id in names]
    active = [m for m in months if m.billed_micros or m.tokens or m.active_days]
    mode = "named" if actor.is_admin else settings.display_mode
    cards = _member_cards(active, names, me, mode)
    withheld = not actor.is_admin and settings.viewers_see_only_own_detail
    if withheld:
        cards = [c for c in cards if c.is_me]
    placed = sorted((c for c in cards if c.rank is not None), key=lambda c: c.rank or 0)
    podium = () if withheld else tuple(placed[:PODIUM_MAX])
    ranked_by = next((m.ranked_by for m in months if m.ranked_by), settings.leaderboard_metric)
    return Board(
        period=period,
        spend_micros=spend,
        previous_spend_micros=previous,
        tokens=_known_sum(t for _, t, _ in per_source.values()),
        active_members=len(active),
        unattributed_micros=month.unattributed_micros,
        vendors=_vendor_cards(engine, tenant, actor, settings, per_source),
        members=tuple(cards),
        podium=podium,
        withheld=withheld,
        ranked_by=ranked_by,
    )


def top_members(board: Board, limit: int) -> tuple[MemberCard, ...]:
    """The ``limit`` highest-spending members' cards, the signed-in person's always among them
    (last when they rank lower): a bounded page whatever the team's size."""
    top = board.members[:limit]
    mine = [c for c in board.members[limit:] if c.is_me]
    return (*top, *mine)
