"""The model price table: list prices an admin set for a tenant, one immutable row per version.

Imported by ``warehouse.models`` so the one metadata (and Alembic) sees the table. The prices
aispend ships live in code (``warehouse.price_defaults``); ``warehouse.prices`` merges both.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from warehouse.models import Base, Timestamp, _now

UsdPerMTok = Numeric(18, 6, asdecimal=True)


class ModelPrice(Base):
    """One price version of a model for a tenant, in USD per million tokens, valid from a UTC
    day until the next version of the same model. Never updated: a change is a new row."""

    __tablename__ = "model_prices"
    __table_args__ = (UniqueConstraint("tenant_id", "model", "valid_from"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    input_usd_per_mtok: Mapped[Decimal] = mapped_column(UsdPerMTok)
    output_usd_per_mtok: Mapped[Decimal] = mapped_column(UsdPerMTok)
    cache_read_usd_per_mtok: Mapped[Decimal | None] = mapped_column(UsdPerMTok)
    cache_write_usd_per_mtok: Mapped[Decimal | None] = mapped_column(UsdPerMTok)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=_now)
