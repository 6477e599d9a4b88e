"""Places on the ``leaderboard`` mart: each member's rank per month by the tenant's metric
(``dashboard.leaderboard_metric``: billed spend by default, tokens or active days), ties sharing
a place, the previous month's place and the places climbed (never a fall; a new entrant has
none). One reader for the pages, the API and the suggestions, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, bindparam, inspect, text

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
    """(period, member) -> their place on the ``leaderboard`` mart (the tenant's metric); empty
    until the mart is built."""
    if not periods or not inspect(engine).has_table("leaderboard"):
        return {}
    with engine.connect() as conn:
        return places_on(conn, tenant_id, periods, member_id)


def places_on(
    conn: Connection, tenant_id: int, periods: list[str], member_id: int | None = None
) -> dict[tuple[str, int], Place]:
    """``places`` on an open connection, the mart known to exist."""
    if not periods:
        return {}
    query = _PLACES
    if member_id is not None:
        query = text(f"{_PLACES.text} AND member_id = :m").bindparams(
            bindparam("months", expanding=True)
        )
    params = {"t": tenant_id, "months": list(periods), "m": member_id}
    # Plain tuples: a named attribute of a Row costs about a microsecond, and a month of a
    # large team is thousands of rows.
    rows = [tuple(r) for r in conn.execute(query, params)]
    if member_id is None:  # every member's row: count them here rather than read again
        ranked: dict[str, int] = {}
        for r in rows:
            ranked[str(r[0])] = ranked.get(str(r[0]), 0) + 1
    else:
        ranked = {str(month): int(n) for month, n in conn.execute(_RANKED, params)}
    return {
        (str(month), int(member)): Place(
            int(place),
            ranked[str(month)],
            None if previous is None else int(previous),
            int(climbed) if climbed else None,
            str(by),
        )
        for month, member, by, place, previous, climbed in rows
    }
