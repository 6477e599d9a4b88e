"""Stale-while-revalidate on the Overview (AppTest, SQLite and PostgreSQL): a vendor past the
freshness threshold is shown at once from the warehouse, marked "refreshing", and refreshed
through Dagster in the background — once for two page loads, only for an API vendor with
credentials, launched by the system on behalf of the viewer."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from cryptography.fernet import Fernet
from dashboard_apptest import VIEWER, clear_caches
from dashboard_apptest import app as _app
from dashboard_apptest import login as _login
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest
from test_dashboard_queries import seed_mart

from dashboard.formatting import current_month
from pipelines import launch, revalidate
from pipelines.resources import dispose_engines
from warehouse import audit, credentials, sync_status, vendor_period
from warehouse.actors import SYSTEM
from warehouse.models import SyncStatus, UsageFact


def _fact(tenant, source: str, source_type: str, day: dt.date) -> UsageFact:
    return UsageFact(
        tenant_id=tenant.id,
        source=source,
        record_key=f"{source}-{day}",
        account_key="acct",
        charge_period_start=day,
        charge_period_end=day + dt.timedelta(days=1),
        provider=source,
        service=source,
        sku="seat",
        billed_cost_micros=20_000_000,
        source_type=source_type,
    )


def _card(at: AppTest, source: str) -> str:
    return next(
        m.value
        for m in at.markdown
        if "aispend-vendor-card" in m.value and f">{source} <" in m.value
    )


def _wait_until_finished(tenant, source: str, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while launch.is_running(tenant, source):
        if time.monotonic() > deadline:
            pytest.fail(f"the background refresh of {source} still runs after {timeout} s")
        time.sleep(0.5)


@pytest.fixture
def gate(monkeypatch):
    """Holds the background launch until the test opens it, to prove the page did not wait."""
    opened = threading.Event()
    real = revalidate._launch

    def held(*args, **kwargs):
        opened.wait(120)
        return real(*args, **kwargs)

    monkeypatch.setattr(revalidate, "_launch", held)
    monkeypatch.setattr(revalidate, "_PENDING", {})
    monkeypatch.setattr(revalidate, "_LAUNCHED_AT", {})
    yield opened
    opened.set()
    revalidate.wait_for_pending(60)
    dispose_engines()


def test_a_stale_vendor_is_served_at_once_and_refreshed_once(
    dashboard_env, engine: Engine, vendor_simulator, monkeypatch, gate
) -> None:
    tenant = dashboard_env
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("AISPEND_SECRET_KEY", key)
    credentials.configure_source(
        engine, [key], tenant, SYSTEM, "cursor", vendor_simulator.config("cursor"), {"api_key"}
    )
    today = dt.datetime.now(dt.UTC).date()
    seed_mart(engine, [(tenant.id, current_month(), "cursor", "cursor", 40_000_000, 0)])
    with Session(engine) as s, s.begin():
        s.add(_fact(tenant, "cursor", "api", today))  # API, credentials configured
        s.add(_fact(tenant, "openai", "api", today))  # API, no credentials: not refreshed
        s.add(_fact(tenant, "manual", "manual", today))  # admin input: never refreshed
    vendor_period.refresh(engine, tenant.id)  # the vendor cards read this mart, as after a sync
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=30)
    for source in ("cursor", "openai", "manual"):
        sync_status.record_success(engine, tenant.id, source, 1)
    with engine.begin() as conn:
        conn.execute(
            update(SyncStatus)
            .where(SyncStatus.tenant_id == tenant.id)
            .values(last_success_at=long_ago, last_attempt_at=long_ago)
        )

    # Two page loads (two sessions) while the launch is held: both render the warehouse's
    # data at once, with cursor's dot saying "refreshing".
    for _ in range(2):
        at = _login(_app(), *VIEWER[:2])
        assert not at.exception, at.exception
        assert "refreshing" in _card(at, "cursor")
        assert "$20" in _card(at, "cursor")  # what the warehouse holds, served at once
        assert "refreshing" not in _card(at, "openai")
        assert "refreshing" not in _card(at, "manual")
        assert audit.list_events(engine, tenant, SYSTEM, actions=["vendor.sync"]) == []
        clear_caches()

    gate.set()
    revalidate.wait_for_pending(120)
    _wait_until_finished(tenant, "cursor")

    [event] = audit.list_events(engine, tenant, SYSTEM, actions=["vendor.sync"])
    assert (event["actor"], event["target"]) == ("system", "cursor")
    assert event["detail"]["on_behalf_of"] == VIEWER[0]
    assert event["detail"]["start"] == (today - dt.timedelta(days=1)).isoformat()
    state = sync_status.get_status(engine, tenant.id, "cursor")
    assert state is not None and state.last_success_at > long_ago, state  # the refresh landed
    assert state.last_error is None

    # Fresh now: the next page load launches nothing and shows no "refreshing".
    # (The refresh replaced cursor's seeded rows with the simulator's for those days.)
    at = _login(_app(), *VIEWER[:2])
    assert not at.exception, at.exception
    assert not [m.value for m in at.markdown if "refreshing" in m.value]
    assert len(audit.list_events(engine, tenant, SYSTEM, actions=["vendor.sync"])) == 1
