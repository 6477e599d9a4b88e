"""The simulated Replit Enterprise Admin API (beta) (``/replit`` prefix): ``data`` generates
the organisation (numeric member ids, members who left, workspace costs with no member,
nullable usage, un-itemised ledger lines, on purpose), ``routes`` serves it in the shapes
vendor-apis.md §6 describes, with knobs for what that description leaves open."""

from connectors.simulator.replit.routes import ReplitVendor

__all__ = ["ReplitVendor"]
