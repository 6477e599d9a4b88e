"""Models of file imports: one row per imported file (its content hash makes a re-import a
no-op) and the invoices it named, with their totals, for reconciliation.

Imported by ``warehouse.models`` so the one metadata (and Alembic) sees these tables. The facts
an import wrote are ``usage_facts`` rows with ``source = "file"`` and its ``file_import_id``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from warehouse.models import Base, Timestamp, _now


class FileImport(Base):
    """An imported file: what was detected in it and what it added."""

    __tablename__ = "file_imports"
    __table_args__ = (UniqueConstraint("tenant_id", "content_hash"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the file's bytes
    filename: Mapped[str] = mapped_column(String(500))
    file_format: Mapped[str] = mapped_column(String(32))  # csv | json | focus-csv
    vendor: Mapped[str | None] = mapped_column(String(64))  # --vendor, when given
    detected: Mapped[dict] = mapped_column(JSON, default=dict)  # role -> column
    rows: Mapped[int] = mapped_column(Integer, default=0)  # data rows read
    facts: Mapped[int] = mapped_column(Integer, default=0)  # usage facts written
    billed_cost_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    period_start: Mapped[dt.date | None] = mapped_column(Date)
    period_end: Mapped[dt.date | None] = mapped_column(Date)  # inclusive
    imported_by: Mapped[str] = mapped_column(String(320))
    imported_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=_now)


class FileImportInvoice(Base):
    """An invoice a file named: the sum of its rows and, when the file states it, its total."""

    __tablename__ = "file_import_invoices"
    __table_args__ = (UniqueConstraint("file_import_id", "invoice_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    file_import_id: Mapped[int] = mapped_column(ForeignKey("file_imports.id", ondelete="CASCADE"))
    invoice_id: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    billed_cost_micros: Mapped[int] = mapped_column(BigInteger, default=0)  # its rows summed
    stated_total_micros: Mapped[int | None] = mapped_column(BigInteger)  # the file's own total
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)  # inclusive
