"""The simulated GitHub Copilot API (``/copilot`` prefix): ``data`` generates the organisation
(null assignees, pending cancellations, SKU spellings that differ, a former member's credits,
204 days, on purpose), ``routes`` serves it in the documented shapes."""

from connectors.simulator.copilot.data import PRICES
from connectors.simulator.copilot.routes import CopilotVendor

__all__ = ["PRICES", "CopilotVendor"]
