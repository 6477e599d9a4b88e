"""`aispend sync` syncs the tenant in $AISPEND_TENANT unless told otherwise; `--all-tenants`
syncs every tenant. On both databases, through the CLI, asserting the facts written."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipelines.cli import main
from warehouse import manual_entries, tenants
from warehouse.actors import Actor
from warehouse.models import Tenant, UsageFact

ADMIN = Actor("t@example.com", "admin")
DAY = "2026-10-01"


@pytest.fixture
def two_tenants(tmp_path, warehouse_url, engine, monkeypatch):
    monkeypatch.setenv("AISPEND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AISPEND_DATABASE_URL", warehouse_url)
    monkeypatch.setenv("AISPEND_ADMIN_PASSWORD", "correct-horse")
    for key in ("AISPEND_SECRET_KEY", "AISPEND_COOKIE_KEY", "AISPEND_TENANT", "DAGSTER_HOME"):
        monkeypatch.delenv(key, raising=False)
    for slug in ("acme", "globex"):
        assert run("init", "--tenant", slug, "--admin-email", f"boss@{slug}.example").exit_code == 0
        manual_entries.create_entry(
            engine,
            tenants.get_tenant(engine, slug),
            ADMIN,
            provider="GitHub",
            service="Copilot seats",
            amount="10.00",
            period_start=dt.date.fromisoformat(DAY),
            period_end=dt.date.fromisoformat(DAY),
        )
    return monkeypatch


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def sync(*extra: str):
    return run("sync", "--source", "manual", "--start", DAY, "--end", DAY, *extra)


def synced_tenants(engine) -> set[str]:
    with Session(engine) as s:
        return set(s.scalars(select(Tenant.slug).join(UsageFact, UsageFact.tenant_id == Tenant.id)))


def test_sync_without_tenant_uses_aispend_tenant(two_tenants, engine):
    two_tenants.setenv("AISPEND_TENANT", "globex")
    result = sync()
    assert result.exit_code == 0, result.output
    assert synced_tenants(engine) == {"globex"}


def test_sync_without_tenant_or_variable_uses_the_default_tenant(two_tenants, engine):
    result = sync()
    # Neither acme nor globex is the tenant "default": named, not all synced.
    assert result.exit_code == 1
    assert "default" in result.output
    assert synced_tenants(engine) == set()


def test_explicit_tenant_and_all_tenants(two_tenants, engine):
    two_tenants.setenv("AISPEND_TENANT", "globex")
    assert sync("--tenant", "acme").exit_code == 0
    assert synced_tenants(engine) == {"acme"}
    everyone = sync("--all-tenants")
    assert everyone.exit_code == 0, everyone.output
    assert synced_tenants(engine) == {"acme", "globex"}
    both = sync("--all-tenants", "--tenant", "acme")
    assert both.exit_code == 2
    assert "--tenant and --all-tenants exclude each other" in both.output


def test_a_second_sync_of_a_running_tenant_and_source_says_so(two_tenants, engine):
    from warehouse import locks, sync_status

    two_tenants.setattr(locks, "SYNC_LOCK_WAIT_SECONDS", 0.5)
    acme = tenants.get_tenant(engine, "acme")
    with locks.sync_lock(engine, acme.id, "acme", "manual"):
        busy = sync("--tenant", "acme")
    assert busy.exit_code == 1
    assert "another sync of manual for acme is running" in busy.output
    assert synced_tenants(engine) == set()
    # The running sync's status is left alone: the refused one recorded nothing.
    assert sync_status.get_status(engine, acme.id, "manual") is None
    assert sync("--tenant", "acme").exit_code == 0
    assert synced_tenants(engine) == {"acme"}
