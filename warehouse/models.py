"""SQLAlchemy 2 typed models of the warehouse. Money is integer micro-dollars (exact on every database).

Facts are keyed by vendor account, never by member: identity_links maps accounts to members and
marts join it, so linking, unlinking and merging never rewrite a fact.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from warehouse.activity_measures import day_measures


class Base(DeclarativeBase):
    pass


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def partial_index(name: str, where: str, *columns: str) -> Index:
    """An index of the rows ``where`` holds (the same predicate on SQLite and PostgreSQL)."""
    return Index(name, *columns, sqlite_where=text(where), postgresql_where=text(where))


Timestamp = DateTime(timezone=True)
# A JSON object column: jsonb on PostgreSQL (its functions unnest it), JSON text on SQLite.
METRICS_JSON = JSON().with_variant(JSONB(), "postgresql")


class Tenant(Base):
    __tablename__ = "tenants"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=_now)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # admin | viewer
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=_now)
    # Carried in every login cookie; bumping it (logout, password reset, role change) ends
    # every session of the user.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class LoginThrottle(Base):
    """Failed sign-ins counted per account (``kind`` 'account', key = the email typed, known or
    not) and per client (``kind`` 'client', key = its address). Deleted on success (account) or
    by an admin's unlock."""

    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # account | client
    key: Mapped[str] = mapped_column(String(320))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    blocked_until: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)


class Member(Base):
    """A person on the team. Vendor accounts are linked to members through identity_links."""

    __tablename__ = "members"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    team: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=_now)


class VendorAccount(Base):
    """An identity as a vendor knows it: email, GitHub login, API key id, 'unattributed'…"""

    __tablename__ = "vendor_accounts"
    __table_args__ = (UniqueConstraint("tenant_id", "source", "account_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(64))
    account_key: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(32), default="user")
    first_seen_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=_now)
    last_seen_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=_now)


