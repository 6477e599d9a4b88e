"""The `aispend` command line: the root group lives in ``base``; each module registers its
commands on it when imported. User mistakes end in one `error: …` line, never a traceback."""

from pipelines.cli import (  # noqa: F401  (register commands)
    api,
    budgets,
    data,
    identities,
    prices,
    running,
    seats,
    setup,
    tags,
    vendors,
)
from pipelines.cli.base import main

__all__ = ["main"]
