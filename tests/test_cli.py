"""The aispend CLI on both databases: init is idempotent, errors are one clear line."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipelines.cli import main
from warehouse import manual_entries, members
from warehouse.actors import Actor
from warehouse.models import AuditEvent, Credential, Tenant, User
from warehouse.tenants import get_tenant

ADMIN = Actor("t@example.com", "admin")


@pytest.fixture
def cli_env(tmp_path, warehouse_url, monkeypatch):
    home = tmp_path / "home"
    env = {
        "AISPEND_HOME": str(home),
        "AISPEND_DATABASE_URL": warehouse_url,
        "AISPEND_ADMIN_PASSWORD": "correct-horse",
    }
    for key in ("AISPEND_SECRET_KEY", "AISPEND_COOKIE_KEY", "AISPEND_TENANT", "DAGSTER_HOME"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def _counts(engine):
    with Session(engine) as s:
        return (
            s.scalar(select(func.count()).select_from(Tenant)),
            s.scalar(select(func.count()).select_from(User)),
            s.scalar(select(func.count()).select_from(AuditEvent)),
        )


def test_init_twice_is_harmless(cli_env, engine):
    first = run("init", "--tenant", "acme", "--admin-email", "boss@acme.example")
    assert first.exit_code == 0, first.output
    assert "boss@acme.example (created)" in first.output
    dotenv = Path(cli_env["AISPEND_HOME"]) / ".env"
    assert stat.S_IMODE(dotenv.stat().st_mode) == 0o600
    text = dotenv.read_text()
    assert "AISPEND_SECRET_KEY=" in text and "AISPEND_COOKIE_KEY=" in text
    counts = _counts(engine)

    second = run("init", "--tenant", "acme", "--admin-email", "boss@acme.example")
    assert second.exit_code == 0, second.output
    assert "already exists" in second.output
    assert dotenv.read_text() == text  # keys are not regenerated
    assert _counts(engine) == counts


def test_user_add_and_duplicate_is_one_line(cli_env, engine):
    assert run("init").exit_code == 0
    ok = run(
        "user", "add", "v@example.com", "--role", "viewer", "--password-stdin", input="password-v\n"
    )
    assert ok.exit_code == 0, ok.output
    dup = run(
        "user", "add", "v@example.com", "--role", "viewer", "--password-stdin", input="password-v\n"
    )
    assert dup.exit_code == 1
    assert dup.output.strip().splitlines() == [
        "error: user v@example.com already exists in tenant 'default'"
    ]


def test_unknown_tenant_is_a_clear_error(cli_env):
    run("init")
    result = run(
        "export",
        "--format",
        "focus-csv",
        "--start",
        "2026-01-01",
        "--end",
        "2026-01-31",
        "--tenant",
        "nope",
    )
    assert result.exit_code == 1
    assert "no tenant 'nope'" in result.output and "Traceback" not in result.output


def test_vendor_configure_stores_encrypted_and_shows_masked(cli_env, engine):
    run("init")
    result = run(
        "vendor",
        "configure",
        "cursor",
        "--set",
        "api_key=key_live_supersecret_4321",
        "--base-url",
        "http://127.0.0.1:9/cursor",
    )
    assert result.exit_code == 0, result.output
    assert "supersecret" not in result.output and "••••4321" in result.output
    with Session(engine) as s:
        stored = " ".join(c.ciphertext for c in s.scalars(select(Credential)))
    assert "supersecret" not in stored
    bad = run("vendor", "configure", "cursor", "--set", "token=abc")
    assert bad.exit_code != 0 and "has no field 'token'" in bad.output


def test_manual_entry_exports_as_focus_csv(cli_env, engine):
    run("init")
    tenant = get_tenant(engine, "default")
    m = members.create_member(engine, tenant, ADMIN, display_name="Ada Lovelace")
    manual_entries.create_entry(
        engine,
        tenant,
        ADMIN,
        provider="GitHub",
        service="Copilot seats",
        amount="100.00",
        period_start=dt.date(2026, 10, 1),
        period_end=dt.date(2026, 10, 31),
        member_id=m,
    )
    synced = run("sync", "--source", "manual", "--start", "2026-10-01", "--end", "2026-10-31")
    assert synced.exit_code == 0, synced.output
    assert re.search(r"^manual\s+31\s+31\s+[\d.]+\s+ok$", synced.output, re.M), synced.output
    out = run("export", "--format", "focus-csv", "--start", "2026-10-01", "--end", "2026-10-31")
    assert out.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.output)))
    assert len(rows) == 31
    assert list(rows[0])[:3] == ["BilledCost", "EffectiveCost", "ListCost"]
    from decimal import Decimal

    assert sum(Decimal(r["BilledCost"]) for r in rows) == Decimal("100.00")
    assert {r["x_MemberName"] for r in rows} == {"Ada Lovelace"}
    assert {r["ProviderName"] for r in rows} == {"GitHub"}
    assert rows[0]["ChargePeriodStart"] == "2026-10-01T00:00:00Z"
    assert rows[0]["ChargePeriodEnd"] == "2026-10-02T00:00:00Z"


def test_bad_date_is_a_usage_error(cli_env):
    result = run("sync", "--start", "2026-13-01", "--end", "2026-01-01")
    assert result.exit_code == 2 and "is not a date" in result.output


def test_console_script_runs_without_traceback(cli_env, tmp_path):
    exe = Path(sys.executable).parent / "aispend"
    env = {**os.environ, **cli_env}
    proc = subprocess.run(
        [
            str(exe),
            "user",
            "add",
            "x@example.com",
            "--role",
            "viewer",
            "--tenant",
            "missing",
            "--password-stdin",
        ],
        input="password-x\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("error: ")
