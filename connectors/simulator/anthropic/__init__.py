"""The simulated Anthropic Admin API (``/anthropic`` prefix): ``data`` generates the
organisation (usage, costs, Claude Code, with the API-billed Claude Code overlap on purpose),
``routes`` serves it in the documented shapes."""

from connectors.simulator.anthropic.data import (
    SIM_PRICES,
    api_billed,
    claude_code_date_is_timestamp,
    uses_api_key,
)
from connectors.simulator.anthropic.routes import AnthropicVendor

__all__ = [
    "SIM_PRICES",
    "AnthropicVendor",
    "api_billed",
    "claude_code_date_is_timestamp",
    "uses_api_key",
]
