"""Tags admins assign to vendor dimensions, and the two marts per vendor and per tag.

Imported by ``warehouse.models`` so the one metadata (and Alembic) sees the tables. The marts
(``spend_by_tag``, ``vendor_period``) are rewritten per tenant by their assets
(``pipelines.tag_marts``) in one transaction, so a reader never sees half of a refresh.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from warehouse.models import Base, Timestamp, _now


class TagAssignment(Base):
    """``tag_key=tag_value`` on one vendor dimension: (source, dimension, dimension_value),
    e.g. ('openai', 'project', 'proj_abc') or ('anthropic', 'api_key', 'apikey_01')."""

    __tablename__ = "tag_assignments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "source", "dimension", "dimension_value", "tag_key"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(64))
    dimension: Mapped[str] = mapped_column(String(16))  # account | api_key | workspace | project
    dimension_value: Mapped[str] = mapped_column(String(320))
    tag_key: Mapped[str] = mapped_column(String(64))
    tag_value: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=_now)


class SpendByTag(Base):
    """A month's spend of one source per value of one tag key. ``tagged`` false (and
    ``tag_value`` '') is the spend without that key, so a key's rows sum to the source's month."""

    __tablename__ = "spend_by_tag"
    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    tag_key: Mapped[str] = mapped_column(Text, primary_key=True)
    tag_value: Mapped[str] = mapped_column(Text, primary_key=True)
    tagged: Mapped[bool] = mapped_column(Boolean)
    billed_cost_micros: Mapped[int] = mapped_column(BigInteger)
    estimated_cost_micros: Mapped[int] = mapped_column(BigInteger)  # never added to billed
    list_price_micros: Mapped[int | None] = mapped_column(BigInteger)  # list-price value
    tokens: Mapped[int | None] = mapped_column(BigInteger)  # NULL: no vendor reported any


class VendorPeriod(Base):
    """A source's month: spend, tokens, seats, idle seats and their fee, and the last
    successful sync as of the build (the freshness class is computed when read)."""

    __tablename__ = "vendor_period"
    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    billed_cost_micros: Mapped[int] = mapped_column(BigInteger)
    estimated_cost_micros: Mapped[int] = mapped_column(BigInteger)  # never added to billed
    tokens: Mapped[int | None] = mapped_column(BigInteger)
    seats: Mapped[int] = mapped_column(Integer)
    idle_seats: Mapped[int] = mapped_column(Integer)
    idle_seat_cost_micros: Mapped[int] = mapped_column(BigInteger)
    last_sync_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
