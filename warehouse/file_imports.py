"""File import: an invoice or usage export of any vendor, or a FOCUS file, into the fact table.

``import_file(engine, tenant, actor, path, vendor=None, dry_run=False)`` is the one service
(``aispend import`` calls it; the dashboard's upload will too):

1. the file's SHA-256 is looked up: a file imported before changes nothing (``already``);
2. its rows are read by ``warehouse.import_formats`` (CSV, JSON or NDJSON, streamed) and its
   columns detected: date, amount, vendor, description, and where present currency, tokens,
   user or email, invoice id and total; a FOCUS file (aispend's own export included) is read
   column for column, losslessly;
3. every row is checked (``warehouse.import_rows``); rows become daily facts of source ``file`` (a row covering several
   days is split so the days sum to it exactly), written in chunks in one transaction with the
   ``file_imports`` record and its invoices (id, rows, sum, stated total) for reconciliation.

Any bad row rejects the whole file: ``ImportRejected`` lists each problem with its row number
and column, and nothing is written. ``dry_run`` checks and reports without writing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, select

from connectors.contract import UNATTRIBUTED
from warehouse import sync_status
from warehouse.actors import Actor, require_admin
from warehouse.errors import InvalidInput, NotFound
from warehouse.import_formats import Detected, detect, read_rows
from warehouse.import_rows import ONE_DAY, SOURCE, rows_to_facts
from warehouse.models import AuditEvent, UsageFact, VendorAccount
from warehouse.models_imports import FileImport, FileImportInvoice
from warehouse.tenants import TenantRef
from warehouse.vendor_totals import upsert_insert

CHUNK_ROWS = 2000
MAX_LISTED_PROBLEMS = 20


class ImportRejected(InvalidInput):
    """The file has bad rows (or no usable columns); nothing was imported."""

    def __init__(self, filename: str, problems: list[str], total: int):
        self.problems = problems
        more = f"\n  … and {total - len(problems)} more" if total > len(problems) else ""
        listed = "".join(f"\n  {p}" for p in problems)
        super().__init__(f"{filename}: {total} problem(s), nothing was imported:{listed}{more}")


@dataclass
class ImportResult:
    filename: str
    content_hash: str
    detected: Detected
    rows: int = 0
    facts: int = 0
    billed_cost_micros: int = 0
    period: tuple[dt.date, dt.date] | None = None
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    dry_run: bool = False
    import_id: int | None = None
    already: dict[str, Any] | None = None  # the earlier import of the same file


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- the service ---------------------------------------------------------------------------------
def _earlier(conn: Connection, tenant: TenantRef, digest: str) -> dict[str, Any] | None:
    row = conn.execute(
        select(FileImport.id, FileImport.filename, FileImport.imported_at, FileImport.facts).where(
            FileImport.tenant_id == tenant.id, FileImport.content_hash == digest
        )
    ).first()
    return None if row is None else dict(row._mapping)


def _record_key(tenant: TenantRef, digest: str, row_number: int, day: dt.date) -> str:
    parts = (str(tenant.id), SOURCE, digest, str(row_number), day.isoformat())
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _detect(path: Path) -> tuple[Detected, Iterator[tuple[int, dict[str, str]]]]:
    file_format, columns, rows = read_rows(path)
    sample: list[tuple[int, dict[str, str]]] = []
    for item in rows:
        sample.append(item)
        if len(sample) >= 50:
            break
    found = detect(file_format, columns, [r for _, r in sample])

    def chained() -> Iterator[tuple[int, dict[str, str]]]:
        yield from sample
        yield from rows

    return found, chained()


def _missing_roles(found: Detected, vendor: str | None) -> list[str]:
    if found.is_focus:
        return []
    missing = [f"no {role} column" for role in ("date", "amount") if role not in found.roles]
    if "vendor" not in found.roles and not vendor:
        missing.append("no vendor column (pass --vendor NAME)")
    return missing


def import_file(
    engine: Engine,
    tenant: TenantRef,
    actor: Actor,
    path: Path | str,
    *,
    vendor: str | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Import one file (see the module docstring). Raises ``ImportRejected`` for a bad file."""
    require_admin(actor, "importing a file", tenant)
    path = Path(path)
    if not path.is_file():
        raise NotFound(f"{path}: no such file")
    digest = content_hash(path)
    try:
        found, rows = _detect(path)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ImportRejected(path.name, [str(exc)], 1) from None
    result = ImportResult(path.name, digest, found, dry_run=dry_run)
    missing = _missing_roles(found, vendor)
    if missing:
        raise ImportRejected(
            path.name, [f"{m}; columns are {', '.join(found.columns)}" for m in missing], 1
        )
    with engine.connect() as conn:
        result.already = _earlier(conn, tenant, digest)
    if result.already is not None:
        return result
    if dry_run:
        _consume(result, tenant, rows, found, vendor, writer=None)
        return result
    with engine.begin() as conn:
        record = conn.execute(
            FileImport.__table__.insert().values(
                tenant_id=tenant.id,
                content_hash=digest,
                filename=path.name[:500],
                file_format=found.file_format,
                vendor=vendor,
                detected=found.roles,
                rows=0,
                facts=0,
                billed_cost_micros=0,
                imported_by=actor.email,
                imported_at=dt.datetime.now(dt.UTC),
            )
        )
        result.import_id = record.inserted_primary_key[0]
        writer = _FactWriter(conn, tenant, result.import_id)
        _consume(result, tenant, rows, found, vendor, writer=writer)
        writer.finish()
        conn.execute(
            FileImport.__table__.update()
            .where(FileImport.id == result.import_id)
            .values(
                rows=result.rows,
                facts=result.facts,
                billed_cost_micros=result.billed_cost_micros,
                period_start=result.period[0] if result.period else None,
                period_end=result.period[1] if result.period else None,
            )
        )
        if result.invoices:
            conn.execute(
                FileImportInvoice.__table__.insert(),
                [
                    {"tenant_id": tenant.id, "file_import_id": result.import_id, **invoice}
                    for invoice in result.invoices.values()
                ],
            )
        _audit(conn, tenant, actor, "file.import", path.name, facts=result.facts, sha256=digest)
    sync_status.record_success(engine, tenant.id, SOURCE, result.facts)  # freshness of "file"
    return result


