"""GitHub Copilot through the REST API.

- ``payloads``: reading seats, the org's plan, AI-credit usage and the usage-metrics NDJSON;
- ``seats``: the tenant's seat plan and each seat's month as daily ``Purchase`` rows;
- ``credits``: AI-credit usage per user per day against the organisation's total;
- ``reports``: per-user usage-metrics reports (signed NDJSON links) as activity;
- ``connector``: ``CopilotConnector``, which puts them together.
"""

from connectors.copilot.connector import CopilotConnector

__all__ = ["CopilotConnector"]
