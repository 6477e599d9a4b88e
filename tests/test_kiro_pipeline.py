"""Kiro through the whole pipeline on both databases, configured as an admin would (a folder
setting, no credentials) and synced through Dagster: the FOCUS export's billed total per day
equals what the simulated team was billed, and the folder is the only thing it reads."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal

from click.testing import CliRunner

from connectors.dates import days
from connectors.simulator.kiro import KiroReports
from pipelines.cli import main

START = dt.date(2026, 10, 20)
END = dt.date(2026, 11, 5)
REPORTS = KiroReports(seed=11, members=6, start=START, days=(END - START).days + 1)


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_kiro_synced_through_dagster_matches_the_bill(tmp_path, warehouse_url, monkeypatch):
    for key in ("AISPEND_SECRET_KEY", "AISPEND_COOKIE_KEY", "AISPEND_TENANT", "DAGSTER_HOME"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AISPEND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AISPEND_DATABASE_URL", warehouse_url)
    monkeypatch.setenv("AISPEND_ADMIN_PASSWORD", "correct-horse")
    folder = tmp_path / "kiro-bucket"
    REPORTS.write(folder)
    assert run("init", "--admin-email", "admin@example.com").exit_code == 0
    configured = run("vendor", "configure", "kiro", "--set", f"folder={folder}")
    assert configured.exit_code == 0, configured.output
    tested = run("vendor", "test", "kiro")
    assert tested.exit_code == 0 and "report files" in tested.output, tested.output
    synced = run("sync", "--source", "kiro", "--start", START.isoformat(), "--end", END.isoformat())
    assert synced.exit_code == 0, synced.output
    out = run(
        "export", "--format", "focus-csv", "--start", START.isoformat(), "--end", END.isoformat()
    )
    rows = list(csv.DictReader(io.StringIO(out.output)))
    billed: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        assert row["x_Source"] == "kiro" and row["ProviderName"] == "Kiro"
        billed[row["ChargePeriodStart"][:10]] += Decimal(row["BilledCost"])
    assert billed == {
        d.isoformat(): Decimal(REPORTS.expected_billed_micros(d)).scaleb(-6)
        for d in days(START, END)
        if REPORTS.expected_billed_micros(d)
    }
    assert {r["x_Confidence"] for r in rows} == {"medium"}
    assert {r["ConsumedUnit"] for r in rows if r["ChargeCategory"] == "Usage"} == {"credits"}
