"""Example AI joins aispend's connector conformance kit."""

from aispend_example_connector import ExampleConnector

from connectors.testing import ConnectorConformance


class TestExampleConformance(ConnectorConformance):
    connector = ExampleConnector
    required_field = "cost_usd"
