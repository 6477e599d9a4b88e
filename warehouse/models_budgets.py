"""Budgets and their alert events.

Imported by ``warehouse.models`` so the one metadata (and Alembic) sees the tables.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from warehouse.models import Base, Timestamp, _now


class Budget(Base):
    """A monthly budget for the team, a team, a member, a vendor or a tag.

    ``target`` names what is budgeted: '' for the whole tenant (scope ``tenant``), a team name,
    a member id, a source name, or ``key=value`` of a usage tag.
    """

    __tablename__ = "budgets"
    __table_args__ = (UniqueConstraint("tenant_id", "scope", "target"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(16))  # tenant | team | member | vendor | tag
    target: Mapped[str] = mapped_column(String(255))
    monthly_micros: Mapped[int] = mapped_column(BigInteger)
    thresholds: Mapped[list] = mapped_column(JSON)  # percents, e.g. [75, 90, 100]
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=_now)


class BudgetAlert(Base):
    """One alert: a budget crossed a threshold (``kind`` '75', '90', '100') or was projected to
    exceed ('projected') in a month. Recorded once per (budget, period, kind); delivery is
    retried until it succeeds, and the event is never deleted."""

    __tablename__ = "budget_alerts"
    __table_args__ = (UniqueConstraint("budget_id", "period", "kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    budget_id: Mapped[int] = mapped_column(ForeignKey("budgets.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    kind: Mapped[str] = mapped_column(String(16))
    spend_micros: Mapped[int] = mapped_column(BigInteger)
    budget_micros: Mapped[int] = mapped_column(BigInteger)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=_now)
    delivered: Mapped[bool] = mapped_column(Boolean, default=False)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
