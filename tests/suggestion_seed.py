"""A small team with facts, for the suggestion tests (rows written as ingest would write them).

October 2026 (the period under test) and September 2026 (for the rank climb):

- Ada (Platform, ada@acme.example): Claude API on her key apikey_01ADA (billed $30.00, opus,
  1.1M tokens, 10-05); Claude Code as herself (estimated $2.50 list, 1,500 tokens, 600 lines on
  10-03); Claude Code through her key's name ada-laptop (repeats billed tokens: never counted);
  a Cursor seat unused in October (used in September, $100); a control-total metric on her
  account (never a person's activity).
- Bob (Platform, bob@acme.example): Cursor, $50.00 and 2,000 tokens in October ($10 in
  September), 100 accepted lines.
- Cy (Data): no accounts at all.
- zed@acme.example: an unlinked Cursor account with $999 — nobody's numbers.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from warehouse import identities, members
from warehouse.actors import SYSTEM
from warehouse.models import ActivityDay, UsageFact, VendorAccount
from warehouse.tenants import TenantRef, create_tenant

PERIOD = "2026-10"
SECRET_STRINGS = (
    "ada@acme.example",
    "bob@acme.example",
    "zed@acme.example",
    "apikey_01ADA",
    "ada-laptop",
    "Ada Lovelace",
    "Bob Babbage",
    "Lovelace",
)


def _key(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:40]


def usage(
    tenant: TenantRef,
    source: str,
    account: str,
    day: dt.date,
    *,
    service: str,
    sku: str,
    billed: int = 0,
    listed: int | None = None,
    basis: str = "billed",
    inp: int | None = None,
    out: int | None = None,
) -> UsageFact:
    return UsageFact(
        tenant_id=tenant.id,
        source=source,
        record_key=_key(tenant.id, source, account, day, sku, basis),
        account_key=account,
        charge_period_start=day,
        charge_period_end=day + dt.timedelta(days=1),
        provider=source.title(),
        service=service,
        sku=sku,
        billed_cost_micros=billed,
        list_cost_micros=listed,
        cost_basis=basis,
        input_tokens=inp,
        output_tokens=out,
    )


def activity(tenant: TenantRef, source: str, account: str, day: dt.date, **metrics: int):
    """One account's activity on ``day``: every metric in one ``activity_days`` row."""
    return ActivityDay(
        tenant_id=tenant.id, source=source, account_key=account, day=day, metrics=metrics
    )


def seed_team(engine: Engine, slug: str = "acme") -> tuple[TenantRef, dict[str, int]]:
    """The team above; returns the tenant and member ids by first name."""
    t = create_tenant(engine, slug, slug.title())
    ids = {
        "Ada": members.create_member(
            engine,
            t,
            SYSTEM,
            display_name="Ada Lovelace",
            email="ada@acme.example",
            team="Platform",
        ),
        "Bob": members.create_member(
            engine, t, SYSTEM, display_name="Bob Babbage", email="bob@acme.example", team="Platform"
        ),
        "Cy": members.create_member(engine, t, SYSTEM, display_name="Cy Clone", team="Data"),
    }
    accounts = [
        ("anthropic", "ada@acme.example", "user", "Ada"),
        ("anthropic", "apikey_01ADA", "api_key", "Ada"),
        ("anthropic", "ada-laptop", "api_key", "Ada"),
        ("anthropic", "x_vendor_total", "user", None),
        ("cursor", "ada@acme.example", "user", "Ada"),
        ("cursor", "bob@acme.example", "user", "Bob"),
        ("cursor", "zed@acme.example", "user", None),
    ]
    oct3, oct5, sep9 = dt.date(2026, 10, 3), dt.date(2026, 10, 5), dt.date(2026, 9, 9)
    facts = [
        usage(t, "anthropic", "apikey_01ADA", oct5, service="Claude API",
              sku="claude-opus-4-1-20250805", billed=30_000_000, listed=22_500_000,
              inp=1_000_000, out=100_000),
        usage(t, "anthropic", "ada@acme.example", oct3, service="Claude Code",
              sku="claude-sonnet-4-5", listed=2_500_000, basis="estimated", inp=1_000, out=500),
        usage(t, "anthropic", "ada-laptop", oct3, service="Claude Code",
              sku="claude-opus-4-1-20250805", listed=9_990_000, basis="estimated",
              inp=700, out=77),
        usage(t, "cursor", "ada@acme.example", sep9, service="Cursor", sku="gpt-5",
              billed=100_000_000, inp=10, out=10),
        usage(t, "cursor", "bob@acme.example", oct5, service="Cursor", sku="gpt-5",
              billed=50_000_000, inp=1_500, out=500),
        usage(t, "cursor", "bob@acme.example", sep9, service="Cursor", sku="gpt-5",
              billed=10_000_000, inp=1, out=1),
        usage(t, "cursor", "zed@acme.example", oct5, service="Cursor", sku="gpt-5",
              billed=999_000_000, inp=99, out=99),
        activity(t, "anthropic", "ada@acme.example", oct3, lines_added=600, sessions=4),
        activity(t, "anthropic", "ada@acme.example", oct5, x_billed_total_micros=123_456),
        activity(t, "cursor", "bob@acme.example", oct5, accepted_lines_added=100),
        activity(t, "cursor", "zed@acme.example", oct5, accepted_lines_added=10_000),
    ]  # fmt: skip
    with Session(engine) as s, s.begin():
        rows = {}
        for source, key, kind, _ in accounts:
            rows[(source, key)] = VendorAccount(
                tenant_id=t.id, source=source, account_key=key, kind=kind
            )
        s.add_all(rows.values())
        s.add_all(facts)
        s.flush()
        links = [(rows[(src, key)].id, ids[who]) for src, key, _, who in accounts if who]
    for account_id, member_id in links:
        identities.link_account(engine, t, SYSTEM, account_id, member_id)
    return t, ids


def build_marts(engine: Engine) -> None:
    """Every SQL mart rebuilt from the facts (the leaderboard the suggestions quote ranks from)."""
    from warehouse.mart_tables import rebuild_table
    from warehouse.sql_models import load_models

    for model in load_models():
        rebuild_table(engine, model)
