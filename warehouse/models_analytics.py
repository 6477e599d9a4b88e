"""Python-computed analytics marts: month-end forecasts per vendor and spend anomalies.

Imported by ``warehouse.models`` so the one metadata (and Alembic) sees the tables. Both are
rewritten by their assets (``pipelines.analytics``) for the periods they cover, in one
transaction, so a reader never sees half of a refresh.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from warehouse.models import Base, Timestamp, _now


class VendorForecast(Base):
    """A vendor's month: billed so far, the trailing daily rate, and the projected invoice
    (realised + rate x days left). A projection, labelled as such wherever it is shown."""

    __tablename__ = "vendor_forecasts"
    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    realised_micros: Mapped[int] = mapped_column(BigInteger)
    daily_rate_micros: Mapped[int] = mapped_column(BigInteger)
    days_left: Mapped[int] = mapped_column(Integer)
    projected_micros: Mapped[int] = mapped_column(BigInteger)
    computed_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=_now)


class SpendAnomaly(Base):
    """A day on which a member's or a vendor's billed spend stood out, and why."""

    __tablename__ = "spend_anomalies"
    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16), primary_key=True)  # member | vendor
    subject: Mapped[str] = mapped_column(String(255), primary_key=True)  # member id | source
    spend_micros: Mapped[int] = mapped_column(BigInteger)
    baseline_micros: Mapped[int] = mapped_column(BigInteger)  # trailing 28-day median
    reason: Mapped[str] = mapped_column(Text)


class ModelSaving(Base):
    """What one member's tokens on one model in a month would have cost on the cheapest model
    of the same provider in the price table (list prices: an estimate, never billed). Member 0
    is "not linked to anyone"."""

    __tablename__ = "model_savings"
    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    member_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    tokens: Mapped[int] = mapped_column(BigInteger)
    list_micros: Mapped[int] = mapped_column(BigInteger)
    cheapest_model: Mapped[str] = mapped_column(String(200))
    cheapest_micros: Mapped[int] = mapped_column(BigInteger)
    saving_micros: Mapped[int] = mapped_column(BigInteger)
    price_versions: Mapped[str] = mapped_column(Text)  # "<model's version> -> <cheapest's>"
