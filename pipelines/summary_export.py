"""`aispend export --format csv|json`: the month's per-member summary as a file, audited.

Money is exact: dollars with six decimals beside the integer micro-dollars; tokens empty
(CSV) or null (JSON) when unknown. The rows (members, then "unattributed") sum to the tenant's
billed total for the month, which the FOCUS export's BilledCost sums to over the same days.
Emails are in it, so only admins export it; every export is an audit event.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from sqlalchemy import Engine

from dashboard.queries import mart_exists
from pipelines.member_summary import UNATTRIBUTED, MemberSummary, member_summary
from warehouse import audit
from warehouse.actors import Actor, require_admin
from warehouse.errors import InvalidInput
from warehouse.export import money
from warehouse.tenants import TenantRef

FORMATS = ("csv", "json")
PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
CSV_COLUMNS = [
    "kind",
    "member_id",
    "name",
    "email",
    "team",
    "billed_usd",
    "billed_micros",
    "tokens",
    "active_days",
    "rank",
    "tools",
]


def _blank(value: Any) -> Any:
    return "" if value is None else value


def _records(summary: MemberSummary) -> list[dict[str, Any]]:
    return [
        {
            "kind": "member" if r.member_id is not None else UNATTRIBUTED,
            "member_id": r.member_id,
            "name": r.name,
            "email": r.email,
            "team": r.team,
            "billed_usd": money(r.billed_micros),
            "billed_micros": r.billed_micros,
            "tokens": r.tokens,
            "active_days": r.active_days,
            "rank": r.rank,
            "tools": list(r.tools),
        }
        for r in summary.rows
    ]


def render(summary: MemberSummary, fmt: str) -> str:
    """The summary as CSV (one row per member plus the unattributed row) or JSON."""
    records = _records(summary)
    if fmt == "json":
        body = {
            "period": summary.period,
            "currency": "USD",
            "billed_total_usd": money(summary.billed_total_micros),
            "billed_total_micros": summary.billed_total_micros,
            "rows": records,
        }
        return json.dumps(body, indent=2, ensure_ascii=False) + "\n"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(
            {k: _blank(v) for k, v in record.items()} | {"tools": "; ".join(record["tools"])}
        )
    return out.getvalue()


def export_member_summary(
    engine: Engine, tenant: TenantRef, actor: Actor, period: str, fmt: str
) -> str:
    """The rendered summary for ``period`` ('YYYY-MM'), after auditing the export."""
    require_admin(actor, "exporting the member summary", tenant)
    if fmt not in FORMATS:
        raise InvalidInput(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    if not PERIOD.match(period):
        raise InvalidInput(f"period {period!r} is not a month (YYYY-MM)")
    if not mart_exists(engine):
        raise ValueError("the spend mart is not built yet: run `aispend sync` first")
    summary = member_summary(engine, tenant, period)
    unattributed = summary.rows[-1].billed_micros
    if unattributed < 0:
        raise ValueError(
            f"the spend mart is behind the facts for {period}: run `aispend sync` to refresh it"
        )
    text = render(summary, fmt)
    audit.record_read(
        engine,
        tenant,
        actor,
        "export.member_summary",
        period,
        format=fmt,
        rows=len(summary.rows),
        billed_total_micros=summary.billed_total_micros,
    )
    return text
