"""File import: an invoice or usage export of any vendor, or a FOCUS file, into the fact table.

``import_file(engine, tenant, actor, path, vendor=None, dry_run=False)`` is the one service
(``aispend import`` calls it; the dashboard's upload will too):

1. the file's SHA-256 is looked up: a file imported before changes nothing (``already``);
2. its rows are read by ``warehouse.import_formats`` (CSV, JSON or NDJSON, streamed) and its
   columns detected: date, amount, vendor, description, and where present currency, tokens,
   user or email, invoice id and total; a FOCUS file (aispend's own export included) is read
   column for column, losslessly;
3. every row is checked; rows become daily facts of source ``file`` (a row covering several
   days is split so the days sum to it exactly), written in chunks in one transaction with the
   ``file_imports`` record and its invoices (id, rows, sum, stated total) for reconciliation.

Any bad row rejects the whole file: ``ImportRejected`` lists each problem with its row number
and column, and nothing is written. ``dry_run`` checks and reports without writing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, select

from connectors.contract import UNATTRIBUTED
from connectors.dates import parse_day
from connectors.money import split_over_days
from warehouse import sync_status
from warehouse.actors import Actor, require_admin
from warehouse.errors import InvalidInput, NotFound
from warehouse.import_formats import Detected, detect, parse_amount, read_rows
from warehouse.models import AuditEvent, UsageFact, VendorAccount
from warehouse.models_imports import FileImport, FileImportInvoice
from warehouse.tenants import TenantRef
from warehouse.vendor_totals import upsert_insert

SOURCE = "file"
ONE_DAY = dt.timedelta(days=1)
CHUNK_ROWS = 2000
MAX_LISTED_PROBLEMS = 20
CATEGORIES = ("Usage", "Purchase", "Credit", "Adjustment", "Tax")
TOKEN_COLUMNS = {
    "x_InputTokens": "input_tokens",
    "x_OutputTokens": "output_tokens",
    "x_CacheReadTokens": "cache_read_tokens",
    "x_CacheWriteTokens": "cache_write_tokens",
    "x_Requests": "requests",
}


class ImportRejected(InvalidInput):
    """The file has bad rows (or no usable columns); nothing was imported."""

    def __init__(self, filename: str, problems: list[str], total: int):
        self.problems = problems
        more = f"\n  … and {total - len(problems)} more" if total > len(problems) else ""
        listed = "".join(f"\n  {p}" for p in problems)
        super().__init__(f"{filename}: {total} problem(s), nothing was imported:{listed}{more}")


class RowProblem(ValueError):
    def __init__(self, column: str | None, problem: str):
        self.column = column
        super().__init__(problem)


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


# -- rows to facts -------------------------------------------------------------------------------
def _cell(row: dict[str, str], column: str | None) -> str:
    return (row.get(column) or "").strip() if column else ""


def _day(row: dict[str, str], column: str) -> dt.date:
    text = _cell(row, column)
    try:
        return parse_day(text)
    except (ValueError, TypeError):
        raise RowProblem(column, f"{text!r} is not a date") from None


def _money(row: dict[str, str], column: str, *, required: bool = True) -> int | None:
    text = _cell(row, column)
    if not text:
        if required:
            raise RowProblem(column, "is empty, not an amount")
        return None
    try:
        micros, currency = parse_amount(text)
    except ValueError as exc:
        raise RowProblem(column, str(exc)) from None
    if currency not in (None, "USD"):
        raise RowProblem(column, f"{text!r} is in {currency}: only USD amounts can be imported")
    return micros


def _count(row: dict[str, str], column: str | None) -> int | None:
    text = _cell(row, column).replace(",", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise RowProblem(column, f"{text!r} is not a whole number") from None
    if not value.is_finite() or value != value.to_integral_value() or value < 0:
        raise RowProblem(column, f"{text!r} is not a whole number >= 0")
    return int(value)


def _quantity(row: dict[str, str], column: str) -> Decimal | None:
    text = _cell(row, column)
    if not text:
        return None
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise RowProblem(column, f"{text!r} is not a number") from None
    if not value.is_finite():
        raise RowProblem(column, f"{text!r} is not a number")
    return value


def _days_of(start: dt.date, end_inclusive: dt.date, column: str) -> list[dt.date]:
    if end_inclusive < start:
        raise RowProblem(column, f"ends ({end_inclusive}) before it starts ({start})")
    if (end_inclusive - start).days > 3660:
        raise RowProblem(column, "covers more than ten years")
    return [start + dt.timedelta(days=i) for i in range((end_inclusive - start).days + 1)]


def _spread(value: int | None, day_list: list[dt.date], step: int) -> list[int | None]:
    if value is None:
        return [None] * len(day_list)
    if len(day_list) == 1:
        return [value]
    return [part for _, part in split_over_days(value, day_list[0], day_list[-1], step=step)]


def _generic_facts(row: dict[str, str], found: Detected, vendor: str | None) -> list[dict]:
    roles = found.roles
    start = _day(row, roles["date"])
    end = _day(row, roles["end_date"]) if _cell(row, roles.get("end_date")) else start
    day_list = _days_of(start, end, roles.get("end_date", roles["date"]))
    amount = _money(row, roles["amount"])
    if "currency" in roles:
        code = _cell(row, roles["currency"]).upper()
        if code and code != "USD":
            raise RowProblem(roles["currency"], f"{code!r}: only USD amounts can be imported")
    provider = _cell(row, roles.get("vendor")) or vendor
    if not provider:
        raise RowProblem(roles.get("vendor"), "names no vendor (pass --vendor NAME)")
    description = _cell(row, roles.get("description"))
    service = _cell(row, roles.get("service")) or provider
    sku = _cell(row, roles.get("sku")) or description or service
    user = _cell(row, roles.get("user"))
    account = (user.lower() if "@" in user else user) or UNATTRIBUTED
    tokens = _count(row, roles.get("tokens"))
    input_tokens = _count(row, roles.get("input_tokens"))
    if tokens is not None and input_tokens is None:
        input_tokens = tokens  # a total with no kind is booked as input, as manual entries are
    output_tokens = _count(row, roles.get("output_tokens"))
    tags = {}
    if description:
        tags["description"] = description
    invoice = _cell(row, roles.get("invoice"))
    if invoice:
        tags["invoice_id"] = invoice
    base = {
        "account_key": account[:320],
        "provider": provider[:64],
        "service": service[:128],
        "sku": sku[:200],
        "charge_category": "Usage",
        "cost_basis": "billed",
        "confidence": "medium",
        "currency": "USD",
        "tags": tags or None,
        "_invoice_id": invoice or None,
        "_stated_total": _money(row, roles["invoice_total"], required=False)
        if "invoice_total" in roles
        else None,
    }
    out = []
    for day, billed, inp, outp in zip(
        day_list,
        _spread(amount, day_list, 10_000),
        _spread(input_tokens, day_list, 1),
        _spread(output_tokens, day_list, 1),
        strict=True,
    ):
        out.append(
            {
                **base,
                "day": day,
                "billed_cost_micros": billed,
                "input_tokens": inp,
                "output_tokens": outp,
            }
        )
    return out


def _focus_facts(row: dict[str, str]) -> list[dict]:
    """A FOCUS row, column for column (aispend's own ``x_`` columns restore what it knew)."""
    start = _day(row, "ChargePeriodStart")
    end = _day(row, "ChargePeriodEnd") if _cell(row, "ChargePeriodEnd") else start
    last = end - dt.timedelta(days=1) if end > start else start  # FOCUS ends are exclusive
    day_list = _days_of(start, last, "ChargePeriodEnd")
    category = _cell(row, "ChargeCategory") or "Usage"
    if category not in CATEGORIES:
        raise RowProblem("ChargeCategory", f"{category!r} is not one of {', '.join(CATEGORIES)}")
    currency = _cell(row, "BillingCurrency") or "USD"
    if currency.upper() != "USD":
        raise RowProblem("BillingCurrency", f"{currency!r}: only USD amounts can be imported")
    basis = _cell(row, "x_CostBasis") or "billed"
    if basis not in ("billed", "estimated"):
        raise RowProblem("x_CostBasis", f"{basis!r} is not billed or estimated")
    confidence = _cell(row, "x_Confidence") or "medium"
    if confidence not in ("high", "medium", "low"):
        raise RowProblem("x_Confidence", f"{confidence!r} is not high, medium or low")
    billed = _money(row, "BilledCost")
    effective = _money(row, "EffectiveCost", required=False)
    list_cost = _money(row, "ListCost", required=False)
    if _cell(row, "x_ListCostFromBilled").lower() == "true":
        list_cost = None
    tags_text = _cell(row, "x_Tags")
    try:
        tags = json.loads(tags_text) if tags_text else None
    except json.JSONDecodeError:
        raise RowProblem("x_Tags", "is not JSON") from None
    if tags is not None and not isinstance(tags, dict):
        raise RowProblem("x_Tags", "is not a JSON object")
    provider = _cell(row, "ProviderName")
    if not provider:
        raise RowProblem("ProviderName", "is empty")
    base = {
        "account_key": _cell(row, "x_AccountKey") or UNATTRIBUTED,
        "provider": provider[:64],
        "service": (_cell(row, "ServiceName") or provider)[:128],
        "sku": _cell(row, "SkuId")[:200],
        "charge_category": category,
        "cost_basis": basis,
        "confidence": confidence,
        "currency": currency.upper(),
        "consumed_unit": _cell(row, "ConsumedUnit") or None,
        "sub_account": _cell(row, "SubAccountId") or None,
        "tags": tags,
        "origin_source": _cell(row, "x_OriginSource") or _cell(row, "x_Source") or None,
        "_invoice_id": _cell(row, "InvoiceId") or (tags or {}).get("invoice_id"),
    }
    spread = {
        "billed_cost_micros": _spread(billed, day_list, 1),
        "effective_cost_micros": _spread(effective, day_list, 1),
        "list_cost_micros": _spread(list_cost, day_list, 1),
    }
    quantity = _quantity(row, "ConsumedQuantity")
    for column, name in TOKEN_COLUMNS.items():
        spread[name] = _spread(_count(row, column), day_list, 1)
    out = []
    for i, day in enumerate(day_list):
        fact = {**base, "day": day, **{k: v[i] for k, v in spread.items()}}
        fact["consumed_quantity"] = quantity if len(day_list) == 1 else None
        out.append(fact)
    return out


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


def _rows_to_facts(
    rows: Iterator[tuple[int, dict[str, str]]], found: Detected, vendor: str | None
) -> Iterator[tuple[int, list[dict] | None, RowProblem | None]]:
    for number, row in rows:
        try:
            facts = _focus_facts(row) if found.is_focus else _generic_facts(row, found, vendor)
        except RowProblem as problem:
            yield number, None, problem
            continue
        yield number, facts, None


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
        for number, facts, problem in _rows_to_facts(rows, found, vendor):
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
