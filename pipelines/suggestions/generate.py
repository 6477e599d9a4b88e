"""Writing suggestions: the cached refresh the pipeline runs, and the forced "Regenerate".

A member-month is (re)generated only when no cached suggestion matches its inputs hash, the
prompt version and the model (``OFFLINE_MODEL`` without an API key): re-running with nothing
changed makes zero API calls. With a key, Claude writes it — within the tenant's monthly budget
and only while the API is healthy (a few outage-like failures in a row and the run stops
calling). Whatever fails, the previous suggestion stays and the error is recorded; a member
with no suggestion at all gets the offline muse's, so every card has something to say.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from pipelines.suggestions.inputs import inputs_hash, member_months, periods_with_data
from pipelines.suggestions.llm import (
    OUTAGE_KINDS,
    Generated,
    GenerationFailed,
    SuggestionStream,
    estimated_cost_micros,
    make_client,
)
from pipelines.suggestions.offline import OFFLINE_MODEL, offline_suggestion
from pipelines.suggestions.prompt import PROMPT_VERSION
from warehouse import suggestions as store
from warehouse.actors import SYSTEM, Actor
from warehouse.suggestion_config import SuggestionConfig
from warehouse.tenants import TenantRef

if TYPE_CHECKING:  # the SDK is imported when a suggestion is generated, not with the pipelines
    import anthropic

MAX_OUTAGE_FAILURES_IN_A_ROW = 3


@dataclass
class RefreshSummary:
    """What one refresh did, per tenant (the asset reports it as metadata)."""

    member_months: int = 0
    cached: int = 0
    llm: int = 0
    offline: int = 0
    failed: int = 0
    skipped_budget: int = 0
    skipped_outage: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def as_metadata(self) -> dict[str, int]:
        return {
            "member_months": self.member_months,
            "cached": self.cached,
            "written_by_llm": self.llm,
            "written_offline": self.offline,
            "failed": self.failed,
            "skipped_budget": self.skipped_budget,
            "skipped_outage": self.skipped_outage,
        }


@dataclass(frozen=True)
class _Slot:
    """One member-month's place in the cache, and the ways a generation can end there."""

    engine: Engine
    tenant: TenantRef
    actor: Actor
    member_id: int
    period: str
    facts: dict[str, Any]

    def save(self, text: str, generator: str, model: str, **extra: Any) -> None:
        store.save_suggestion(
            self.engine,
            self.tenant,
            self.actor,
            member_id=self.member_id,
            period=self.period,
            text=text,
            generator=generator,
            model=model,
            prompt_version=PROMPT_VERSION,
            inputs_hash=inputs_hash(self.facts),
            inputs=self.facts,
            **extra,
        )

    def offline(self, text: str, error: str | None = None) -> None:
        self.save(text, "offline", OFFLINE_MODEL, error=error)

    def generated(self, done: Generated, trigger: str) -> None:
        generation = store.Generation(
            model=done.model,
            trigger=trigger,
            outcome="ok",
            input_tokens=done.input_tokens,
            output_tokens=done.output_tokens,
            cost_micros=done.cost_micros,
        )
        self.save(done.text, "llm", done.model, generation=generation)

    def failed(self, exc: GenerationFailed, model: str, trigger: str) -> None:
        generation = store.Generation(
            model=model,
            trigger=trigger,
            outcome="error",
            input_tokens=exc.input_tokens,
            output_tokens=exc.output_tokens,
            cost_micros=estimated_cost_micros(model, exc.input_tokens, exc.output_tokens),
            error=str(exc),
        )
        store.record_failure(
            self.engine,
            self.tenant,
            self.actor,
            member_id=self.member_id,
            period=self.period,
            error=str(exc),
            generation=generation,
        )