class IdentityLink(Base):
    __tablename__ = "identity_links"
    __table_args__ = (UniqueConstraint("vendor_account_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    vendor_account_id: Mapped[int] = mapped_column(
        ForeignKey("vendor_accounts.id", ondelete="CASCADE")
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    linked_by: Mapped[str | None] = mapped_column(String(320))
    linked_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=_now)


# What makes a fact one fact: its record key (a digest of tenant, source, account, day, SKU,
# category, basis and sub-account: ``UsageRecord.record_key``) within its tenant, day and
# source. The unique constraint below, and the ``unique_record_keys`` check, hold this.
FACT_IDENTITY = ("tenant_id", "charge_period_start", "source", "record_key")


class UsageFact(Base):
    """One FOCUS-shaped row per (tenant, source, account, day, SKU, charge category, basis)."""

    __tablename__ = "usage_facts"
    __table_args__ = (
        # One B-tree for idempotence (a record key hashes tenant, source and day: one row per
        # key), a partition's delete (a day range, the source checked in the index) and the
        # marts' day ranges. Migration 0018 says what it replaced and why.
        UniqueConstraint(*FACT_IDENTITY, name="uq_usage_facts_day_source_key"),
        # A period's seat fees (warehouse.idle_seats) without scanning every fact.
        partial_index(
            "ix_usage_facts_seat_days",
            "consumed_unit = 'seat_days'",
            "tenant_id",
            "charge_period_start",
        ),
        # (SQLite also holds ix_usage_facts_month_group, an expression index in
        # member_period_models' group order: migration 0021.)
        # A file import's facts (deleting the import), not the NULL of every other fact.
        partial_index(
            "ix_usage_facts_file_import_id", "file_import_id IS NOT NULL", "file_import_id"
        ),
        # Whether a tenant has tagged facts (warehouse.tag_spend): most have none, and the
        # NULL of an untagged fact is not indexed.
        partial_index("ix_usage_facts_tagged", "tags IS NOT NULL", "tenant_id"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # No foreign key (checked on every row written): a trigger on tenants deletes a deleted
    # tenant's facts (migration 0018), as ON DELETE CASCADE did.
    tenant_id: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(64))
    # A hex digest: compared bytewise on PostgreSQL, not through the database's locale.
    record_key: Mapped[str] = mapped_column(
        String(64).with_variant(String(64, collation="C"), "postgresql")
    )
    account_key: Mapped[str] = mapped_column(String(320))
    charge_period_start: Mapped[dt.date] = mapped_column(Date)
    charge_period_end: Mapped[dt.date] = mapped_column(Date)  # exclusive
    provider: Mapped[str] = mapped_column(String(64))
    service: Mapped[str] = mapped_column(String(128))
    sku: Mapped[str] = mapped_column(String(200))
    charge_category: Mapped[str] = mapped_column(String(16), default="Usage")
    billed_cost_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    list_cost_micros: Mapped[int | None] = mapped_column(BigInteger)
    effective_cost_micros: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    consumed_quantity: Mapped[Decimal | None] = mapped_column(Numeric(24, 6, asdecimal=True))
    consumed_unit: Mapped[str | None] = mapped_column(String(64))
    input_tokens: Mapped[int | None] = mapped_column(BigInteger)
    output_tokens: Mapped[int | None] = mapped_column(BigInteger)
    cache_read_tokens: Mapped[int | None] = mapped_column(BigInteger)
    cache_write_tokens: Mapped[int | None] = mapped_column(BigInteger)
    requests: Mapped[int | None] = mapped_column(BigInteger)
    sub_account: Mapped[str | None] = mapped_column(String(200))
    cost_basis: Mapped[str] = mapped_column(String(16), default="billed")
    confidence: Mapped[str] = mapped_column(String(8), default="high")
    source_type: Mapped[str] = mapped_column(String(8), default="api")
    ingestion_run_id: Mapped[str | None] = mapped_column(String(64))
    ingested_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=_now)
    tags: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))  # FOCUS Tags
    # Set on facts a file import wrote (``source == "file"``): the import they came from, and
    # the source the file named (aispend's own export re-imported keeps its x_Source here).
    # No foreign key either: a trigger on file_imports deletes a deleted import's facts.
    file_import_id: Mapped[int | None] = mapped_column(Integer)
    origin_source: Mapped[str | None] = mapped_column(String(64))


class VendorBilledTotal(Base):
    """The vendor's own billed total for a day (a connector's ``VendorTotal``): the control
    total the accuracy check compares the day's billed facts with. Never an account."""

    __tablename__ = "vendor_billed_totals"
    __table_args__ = (
        UniqueConstraint("tenant_id", "source", "day", "scope"),
        Index("ix_vendor_billed_totals_partition", "tenant_id", "source", "day"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(64))
    day: Mapped[dt.date] = mapped_column(Date)
    scope: Mapped[str] = mapped_column(String(64), default="")
    billed_cost_micros: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    ingestion_run_id: Mapped[str | None] = mapped_column(String(64))


class VendorReconciliationTotal(Base):
    """An independent figure a vendor publishes for a period (a ``ReconciliationTotal``), e.g.
    Cursor's spend per member for the billing cycle to date. ``account_key`` is "" for a total
    of the whole source. The latest report for a (name, account, period start) wins."""

    __tablename__ = "vendor_reconciliation_totals"
    __table_args__ = (
        UniqueConstraint("tenant_id", "source", "name", "account_key", "period_start"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))
    account_key: Mapped[str] = mapped_column(String(320), default="")
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)  # inclusive
    billed_cost_micros: Mapped[int] = mapped_column(BigInteger)
    tolerance_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    ingestion_run_id: Mapped[str | None] = mapped_column(String(64))
    reported_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=_now)


