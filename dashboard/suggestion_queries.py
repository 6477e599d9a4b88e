"""Pure read queries behind the suggestion card and the admins' generation costs.

An engine and a tenant id in, values out; no Streamlit. Users map to members by email.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, String, case, cast, func, select

from warehouse.models import Member
from warehouse.models_suggestions import SuggestionGeneration
from warehouse.suggestions import CachedSuggestion, cached_suggestion

USAGE_COLUMNS = ["month", "calls", "failed", "input_tokens", "output_tokens", "cost_micros"]


@dataclass(frozen=True)
class MemberRef:
    id: int
    display_name: str
    email: str | None = None


@dataclass(frozen=True)
class SuggestionCard:
    """What the card shows: whose it is and the cached suggestion (text, writer, facts, error)."""

    member_name: str
    suggestion: CachedSuggestion

    @property
    def error_kind(self) -> str | None:
        """'rate_limited', 'timeout'… of the last failed attempt (None when all went well)."""
        if not self.suggestion.last_error:
            return None
        return self.suggestion.last_error.split(":", 1)[0]


def member_for_email(engine: Engine, tenant_id: int, email: str) -> MemberRef | None:
    """The member whose email is this user's (case-insensitive), if any."""
    with engine.connect() as conn:
        row = conn.execute(
            select(Member.id, Member.display_name, Member.email)
            .where(
                Member.tenant_id == tenant_id,
                func.lower(Member.email) == email.strip().lower(),
            )
            .order_by(Member.id)
            .limit(1)
        ).first()
    return MemberRef(row.id, row.display_name, row.email) if row else None


def list_members(engine: Engine, tenant_id: int) -> list[MemberRef]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Member.id, Member.display_name, Member.email)
            .where(Member.tenant_id == tenant_id)
            .order_by(Member.display_name, Member.id)
        )
        return [MemberRef(r.id, r.display_name, r.email) for r in rows]


def suggestion_card(
    engine: Engine, tenant_id: int, member_id: int, period: str
) -> SuggestionCard | None:
    """The member's suggestion for ``period`` ('YYYY-MM'), or None when none is written yet."""
    cached = cached_suggestion(engine, tenant_id, member_id, period)
    if cached is None:
        return None
    with engine.connect() as conn:
        name = conn.execute(select(Member.display_name).where(Member.id == member_id)).scalar_one()
    return SuggestionCard(member_name=name, suggestion=cached)


def generation_usage(engine: Engine, tenant_id: int, months: int = 12) -> pd.DataFrame:
    """LLM calls made to write suggestions, per month (newest first): tokens and estimated cost."""
    month = func.substr(cast(SuggestionGeneration.at, String), 1, 7)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                month.label("month"),
                func.count().label("calls"),
                func.sum(case((SuggestionGeneration.outcome == "error", 1), else_=0)).label(
                    "failed"
                ),
                func.coalesce(func.sum(SuggestionGeneration.input_tokens), 0).label("inp"),
                func.coalesce(func.sum(SuggestionGeneration.output_tokens), 0).label("out"),
                func.coalesce(func.sum(SuggestionGeneration.cost_micros), 0).label("cost"),
            )
            .where(SuggestionGeneration.tenant_id == tenant_id)
            .group_by(month)
            .order_by(month.desc())
            .limit(months)
        ).all()
    records = [
        (str(r.month), int(r.calls), int(r.failed or 0), int(r.inp), int(r.out), int(r.cost))
        for r in rows
    ]
    return pd.DataFrame(records, columns=USAGE_COLUMNS).astype(
        {c: "int64" for c in USAGE_COLUMNS[1:]}
    )
