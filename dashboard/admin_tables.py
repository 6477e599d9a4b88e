"""Admin tables as people read them: human column names, dates and money formatted, never
``None``. Pure functions (no Streamlit) from the warehouse services' rows to DataFrames."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from dashboard.formatting import usd

NO_MEMBER = "Team-wide"


def text(value: Any) -> str:
    return "" if value is None else str(value)


def when(value: dt.datetime | None) -> str:
    """A timestamp in UTC to the minute, "" when missing."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def ago(value: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """ "5 min ago", "3 h ago", "2 days ago"; "never" when missing."""
    if value is None:
        return "never"
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    seconds = max(0, int(((now or dt.datetime.now(dt.UTC)) - value).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


ACRONYMS = {"api": "API", "url": "URL", "id": "ID", "sso": "SSO", "oauth": "OAuth"}


def field_label(name: str) -> str:
    """A credential field's name as a form label: "admin_api_key" → "Admin API key"."""
    words = [ACRONYMS.get(w, w) for w in name.split("_")]
    return " ".join([words[0][:1].upper() + words[0][1:], *words[1:]])


def period(start: dt.date, end: dt.date) -> str:
    return start.isoformat() if start == end else f"{start.isoformat()} – {end.isoformat()}"


def tokens(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def detail_text(detail: Mapping[str, Any] | None) -> str:
    """An audit event's detail as "key: value" pairs; micro-dollar amounts as dollars."""
    parts = []
    for key, value in (detail or {}).items():
        if key.endswith("_micros") and isinstance(value, int):
            key, value = key.removesuffix("_micros"), usd(value)
        elif isinstance(value, dict) and set(value) == {"old", "new"}:
            value = f"{value['old']} → {value['new']}"
        elif isinstance(value, list | tuple):
            value = ", ".join(map(str, value)) or "none"
        parts.append(f"{key.replace('_', ' ')}: {text(value)}")
    return "; ".join(parts)


def _frame(rows: Iterable[dict[str, str]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=columns, dtype="str")


MANUAL_ENTRY_COLUMNS = [
    "Period",
    "Member",
    "Vendor",
    "Product",
    "Amount",
    "Tokens",
    "Category",
    "Note",
    "Added by",
    "Last changed",
]


def manual_entries_frame(entries: Iterable[dict]) -> pd.DataFrame:
    return _frame(
        (
            {
                "Period": period(e["period_start"], e["period_end"]),
                "Member": e["member_name"] or NO_MEMBER,
                "Vendor": e["provider"],
                "Product": e["service"],
                "Amount": usd(e["amount_micros"]),
                "Tokens": tokens(e["tokens"]),
                "Category": e["charge_category"],
                "Note": text(e["description"]),
                "Added by": f"{e['created_by']}, {when(e['created_at'])}",
                "Last changed": (
                    f"{e['updated_by']}, {when(e['updated_at'])}" if e["updated_by"] else ""
                ),
            }
            for e in entries
        ),
        MANUAL_ENTRY_COLUMNS,
    )


def entry_label(e: dict) -> str:
    who = e["member_name"] or NO_MEMBER.lower()
    return (
        f"#{e['id']} · {period(e['period_start'], e['period_end'])} · {e['provider']} "
        f"{e['service']} · {usd(e['amount_micros'])} · {who}"
    )


def members_frame(members: Iterable[dict]) -> pd.DataFrame:
    return _frame(
        (
            {
                "Name": m["display_name"],
                "Email": text(m["email"]),
                "Team": text(m["team"]),
                "Linked accounts": ", ".join(m["accounts"]),
            }
            for m in members
        ),
        ["Name", "Email", "Team", "Linked accounts"],
    )


def member_label(m: dict) -> str:
    return f"{m['display_name']} <{m['email']}>" if m["email"] else m["display_name"]


def unlinked_frame(accounts: Iterable[dict]) -> pd.DataFrame:
    return _frame(
        (
            {
                "Account": a["account_key"],
                "Name": text(a["display_name"]),
                "Email": text(a["email"]),
                "Kind": a["kind"].replace("_", " "),
                "Possible match": text(a["possible_match_name"]),
            }
            for a in accounts
        ),
        ["Account", "Name", "Email", "Kind", "Possible match"],
    )


def account_label(a: dict) -> str:
    label = f"{a['source']} · {a['account_key']}"
    if a.get("possible_match_name"):
        label += f" — possible match: {a['possible_match_name']}"
    return label


def linked_frame(accounts: Iterable[dict]) -> pd.DataFrame:
    return _frame(
        (
            {
                "Vendor": a["source"],
                "Account": a["account_key"],
                "Member": text(a["member_name"]),
            }
            for a in accounts
        ),
        ["Vendor", "Account", "Member"],
    )


def users_frame(users: Iterable[dict]) -> pd.DataFrame:
    return _frame(
        (
            {
                "Email": u["email"],
                "Name": text(u["name"]),
                "Role": u["role"],
                "Created": when(u["created_at"]),
            }
            for u in users
        ),
        ["Email", "Name", "Role", "Created"],
    )


def audit_frame(events: Iterable[dict]) -> pd.DataFrame:
    return _frame(
        (
            {
                "When": when(e["at"]),
                "Who": e["actor"],
                "Action": e["action"],
                "Target": text(e["target"]),
                "Details": detail_text(e["detail"]),
            }
            for e in events
        ),
        ["When", "Who", "Action", "Target", "Details"],
    )


def idle_seats_frame(seats: Iterable[dict]) -> pd.DataFrame:
    return _frame(
        (
            {
                "Vendor": s["source"],
                "Account": s["account_key"],
                "Name": text(s["display_name"]),
                "Member": s["member"] or "not linked",
                "Seat fees": usd(s["seat_fee_micros"]),
                "Last active": s["last_active"].isoformat() if s["last_active"] else "never",
            }
            for s in seats
        ),
        ["Vendor", "Account", "Name", "Member", "Seat fees", "Last active"],
    )


PROBLEM = re.compile(r"^row (?P<row>\d+)(?:, column '(?P<column>[^']*)')?: (?P<problem>.*)$", re.S)


def import_problems_frame(problems: Iterable[str]) -> pd.DataFrame:
    """``ImportRejected.problems`` ("row 3, column 'Amount': …") as Row, Column, Problem."""
    rows = []
    for line in problems:
        found = PROBLEM.match(line)
        parts = found.groupdict() if found else {"row": "", "column": None, "problem": line}
        rows.append(
            {"Row": parts["row"], "Column": text(parts["column"]), "Problem": parts["problem"]}
        )
    return _frame(rows, ["Row", "Column", "Problem"])


def detected_frame(roles: Mapping[str, str], sniffed: Iterable[str] = ()) -> pd.DataFrame:
    """What each column of an imported file was taken for."""
    by_values = set(sniffed)
    return _frame(
        (
            {
                "Meaning": role.replace("_", " "),
                "Column": column,
                "Found by": "its values" if role in by_values else "its name",
            }
            for role, column in roles.items()
        ),
        ["Meaning", "Column", "Found by"],
    )


def invoices_frame(invoices: Iterable[dict]) -> pd.DataFrame:
    def stated(i: dict) -> str:
        total = i["stated_total_micros"]
        if total is None:
            return ""
        return usd(total) + (" (agrees)" if total == i["billed_cost_micros"] else " (DIFFERS)")

    return _frame(
        (
            {
                "Invoice": i["invoice_id"],
                "Vendor": i["provider"],
                "Rows": str(i["rows"]),
                "Sum of rows": usd(i["billed_cost_micros"]),
                "Stated total": stated(i),
                "Period": period(i["period_start"], i["period_end"]),
            }
            for i in invoices
        ),
        ["Invoice", "Vendor", "Rows", "Sum of rows", "Stated total", "Period"],
    )


def imports_frame(imports: Iterable[dict]) -> pd.DataFrame:
    return _frame(
        (
            {
                "#": str(i["id"]),
                "File": i["filename"],
                "Format": i["file_format"],
                "Rows": f"{i['rows']:,}",
                "Daily facts": f"{i['facts']:,}",
                "Billed": usd(i["billed_cost_micros"]),
                "Period": period(i["period_start"], i["period_end"]) if i["period_start"] else "",
                "Invoices": ", ".join(v["invoice_id"] for v in i["invoices"]),
                "Imported": f"{i['imported_by']}, {when(i['imported_at'])}",
            }
            for i in imports
        ),
        ["#", "File", "Format", "Rows", "Daily facts", "Billed", "Period", "Invoices", "Imported"],
    )