class ActivityDay(Base):
    """An account's activity for one day: every metric the connector reported, in one row.

    ``metrics`` maps a metric name to its value (``{"chat_requests": 12, "lines_added": 340}``):
    a connector adds a metric without a migration. Activity is never money: values are counts
    (JSON integers), exact non-integers written from their Decimal text. One row per account
    and day keeps a sync from multiplying rows by the metrics it reports; the
    ``activity_facts`` view (``ActivityFact``) unnests it into one row per metric.
    """

    __tablename__ = "activity_days"
    __table_args__ = (
        UniqueConstraint("tenant_id", "source", "account_key", "day"),
        # The marts' day ranges and a partition's delete (the source checked in the index).
        Index("ix_activity_days_day", "tenant_id", "day", "source"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer)  # no foreign key: see UsageFact.tenant_id
    source: Mapped[str] = mapped_column(String(64))
    account_key: Mapped[str] = mapped_column(String(320))
    day: Mapped[dt.date] = mapped_column(Date)
    metrics: Mapped[dict] = mapped_column(METRICS_JSON)
    ingestion_run_id: Mapped[str | None] = mapped_column(String(64))
    # What member_daily reads of ``metrics``, worked out when the row is written
    # (``warehouse.activity_measures``): by the partition writer, else by these defaults.
    default_seconds_saved: Mapped[int | None] = mapped_column(
        BigInteger, default=lambda ctx: _measure(ctx)[0]
    )
    is_active: Mapped[int | None] = mapped_column(
        SmallInteger, default=lambda ctx: _measure(ctx)[1]
    )


def _measure(context) -> tuple[int, int | None]:
    """``day_measures`` of the ``activity_days`` row an insert is writing."""
    return day_measures(context.get_current_parameters()["metrics"], context.dialect.name)


class _View(DeclarativeBase):
    """Read-only mappings of views: their own metadata, so no ``create_all`` or autogenerate
    ever takes them for tables."""


class ActivityFact(_View):
    """The ``activity_facts`` view: ``activity_days`` unnested, one row per (account, day,
    metric), as the facts were stored before migration 0017. Read it; write ``ActivityDay``."""

    __tablename__ = "activity_facts"
    tenant_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_key: Mapped[str] = mapped_column(String(320), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    metric: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[Decimal] = mapped_column(Numeric(24, 6, asdecimal=True))
    ingestion_run_id: Mapped[str | None] = mapped_column(String(64))


class ManualEntry(Base):
    """Spend typed in by an admin (a seat invoice, a one-off purchase); split into daily facts."""

    __tablename__ = "manual_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    provider: Mapped[str] = mapped_column(String(64))
    service: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    tokens: Mapped[int | None] = mapped_column(BigInteger)  # optional; NULL means unknown
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)  # inclusive
    charge_category: Mapped[str] = mapped_column(String(16), default="Purchase")
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=_now)
    updated_by: Mapped[str | None] = mapped_column(String(320))
    updated_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)


class Credential(Base):
    """One configured field of a source (secret or not), always encrypted at rest."""

    __tablename__ = "credentials"
    __table_args__ = (UniqueConstraint("tenant_id", "source", "field"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(64))
    field: Mapped[str] = mapped_column(String(64))
    ciphertext: Mapped[str] = mapped_column(Text)
    is_secret: Mapped[bool] = mapped_column(Boolean, default=True)
    last4: Mapped[str] = mapped_column(String(8), default="")
    updated_by: Mapped[str | None] = mapped_column(String(320))
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=_now)


class SyncStatus(Base):
    __tablename__ = "sync_status"
    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    last_error: Mapped[str | None] = mapped_column(Text)
    rows: Mapped[int] = mapped_column(BigInteger, default=0)


class AuditEvent(Base):
    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(320), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[dt.datetime] = mapped_column(Timestamp, default=_now, server_default=func.now())


class Setting(Base):
    __tablename__ = "settings"
    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON)


# Sibling model modules register their tables on the same metadata (kept apart to stay small).
from warehouse import (  # noqa: E402, F401
    models_analytics,
    models_api,
    models_badges,
    models_budgets,
    models_imports,
    models_prices,
    models_seats,
    models_suggestions,
    models_tags,
)
