"""Places on the ``leaderboard`` mart: each member's rank per month by the tenant's metric
(``dashboard.leaderboard_metric``: billed spend by default, tokens or active days), ties sharing
a place, the previous month's place and the places climbed (never a fall; a new entrant has
none). One reader for the pages, the API and the suggestions, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, bindparam, inspect, text

_PLACES = text(
    "SELECT month, member_id, ranked_by, place, previous_place, places_climbed"
    " FROM leaderboard WHERE tenant_id = :t AND month IN :months"
).bindparams(bindparam("months", expanding=True))
_RANKED = text(
    "SELECT month, COUNT(*) AS ranked FROM leaderboard WHERE tenant_id = :t AND month IN :months"
    " GROUP BY month"
).bindparams(bindparam("months", expanding=True))


@dataclass(frozen=True)
class Place:
    """A member's month on the ``leaderboard`` mart, ranked by the tenant's metric."""

    place: int
    ranked: int  # members ranked that month
    previous_place: int | None  # last month's place; None for a new entrant
    climb: int | None  # places risen since last month; None when not risen (never a fall)
    ranked_by: str  # spend | tokens | active_days


def places(
    engine: Engine, tenant_id: int, periods: list[str], member_id: int | None = None
) -> dict[tuple[str, int], Place]:
    """(period, member) -> their place on the ``leaderboard`` mart (the tenant's metric)."""
    if not periods or not inspect(engine).has_table("leaderboard"):
        return {}
    query = _PLACES
    if member_id is not None:
        query = text(f"{_PLACES.text} AND member_id = :m").bindparams(
            bindparam("months", expanding=True)
        )
    params = {"t": tenant_id, "months": list(periods), "m": member_id}
    with engine.connect() as conn:
        rows = conn.execute(query, params).all()
        if member_id is None:  # every member's row: count them here rather than read again
            ranked: dict[str, int] = {}
            for r in rows:
                ranked[str(r.month)] = ranked.get(str(r.month), 0) + 1
        else:
            ranked = {str(r.month): int(r.ranked) for r in conn.execute(_RANKED, params)}
        return {
            (str(r.month), int(r.member_id)): Place(
                int(r.place),
                ranked[str(r.month)],
                None if r.previous_place is None else int(r.previous_place),
                int(r.places_climbed) if r.places_climbed else None,
                str(r.ranked_by),
            )
            for r in rows
        }
