"""The suggestion cache and the generation log, behind role-checked services.

A suggestion is written by the pipeline (the system actor), or regenerated on request by an
admin or by the member it belongs to (a user whose email is the member's). A failed generation
never replaces a suggestion: it records the error beside the text that stays.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from warehouse.actors import Actor, PermissionDenied, require_signed_in
from warehouse.models import Member
from warehouse.models_suggestions import Suggestion, SuggestionGeneration
from warehouse.tenants import TenantRef

OUTCOMES = ("ok", "error")
TRIGGERS = ("pipeline", "regenerate")


@dataclass(frozen=True)
class CachedSuggestion:
    member_id: int
    period: str
    text: str
    generator: str
    model: str
    prompt_version: str
    inputs_hash: str
    inputs: dict[str, Any]
    generated_at: dt.datetime
    last_error: str | None
    last_error_at: dt.datetime | None

    def matches(self, inputs_hash: str, prompt_version: str, model: str) -> bool:
        """True when this suggestion was made from exactly these inputs, prompt and model."""
        return (self.inputs_hash, self.prompt_version, self.model) == (
            inputs_hash,
            prompt_version,
            model,
        )


@dataclass(frozen=True)
class Generation:
    """One LLM call, for the log: what it cost and how it ended."""

    model: str
    trigger: str
    outcome: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost_micros: int | None = None
    error: str | None = None


def _cached(row: Suggestion) -> CachedSuggestion:
    return CachedSuggestion(
        member_id=row.member_id,
        period=row.period,
        text=row.text,
        generator=row.generator,
        model=row.model,
        prompt_version=row.prompt_version,
        inputs_hash=row.inputs_hash,
        inputs=dict(row.inputs or {}),
        generated_at=row.generated_at,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
    )


def require_may_regenerate(engine: Engine, tenant: TenantRef, actor: Actor, member_id: int) -> None:
    """Admins may regenerate anyone's suggestion; a viewer only the member that is them."""
    with Session(engine) as s:
        _check_may_write(s, tenant, actor, member_id)


def _check_may_write(s: Session, tenant: TenantRef, actor: Actor, member_id: int) -> None:
    require_signed_in(actor, "regenerating a suggestion", tenant)
    member = s.get(Member, member_id)
    if member is None or member.tenant_id != tenant.id:
        raise PermissionDenied(f"no member {member_id} in tenant {tenant.slug!r}")
    if actor.is_admin:
        return
    if not member.email or member.email.strip().lower() != actor.email.strip().lower():
        raise PermissionDenied(
            f"regenerating another member's suggestion needs the admin role; {actor.email} is a "
            f"{actor.role}"
        )


def _row(s: Session, tenant_id: int, member_id: int, period: str) -> Suggestion | None:
    return s.scalar(
        select(Suggestion).where(
            Suggestion.tenant_id == tenant_id,
            Suggestion.member_id == member_id,
            Suggestion.period == period,
        )
    )


def cached_suggestions(
    engine: Engine, tenant_id: int, periods: list[str]
) -> dict[tuple[int, str], CachedSuggestion]:
    """The tenant's cached suggestions for ``periods``, keyed by (member_id, period)."""
    if not periods:
        return {}
    with Session(engine) as s:
        rows = s.scalars(
            select(Suggestion).where(
                Suggestion.tenant_id == tenant_id, Suggestion.period.in_(periods)
            )
        )
        return {(r.member_id, r.period): _cached(r) for r in rows}


def cached_suggestion(
    engine: Engine, tenant_id: int, member_id: int, period: str
) -> CachedSuggestion | None:
    with Session(engine) as s:
        row = _row(s, tenant_id, member_id, period)
        return None if row is None else _cached(row)


def _log(
    s: Session,
    tenant: TenantRef,
    actor: Actor,
    member_id: int,
    period: str,
    generation: Generation,
) -> None:
    if generation.outcome not in OUTCOMES or generation.trigger not in TRIGGERS:
        raise ValueError(f"bad generation outcome/trigger: {generation}")
    s.add(
        SuggestionGeneration(
            tenant_id=tenant.id,
            member_id=member_id,
            period=period,
            trigger=generation.trigger,
            actor=actor.email,
            model=generation.model,
            outcome=generation.outcome,
            error=generation.error,
            input_tokens=generation.input_tokens,
            output_tokens=generation.output_tokens,
            cost_micros=generation.cost_micros,
        )
    )


def save_suggestion(
    engine: Engine,
    tenant: TenantRef,
    actor: Actor,
    *,
    member_id: int,
    period: str,
    text: str,
    generator: str,
    model: str,
    prompt_version: str,
    inputs_hash: str,
    inputs: dict[str, Any],
    generation: Generation | None = None,
    error: str | None = None,
) -> None:
    """Store the member's suggestion for ``period`` (replacing the previous one) in one
    transaction with its generation log row. ``error`` records why a fallback text was used."""
    if not text.strip():
        raise ValueError("a suggestion needs some text")
    now = dt.datetime.now(dt.UTC)
    with Session(engine) as s, s.begin():
        _check_may_write(s, tenant, actor, member_id)
        row = _row(s, tenant.id, member_id, period)
        if row is None:
            row = Suggestion(tenant_id=tenant.id, member_id=member_id, period=period)
            s.add(row)
        row.text = text.strip()
        row.generator = generator
        row.model = model
        row.prompt_version = prompt_version
        row.inputs_hash = inputs_hash
        row.inputs = inputs
        row.generated_at = now
        row.last_error = error
        row.last_error_at = now if error else None
        if generation is not None:
            _log(s, tenant, actor, member_id, period, generation)


def record_failure(
    engine: Engine,
    tenant: TenantRef,
    actor: Actor,
    *,
    member_id: int,
    period: str,
    error: str,
    generation: Generation | None = None,
) -> None:
    """A generation failed: the previous suggestion (if any) stays; the error is recorded."""
    now = dt.datetime.now(dt.UTC)
    with Session(engine) as s, s.begin():
        _check_may_write(s, tenant, actor, member_id)
        row = _row(s, tenant.id, member_id, period)
        if row is not None:
            row.last_error = error
            row.last_error_at = now
        if generation is not None:
            _log(s, tenant, actor, member_id, period, generation)


def month_start(now: dt.datetime | None = None) -> dt.datetime:
    now = now or dt.datetime.now(dt.UTC)
    return dt.datetime(now.year, now.month, 1, tzinfo=dt.UTC)


def generation_cost_this_month(
    engine: Engine, tenant_id: int, now: dt.datetime | None = None
) -> int:
    """Estimated cost (micro-dollars) of the tenant's LLM generations this calendar month (UTC)."""
    with Session(engine) as s:
        total = s.scalar(
            select(func.coalesce(func.sum(SuggestionGeneration.cost_micros), 0)).where(
                SuggestionGeneration.tenant_id == tenant_id,
                SuggestionGeneration.at >= month_start(now),
            )
        )
    return int(total or 0)