def refresh_suggestions(
    engine: Engine,
    tenant: TenantRef,
    config: SuggestionConfig,
    *,
    api_key: str | None,
    today: dt.date | None = None,
    client: anthropic.Anthropic | None = None,
    log: Callable[[str], None] = lambda _msg: None,
) -> RefreshSummary:
    """Bring every member's suggestion for the recent months with data up to date."""
    today = today or dt.datetime.now(dt.UTC).date()
    periods = periods_with_data(engine, tenant.id, today, config.lookback_months)
    months = member_months(engine, tenant.id, periods)  # newest period first
    cache = store.cached_suggestions(engine, tenant.id, periods)
    model = config.model if api_key else OFFLINE_MODEL
    if api_key and client is None:
        client = make_client(api_key, config)
    summary = RefreshSummary(member_months=len(months))
    outages_in_a_row = 0
    for mm in months:
        facts = mm.facts()
        slot = _Slot(engine, tenant, SYSTEM, mm.member_id, mm.period, facts)
        previous = cache.get((mm.member_id, mm.period))
        if previous is not None and previous.matches(inputs_hash(facts), PROMPT_VERSION, model):
            summary.cached += 1
            continue
        skip = None
        if not api_key:
            skip = ""
        elif outages_in_a_row >= MAX_OUTAGE_FAILURES_IN_A_ROW:
            skip, summary.skipped_outage = "the API looks down", summary.skipped_outage + 1
        elif store.generation_cost_this_month(engine, tenant.id) >= config.monthly_budget_micros:
            skip, summary.skipped_budget = "monthly budget used up", summary.skipped_budget + 1
        else:
            try:
                slot.generated(SuggestionStream(client, config, facts, api_key).run(), "pipeline")
            except GenerationFailed as exc:
                outages_in_a_row = outages_in_a_row + 1 if exc.kind in OUTAGE_KINDS else 0
                summary.failed += 1
                summary.errors[exc.kind] = summary.errors.get(exc.kind, 0) + 1
                log(f"suggestion for member {mm.member_id} {mm.period}: {exc}")
                slot.failed(exc, config.model, "pipeline")
                skip = str(exc)
            else:
                outages_in_a_row = 0
                summary.llm += 1
                continue
        # Nothing worth keeping (no suggestion, or an offline one about other numbers): the
        # offline muse fills in, the reason noted. An LLM suggestion stays, even if older.
        if previous is None or (
            previous.generator == "offline"
            and not previous.matches(inputs_hash(facts), PROMPT_VERSION, OFFLINE_MODEL)
        ):
            slot.offline(offline_suggestion(facts), error=skip or None)
            summary.offline += 1
    return summary


@dataclass
class Regeneration:
    """A forced regeneration, streamed: iterate for text chunks, then read the outcome.

    ``outcome`` is "llm" or "offline" when a new suggestion was saved, "failed" when the
    previous one stays (``note`` says why, in words fit for the card).
    """

    engine: Engine
    tenant: TenantRef
    actor: Actor
    member_id: int
    period: str
    config: SuggestionConfig
    api_key: str | None
    client: anthropic.Anthropic | None = None
    offline_delay_s: float = 0.0  # pacing of the offline muse's words, so it streams too
    outcome: str | None = None
    note: str | None = None
    text: str = ""

    def __iter__(self) -> Iterator[str]:
        store.require_may_regenerate(self.engine, self.tenant, self.actor, self.member_id)
        previous = store.cached_suggestion(self.engine, self.tenant.id, self.member_id, self.period)
        if previous is None:
            self.outcome, self.note = "failed", "There is no suggestion to regenerate yet."
            return
        slot = _Slot(
            self.engine, self.tenant, self.actor, self.member_id, self.period, previous.inputs
        )
        over_budget = bool(self.api_key) and (
            store.generation_cost_this_month(self.engine, self.tenant.id)
            >= self.config.monthly_budget_micros
        )
        if self.api_key and not over_budget:
            yield from self._llm(slot)
            return
        if over_budget:
            self.note = "This month's suggestion budget is used up: the offline muse stepped in."
        yield from self._offline(slot, previous.text)

    def _llm(self, slot: _Slot) -> Iterator[str]:
        client = self.client or make_client(self.api_key or "", self.config)
        stream = SuggestionStream(client, self.config, slot.facts, self.api_key)
        try:
            yield from stream
        except GenerationFailed as exc:
            slot.failed(exc, self.config.model, "regenerate")
            self.outcome = "failed"
            self.note = (
                f"Couldn't reach a fresh idea just now ({exc.kind.replace('_', ' ')}); "
                "your previous suggestion stays."
            )
            return
        assert stream.result is not None
        slot.generated(stream.result, "regenerate")
        self.outcome, self.text = "llm", stream.result.text

    def _offline(self, slot: _Slot, current: str) -> Iterator[str]:
        text = current
        for variant in range(1, 50):  # the next variant that says something new
            text = offline_suggestion(slot.facts, variant)
            if text != current:
                break
        words = text.split(" ")
        for i, word in enumerate(words):
            if self.offline_delay_s:
                time.sleep(self.offline_delay_s)
            yield word + (" " if i < len(words) - 1 else "")
        slot.offline(text)
        self.outcome, self.text = "offline", text
