"""Tokens counted once: the rule every connector follows, and the helpers that apply it.

The fact table has four token columns (``input_tokens``, ``output_tokens``,
``cache_read_tokens``, ``cache_write_tokens``). Summed over every row of every source they
must equal the tokens the vendors processed, **each token counted exactly once**:

1. **The columns never overlap.** ``input_tokens`` is input neither read from nor written to a
   cache. Vendors that report an *inclusive* input count must be split first: OpenAI's
   ``input_tokens`` includes ``input_cached_tokens`` (and ``input_cache_write_tokens``), so
   ``TokenCounts.from_inclusive_input(...)`` subtracts them. Anthropic's
   ``uncached_input_tokens`` is already exclusive.
2. **A view of tokens another record already carries keeps them out of the columns.** Claude
   Code on pay-as-you-go API billing (``customer_type: "api"``) is ordinary API usage: its
   tokens are in the Messages usage report, which the connector records as Claude API rows.
   The Claude Code record of such usage keeps its estimate and activity but leaves the token
   columns ``None``; the per-person Claude Code token view is kept as activity metrics
   (``claude_code_input_tokens`` …), which are never summed into token totals. Key such a rule
   on what the vendor says about billing (``customer_type``), never on who the actor is.
3. ``None`` means unknown, ``0`` means none.

The conformance kit holds every connector to this: the token columns of a fetch, summed per
day, must equal the simulated vendor's ``expected_tokens(day)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

TOKEN_COLUMNS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")


@dataclass(frozen=True)
class TokenCounts:
    """Non-overlapping token counts (the four token columns of a ``UsageRecord``)."""

    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0

    def __post_init__(self) -> None:
        counts = (self.input, self.output, self.cache_read, self.cache_write)
        if all(type(v) is int and v >= 0 for v in counts):
            return  # the common case, checked without a loop of getattr calls
        for name in ("input", "output", "cache_read", "cache_write"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"token count {name} must be a whole number >= 0, not {value!r}")

    @classmethod
    def from_inclusive_input(
        cls, input_total: int, *, cached: int = 0, cache_write: int = 0, output: int = 0
    ) -> TokenCounts:
        """Split an input count that *includes* cache reads and writes (OpenAI's
        ``input_tokens``) into the exclusive columns. Raises ``ValueError`` when the parts
        exceed the total (the payload is inconsistent: report it, never clamp it)."""
        uncached = input_total - cached - cache_write
        if uncached < 0:
            raise ValueError(
                f"cached ({cached}) + cache-write ({cache_write}) tokens exceed the inclusive "
                f"input count ({input_total})"
            )
        return cls(uncached, output, cached, cache_write)

    def __add__(self, other: TokenCounts) -> TokenCounts:
        return TokenCounts(
            self.input + other.input,
            self.output + other.output,
            self.cache_read + other.cache_read,
            self.cache_write + other.cache_write,
        )

    @property
    def total(self) -> int:
        return self.input + self.output + self.cache_read + self.cache_write

    def columns(self) -> dict[str, int]:
        """The ``UsageRecord`` keyword arguments: ``UsageRecord(..., **tokens.columns())``."""
        return {
            "input_tokens": self.input,
            "output_tokens": self.output,
            "cache_read_tokens": self.cache_read,
            "cache_write_tokens": self.cache_write,
        }

    def activity_metrics(self, prefix: str) -> dict[str, int]:
        """The same counts as activity metric names (a per-tool *view*, never a total):
        ``prefix="claude_code"`` → ``claude_code_input_tokens`` …"""
        values = (self.input, self.output, self.cache_read, self.cache_write)
        return dict(zip(_metric_names(prefix), values, strict=True))


@lru_cache(maxsize=64)
def _metric_names(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}_{name}" for name in TOKEN_COLUMNS)


def record_tokens(record: object) -> int:
    """The tokens a record's columns carry (``None`` counts as 0)."""
    return sum(getattr(record, name) or 0 for name in TOKEN_COLUMNS)


@dataclass(frozen=True)
class TokenRates:
    """A model's list prices in USD per million tokens (``None``: no price for that kind), as
    the warehouse's price table gives them through ``FetchContext.token_rates``. For usage
    **weights** only (sharing a billed total fairly among rows of different token mixes),
    never billed cost, and never held in connector code."""

    input: Decimal
    output: Decimal
    cache_read: Decimal | None = None
    cache_write: Decimal | None = None

    def weight(self, counts: TokenCounts) -> int | None:
        """The counts at these prices in micro-dollars (a whole-number weight for
        ``connectors.money.allocate``); ``None`` when a used kind has no price."""
        total = Decimal(0)
        for tokens, rate in (
            (counts.input, self.input),
            (counts.output, self.output),
            (counts.cache_read, self.cache_read),
            (counts.cache_write, self.cache_write),
        ):
            if tokens:
                if rate is None:
                    return None
                total += tokens * rate
        return int(total.to_integral_value())


#: What ``FetchContext.token_rates`` is: (model id, UTC day) → the rates in force, or None.
RatesLookup = Callable[[str, dt.date], TokenRates | None]
