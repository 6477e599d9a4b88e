"""The simulated OpenAI Administration API (``/openai`` prefix): ``data`` generates the
organisation (float amounts, inclusive input tokens, service-account and revoked keys,
Playground usage, on purpose), ``routes`` serves it in the documented shapes."""

from connectors.simulator.openai.data import PRICES, json_micros
from connectors.simulator.openai.routes import OpenAIVendor

__all__ = ["PRICES", "OpenAIVendor", "json_micros"]
