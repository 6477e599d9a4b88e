"""From the simulator over real HTTP, through `aispend sync` (Dagster in-process), into the
warehouse on SQLite and PostgreSQL, and out through the FOCUS export.

These are the connector framework's promises as a user sees them: billed totals per vendor per
day equal the vendor's to the cent; a second sync changes nothing; a 429/500 storm changes
nothing; a malformed page fails the sync naming the vendor and leaves the earlier data intact.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipelines.cli import main
from warehouse.models import SyncStatus, UsageFact

START, END = dt.date(2026, 9, 1), dt.date(2026, 9, 14)
SOURCES = ("anthropic", "cursor")


@pytest.fixture
def synced_env(tmp_path, warehouse_url, monkeypatch, vendor_simulator):
    monkeypatch.setenv("AISPEND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AISPEND_DATABASE_URL", warehouse_url)
    monkeypatch.setenv("AISPEND_ADMIN_PASSWORD", "correct-horse")
    for key in ("AISPEND_SECRET_KEY", "AISPEND_COOKIE_KEY", "AISPEND_TENANT", "DAGSTER_HOME"):
        monkeypatch.delenv(key, raising=False)
    assert run("init").exit_code == 0
    for source in SOURCES:
        config = dict(vendor_simulator.config(source))
        base_url = config.pop("base_url")
        args = ["vendor", "configure", source, "--base-url", base_url]
        for key, value in config.items():
            args += ["--set", f"{key}={value}"]
        result = run(*args)
        assert result.exit_code == 0, result.output
        assert run("vendor", "test", source).exit_code == 0
    return vendor_simulator


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def sync(start=START, end=END, *extra: str):
    return run("sync", "--start", start.isoformat(), "--end", end.isoformat(), *extra)


def export_rows() -> list[dict]:
    out = run(
        "export", "--format", "focus-csv", "--start", START.isoformat(), "--end", END.isoformat()
    )
    assert out.exit_code == 0, out.output
    return list(csv.DictReader(io.StringIO(out.output)))


def billed_by_vendor_day(rows) -> dict[tuple[str, str], Decimal]:
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in rows:
        if r["x_CostBasis"] == "billed":
            totals[(r["x_Source"], r["ChargePeriodStart"][:10])] += Decimal(r["BilledCost"])
    return dict(totals)


def expected(sim) -> dict[tuple[str, str], Decimal]:
    out = {}
    for source in SOURCES:
        day = START
        while day <= END:
            out[(source, day.isoformat())] = Decimal(
                sim.expected_billed_micros(source, day)
            ).scaleb(-6)
            day += dt.timedelta(days=1)
    return out


def facts(engine):
    with Session(engine) as s:
        return sorted(
            (f.source, f.record_key, f.billed_cost_micros, f.list_cost_micros, f.input_tokens)
            for f in s.scalars(select(UsageFact))
        )


def test_export_matches_the_vendor_to_the_cent_and_a_resync_changes_nothing(synced_env, engine):
    first = sync()
    assert first.exit_code == 0, first.output
    for source in SOURCES:
        assert f"{source}:" in first.output
    rows = export_rows()
    assert billed_by_vendor_day(rows) == expected(synced_env)
    # Estimates are labelled and never billed.
    estimates = [r for r in rows if r["x_CostBasis"] == "estimated"]
    assert estimates and all(Decimal(r["BilledCost"]) == 0 for r in estimates)
    assert all(Decimal(r["ListCost"]) > 0 for r in estimates)
    # Each day has an explicit unattributed remainder row for Anthropic (web search etc.).
    assert any(r["x_AccountKey"] == "unattributed" for r in rows if r["x_Source"] == "anthropic")
    before = facts(engine)

    again = sync()
    assert again.exit_code == 0, again.output
    assert facts(engine) == before


def test_a_429_and_500_storm_gives_the_same_totals(synced_env, engine):
    assert sync().exit_code == 0
    before = facts(engine)
    synced_env.set_faults("cursor", rate_limit_every=2, retry_after=0)
    synced_env.set_faults("anthropic", server_error_every=3)
    stormy = sync()
    assert stormy.exit_code == 0, stormy.output
    assert facts(engine) == before
    assert any(r.status == 429 for r in synced_env.requests_log)
    assert any(r.status >= 500 for r in synced_env.requests_log)


def test_a_malformed_page_fails_naming_the_vendor_and_keeps_earlier_data(synced_env, engine):
    assert sync().exit_code == 0
    before = facts(engine)
    synced_env.set_faults("cursor", malformed_every=1)
    broken = sync()
    assert broken.exit_code == 1
    assert "error: cursor:" in broken.output
    assert "Traceback" not in broken.output
    assert "anthropic:" in broken.output  # the other vendor still synced
    assert facts(engine) == before
    with Session(engine) as s:
        status = {r.source: r for r in s.scalars(select(SyncStatus))}
    assert status["cursor"].last_error and "cursor" in status["cursor"].last_error.lower()
    assert status["anthropic"].last_error in (None, "")
    key = synced_env.config("cursor")["api_key"]
    assert key not in broken.output and key not in (status["cursor"].last_error or "")


def test_wrong_credentials_are_reported_without_the_key(synced_env):
    bad = run("vendor", "configure", "cursor", "--set", "api_key=key_wrong_000000000")
    assert bad.exit_code == 0
    tested = run("vendor", "test", "cursor")
    assert tested.exit_code == 1
    assert "cursor" in tested.output and "key_wrong_000000000" not in tested.output
    failed = sync(START, START, "--source", "cursor")
    assert failed.exit_code == 1 and "error: cursor:" in failed.output
    assert "key_wrong_000000000" not in failed.output


def test_the_vendor_totals_travel_in_their_own_table_and_match_the_facts(synced_env, engine):
    """Anthropic and Cursor report the vendor's own daily totals beside the facts, in
    vendor_billed_totals (never as an account or an activity); the per-person allocation plus
    the remainder equals them exactly, and they equal what the simulator billed."""
    from sqlalchemy import func

    from warehouse.models import ActivityFact, VendorAccount, VendorBilledTotal

    assert sync().exit_code == 0
    with Session(engine) as s:
        for source in SOURCES:
            totals = dict(
                s.execute(
                    select(VendorBilledTotal.day, VendorBilledTotal.billed_cost_micros).where(
                        VendorBilledTotal.source == source
                    )
                ).all()
            )
            billed = dict(
                s.execute(
                    select(UsageFact.charge_period_start, func.sum(UsageFact.billed_cost_micros))
                    .where(UsageFact.source == source, UsageFact.cost_basis == "billed")
                    .group_by(UsageFact.charge_period_start)
                ).all()
            )
            assert len(totals) == (END - START).days + 1
            assert totals == {d: int(v) for d, v in billed.items()}
            assert all(v == synced_env.expected_billed_micros(source, d) for d, v in totals.items())
        accounts = set(s.scalars(select(VendorAccount.account_key)))
        metrics = set(s.scalars(select(ActivityFact.metric)))
    assert not any(a.startswith("x_") for a in accounts), "a control total became an account"
    assert not any(m.startswith("x_") for m in metrics)


def test_the_export_counts_every_token_once(synced_env):
    """Summed token columns of the FOCUS export equal the tokens the vendors processed, each
    once: Claude Code on API billing is not added on top of the Messages usage it repeats."""
    assert sync().exit_code == 0
    rows = export_rows()
    for source in SOURCES:
        exported = sum(
            int(r[column] or 0)
            for r in rows
            if r["x_Source"] == source
            for column in (
                "x_InputTokens",
                "x_OutputTokens",
                "x_CacheReadTokens",
                "x_CacheWriteTokens",
            )
        )
        processed = 0
        day = START
        while day <= END:
            processed += synced_env.expected_tokens(source, day)
            day += dt.timedelta(days=1)
        assert exported == processed, source
