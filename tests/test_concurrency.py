"""Concurrent writers, for real: two `aispend sync` processes of the same tenant and source,
three `aispend db upgrade` on a fresh PostgreSQL database, and the locks underneath them, on
SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from warehouse import migrate
from warehouse.engine import make_engine
from warehouse.locks import SyncBusy, begin_exclusive, sync_lock
from warehouse.models import SyncStatus, UsageFact

EXE = str(Path(sys.executable).with_name("aispend"))
START, END = dt.date(2026, 9, 1), dt.date(2026, 9, 7)


def test_a_second_sync_of_the_same_tenant_and_source_waits_then_says_why(warehouse_url):
    first, second = make_engine(warehouse_url), make_engine(warehouse_url)
    try:
        with sync_lock(first, 1, "acme", "cursor"):
            busy = "^another sync of cursor for acme is running$"
            with (
                pytest.raises(SyncBusy, match=busy),
                sync_lock(second, 1, "acme", "cursor", wait=0.3),
            ):
                pass
            # Another source, or another tenant, is not held up.
            with sync_lock(second, 1, "acme", "anthropic", wait=0):
                pass
            with sync_lock(second, 2, "globex", "cursor", wait=0):
                pass
        with sync_lock(second, 1, "acme", "cursor", wait=0):
            pass
    finally:
        first.dispose()
        second.dispose()


def test_a_waiting_sync_gets_the_lock_once_the_first_ends(warehouse_url):
    first, second = make_engine(warehouse_url), make_engine(warehouse_url)
    order: list[str] = []
    held = threading.Event()

    def hold() -> None:
        with sync_lock(first, 1, "acme", "cursor"):
            held.set()
            threading.Event().wait(0.5)
            order.append("first done")

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert held.wait(10)
        with sync_lock(second, 1, "acme", "cursor", wait=30):
            order.append("second in")
    finally:
        thread.join()
        first.dispose()
        second.dispose()
    assert order == ["first done", "second in"]


def test_serialized_transactions_take_turns(warehouse_url):
    """begin_exclusive: a transaction that reads before it writes waits for a concurrent
    writer instead of failing with 'database is locked' (SQLite) or racing it (PostgreSQL)."""
    engine = make_engine(warehouse_url)
    other = make_engine(warehouse_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE lock_probe (n INTEGER)")
            conn.exec_driver_sql("INSERT INTO lock_probe VALUES (0)")
        errors: list[BaseException] = []

        def bump(eng) -> None:
            try:
                for _ in range(10):
                    with eng.begin() as conn:
                        begin_exclusive(conn, "probe")
                        n = conn.execute(text("SELECT n FROM lock_probe")).scalar_one()
                        conn.execute(text("UPDATE lock_probe SET n = :n"), {"n": n + 1})
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=bump, args=(e,)) for e in (engine, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        with engine.connect() as conn:
            assert conn.execute(text("SELECT n FROM lock_probe")).scalar_one() == 20
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS lock_probe")
        engine.dispose()
        other.dispose()


# --- two real `aispend sync` processes against the simulator -------------------------------


def _cli_env(tmp_path: Path, warehouse_url: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"AISPEND_SECRET_KEY", "AISPEND_COOKIE_KEY", "AISPEND_TENANT", "DAGSTER_HOME"}
    }
    env.update(
        AISPEND_HOME=str(tmp_path / "home"),
        AISPEND_DATABASE_URL=warehouse_url,
        AISPEND_ADMIN_PASSWORD="correct-horse",
    )
    return env


def _aispend(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [EXE, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _facts(engine) -> list[tuple]:
    with Session(engine) as s:
        return sorted(
            (f.tenant_id, f.source, f.record_key, f.billed_cost_micros, f.input_tokens)
            for f in s.scalars(select(UsageFact))
        )


@pytest.mark.slow
def test_two_syncs_at_once_both_end_cleanly_and_the_facts_equal_one_syncs(
    tmp_path, warehouse_url, engine, vendor_simulator
):
    env = _cli_env(tmp_path, warehouse_url)
    assert _aispend(env, "init").returncode == 0
    config = dict(vendor_simulator.config("cursor"))
    args = ["vendor", "configure", "cursor", "--base-url", config.pop("base_url")]
    for key, value in config.items():
        args += ["--set", f"{key}={value}"]
    configured = _aispend(env, *args)
    assert configured.returncode == 0, configured.stderr
    # Slow answers keep each sync busy for a few seconds, so the two overlap.
    vendor_simulator.set_faults("cursor", slow_seconds=0.15)

    sync = [EXE, "sync", "--source", "cursor", "--start", str(START), "--end", str(END)]
    procs = [
        subprocess.Popen(sync, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outcomes = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    for code, out, err in outcomes:
        assert "Traceback" not in out + err
        if code != 0:  # the only acceptable failure says what happened, in one line
            assert err.strip().startswith("error: cursor: ") and "\n" not in err.strip()
            assert "another sync of cursor for default is running" in err
    assert any(code == 0 for code, _, _ in outcomes), outcomes
    concurrent = _facts(engine)
    assert concurrent

    vendor_simulator.clear_faults()
    alone = _aispend(env, *sync[1:])
    assert alone.returncode == 0, alone.stderr
    assert _facts(engine) == concurrent
    with Session(engine) as s:
        status = s.scalars(select(SyncStatus).where(SyncStatus.source == "cursor")).one()
    assert status.last_error is None
    # The marts were rebuilt without "database is locked" and hold the synced spend.
    with engine.connect() as conn:
        spend = conn.execute(text("SELECT count(*) FROM team_monthly_spend")).scalar_one()
    assert spend > 0


# --- three `aispend db upgrade` on a fresh PostgreSQL database ---------------------------


@pytest.mark.postgres
@pytest.mark.slow
def test_three_concurrent_upgrades_of_a_fresh_postgres_database(tmp_path, pg_database_factory):
    url = pg_database_factory("aispend_migrate")
    env = _cli_env(tmp_path, url)
    procs = [
        subprocess.Popen(
            [EXE, "db", "upgrade"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outcomes = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    for code, out, err in outcomes:
        assert code == 0, err
        assert "Traceback" not in out + err
    engine = make_engine(url)
    try:
        head = migrate_head()
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        assert versions == [head]
    finally:
        engine.dispose()


def migrate_head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(migrate.alembic_config(None)).get_current_head()
