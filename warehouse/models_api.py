"""Read-only API tokens: one row per token an admin created; only the token's sha256 is kept.

Imported by ``warehouse.models`` so the one metadata (and Alembic) sees the table.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from warehouse.models import Base, Timestamp, _now


class ApiToken(Base):
    """A per-tenant bearer token for the read-only API. ``scopes`` lists what it may read;
    a revoked token stays (with ``revoked_at``) so the audit log keeps its meaning."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=_now)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
