"""Models of the suggestion machine: the cached suggestion per (member, period) and the log of
every LLM generation (its tokens and estimated cost: aispend eats its own dog food).

Imported by ``warehouse.models`` so the one metadata (and Alembic) sees these tables.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from warehouse.models import Base, Timestamp, _now


class Suggestion(Base):
    """The current suggestion of a member for a calendar month ('YYYY-MM').

    Cached with what produced it: the hash of its inputs (the aggregated metrics it was written
    from, kept in ``inputs``), the prompt version and the model ("offline-…" for the offline
    generator). A failed regeneration keeps the text and records ``last_error``.
    """

    __tablename__ = "suggestions"
    __table_args__ = (UniqueConstraint("tenant_id", "member_id", "period"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    text: Mapped[str] = mapped_column(Text)
    generator: Mapped[str] = mapped_column(String(16))  # llm | offline
    model: Mapped[str] = mapped_column(String(128))
    prompt_version: Mapped[str] = mapped_column(String(32))
    inputs_hash: Mapped[str] = mapped_column(String(64))
    inputs: Mapped[dict] = mapped_column(JSON)
    generated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=_now)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)


class SuggestionGeneration(Base):
    """One call to the LLM (succeeded or not): what the monthly budget and the admins count.

    ``cost_micros`` is an estimate at the model's public list price (NULL when the model has
    no known price); it is never added to any billed figure.
    """

    __tablename__ = "suggestion_generations"
    __table_args__ = (Index("ix_suggestion_generations_tenant_at", "tenant_id", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    period: Mapped[str] = mapped_column(String(7))
    at: Mapped[dt.datetime] = mapped_column(Timestamp, default=_now)
    trigger: Mapped[str] = mapped_column(String(16))  # pipeline | regenerate
    actor: Mapped[str] = mapped_column(String(320))
    model: Mapped[str] = mapped_column(String(128))
    outcome: Mapped[str] = mapped_column(String(16))  # ok | error
    error: Mapped[str | None] = mapped_column(Text)
    input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    output_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_micros: Mapped[int | None] = mapped_column(BigInteger)
