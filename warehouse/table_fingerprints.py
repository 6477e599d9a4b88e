"""Fingerprints of admin tables per tenant: what the marts' admin-input sensor compares.

Admin tables (members, identity links, settings…) are small; a fingerprint is a hash of a
tenant's rows in primary-key order, so any insert, update or delete changes it.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

from sqlalchemy import Engine, or_, select

from warehouse.models import Base


def admin_table_names() -> frozenset[str]:
    return frozenset(Base.metadata.tables)


# Rows of a table the marts read, where they read only some (settings: the marts' own keys
# and the leaderboard metric; a badge threshold changing refreshes no mart).
MART_ROWS = {
    "settings": lambda t: or_(t.c.key.like("marts.%"), t.c.key == "dashboard.leaderboard_metric"),
}


def tenant_fingerprints(engine: Engine, table_name: str) -> dict[int, str]:
    """{tenant_id: hash of that tenant's rows (those in ``MART_ROWS`` for the tables listed
    there)} for a warehouse table with a ``tenant_id``."""
    table = Base.metadata.tables[table_name]
    if "tenant_id" not in table.c:
        raise ValueError(f"{table_name} has no tenant_id column")
    order = [*table.primary_key.columns] or list(table.c)
    digests: dict[int, hashlib._Hash] = defaultdict(hashlib.sha256)
    with engine.connect() as conn:
        query = select(table).order_by(*order)
        if table_name in MART_ROWS:
            query = query.where(MART_ROWS[table_name](table))
        for row in conn.execute(query):
            digests[row.tenant_id].update(repr(tuple(row)).encode())
    return {tenant: d.hexdigest()[:16] for tenant, d in digests.items()}


def table_fingerprint(engine: Engine, table_name: str) -> str:
    """One hash over every tenant's fingerprint of the table ("" when it is empty)."""
    per_tenant = tenant_fingerprints(engine, table_name)
    if not per_tenant:
        return ""
    joined = ",".join(f"{t}:{fp}" for t, fp in sorted(per_tenant.items()))
    return hashlib.sha256(joined.encode()).hexdigest()[:16]
