"""Replit through the Enterprise Admin API (beta), experimental.

- ``payloads``: reading usage groups, the timeseries and members, accepting each plausible
  reading of what vendor-apis.md §6 leaves unverified;
- ``connector``: ``ReplitConnector``, which turns them into billed facts per member and day.
"""

from connectors.replit.connector import ReplitConnector

__all__ = ["ReplitConnector"]