def _audit(conn: Connection, tenant: TenantRef, actor: Actor, action: str, target: str, **detail):
    conn.execute(
        AuditEvent.__table__.insert().values(
            tenant_id=tenant.id, actor=actor.email, action=action, target=target, detail=detail
        )
    )


def _consume(
    result: ImportResult,
    tenant: TenantRef,
    rows: Iterator[tuple[int, dict[str, str]]],
    found: Detected,
    vendor: str | None,
    *,
    writer: _FactWriter | None,
) -> None:
    """Check every row, hand the facts of good rows to ``writer`` and raise ``ImportRejected``
    (rolling the transaction back) when any row was bad."""
    problems: list[str] = []
    total_problems = 0
    try:
        for number, facts, problem in rows_to_facts(rows, found, vendor):
            result.rows += 1
            if problem is not None:
                total_problems += 1
                if len(problems) < MAX_LISTED_PROBLEMS:
                    where = f", column {problem.column!r}" if problem.column else ""
                    problems.append(f"row {number}{where}: {problem}")
                continue
            if total_problems:
                continue  # keep checking, stop writing
            for fact in facts:
                result.facts += 1
                result.billed_cost_micros += fact["billed_cost_micros"]
                day = fact["day"]
                lo, hi = result.period or (day, day)
                result.period = (min(lo, day), max(hi, day))
                if writer is not None:
                    writer.add(fact, _record_key(tenant, result.content_hash, number, day))
            _note_invoice(result, facts)
    except ValueError as exc:  # a row the reader itself could not split into columns
        total_problems += 1
        problems.append(str(exc))
    if total_problems:
        raise ImportRejected(result.filename, problems, total_problems)
    if not result.rows:
        raise ImportRejected(result.filename, ["the file has a header but no data rows"], 1)


def _note_invoice(result: ImportResult, facts: list[dict]) -> None:
    invoice_id = facts[0].get("_invoice_id")
    if not invoice_id:
        return
    entry = result.invoices.setdefault(
        invoice_id,
        {
            "invoice_id": str(invoice_id)[:200],
            "provider": facts[0]["provider"],
            "rows": 0,
            "billed_cost_micros": 0,
            "stated_total_micros": None,
            "currency": "USD",
            "period_start": facts[0]["day"],
            "period_end": facts[-1]["day"],
        },
    )
    entry["rows"] += 1
    entry["billed_cost_micros"] += sum(f["billed_cost_micros"] for f in facts)
    entry["period_start"] = min(entry["period_start"], facts[0]["day"])
    entry["period_end"] = max(entry["period_end"], facts[-1]["day"])
    stated = facts[0].get("_stated_total")
    if stated is not None and entry["stated_total_micros"] is None:
        entry["stated_total_micros"] = stated


