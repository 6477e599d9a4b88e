"""A sync's fetch started before Dagster's run is ready: the run still stores the same rows and
its log holds what the connector said before the run began; a fetch nobody claims is stopped
and writes nothing; a fetch started for other config is not used."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import dagster as dg
import pytest
import test_pipeline_sync
from sqlalchemy import func, select

from connectors.contract import Connector, CredentialField, FetchBatch, FetchContext, UsageRecord
from pipelines import early_fetch
from pipelines.sync import run_sync
from warehouse import credentials, tenants
from warehouse.actors import SYSTEM
from warehouse.models import UsageFact
from warehouse.settings import Settings

START, END = dt.date(2025, 4, 1), dt.date(2025, 4, 3)
CLOSED = threading.Event()


class ChattyConnector(Connector):
    """Says what it fetches, then yields one record a day (closing is recorded)."""

    name = "chatty"
    provider = "Chatty"
    services = ("API",)
    credential_fields = (CredentialField("api_key"),)

    def fetch(self, config, start, end, ctx: FetchContext) -> Iterator[FetchBatch]:
        ctx.info(f"chatty: fetching {start}..{end}")
        try:
            day = start
            while day <= end:
                record = UsageRecord(
                    day=day, account_key="a", service="API", sku="m", billed_cost_micros=7
                )
                yield FetchBatch(usage=[record])
                day += dt.timedelta(days=1)
        finally:
            CLOSED.set()


settings = test_pipeline_sync.settings  # the fixture: a warehouse and a home per test


@pytest.fixture(autouse=True)
def _not_closed():
    CLOSED.clear()


def _configure(engine, settings: Settings, key: str = "k-1") -> tenants.TenantRef:
    acme = tenants.create_tenant(engine, "acme")
    credentials.configure_source(
        engine, settings.secret_keys, acme, SYSTEM, "chatty", {"api_key": key}, {"api_key"}
    )
    return acme


def _rows(engine) -> int:
    with engine.connect() as conn:
        query = select(func.count()).select_from(UsageFact).where(UsageFact.source == "chatty")
        return conn.execute(query).scalar_one()


def test_the_run_stores_the_rows_and_logs_what_was_said_before_it(engine, settings):
    _configure(engine, settings)
    instance = dg.DagsterInstance.ephemeral()
    [result] = run_sync(
        settings, start=START, end=END, connectors={"chatty": ChattyConnector}, instance=instance
    )
    assert result.ok and result.rows == 3
    assert _rows(engine) == 3
    messages = [e.user_message for e in instance.all_logs(result.run_id)]
    assert f"chatty: fetching {START}..{END}" in messages
    assert CLOSED.is_set()


def test_a_fetch_nobody_claims_is_stopped_and_writes_nothing(engine, settings):
    acme = _configure(engine, settings)
    assert early_fetch.start_early(settings, ChattyConnector, START, END)
    other_range = early_fetch.claim("chatty", acme.id, START, START, {"api_key": "k-1"}, None)
    assert other_range is None
    early_fetch.discard("chatty")
    assert CLOSED.is_set()
    assert _rows(engine) == 0


def test_a_fetch_started_with_other_config_is_not_used(engine, settings):
    acme = _configure(engine, settings)
    assert early_fetch.start_early(settings, ChattyConnector, START, END)
    assert early_fetch.claim("chatty", acme.id, START, END, {"api_key": "k-2"}, None) is None
    assert CLOSED.is_set()  # stopped, not left running
    batches = early_fetch.claim("chatty", acme.id, START, END, {"api_key": "k-1"}, None)
    assert batches is None  # claimed (and refused) once: gone


def test_nothing_starts_without_credentials(engine, settings):
    tenants.create_tenant(engine, "acme")
    assert not early_fetch.start_early(settings, ChattyConnector, START, END)


def _fetch_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("fetch-chatty")]


def test_a_small_range_begun_before_dagster_is_whole_before_the_fork(engine, settings):
    """``begin`` (the CLI, before importing Dagster) and ``settle`` (before forking): the
    fetch has ended, no thread of it is left, and the run writes what it buffered."""
    _configure(engine, settings)
    early_fetch.begin(settings, {"chatty": ChattyConnector}, [], START, END)
    early_fetch.settle()
    assert _fetch_threads() == [] and CLOSED.is_set()
    instance = dg.DagsterInstance.ephemeral()
    [result] = run_sync(
        settings, start=START, end=END, connectors={"chatty": ChattyConnector}, instance=instance
    )
    assert result.ok and result.rows == 3 and _rows(engine) == 3
    messages = [e.user_message for e in instance.all_logs(result.run_id)]
    assert f"chatty: fetching {START}..{END}" in messages


def test_a_long_range_is_not_begun_early(engine, settings):
    acme = _configure(engine, settings)
    end = START + dt.timedelta(days=early_fetch.SMALL_RANGE_DAYS)
    early_fetch.begin(settings, {"chatty": ChattyConnector}, ["chatty"], START, end)
    assert _fetch_threads() == []
    assert early_fetch.claim("chatty", acme.id, START, end, {"api_key": "k-1"}, None) is None
