"""The simulated Cursor Admin API (``/cursor`` prefix): ``data`` generates the team's events
and activity, ``routes`` serves them in the documented shapes."""

from connectors.simulator.cursor.data import DAY_MS, day_start_ms
from connectors.simulator.cursor.routes import CursorVendor

__all__ = ["DAY_MS", "CursorVendor", "day_start_ms"]
