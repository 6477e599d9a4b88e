"""A small team's facts for the mart tests: two linked members, an unlinked account, a vendor's
unattributed remainder, tokens known and unknown, activity, an estimate, over two months."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, select

from connectors.contract import Account, ActivityRecord, FetchBatch, UsageRecord
from warehouse import identities, members, tenants
from warehouse.actors import SYSTEM
from warehouse.facts import replace_partition
from warehouse.models import VendorAccount

JAN, FEB = dt.date(2025, 1, 10), dt.date(2025, 2, 3)


@dataclass
class Team:
    tenant: tenants.TenantRef
    ada: int
    bob: int


def usage(
    day, account, cost, *, sku="sonnet", tokens=None, basis="billed", listed=None, requests=None
):
    return UsageRecord(
        day=day,
        account_key=account,
        service="API",
        sku=sku,
        billed_cost_micros=cost,
        input_tokens=tokens,
        cost_basis=basis,
        list_cost_micros=listed,
        requests=requests,
    )


def write(
    engine: Engine, tenant_id: int, source: str, start, end, usage_rows=(), activity=(), accounts=()
):
    replace_partition(
        engine,
        tenant_id,
        source,
        start,
        end,
        [FetchBatch(usage=list(usage_rows), activity=list(activity), accounts=list(accounts))],
        source_type="api",
        provider=source.title(),
        run_id=None,
    )


def account_id(engine: Engine, tenant_id: int, source: str, key: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(VendorAccount.id).where(
                VendorAccount.tenant_id == tenant_id,
                VendorAccount.source == source,
                VendorAccount.account_key == key,
            )
        ).scalar_one()


def seed_team(engine: Engine, slug: str = "acme") -> Team:
    tenant = tenants.create_tenant(engine, slug)
    ada = members.create_member(engine, tenant, SYSTEM, display_name="Ada", team="core")
    bob = members.create_member(engine, tenant, SYSTEM, display_name="Bob", team="core")
    accounts = [
        Account("ada@x.io", email="ada@x.io"),
        Account("bob@x.io", email="bob@x.io"),
        Account("eve@x.io", email="eve@x.io"),
        Account("unattributed", kind="unattributed"),
    ]
    # January: Bob spends most; Ada's tokens are unknown (NULL). February: Ada climbs.
    write(
        engine,
        tenant.id,
        "anthropic",
        dt.date(2025, 1, 1),
        dt.date(2025, 2, 28),
        [
            usage(JAN, "ada@x.io", 1_000_001, requests=3),
            usage(JAN, "bob@x.io", 5_000_000, tokens=700, listed=6_000_000),
            usage(JAN, "unattributed", 250_000),
            usage(FEB, "ada@x.io", 9_000_000, tokens=1_000, sku="opus"),
            usage(FEB, "ada@x.io", 500_000, tokens=50, sku="sonnet"),
            usage(FEB + dt.timedelta(days=1), "ada@x.io", 0, basis="estimated", listed=777),
            usage(FEB, "bob@x.io", 2_000_000, tokens=300),
            usage(FEB, "eve@x.io", 123, tokens=5),
        ],
        activity=[
            ActivityRecord(JAN + dt.timedelta(days=2), "ada@x.io", "lines_added", 10),
            ActivityRecord(FEB, "bob@x.io", "chat_requests", 2),
            ActivityRecord(FEB, "bob@x.io", "x_control_total", 99),
        ],
        accounts=accounts,
    )
    identities.link_account(
        engine, tenant, SYSTEM, account_id(engine, tenant.id, "anthropic", "ada@x.io"), ada
    )
    identities.link_account(
        engine, tenant, SYSTEM, account_id(engine, tenant.id, "anthropic", "bob@x.io"), bob
    )
    return Team(tenant, ada, bob)
