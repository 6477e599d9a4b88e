"""The "My progress" page's data: a member's rank over the months, podium distance and badges.

Pure: an engine, a tenant and the actor in, values out; no Streamlit. A viewer may read only
the member that is them (users map to members by email), an admin anyone's: checked here, not
only by what the page offers. Ranks are the ``leaderboard`` mart's, by the tenant's metric
(billed spend by default, tokens or active days; ties share a rank); a member who climbed
carries the number of places, anyone else carries none — nothing here can say "fell".
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from pipelines.suggestions.inputs import previous_period
from warehouse import badges
from warehouse.actors import Actor, PermissionDenied, require_signed_in
from warehouse.dashboard_settings import get_dashboard_settings
from warehouse.leaderboard import places
from warehouse.models import Member
from warehouse.tenants import TenantRef

PODIUM_SIZE = 8
TRAJECTORY_MONTHS = 12


@dataclass(frozen=True)
class BadgeState:
    key: str
    name: str
    icon: str
    criteria: str
    earned_period: str | None  # 'YYYY-MM' when earned, None while not yet

    @property
    def earned(self) -> bool:
        return self.earned_period is not None


@dataclass(frozen=True)
class Progress:
    member_id: int
    member_name: str
    period: str
    rank: int | None  # None: spent nothing this month, so not on the board
    members_ranked: int
    previous_rank: int | None
    climb: int | None  # places climbed since the month before; None otherwise
    trajectory: tuple[tuple[str, int], ...]  # (period, rank) oldest first, ranked months only
    badges: tuple[BadgeState, ...]  # earned first (by period), then the ones still to earn
    ranked_by: str | None = None  # the leaderboard's metric: spend | tokens | active_days

    @property
    def podium_size(self) -> int:
        return min(PODIUM_SIZE, self.members_ranked)

    @property
    def on_podium(self) -> bool:
        return self.rank is not None and self.rank <= self.podium_size

    @property
    def spots_from_podium(self) -> int | None:
        """How many places to climb to reach the podium (0 on it; None when not ranked)."""
        if self.rank is None:
            return None
        return max(0, self.rank - self.podium_size)


def _place(place) -> int | None:
    return place.place if place else None


def periods_back(period: str, count: int) -> list[str]:
    """``period`` and the ``count - 1`` months before it, newest first."""
    out = [period]
    while len(out) < count:
        out.append(previous_period(out[-1]))
    return out


def _member(engine: Engine, tenant: TenantRef, member_id: int) -> tuple[str, str | None]:
    with engine.connect() as conn:
        row = conn.execute(
            select(Member.display_name, Member.email).where(
                Member.tenant_id == tenant.id, Member.id == member_id
            )
        ).first()
    if row is None:
        raise LookupError(f"no member {member_id} in tenant {tenant.slug}")
    return row.display_name, row.email


def member_progress(
    engine: Engine,
    tenant: TenantRef,
    actor: Actor,
    member_id: int,
    period: str,
    *,
    months: int = TRAJECTORY_MONTHS,
) -> Progress:
    """``member_id``'s standing in ``period`` ('YYYY-MM') and the ``months`` before it."""
    require_signed_in(actor, "reading a member's progress", tenant)
    name, email = _member(engine, tenant, member_id)
    if not actor.is_admin and (email or "").strip().lower() != actor.email.strip().lower():
        raise PermissionDenied(f"{actor.email} may read only their own progress")
    periods = periods_back(period, months)
    # From the member_period mart: a few rows, whatever the team's size.
    ranked = places(engine, tenant.id, [*periods, previous_period(periods[-1])], member_id)
    mine = {p: place for (p, _), place in ranked.items()}
    now = mine.get(period)
    held = {a.badge: a.period for a in badges.awards(engine, tenant, actor, member_id)}
    states = badge_states(engine, tenant, actor, held)
    return Progress(
        member_id=member_id,
        member_name=name,
        period=period,
        rank=now.place if now else None,
        members_ranked=now.ranked if now else 0,
        previous_rank=now.previous_place if now else _place(mine.get(previous_period(period))),
        climb=now.climb if now else None,
        trajectory=tuple((p, mine[p].place) for p in reversed(periods) if p in mine),
        badges=states,
        ranked_by=now.ranked_by if now else None,
    )


def badge_states(
    engine: Engine, tenant: TenantRef, actor: Actor, held: dict[str, str] | None = None
) -> tuple[BadgeState, ...]:
    """Every badge with the tenant's criteria; ``held`` (badge -> period earned) marks earned
    ones, listed first in the order they were earned."""
    settings = get_dashboard_settings(engine, tenant, actor)
    held = held or {}
    states = [
        BadgeState(b.key, b.name, b.icon, b.criteria_text(settings), held.get(b.key))
        for b in badges.CATALOGUE
    ]
    states.sort(key=lambda s: (not s.earned, s.earned_period or ""))
    return tuple(states)
