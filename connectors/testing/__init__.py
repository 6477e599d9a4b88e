"""The connector conformance kit: what every connector, built-in or external, must pass.

A connector's test suite joins with one line::

    from connectors.testing import ConnectorConformance

    class TestMyConnector(ConnectorConformance):
        connector = MyConnector

The kit is also a pytest plugin (``connectors.testing.plugin``) providing ``vendor_simulator``.
"""

from connectors.testing.conformance import ConformanceTarget, ConnectorConformance

__all__ = ["ConformanceTarget", "ConnectorConformance"]
