"""What a suggestion is written from: one member's aggregated metrics for one calendar month.

THE one module that reads the warehouse for suggestions. It aggregates ``usage_facts`` and
activity (``activity_facts``, the per-metric view of ``activity_days``) per member through
``identity_links`` itself (leaving out what Claude Code through an API key repeats); ranks are
the ``leaderboard`` mart's (``warehouse.leaderboard``), so a suggestion's "up N places" follows
the tenant's leaderboard metric exactly as the pages do. Every figure here is an aggregate: no
email, account key, API key name, or prompt ever leaves it (``MemberMonth.facts()`` is exactly
what the LLM sees, and is hashed).

Estimates are labelled as such: time saved (coefficients below) and what a cheaper model would
have cost (``savings``, list prices) are estimates, never billed figures.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Engine, String, cast, func, select

from pipelines.suggestions.savings import cheaper_model, model_name
from warehouse.badges import badges_by_member
from warehouse.identities import through_links
from warehouse.leaderboard import places
from warehouse.models import (
    ActivityDay,
    ActivityFact,
    IdentityLink,
    Member,
    UsageFact,
    VendorAccount,
)
from warehouse.seconds_saved import SECONDS_SAVED_PER_UNIT

MAX_TOOLS = 5
MAX_MODELS = 3
CENT = Decimal("0.01")


def usd(micros: int) -> str:
    """Exact micro-dollars as a dollars string with cents ("1234.56"), for the prompt."""
    return str((Decimal(micros) / 1_000_000).quantize(CENT, rounding=ROUND_HALF_UP))


def month_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First day of ``period`` ('YYYY-MM') and first day of the month after it."""
    first = dt.date.fromisoformat(f"{period}-01")
    return first, (first + dt.timedelta(days=32)).replace(day=1)


def previous_period(period: str) -> str:
    first, _ = month_bounds(period)
    return (first - dt.timedelta(days=1)).strftime("%Y-%m")


def period_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@dataclass
class MemberMonth:
    """One member's month, aggregated. Money in exact micro-dollars; tokens None when unknown."""

    tenant_id: int
    member_id: int
    period: str
    team: str | None = None
    billed_micros: int = 0
    estimated_micros: int = 0
    tokens: int | None = None
    tools: dict[str, list[int]] = field(default_factory=dict)  # name -> [spend micros, tokens]
    models: dict[str, int] = field(default_factory=dict)  # model -> tokens
    active_days: int = 0
    seconds_saved: int = 0
    rank: int | None = None
    members_ranked: int = 0
    rank_climb: int | None = None  # places climbed since last month; never a fall
    previous_rank: int | None = None  # last month's place; None for a new entrant
    ranked_by: str | None = None  # the leaderboard's metric the rank is by (the marts' reads)
    badges: tuple[str, ...] = ()
    cheaper_model: dict[str, str] | None = None
    idle_tools: tuple[str, ...] = ()
    teammate_favourite: str | None = None

    def facts(self) -> dict[str, Any]:
        """The aggregated metrics a suggestion is written from (sent to the LLM, and hashed)."""
        tools = sorted(self.tools.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))
        models = sorted(self.models.items(), key=lambda kv: (-kv[1], kv[0]))
        _, end = month_bounds(self.period)
        return {
            "period": self.period,
            "month_label": dt.date.fromisoformat(f"{self.period}-01").strftime("%B %Y"),
            "month_complete": end <= dt.datetime.now(dt.UTC).date(),
            "spend_usd": usd(self.billed_micros),
            "estimated_usage_usd_not_billed": usd(self.estimated_micros),
            "tokens": self.tokens,
            "tools": [
                {"name": name, "spend_usd": usd(spend), "tokens": tokens}
                for name, (spend, tokens) in tools[:MAX_TOOLS]
            ],
            "models": [{"name": m, "tokens": t} for m, t in models[:MAX_MODELS]],
            "active_days": self.active_days,
            "time_saved_hours_estimate": str(
                (Decimal(self.seconds_saved) / 3600).quantize(Decimal("0.1"))
            ),
            "rank": self.rank,
            "members_ranked": self.members_ranked,
            "rank_climb": self.rank_climb,
            "badges": list(self.badges),
            "hints": {
                "cheaper_model": self.cheaper_model,
                "idle_tools": list(self.idle_tools),
                "teammate_favourite": self.teammate_favourite,
            },
        }


