"""Example AI joins aispend's connector conformance kit."""

from connectors.testing import ConnectorConformance

from aispend_example_connector import ExampleConnector


class TestExampleConnectorConformance(ConnectorConformance):
    connector = ExampleConnector
    # A field the connector cannot do without: the kit removes it and expects a clear error.
    required_field = "cost_usd"
    # A scenario that does not apply is skipped only with a reason.
    bypass = {
        "test_reconciliation_totals_agree": (
            "Example AI publishes no independent period total besides its daily costs"
        ),
    }