class _FactWriter:
    """Chunked inserts of one import's facts and the vendor accounts they name."""

    def __init__(self, conn: Connection, tenant: TenantRef, import_id: int):
        self.conn = conn
        self.tenant = tenant
        self.import_id = import_id
        self.buffer: list[dict[str, Any]] = []
        self.accounts: dict[str, str | None] = {}
        self.defaults: dict[str, Any] = {
            "input_tokens": None,
            "output_tokens": None,
            "cache_read_tokens": None,
            "cache_write_tokens": None,
            "requests": None,
            "list_cost_micros": None,
            "effective_cost_micros": None,
            "consumed_quantity": None,
            "consumed_unit": None,
            "sub_account": None,
            "origin_source": None,
            "tenant_id": tenant.id,
            "source": SOURCE,
            "source_type": "file",
            "ingestion_run_id": None,
            "ingested_at": dt.datetime.now(dt.UTC),
            "file_import_id": import_id,
        }

    def add(self, fact: dict[str, Any], record_key: str) -> None:
        row = dict(self.defaults)
        for key, value in fact.items():
            if key[0] != "_":
                row[key] = value
        day = row.pop("day")
        row["record_key"] = record_key
        row["charge_period_start"] = day
        row["charge_period_end"] = day + ONE_DAY
        self.accounts.setdefault(row["account_key"], None)
        self.buffer.append(row)
        if len(self.buffer) >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self.conn.execute(UsageFact.__table__.insert(), self.buffer)
            self.buffer = []

    def finish(self) -> None:
        self.flush()
        now = dt.datetime.now(dt.UTC)
        rows = [
            {
                "tenant_id": self.tenant.id,
                "source": SOURCE,
                "account_key": key,
                "display_name": None if key == UNATTRIBUTED else key,
                "email": key if "@" in key else None,
                "kind": "unattributed" if key == UNATTRIBUTED else "user",
                "first_seen_at": now,
                "last_seen_at": now,
            }
            for key in self.accounts
        ]
        table = VendorAccount.__table__
        for i in range(0, len(rows), CHUNK_ROWS):
            stmt = upsert_insert(self.conn, table)
            stmt = stmt.on_conflict_do_update(
                index_elements=["tenant_id", "source", "account_key"],
                set_={"last_seen_at": stmt.excluded.last_seen_at},
            )
            self.conn.execute(stmt, rows[i : i + CHUNK_ROWS])


# -- what was imported -----------------------------------------------------------------------------
def list_imports(engine: Engine, tenant: TenantRef, actor: Actor) -> list[dict[str, Any]]:
    """The tenant's imported files, newest first, each with its invoices."""
    require_admin(actor, "listing file imports", tenant)
    with engine.connect() as conn:
        imports = [
            dict(r._mapping)
            for r in conn.execute(
                select(FileImport.__table__)
                .where(FileImport.tenant_id == tenant.id)
                .order_by(FileImport.imported_at.desc(), FileImport.id.desc())
            )
        ]
        invoices = [
            dict(r._mapping)
            for r in conn.execute(
                select(FileImportInvoice.__table__)
                .where(FileImportInvoice.tenant_id == tenant.id)
                .order_by(FileImportInvoice.invoice_id)
            )
        ]
    for record in imports:
        record["invoices"] = [i for i in invoices if i["file_import_id"] == record["id"]]
    return imports


def delete_import(engine: Engine, tenant: TenantRef, actor: Actor, import_id: int) -> int:
    """Remove an import and every fact it wrote (the same file can then be imported again).
    Returns the number of facts removed."""
    require_admin(actor, "deleting a file import", tenant)
    with engine.begin() as conn:
        found = conn.execute(
            select(FileImport.id).where(
                FileImport.tenant_id == tenant.id, FileImport.id == import_id
            )
        ).first()
        if found is None:
            raise NotFound(f"no file import #{import_id}")
        removed = conn.execute(
            delete(UsageFact).where(
                UsageFact.tenant_id == tenant.id, UsageFact.file_import_id == import_id
            )
        ).rowcount
        conn.execute(delete(FileImportInvoice).where(FileImportInvoice.file_import_id == import_id))
        conn.execute(delete(FileImport).where(FileImport.id == import_id))
        _audit(conn, tenant, actor, "file.delete_import", f"#{import_id}", facts=removed)
    return removed
