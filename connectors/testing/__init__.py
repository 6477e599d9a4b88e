"""The connector conformance kit: what every connector, built-in or external, must pass.

A connector's test suite joins with one line::

    from connectors.testing import ConnectorConformance

    class TestMyConnector(ConnectorConformance):
        connector = MyConnector

The kit is also a pytest plugin (``connectors.testing.plugin``) providing ``vendor_simulator``.
"""

from connectors.testing.base import KIT_PAGE_CAP, conformance_suites
from connectors.testing.conformance import ConnectorConformance, scenario_names
from connectors.testing.targets import (
    ConformanceTarget,
    Fetched,
    SimulatorTarget,
    StaticConfigTarget,
)

__all__ = [
    "KIT_PAGE_CAP",
    "ConformanceTarget",
    "ConnectorConformance",
    "Fetched",
    "SimulatorTarget",
    "StaticConfigTarget",
    "conformance_suites",
    "scenario_names",
]
