"""Kiro (AWS): the daily per-user report CSVs Kiro writes into an S3 bucket, read from a folder
an admin syncs from it (``vendor-apis.md`` §5).

- ``reports``: finding the report files and reading their rows by header name (both reports,
  both date formats, dynamic ``<model>_messages`` columns);
- ``billing``: credits to USD (seat-tier prices and the price per overage credit);
- ``connector``: ``KiroConnector``, which puts them together.
"""

from connectors.kiro.connector import KiroConnector

__all__ = ["KiroConnector"]
