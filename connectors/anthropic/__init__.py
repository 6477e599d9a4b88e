"""Anthropic (Claude API and Claude Code) through the Admin API.

- ``payloads``: reading the usage and cost reports;
- ``allocation``: the cost report allocated to API keys by usage weights;
- ``claude_code``: Claude Code per person (estimates, activity, the ``customer_type`` rule);
- ``directory``: users and API keys (who an account belongs to);
- ``connector``: ``AnthropicConnector``, which puts them together.
"""

from connectors.anthropic.connector import AnthropicConnector

__all__ = ["AnthropicConnector"]
