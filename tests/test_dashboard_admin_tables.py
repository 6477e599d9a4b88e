"""The admin tables and labels as people read them: human column names, no None, exact money."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard import admin_tables as t
from dashboard.admin_page import plain
from dashboard.formatting import dollars_text

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def _entry(**over):
    return {
        "id": 7,
        "provider": "GitHub",
        "service": "Copilot Business",
        "description": None,
        "amount_micros": 228_000_000,
        "tokens": None,
        "period_start": dt.date(2026, 10, 1),
        "period_end": dt.date(2026, 10, 31),
        "charge_category": "Purchase",
        "member_id": None,
        "member_name": None,
        "created_by": "ada@example.com",
        "created_at": NOW,
        "updated_by": None,
        "updated_at": None,
        **over,
    }


def test_manual_entries_table_has_human_columns_and_no_none():
    frame = t.manual_entries_frame([_entry(), _entry(tokens=1_234_567, member_name="Ada")])
    assert list(frame.columns) == t.MANUAL_ENTRY_COLUMNS
    assert "None" not in frame.to_string() and "nan" not in frame.to_string()
    first, second = frame.to_dict("records")
    assert first["Member"] == "Team-wide" and first["Tokens"] == "" and first["Note"] == ""
    assert first["Amount"] == "$228.00" and first["Period"] == "2026-10-01 – 2026-10-31"
    assert first["Added by"] == "ada@example.com, 2026-11-20 12:00 UTC"
    assert second["Tokens"] == "1,234,567" and second["Member"] == "Ada"
    assert t.entry_label(_entry()) == (
        "#7 · 2026-10-01 – 2026-10-31 · GitHub Copilot Business · $228.00 · team-wide"
    )


def test_empty_tables_keep_their_columns():
    assert list(t.manual_entries_frame([]).columns) == t.MANUAL_ENTRY_COLUMNS
    assert list(t.members_frame([]).columns) == ["Name", "Email", "Team", "Linked accounts"]
    assert list(t.audit_frame([]).columns) == ["When", "Who", "Action", "Target", "Details"]


def test_audit_details_read_as_sentences():
    detail = {
        "amount_micros": 19_990_000,
        "display_mode": {"old": "named", "new": "anonymous"},
        "accounts": ["cursor:a@x", "anthropic:k1"],
        "fields": [],
        "ok": False,
        "reason": None,
    }
    assert t.detail_text(detail) == (
        "amount: $19.99; display mode: named → anonymous; accounts: cursor:a@x, anthropic:k1; "
        "fields: none; ok: False; reason: "
    )


@pytest.mark.parametrize(
    "delta, shown",
    [
        (dt.timedelta(seconds=5), "just now"),
        (dt.timedelta(minutes=5), "5 min ago"),
        (dt.timedelta(hours=30), "30 h ago"),
        (dt.timedelta(days=3), "3 days ago"),
    ],
)
def test_ago(delta, shown):
    assert t.ago(NOW - delta, NOW) == shown
    assert t.ago(None, NOW) == "never"


def test_labels():
    assert t.field_label("admin_api_key") == "Admin API key"
    assert t.field_label("api_key") == "API key"
    assert t.field_label("base_url") == "Base URL"
    assert t.account_label(
        {"source": "cursor", "account_key": "a@x", "possible_match_name": "Ada"}
    ) == ("cursor · a@x — possible match: Ada")


@pytest.mark.parametrize(
    "micros, text",
    [(228_000_000, "228"), (19_990_000, "19.99"), (1, "0.000001"), (-1_500_000, "-1.5"), (0, "0")],
)
def test_dollars_text_is_exact(micros, text):
    assert dollars_text(micros) == text


def test_plain_text_is_not_markdown():
    assert plain("Linked cursor:a.b@x.com to **Ada** [x](y)") == (
        r"Linked cursor\:a\.b\@x\.com to \*\*Ada\*\* \[x\]\(y\)"
    )


def test_import_problems_are_split_into_row_column_and_problem():
    frame = t.import_problems_frame(
        [
            "row 3, column 'amount': 'twelve' is not an amount",
            "row 12: the row has 5 fields, the header 4",
            "no date column; columns are when, cost",
        ]
    )
    assert frame.to_dict("records") == [
        {"Row": "3", "Column": "amount", "Problem": "'twelve' is not an amount"},
        {"Row": "12", "Column": "", "Problem": "the row has 5 fields, the header 4"},
        {"Row": "", "Column": "", "Problem": "no date column; columns are when, cost"},
    ]


def test_imports_and_invoices_read_as_money_and_periods():
    invoice = {
        "invoice_id": "INV-1",
        "provider": "Acme AI",
        "rows": 2,
        "billed_cost_micros": 40_500_000,
        "stated_total_micros": 40_000_000,
        "period_start": dt.date(2026, 10, 1),
        "period_end": dt.date(2026, 10, 2),
    }
    [row] = t.invoices_frame([invoice]).to_dict("records")
    assert (row["Sum of rows"], row["Stated total"], row["Period"]) == (
        "$40.50",
        "$40.00 (DIFFERS)",
        "2026-10-01 – 2026-10-02",
    )
    record = {
        "id": 4, "filename": "oct.csv", "file_format": "csv", "rows": 1200, "facts": 1300,
        "billed_cost_micros": 40_500_000, "period_start": None, "period_end": None,
        "invoices": [invoice], "imported_by": "ada@example.com", "imported_at": NOW,
    }  # fmt: skip
    [listed] = t.imports_frame([record]).to_dict("records")
    assert (listed["Rows"], listed["Billed"], listed["Period"], listed["Invoices"]) == (
        "1,200",
        "$40.50",
        "",
        "INV-1",
    )
    assert "None" not in t.imports_frame([record]).to_string()


def test_idle_seats_read_with_their_fee_and_last_activity():
    seat = {
        "source": "copilot", "account_key": "octo", "display_name": None, "member": None,
        "seat_fee_micros": 19_000_000, "last_active": dt.date(2026, 9, 14),
    }  # fmt: skip
    assert t.idle_seats_frame([seat]).to_dict("records") == [
        {
            "Vendor": "copilot",
            "Account": "octo",
            "Name": "",
            "Member": "not linked",
            "Seat fees": "$19.00",
            "Last active": "2026-09-14",
        }
    ]
