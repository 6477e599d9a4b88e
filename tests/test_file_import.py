"""File import on both databases: any vendor's CSV or JSON export lands as daily facts of source
``file`` with what was detected said out loud; invoices are kept with their sums and stated
totals; the same file twice changes nothing; a bad file is refused with every bad row named and
nothing written; a FOCUS file, aispend's own export included, comes back column for column."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors.contract import FetchBatch, UsageRecord
from warehouse.actors import Actor, PermissionDenied
from warehouse.export import COLUMNS, focus_rows, write_focus_csv
from warehouse.facts import replace_partition
from warehouse.file_imports import ImportRejected, import_file
from warehouse.models import UsageFact, VendorAccount
from warehouse.models_imports import FileImport, FileImportInvoice
from warehouse.tenants import create_tenant

ADMIN = Actor("admin@example.com", "admin")
VIEWER = Actor("viewer@example.com", "viewer")

INVOICE_CSV = """Invoice Date,Vendor,Description,Amount (USD),Invoice #,Invoice Total,User Email,Tokens
2026-10-01,Windsurf,Teams seats October,"$1,200.00",INV-1001,"1,235.50",,
2026-10-02,Windsurf,Extra credits,$35.50,INV-1001,"1,235.50",Ada@Example.com,120000
10/03/2026,Perplexity,API usage,(5.00),INV-77,,grace@example.com,
"""


@pytest.fixture
def tenant(engine):
    return create_tenant(engine, "acme")


def _facts(engine, tenant) -> list[UsageFact]:
    with Session(engine) as s:
        return list(
            s.scalars(
                select(UsageFact)
                .where(UsageFact.tenant_id == tenant.id, UsageFact.source == "file")
                .order_by(UsageFact.charge_period_start, UsageFact.id)
            )
        )


def _count(engine, model) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


def test_an_invoice_csv_is_detected_imported_and_kept_for_reconciliation(engine, tenant, tmp_path):
    path = tmp_path / "invoices.csv"
    path.write_text(INVOICE_CSV)
    result = import_file(engine, tenant, ADMIN, path)
    assert result.detected.roles == {
        "date": "Invoice Date",
        "amount": "Amount (USD)",
        "vendor": "Vendor",
        "description": "Description",
        "tokens": "Tokens",
        "user": "User Email",
        "invoice": "Invoice #",
        "invoice_total": "Invoice Total",
    }
    assert (result.rows, result.facts, result.billed_cost_micros) == (3, 3, 1_230_500_000)
    facts = _facts(engine, tenant)
    assert [(f.provider, f.account_key, f.billed_cost_micros) for f in facts] == [
        ("Windsurf", "unattributed", 1_200_000_000),
        ("Windsurf", "ada@example.com", 35_500_000),
        ("Perplexity", "grace@example.com", -5_000_000),
    ]
    assert [f.charge_period_start.day for f in facts] == [1, 2, 3]  # both date formats
    assert facts[1].input_tokens == 120_000 and facts[0].input_tokens is None
    assert facts[1].tags == {"description": "Extra credits", "invoice_id": "INV-1001"}
    assert {f.source_type for f in facts} == {"file"}
    with Session(engine) as s:
        invoices = {i.invoice_id: i for i in s.scalars(select(FileImportInvoice))}
        accounts = set(s.scalars(select(VendorAccount.account_key)))
    assert invoices["INV-1001"].billed_cost_micros == invoices["INV-1001"].stated_total_micros
    assert invoices["INV-1001"].rows == 2 and invoices["INV-77"].stated_total_micros is None
    assert {"ada@example.com", "grace@example.com"} <= accounts


def test_the_same_file_twice_changes_nothing_and_a_dry_run_writes_nothing(engine, tenant, tmp_path):
    path = tmp_path / "invoices.csv"
    path.write_text(INVOICE_CSV)
    dry = import_file(engine, tenant, ADMIN, path, dry_run=True)
    assert dry.facts == 3 and _count(engine, UsageFact) == 0 and _count(engine, FileImport) == 0
    first = import_file(engine, tenant, ADMIN, path)
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(path.read_bytes())
    again = import_file(engine, tenant, ADMIN, copy)
    assert again.already is not None and again.already["id"] == first.import_id
    assert _count(engine, UsageFact) == 3 and _count(engine, FileImport) == 1


def test_a_garbage_file_names_every_bad_row_and_imports_nothing(engine, tenant, tmp_path):
    path = tmp_path / "garbage.csv"
    path.write_text(
        "date,vendor,amount,currency\n"
        "2026-10-01,Acme,12.00,USD\n"
        "yesterday,Acme,3.00,USD\n"
        "2026-10-03,Acme,lots,USD\n"
        "2026-10-04,Acme,4.00,EUR\n"
        "2026-10-05,Acme,5.00,USD\n"
    )
    with pytest.raises(ImportRejected) as refused:
        import_file(engine, tenant, ADMIN, path)
    message = str(refused.value)
    assert "3 problem(s), nothing was imported" in message
    assert "row 3, column 'date': 'yesterday' is not a date" in message
    assert "row 4, column 'amount': 'lots' is not an amount" in message
    assert "row 5, column 'currency': 'EUR'" in message
    assert _count(engine, UsageFact) == 0 and _count(engine, FileImport) == 0


def test_a_file_without_usable_columns_says_what_it_has(engine, tenant, tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("who,what\nada,lunch\n")
    with pytest.raises(ImportRejected, match=r"no date column; columns are who, what"):
        import_file(engine, tenant, ADMIN, path)
    no_vendor = tmp_path / "usage.csv"
    no_vendor.write_text("day,cost\n2026-10-01,1.50\n")
    with pytest.raises(ImportRejected, match=r"pass --vendor NAME"):
        import_file(engine, tenant, ADMIN, no_vendor)
    header_only = tmp_path / "empty.csv"
    header_only.write_text("date,vendor,amount\n")
    with pytest.raises(ImportRejected, match="no data rows"):
        import_file(engine, tenant, ADMIN, header_only)
    result = import_file(engine, tenant, ADMIN, no_vendor, vendor="Mistral")
    assert [f.provider for f in _facts(engine, tenant)] == ["Mistral"] and result.facts == 1


def test_json_and_ndjson_exports_and_a_period_split_exactly(engine, tenant, tmp_path):
    document = tmp_path / "usage.json"
    document.write_text(
        json.dumps(
            {
                "data": [
                    {
                        "start_date": "2026-10-01",
                        "end_date": "2026-10-03",
                        "provider": "Groq",
                        "cost_usd": 1.0,
                        "email": "ada@example.com",
                        "input_tokens": 10,
                        "output_tokens": 5,
                    }
                ]
            }
        )
    )
    result = import_file(engine, tenant, ADMIN, document)
    assert result.detected.file_format == "json" and result.facts == 3
    facts = _facts(engine, tenant)
    assert [f.billed_cost_micros for f in facts] == [340_000, 330_000, 330_000]
    assert sum(f.input_tokens for f in facts) == 10 and sum(f.output_tokens for f in facts) == 5
    lines = tmp_path / "usage.ndjson"
    lines.write_text(
        '{"date": "2026-10-05", "vendor": "Groq", "amount": "2.25"}\n'
        '{"date": "2026-10-06", "vendor": "Groq", "amount": "0.75"}\n'
    )
    assert import_file(engine, tenant, ADMIN, lines).detected.file_format == "ndjson"
    assert sum(f.billed_cost_micros for f in _facts(engine, tenant)) == 4_000_000


def test_a_viewer_cannot_import(engine, tenant, tmp_path):
    path = tmp_path / "invoices.csv"
    path.write_text(INVOICE_CSV)
    with pytest.raises(PermissionDenied):
        import_file(engine, tenant, VIEWER, path)
    assert _count(engine, UsageFact) == 0


# -- FOCUS ----------------------------------------------------------------------------------------
DAY = dt.date(2026, 10, 7)
RECORDS = [
    UsageRecord(
        DAY,
        "ada@example.com",
        "Claude API",
        "claude-sonnet-4-5",
        billed_cost_micros=1_234_567,
        list_cost_micros=1_500_000,
        input_tokens=1000,
        output_tokens=0,
        cache_read_tokens=None,
        cache_write_tokens=7,
        requests=3,
        consumed_quantity=Decimal("1007"),
        consumed_unit="tokens",
        sub_account="wrkspc_1",
        tags={"project": "search", "team": "core"},
    ),
    UsageRecord(DAY, "unattributed", "Claude API", "storage", billed_cost_micros=10),
    UsageRecord(
        DAY,
        "ada@example.com",
        "Claude Code",
        "claude-code",
        cost_basis="estimated",
        list_cost_micros=2_000_000,
        confidence="medium",
    ),
    UsageRecord(
        DAY,
        "grace@example.com",
        "Copilot",
        "copilot-business-seat",
        charge_category="Purchase",
        billed_cost_micros=0,
        effective_cost_micros=612_903,
        consumed_quantity=Decimal(1),
        consumed_unit="seat",
    ),
    UsageRecord(DAY, "unattributed", "Tax", "vat", charge_category="Tax", billed_cost_micros=99),
]
IGNORED = {"x_Source", "x_OriginSource", "x_MemberName"}  # where this copy came from


def _export(engine, tenant) -> list[dict]:
    out = io.StringIO()
    write_focus_csv(engine, tenant, DAY, DAY, out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_the_focus_export_has_every_mandatory_focus_1_2_column(engine, tenant):
    replace_partition(
        engine, tenant.id, "anthropic", DAY, DAY, [FetchBatch(usage=RECORDS)],
        source_type="api", provider="Anthropic", run_id="r1",
    )  # fmt: skip
    rows = _export(engine, tenant)
    mandatory = {
        "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency",
        "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass",
        "ChargeDescription", "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost",
        "EffectiveCost", "InvoiceIssuerName", "ListCost", "PricingQuantity", "PricingUnit",
        "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
    }  # fmt: skip
    assert mandatory <= set(COLUMNS) and len(rows) == len(RECORDS)
    for row in rows:
        assert row["ListCost"] != "" and row["ContractedCost"] != "" and row["ChargeDescription"]
        assert row["BillingPeriodStart"] == "2026-10-01T00:00:00Z"
        assert row["BillingPeriodEnd"] == "2026-11-01T00:00:00Z"
        assert row["ServiceCategory"] == "AI and Machine Learning" and row["ChargeClass"] == ""
        assert row["BillingAccountId"] == "acme/anthropic"
        taxed = row["ChargeCategory"] == "Tax"
        assert (row["PricingQuantity"] == "") == taxed and (row["PricingUnit"] == "") == taxed
    storage = next(r for r in rows if r["SkuId"] == "storage")
    assert (
        storage["ListCost"] == storage["BilledCost"] and storage["x_ListCostFromBilled"] == "true"
    )
    sonnet = next(r for r in rows if r["SkuId"] == "claude-sonnet-4-5")
    assert json.loads(sonnet["x_Tags"]) == {"project": "search", "team": "core"}
    assert sonnet["SubAccountId"] == "wrkspc_1" and sonnet["x_Requests"] == "3"


def test_aispends_own_focus_export_imports_back_losslessly(engine, tenant, tmp_path):
    replace_partition(
        engine, tenant.id, "anthropic", DAY, DAY, [FetchBatch(usage=RECORDS)],
        source_type="api", provider="Anthropic", run_id="r1",
    )  # fmt: skip
    original = _export(engine, tenant)
    path = tmp_path / "focus.csv"
    with path.open("w", newline="") as fh:
        write_focus_csv(engine, tenant, DAY, DAY, fh)
    result = import_file(engine, tenant, ADMIN, path)
    assert result.detected.is_focus and result.facts == len(RECORDS)
    again = [r for r in _export(engine, tenant) if r["x_Source"] == "file"]

    def comparable(rows, also=()):
        skip = IGNORED | set(also)
        return sorted(
            (tuple((k, v) for k, v in r.items() if k not in skip) for r in rows), key=repr
        )

    assert comparable(again) == comparable(original)
    assert sorted(r["x_OriginSource"] for r in again) == sorted(r["x_Source"] for r in original)
    # and the re-import of the re-export is the same again (x_OriginSource carries the origin)
    second = tmp_path / "focus-again.csv"
    with second.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(again)
    other = create_tenant(engine, "globex")
    import_file(engine, other, ADMIN, second)
    third = list(focus_rows(engine, other, DAY, DAY))
    tenant_columns = ("BillingAccountId", "BillingAccountName")  # the tenant it now belongs to
    assert comparable(third, tenant_columns) == comparable(original, tenant_columns)
    assert {r["x_OriginSource"] for r in third} == {"anthropic"}


def test_aispend_import_prints_what_it_detected_and_refuses_garbage(
    tmp_path, warehouse_url, monkeypatch
):
    from click.testing import CliRunner

    from pipelines.cli import main

    for key in ("AISPEND_SECRET_KEY", "AISPEND_COOKIE_KEY", "AISPEND_TENANT", "DAGSTER_HOME"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AISPEND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AISPEND_DATABASE_URL", warehouse_url)
    monkeypatch.setenv("AISPEND_ADMIN_PASSWORD", "correct-horse")

    def run(*args):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    assert run("init", "--admin-email", "admin@example.com").exit_code == 0
    path = tmp_path / "invoices.csv"
    path.write_text(INVOICE_CSV)
    dry = run("import", str(path), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "date: 'Invoice Date', amount: 'Amount (USD)', vendor: 'Vendor'" in dry.output
    assert "would import 3 rows as 3 daily facts, $1,230.50 billed" in dry.output
    assert "invoice INV-1001: 2 rows, $1,235.50 (stated total $1,235.50: agrees)" in dry.output
    assert run("import", str(path)).exit_code == 0
    again = run("import", str(path))
    assert again.exit_code == 0 and "nothing changed" in again.output
    garbage = tmp_path / "garbage.csv"
    garbage.write_text("date,vendor,amount\n2026-10-01,Acme,x\n")
    refused = run("import", str(garbage), "--vendor", "Acme")
    assert refused.exit_code == 1
    assert "error: garbage.csv: 1 problem(s), nothing was imported" in refused.output
    assert "row 2, column 'amount': 'x' is not an amount" in refused.output


def test_imports_are_listed_and_a_deleted_import_takes_its_facts_along(engine, tenant, tmp_path):
    from warehouse.file_imports import delete_import, list_imports

    path = tmp_path / "invoices.csv"
    path.write_text(INVOICE_CSV)
    first = import_file(engine, tenant, ADMIN, path)
    [listed] = list_imports(engine, tenant, ADMIN)
    assert (listed["filename"], listed["facts"], listed["billed_cost_micros"]) == (
        "invoices.csv",
        3,
        1_230_500_000,
    )
    assert [i["invoice_id"] for i in listed["invoices"]] == ["INV-1001", "INV-77"]
    assert listed["detected"]["amount"] == "Amount (USD)"
    assert delete_import(engine, tenant, ADMIN, first.import_id) == 3
    assert _count(engine, UsageFact) == 0 and list_imports(engine, tenant, ADMIN) == []
    assert import_file(engine, tenant, ADMIN, path).facts == 3  # importable again
    with pytest.raises(PermissionDenied):
        delete_import(engine, tenant, VIEWER, 1)


def test_amounts_as_exports_write_them():
    from warehouse.import_formats import parse_amount

    assert parse_amount("$1,234.50") == (1_234_500_000, "USD")
    assert parse_amount("(12.00)") == (-12_000_000, None)
    assert parse_amount("12 usd") == (12_000_000, "USD")
    assert parse_amount("EUR 3.10") == (3_100_000, "EUR")
    assert parse_amount("0.0000004999") == (0, None)  # a cloud FOCUS file's ten decimals
    assert parse_amount("0.0000015") == (2, None)  # half-even, as connectors round
    for bad in ("12,5", "1.2.3", "lots", ""):
        with pytest.raises(ValueError, match="not an amount"):
            parse_amount(bad)
