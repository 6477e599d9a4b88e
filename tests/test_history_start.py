"""The daily partitions start where the team's history starts (AISPEND_HISTORY_START), so the
Dagster UI does not count hundreds of never-synced days as missing."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.manual import ManualConnector
from pipelines.ingest import partitions_for
from pipelines.sync import check_range
from warehouse.settings import Settings


def test_partitions_start_at_the_configured_history_start(monkeypatch):
    monkeypatch.setenv("AISPEND_HISTORY_START", "2026-09-01")
    partitions = partitions_for(ManualConnector)
    assert partitions.get_first_partition_key() == "2026-09-01"
    check_range(ManualConnector, dt.date(2026, 9, 1), dt.date(2026, 9, 30))
    with pytest.raises(ValueError, match="before 2026-09-01, the first day kept"):
        check_range(ManualConnector, dt.date(2026, 8, 31), dt.date(2026, 9, 30))


def test_the_default_history_start_and_a_bad_value(monkeypatch, tmp_path):
    monkeypatch.setenv("AISPEND_HOME", str(tmp_path))
    monkeypatch.delenv("AISPEND_HISTORY_START", raising=False)
    assert partitions_for(ManualConnector).get_first_partition_key() == "2025-01-01"
    with pytest.raises(ValueError, match="AISPEND_HISTORY_START='Sept' is not a date"):
        Settings.from_env({"AISPEND_HOME": str(tmp_path), "AISPEND_HISTORY_START": "Sept"})
