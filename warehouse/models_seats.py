"""Seat plan prices: what a tenant pays per seat per month for a vendor's plan, with the days
each price is valid, so a price change closes the old price instead of rewriting it.

Imported by ``warehouse.models`` so the one metadata (and Alembic) sees the table.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from warehouse.models import Base, Timestamp, _now


class SeatPlanPrice(Base):
    """One price of one plan (``business``) of one source (``copilot``), valid
    ``valid_from..valid_to`` (inclusive; ``valid_to`` NULL: until further notice)."""

    __tablename__ = "seat_plan_prices"
    __table_args__ = (UniqueConstraint("tenant_id", "source", "plan", "valid_from"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(64))
    plan: Mapped[str] = mapped_column(String(64))
    micros_per_seat_month: Mapped[int] = mapped_column(BigInteger)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=_now)
