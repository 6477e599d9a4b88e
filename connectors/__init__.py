"""Connectors: everything a vendor connector needs, and nothing of Dagster or SQLAlchemy.

- ``contract``: what a connector declares (``Connector``) and yields (``FetchBatch`` of
  ``UsageRecord``, ``ActivityRecord``, ``Account``, ``VendorTotal``, ``ReconciliationTotal``);
  ``fields`` (credentials and settings) and ``schedule`` (config source, sync schedule);
- the toolkit: ``payload`` (readers naming the bad field), ``money`` (exact micro-dollars,
  allocation, day splits), ``dates``, ``tokens`` (counted once), ``purchases`` (amortised
  fees), ``files`` (folders and CSV), ``accuracy`` (the invariant, shared with the pipeline);
- ``http``: the HTTP layer (timeouts, retries, pagination, redaction);
- ``registry``: connectors found through the ``aispend.connectors`` entry point;
- built-in connectors (``anthropic``, ``cursor``, ``manual``), the vendor ``simulator``, the
  conformance kit (``testing``) and the scaffold (``scaffold``, ``templates``).
"""
