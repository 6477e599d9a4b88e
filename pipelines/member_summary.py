"""A month's per-member summary, as the Overview shows it: ONE place for the team board, the
exports and the API to read it from.

Per-member figures come from the marts (``dashboard.member_marts``: through identity links;
billed spend as FOCUS bills it, estimates apart, NULL tokens stay unknown); the tenant's billed
total comes from the spend mart, as on every page. What the members don't account for is billed spend on accounts linked
to nobody: ``unattributed_micros``. Members plus unattributed sum to the billed total exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from dashboard.member_marts import month_from_marts
from dashboard.queries import month_total
from pipelines.suggestions.inputs import MemberMonth
from warehouse.models import Member
from warehouse.tenants import TenantRef


@dataclass(frozen=True)
class MonthMembers:
    """Every member of a tenant for one month, and the tenant's billed total (micro-dollars)."""

    period: str
    billed_micros: int  # the spend mart's billed total: every fact, linked or not
    members: tuple[MemberMonth, ...]

    @property
    def attributed_micros(self) -> int:
        return sum(m.billed_micros for m in self.members)

    @property
    def unattributed_micros(self) -> int:
        """Billed spend on accounts linked to nobody."""
        return self.billed_micros - self.attributed_micros


def month_members(engine: Engine, tenant_id: int, period: str) -> MonthMembers:
    """The tenant's members for ``period`` ('YYYY-MM') and its billed total for the month."""
    return MonthMembers(
        period=period,
        billed_micros=month_total(engine, tenant_id, period).billed_micros,
        members=tuple(month_from_marts(engine, tenant_id, period)),
    )


def tools_by_spend(month: MemberMonth) -> list[tuple[str, int, int]]:
    """The tools a member used in the month: (name, billed micros, tokens), highest spend first."""
    return [
        (name, spend, tokens)
        for name, (spend, tokens) in sorted(month.tools.items(), key=lambda kv: (-kv[1][0], kv[0]))
    ]


@dataclass(frozen=True)
class SummaryRow:
    """One line of the summary: a member, or (``member_id`` None) the unattributed spend."""

    member_id: int | None
    name: str
    email: str
    team: str
    billed_micros: int
    tokens: int | None  # None: unknown (never 0 for unknown)
    active_days: int | None
    rank: int | None
    tools: tuple[str, ...]


@dataclass(frozen=True)
class MemberSummary:
    period: str
    billed_total_micros: int
    rows: tuple[SummaryRow, ...]  # members by billed spend (then name), unattributed last


UNATTRIBUTED = "unattributed"


def member_summary(engine: Engine, tenant: TenantRef, period: str) -> MemberSummary:
    """Every member's month with names and emails (callers check who may see them), plus one
    unattributed row; the rows' billed spend sums to ``billed_total_micros``."""
    month = month_members(engine, tenant.id, period)
    with engine.connect() as conn:
        people = {
            r.id: (r.display_name, r.email or "")
            for r in conn.execute(
                select(Member.id, Member.display_name, Member.email).where(
                    Member.tenant_id == tenant.id
                )
            )
        }
    ordered = sorted(
        (m for m in month.members if m.member_id in people),
        key=lambda m: (-m.billed_micros, people[m.member_id][0].lower(), m.member_id),
    )
    rows = [
        SummaryRow(
            member_id=m.member_id,
            name=people[m.member_id][0],
            email=people[m.member_id][1],
            team=m.team or "",
            billed_micros=m.billed_micros,
            tokens=m.tokens,
            active_days=m.active_days,
            rank=m.rank,
            tools=tuple(name for name, _, _ in tools_by_spend(m)),
        )
        for m in ordered
    ]
    rows.append(
        SummaryRow(None, UNATTRIBUTED, "", "", month.unattributed_micros, None, None, None, ())
    )
    return MemberSummary(period, month.billed_micros, tuple(rows))