def inputs_hash(facts: dict[str, Any]) -> str:
    """A stable hash of a facts dict (canonical JSON)."""
    canonical = json.dumps(facts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _month(column):
    """'YYYY-MM' of a DATE column, the same on SQLite and PostgreSQL."""
    return func.substr(cast(column, String), 1, 7)


def _linked_facts(query, table, day, tenant_id: int, start: dt.date, end: dt.date):
    """``query`` over the tenant's facts in [start, end) whose account is linked to a member."""
    return through_links(query, table).where(table.tenant_id == tenant_id, day >= start, day < end)


def periods_with_data(engine: Engine, tenant_id: int, today: dt.date, lookback: int) -> list[str]:
    """Months (newest first) among the last ``lookback`` that hold any fact for the tenant."""
    first = today.replace(day=1)
    for _ in range(lookback - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    _, end = month_bounds(period_of(today))
    with engine.connect() as conn:
        usage = conn.execute(
            select(_month(UsageFact.charge_period_start))
            .where(
                UsageFact.tenant_id == tenant_id,
                UsageFact.charge_period_start >= first,
                UsageFact.charge_period_start < end,
            )
            .distinct()
        ).scalars()
        found = {str(m) for m in usage}
        activity = conn.execute(
            select(_month(ActivityDay.day))
            .where(
                ActivityDay.tenant_id == tenant_id,
                ActivityDay.day >= first,
                ActivityDay.day < end,
            )
            .distinct()
        ).scalars()
        found |= {str(m) for m in activity}
    return sorted(found, reverse=True)


def member_months(engine: Engine, tenant_id: int, periods: list[str]) -> list[MemberMonth]:
    """Every member of the tenant for every period in ``periods``, with its metrics."""
    if not periods:
        return []
    with engine.connect() as conn:
        members = {
            r.id: r.team
            for r in conn.execute(
                select(Member.id, Member.team).where(Member.tenant_id == tenant_id)
            )
        }
    wanted = set(periods)
    start = min(month_bounds(p)[0] for p in wanted)
    end = max(month_bounds(p)[1] for p in wanted)
    out: dict[tuple[int, str], MemberMonth] = {
        (m, p): MemberMonth(tenant_id, m, p, team=team)
        for m, team in members.items()
        for p in sorted(wanted)
    }
    days: dict[tuple[int, str], set[dt.date]] = defaultdict(set)
    active_sources: dict[tuple[int, str], set[str]] = defaultdict(set)
    with engine.connect() as conn:
        _add_usage(conn, tenant_id, start, end, out, days, active_sources)
        _add_activity(conn, tenant_id, start, end, out, days, active_sources)
        seats = _seat_sources(conn, tenant_id)
    for key, member_days in days.items():
        if key in out:
            out[key].active_days = len(member_days)
    ranked = places(engine, tenant_id, sorted(wanted))  # the leaderboard mart's, as on the pages
    for (member_id, period), mm in out.items():
        place = ranked.get((period, member_id))
        if place is not None:
            mm.rank, mm.members_ranked, mm.rank_climb = place.place, place.ranked, place.climb
            mm.ranked_by, mm.previous_rank = place.ranked_by, place.previous_place
    held = badges_by_member(engine, tenant_id)
    for (member_id, period), mm in out.items():
        mm.badges = tuple(name for earned, name in held.get(member_id, ()) if earned <= period)
    _add_teammate_favourites(out, wanted)
    for (member_id, period), mm in out.items():
        mm.idle_tools = tuple(
            sorted(
                label
                for source, label in seats.get(member_id, {}).items()
                if source not in active_sources.get((member_id, period), set())
            )
        )
    return [out[(m, p)] for p in periods for m in sorted(members)]


def _add_usage(conn, tenant_id, start, end, out, days, active_sources) -> None:
    token_cols = (
        UsageFact.input_tokens,
        UsageFact.output_tokens,
        UsageFact.cache_read_tokens,
        UsageFact.cache_write_tokens,
    )
    rows = conn.execute(
        _linked_facts(
            select(
                IdentityLink.member_id,
                UsageFact.charge_period_start.label("day"),
                UsageFact.source,
                UsageFact.service,
                UsageFact.sku,
                UsageFact.cost_basis,
                UsageFact.charge_category,
                VendorAccount.kind,
                func.sum(UsageFact.billed_cost_micros).label("billed"),
                func.sum(UsageFact.list_cost_micros).label("listed"),
                *(func.sum(c).label(c.key) for c in token_cols),
                func.sum(UsageFact.requests).label("requests"),
            ),
            UsageFact,
            UsageFact.charge_period_start,
            tenant_id,
            start,
            end,
        ).group_by(
            IdentityLink.member_id,
            UsageFact.charge_period_start,
            UsageFact.source,
            UsageFact.service,
            UsageFact.sku,
            UsageFact.cost_basis,
            UsageFact.charge_category,
            VendorAccount.kind,
        )
    )
    model_tokens: dict[tuple[int, str], dict[str, list[int]]] = defaultdict(dict)
    for r in rows:
        key = (r.member_id, period_of(r.day))
        mm = out.get(key)
        if mm is None:
            continue
        # Claude Code on an API key repeats usage the key's billed rows already carry.
        repeats = r.cost_basis == "estimated" and r.kind == "api_key"
        billed = int(r.billed or 0)
        estimated = int(r.listed or 0) if r.cost_basis == "estimated" and not repeats else 0
        parts = [getattr(r, c.key) for c in token_cols]
        tokens = None if all(p is None for p in parts) else sum(int(p or 0) for p in parts)
        mm.billed_micros += billed
        mm.estimated_micros += estimated
        if tokens is not None and not repeats:
            mm.tokens = (mm.tokens or 0) + tokens
        used = billed > 0 or estimated > 0 or bool(tokens) or bool(r.requests)
        if used:
            tool = mm.tools.setdefault(r.service, [0, 0])
            tool[0] += billed  # estimates stay out of spend
            tool[1] += 0 if repeats else tokens or 0
            if r.charge_category != "Purchase":  # paying for a seat is not using it
                active_sources[key].add(r.source)
        if tokens or r.requests:
            days[key].add(r.day)
        if tokens and not repeats:
            name = model_name(r.sku)
            mm.models[name] = mm.models.get(name, 0) + tokens
            split = model_tokens[key].setdefault(name, [0, 0, 0, 0])
            for i, p in enumerate(parts):
                split[i] += int(p or 0)
    for key, per_model in model_tokens.items():
        hint = cheaper_model(per_model)
        if hint is not None:
            src, dst, saving = hint
            out[key].cheaper_model = {"from": src, "to": dst, "saving_usd_estimate": usd(saving)}


def _add_activity(conn, tenant_id, start, end, out, days, active_sources) -> None:
    query = select(
        IdentityLink.member_id,
        ActivityFact.day,
        ActivityFact.source,
        ActivityFact.metric,
        func.sum(ActivityFact.value).label("value"),
    ).where(~ActivityFact.metric.like("x\\_%", escape="\\"))  # control totals: nobody's activity
    rows = conn.execute(
        _linked_facts(query, ActivityFact, ActivityFact.day, tenant_id, start, end).group_by(
            IdentityLink.member_id, ActivityFact.day, ActivityFact.source, ActivityFact.metric
        )
    )
    for r in rows:
        key = (r.member_id, period_of(r.day))
        mm = out.get(key)
        value = Decimal(r.value or 0)
        if mm is None or value <= 0:
            continue
        days[key].add(r.day)
        active_sources[key].add(r.source)
        mm.seconds_saved += int(value * SECONDS_SAVED_PER_UNIT.get(r.metric, 0))


def _seat_sources(conn, tenant_id: int) -> dict[int, dict[str, str]]:
    """Per member, the sources where they hold a personal seat (a ``user`` account): label."""
    rows = conn.execute(
        select(IdentityLink.member_id, VendorAccount.source)
        .join(VendorAccount, VendorAccount.id == IdentityLink.vendor_account_id)
        .where(IdentityLink.tenant_id == tenant_id, VendorAccount.kind == "user")
        .distinct()
    )
    seats: dict[int, dict[str, str]] = defaultdict(dict)
    for r in rows:
        seats[r.member_id][r.source] = r.source.replace("_", " ").title()
    return seats


def _add_teammate_favourites(out: dict[tuple[int, str], MemberMonth], periods: set[str]) -> None:
    """The tool most teammates (same team, else everyone) use that this member does not."""
    for period in periods:
        month = [mm for (_, p), mm in out.items() if p == period]
        for mm in month:
            mates = [o for o in month if o.member_id != mm.member_id and o.team == mm.team]
            if not mates:
                mates = [o for o in month if o.member_id != mm.member_id]
            fans: dict[str, int] = defaultdict(int)
            for mate in mates:
                for tool, (_spend, tokens) in mate.tools.items():
                    if tokens > 0 and tool not in mm.tools:
                        fans[tool] += 1
            if fans:
                mm.teammate_favourite = min(fans, key=lambda t: (-fans[t], t))
