"""Admin tables as people read them: human column names, dates and money formatted, never
``None``. Pure functions (no Streamlit) from the warehouse services' rows to DataFrames."""

from __future__ import annotations

import datetime as dt
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
