"""Talking to Claude through the anthropic SDK: one streamed message per suggestion.

``SuggestionStream`` yields the text as it arrives (the dashboard hands it to
``st.write_stream``; the pipeline just drains it) and afterwards holds the final text, tokens
and estimated cost — or raises ``GenerationFailed`` with a kind (timeout, rate_limited,
server_error, refused, malformed, error) and a message that never contains the API key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.http import shorten
from pipelines.suggestions.list_prices import list_price
from pipelines.suggestions.prompt import request_body
from warehouse.suggestion_config import SuggestionConfig

if TYPE_CHECKING:  # the SDK is imported when a suggestion is generated, not with the pipelines
    import anthropic

FAILURE_KINDS = ("timeout", "rate_limited", "server_error", "refused", "malformed", "error")
# Kinds that mean "the API is unwell right now": a run stops calling after a few in a row.
OUTAGE_KINDS = frozenset({"timeout", "rate_limited", "server_error"})


class GenerationFailed(Exception):
    def __init__(self, kind: str, message: str, input_tokens: int = 0, output_tokens: int = 0):
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens


@dataclass(frozen=True)
class Generated:
    text: str
    model: str
    input_tokens: int
    output_tokens: int
    cost_micros: int | None  # estimate at list price; None for a model without a known price


def make_client(api_key: str, config: SuggestionConfig) -> anthropic.Anthropic:
    """A client with everything explicit (the SDK would otherwise read ANTHROPIC_* itself)."""
    import anthropic

    return anthropic.Anthropic(
        api_key=api_key,
        base_url=config.base_url,
        timeout=config.timeout_s,
        max_retries=config.max_retries,
    )


def estimated_cost_micros(model: str, input_tokens: int, output_tokens: int) -> int | None:
    """List-price cost of one generation in micro-dollars (tokens × $/MTok is exactly micros)."""
    return list_price(model, input_tokens=input_tokens, output_tokens=output_tokens).micros


def _redact(text: str, secret: str | None) -> str:
    """Redacted first (a cut-off key too), then cut: the toolkit's ``shorten``."""
    return shorten(text, 300, [secret] if secret and len(secret) >= 8 else [])


def classify(exc: BaseException, secret: str | None = None) -> GenerationFailed:
    """An SDK (or stream parsing) exception as a GenerationFailed with a safe message."""
    if isinstance(exc, GenerationFailed):
        return exc
    import anthropic

    if isinstance(exc, anthropic.APITimeoutError):
        kind = "timeout"
    elif isinstance(exc, anthropic.RateLimitError):
        kind = "rate_limited"
    elif isinstance(exc, anthropic.InternalServerError | anthropic.APIConnectionError):
        kind = "server_error"
    elif isinstance(exc, anthropic.APIStatusError):
        # An ``error`` event inside a stream arrives as an APIStatusError with the body.
        body = exc.body if isinstance(exc.body, dict) else {}
        error_type = str((body.get("error") or {}).get("type", ""))
        status = getattr(exc, "status_code", 0) or 0
        if error_type in ("overloaded_error", "api_error") or status >= 500:
            kind = "server_error"
        elif error_type == "rate_limit_error" or status == 429:
            kind = "rate_limited"
        else:
            kind = "error"
    elif isinstance(exc, json.JSONDecodeError | anthropic.APIResponseValidationError):
        kind = "malformed"
    else:
        kind = "error"
    return GenerationFailed(kind, _redact(f"{type(exc).__name__}: {exc}", secret))


class SuggestionStream:
    """Iterate for text chunks; then ``result`` holds the Generated. Raises GenerationFailed."""

    def __init__(
        self,
        client: anthropic.Anthropic,
        config: SuggestionConfig,
        facts: dict[str, Any],
        api_key: str | None = None,
    ):
        self._client = client
        self._config = config
        self._facts = facts
        self._secret = api_key
        self.result: Generated | None = None

    def __iter__(self) -> Iterator[str]:
        chunks: list[str] = []
        body = request_body(
            self._facts, model=self._config.model, max_tokens=self._config.max_tokens
        )
        try:
            with self._client.messages.stream(**body) as stream:
                for text in stream.text_stream:
                    chunks.append(text)
                    yield text
                final = stream.get_final_message()
        except GenerationFailed:
            raise
        except Exception as exc:  # the SDK, the transport or the stream parser
            raise classify(exc, self._secret) from None
        usage = final.usage
        input_tokens = int(getattr(usage, "input_tokens", 0) or 0)
        output_tokens = int(getattr(usage, "output_tokens", 0) or 0)
        text = "".join(chunks).strip()
        if final.stop_reason == "refusal":
            raise GenerationFailed("refused", "the model declined", input_tokens, output_tokens)
        if final.stop_reason is None:
            raise GenerationFailed(
                "malformed", "the stream ended before the message did", input_tokens, output_tokens
            )
        if not text:
            raise GenerationFailed(
                "malformed", "the answer held no text", input_tokens, output_tokens
            )
        model = str(final.model or self._config.model)
        self.result = Generated(
            text=text,
            model=self._config.model,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost_micros=estimated_cost_micros(model, input_tokens, output_tokens),
        )

    def run(self) -> Generated:
        """Drain the stream (the pipeline has nobody to show it to)."""
        for _ in self:
            pass
        assert self.result is not None
        return self.result
