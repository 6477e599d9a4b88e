"""The badge awards: append-only, one row per (member, badge), never revoked.

Imported by ``warehouse.models`` so the one metadata (and Alembic) sees the table.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from warehouse.models import Base, Timestamp, _now


class BadgeAward(Base):
    """A badge a member earned: the month it was earned for and when aispend noticed.

    Rows are only ever inserted (``warehouse.badges.award``); a later dip in the metrics that
    earned it never removes one.
    """

    __tablename__ = "badge_awards"
    __table_args__ = (UniqueConstraint("tenant_id", "member_id", "badge"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    badge: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(7))  # 'YYYY-MM' the badge was earned in
    earned_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=_now)
