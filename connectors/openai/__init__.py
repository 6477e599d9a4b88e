"""OpenAI (API platform) through the Administration API.

- ``payloads``: reading costs (float dollars made exact) and completions usage (inclusive
  input tokens split so each token counts once);
- ``directory``: users and project API keys (who owns a key);
- ``allocation``: each day's cost lines attributed to key owners and per-user usage;
- ``connector``: ``OpenAIConnector``, which puts them together.
"""

from connectors.openai.connector import OpenAIConnector

__all__ = ["OpenAIConnector"]
