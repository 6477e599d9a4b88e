"""pytest plugin (entry point ``pytest11: aispend_connectors``): fixtures for connector tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.simulator import Simulator


@pytest.fixture
def vendor_simulator() -> Iterator[Simulator]:
    """A started vendor simulator with the default team and days, stopped after the test."""
    with Simulator() as simulator:
        yield simulator
