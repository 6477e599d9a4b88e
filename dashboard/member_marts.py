"""Members' months read from the marts: what the Overview, My progress, the exports and the API
show per person, in a few indexed reads (``member_period``, ``member_period_models``).

The figures are the marts': billed spend exactly as FOCUS bills it; the estimate beside it
(cost basis 'estimated' on every account, Claude Code through an API key included, as the
Analytics page shows it; never added to billed); tokens as the marts count them (None when no
vendor reported any); active days and estimated seconds saved. Ranks are the ``leaderboard``
mart's: by the tenant's metric (``dashboard.leaderboard_metric``: billed spend by default,
tokens or active days), ties sharing a place; a climb is the places risen since the month
before, never a fall, and a new entrant has none.

A tool is a service the member used that month (billed, estimated, tokens or requests). An idle
tool is a source where the member holds a personal (``user``) account and shows no use: no
tokens, requests or estimate in the marts and no activity through their accounts (a seat fee
alone is not use).

The suggestions read their own month from the facts (``pipelines.suggestions.inputs``): they
leave out what Claude Code through an API key repeats. A mart not built yet reads as empty, as
everywhere on the dashboard.
"""

from __future__ import annotations

from sqlalchemy import Engine, select, text

from dashboard.queries import mart_exists
from pipelines.suggestions.inputs import MemberMonth, month_bounds
from warehouse.badges import badges_by_member
from warehouse.leaderboard import places_on
from warehouse.models import Member

_FIGURES = text(
    "SELECT member_id, billed_cost_micros, estimated_cost_micros, tokens, active_days, "
    "seconds_saved FROM member_period WHERE tenant_id = :t AND month = :p "
    "AND member_group = 'member'"
)
_TOOLS = text(
    "SELECT member_id, service, SUM(billed_cost_micros) AS billed, "
    "SUM(estimated_cost_micros) AS estimated, SUM(tokens) AS tokens, SUM(requests) AS requests "
    "FROM member_period_models WHERE tenant_id = :t AND month = :p AND member_group = 'member' "
    "GROUP BY member_id, service"
)
_IDLE = text(
    # The seat-holders without use in the marts first (a hash anti-join over the month), then,
    # for those few only, one probe of activity per account of that source (filtered on the
    # source before the probe: a member's other vendors' accounts are not read).
    "WITH unused AS (SELECT DISTINCT il.member_id, va.source FROM identity_links il"
    " JOIN vendor_accounts va ON va.id = il.vendor_account_id"
    " WHERE il.tenant_id = :t AND va.kind = 'user'"
    " AND NOT EXISTS (SELECT 1 FROM member_period_models u"
    "  WHERE u.tenant_id = :t AND u.month = :p AND u.member_id = il.member_id"
    "  AND u.member_group = 'member' AND u.source = va.source"
    "  AND (COALESCE(u.tokens, 0) > 0 OR COALESCE(u.requests, 0) > 0"
    "  OR u.estimated_cost_micros > 0)))"
    " SELECT n.member_id, n.source FROM unused n WHERE NOT EXISTS (SELECT 1 FROM identity_links l2"
    "  JOIN vendor_accounts a2 ON a2.id = l2.vendor_account_id AND a2.source = n.source"
    "  WHERE l2.member_id = n.member_id AND EXISTS (SELECT 1 FROM activity_facts a"
    "  WHERE a.tenant_id = a2.tenant_id AND a.source = a2.source"
    "  AND a.account_key = a2.account_key AND a.day >= :start AND a.day < :end AND a.value > 0"
    "  AND substr(a.metric, 1, 2) <> 'x_'))"  # x_ metrics: vendors' control totals
)


def _built(engine: Engine) -> bool:
    return mart_exists(engine, "member_period") and mart_exists(engine, "member_period_models")


def month_from_marts(engine: Engine, tenant_id: int, period: str) -> list[MemberMonth]:
    """Every member of the tenant for ``period`` ('YYYY-MM'), by member id, from the marts."""
    built = _built(engine)
    leaderboard = mart_exists(engine, "leaderboard")
    start, end = month_bounds(period)
    params = {"t": tenant_id, "p": period, "start": start, "end": end}
    with engine.connect() as conn:  # one connection for every read: a round trip each
        out = {
            member_id: MemberMonth(tenant_id, member_id, period, team=team)
            for member_id, team in conn.execute(
                select(Member.id, Member.team)
                .where(Member.tenant_id == tenant_id)
                .order_by(Member.id)
            )
        }
        if not built:
            return list(out.values())
        for member_id, billed, estimated, tokens, active_days, saved in conn.execute(
            _FIGURES, params
        ):
            mm = out.get(member_id)
            if mm is None:
                continue
            mm.billed_micros = int(billed)
            mm.estimated_micros = int(estimated)
            mm.tokens = None if tokens is None else int(tokens)
            mm.active_days = int(active_days)
            mm.seconds_saved = int(saved)
        for member_id, service, billed, estimated, tokens, requests in conn.execute(_TOOLS, params):
            mm = out.get(member_id)
            tokens = int(tokens or 0)
            used = (billed or 0) > 0 or (estimated or 0) > 0 or tokens or (requests or 0)
            if mm is not None and used:
                mm.tools[service] = [int(billed or 0), tokens]
        idle = conn.execute(_IDLE, params).all()
        ranked = places_on(conn, tenant_id, [period]) if leaderboard else {}
    for member_id, source in idle:
        mm = out.get(member_id)
        if mm is not None:
            mm.idle_tools = tuple(sorted({*mm.idle_tools, source.replace("_", " ").title()}))
    held = badges_by_member(engine, tenant_id)
    for member_id, mm in out.items():
        now = ranked.get((period, member_id))
        if now is not None:
            mm.rank, mm.members_ranked, mm.rank_climb = now.place, now.ranked, now.climb
            mm.ranked_by, mm.previous_rank = now.ranked_by, now.previous_place
        mm.badges = tuple(name for earned, name in held.get(member_id, ()) if earned <= period)
    return list(out.values())
