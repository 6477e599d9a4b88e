"""`aispend export --format csv|json --period` on SQLite and PostgreSQL: the per-member summary
as the Overview shows it, summing to the FOCUS export's BilledCost to the cent, unknown tokens
left empty, every export audited (the FOCUS one too)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal

import dagster as dg
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from suggestion_seed import PERIOD, seed_team, usage

from dashboard.board_queries import team_board
from pipelines.cli import main
from pipelines.sync import refresh_marts
from warehouse import identities, members
from warehouse.actors import SYSTEM
from warehouse.models import AuditEvent, VendorAccount
from warehouse.settings import Settings

D = 1_000_000


@pytest.fixture
def team(engine: Engine, warehouse_url, tmp_path, monkeypatch):
    """The suggestion seed's team plus Dee, whose seat fee reports no tokens; marts built."""
    tenant, ids = seed_team(engine)
    ids["Dee"] = members.create_member(
        engine, tenant, SYSTEM, display_name="Dee Seat", email="dee@acme.example", team="Data"
    )
    with Session(engine) as s, s.begin():
        account = VendorAccount(
            tenant_id=tenant.id, source="cursor", account_key="dee@acme.example", kind="user"
        )
        s.add(account)
        # $20.123457 for a seat: six decimals, and no token count at all (unknown, not zero).
        s.add(usage(tenant, "cursor", "dee@acme.example", dt.date(2026, 10, 1),
                    service="Cursor", sku="pro-seat", billed=20_123_457))  # fmt: skip
        s.flush()
        account_id = account.id
    identities.link_account(engine, tenant, SYSTEM, account_id, ids["Dee"])
    home = tmp_path / "home"
    for key in ("AISPEND_SECRET_KEY", "AISPEND_COOKIE_KEY", "AISPEND_TENANT", "DAGSTER_HOME"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AISPEND_HOME", str(home))
    monkeypatch.setenv("AISPEND_DATABASE_URL", warehouse_url)
    settings = Settings.from_env({"AISPEND_HOME": str(home), "AISPEND_DATABASE_URL": warehouse_url})
    refresh_marts(settings, instance=dg.DagsterInstance.ephemeral())
    return tenant, ids


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _audits(engine: Engine, action: str) -> list[AuditEvent]:
    with Session(engine) as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_csv_summary_sums_to_the_focus_export_to_the_cent(engine: Engine, team, tmp_path) -> None:
    tenant, ids = team
    summary_file, focus_file = tmp_path / "summary.csv", tmp_path / "focus.csv"
    done = run("export", "--format", "csv", "--period", PERIOD, "--tenant", "acme",
               "--out", str(summary_file))  # fmt: skip
    assert done.exit_code == 0, done.output
    focus = run("export", "--format", "focus-csv", "--start", "2026-10-01", "--end", "2026-10-31",
                "--tenant", "acme", "--out", str(focus_file))  # fmt: skip
    assert focus.exit_code == 0, focus.output

    rows = list(csv.DictReader(summary_file.open(newline="")))
    by_name = {r["name"]: r for r in rows}
    assert [r["name"] for r in rows] == [
        "Bob Babbage", "Ada Lovelace", "Dee Seat", "Cy Clone", "unattributed",
    ]  # fmt: skip
    bob, ada, dee, cy, rest = rows
    assert (bob["email"], bob["team"], bob["billed_usd"], bob["billed_micros"]) == (
        "bob@acme.example", "Platform", "50.000000", str(50 * D),
    )  # fmt: skip
    assert (bob["tokens"], bob["active_days"], bob["rank"], bob["tools"]) == (
        "2000",
        "1",
        "1",
        "Cursor",
    )
    # Ada: billed Claude API only (her estimated Claude Code is no spend); tokens counted once.
    assert ada["billed_micros"] == str(30 * D) and ada["tokens"] == str(1_100_000 + 1_500)
    assert ada["tools"] == "Claude API; Claude Code"
    assert (dee["billed_usd"], dee["tokens"], dee["rank"]) == ("20.123457", "", "3")  # unknown
    assert (cy["billed_micros"], cy["tokens"], cy["rank"], cy["active_days"]) == ("0", "", "", "0")
    assert (rest["kind"], rest["billed_micros"], rest["email"]) == (
        "unattributed",
        str(999 * D),
        "",
    )

    total = sum(Decimal(r["billed_usd"]) for r in rows)
    assert sum(int(r["billed_micros"]) for r in rows) == 1_099_123_457
    with focus_file.open(newline="") as fh:
        focus_total = sum(Decimal(r["BilledCost"]) for r in csv.DictReader(fh))
    assert total == focus_total == Decimal("1099.123457")
    assert total.quantize(Decimal("0.01")) == focus_total.quantize(Decimal("0.01"))
    # Exactly what the Overview shows.
    board = team_board(engine, tenant, SYSTEM, PERIOD)
    assert int(rest["billed_micros"]) == board.unattributed_micros
    assert {c.name: c.spend_micros for c in board.members} == {
        n: int(r["billed_micros"])
        for n, r in by_name.items()
        if r["kind"] == "member" and n != "Cy Clone"
    }

    (event,) = _audits(engine, "export.member_summary")
    assert (
        event.actor.startswith("cli:") and event.target == PERIOD and event.tenant_id == tenant.id
    )
    assert event.detail == {"format": "csv", "rows": 5, "billed_total_micros": 1_099_123_457}
    (focus_event,) = _audits(engine, "export.focus_csv")
    assert focus_event.target == "2026-10-01..2026-10-31" and focus_event.detail["rows"] > 0


def test_json_summary_keeps_unknown_tokens_null_and_is_audited(engine: Engine, team) -> None:
    done = run("export", "--format", "json", "--period", PERIOD, "--tenant", "acme")
    assert done.exit_code == 0, done.output
    body = json.loads(done.output)
    assert body["period"] == PERIOD and body["billed_total_usd"] == "1099.123457"
    assert sum(r["billed_micros"] for r in body["rows"]) == body["billed_total_micros"]
    rows = {r["name"]: r for r in body["rows"]}
    assert rows["Dee Seat"]["tokens"] is None and rows["Cy Clone"]["tokens"] is None
    assert rows["unattributed"]["tokens"] is None and rows["unattributed"]["rank"] is None
    assert rows["Bob Babbage"]["tokens"] == 2_000 and rows["Bob Babbage"]["tools"] == ["Cursor"]
    assert all(isinstance(r["billed_micros"], int) for r in body["rows"])
    (event,) = _audits(engine, "export.member_summary")
    assert event.detail["format"] == "json"


def test_bad_requests_are_one_clear_error_and_write_nothing(engine: Engine, team, tmp_path) -> None:
    out = tmp_path / "x.csv"
    bad = run("export", "--format", "csv", "--period", "2026-13", "--tenant", "acme",
              "--out", str(out))  # fmt: skip
    assert bad.exit_code == 1 and "is not a month (YYYY-MM)" in bad.output
    mixed = run("export", "--format", "json", "--start", "2026-10-01", "--tenant", "acme")
    assert mixed.exit_code == 2 and "--period" in mixed.output
    missing = run("export", "--format", "focus-csv", "--period", PERIOD, "--tenant", "acme")
    assert missing.exit_code == 2 and "--start and --end" in missing.output
    assert not out.exists() and not list(tmp_path.glob(".x.csv*"))
    assert _audits(engine, "export.member_summary") == []
