"""How a tenant's suggestions are generated: model, token limit, monthly budget, LLM endpoint.

Kept in the tenant's ``settings`` table under the key ``"suggestions"`` (only the values an
admin changed are stored; everything else falls back to the defaults below). Whether the LLM is
used at all depends on ``ANTHROPIC_API_KEY`` (``warehouse.settings.Settings``), never on this.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from warehouse import audit
from warehouse.actors import Actor, require_admin
from warehouse.errors import InvalidInput
from warehouse.models import Setting
from warehouse.tenants import TenantRef

SETTING_KEY = "suggestions"


class SuggestionConfigError(InvalidInput):
    pass


@dataclass(frozen=True)
class SuggestionConfig:
    model: str = "claude-haiku-4-5"
    max_tokens: int = 300  # per suggestion (the answer is two sentences)
    monthly_budget_micros: int = 5_000_000  # $5 of estimated list-price cost per tenant and month
    lookback_months: int = 3  # the current month and the two before it
    timeout_s: float = 30.0
    max_retries: int = 2
    base_url: str = "https://api.anthropic.com"  # a proxy or a test server may stand in

    def validated(self) -> SuggestionConfig:
        problems = []
        if not self.model.strip():
            problems.append("model must not be empty")
        if not 16 <= self.max_tokens <= 4096:
            problems.append(f"max_tokens must be within 16..4096, not {self.max_tokens}")
        if self.monthly_budget_micros < 0:
            problems.append("monthly_budget_micros must not be negative")
        if not 1 <= self.lookback_months <= 24:
            problems.append(f"lookback_months must be within 1..24, not {self.lookback_months}")
        if not 0.1 <= self.timeout_s <= 120:
            problems.append(f"timeout_s must be within 0.1..120, not {self.timeout_s}")
        if not 0 <= self.max_retries <= 5:
            problems.append(f"max_retries must be within 0..5, not {self.max_retries}")
        if not self.base_url.startswith(("https://", "http://")):
            problems.append(f"base_url must be an http(s) URL, not {self.base_url!r}")
        if problems:
            raise SuggestionConfigError("suggestion settings: " + "; ".join(problems))
        return self


_FIELDS = {f.name: f.type for f in dataclasses.fields(SuggestionConfig)}
_CASTS = {"model": str, "base_url": str, "timeout_s": float}


def _coerce(name: str, value: Any) -> Any:
    if name not in _FIELDS:
        raise SuggestionConfigError(
            f"suggestion settings: unknown field {name!r}; known: {', '.join(sorted(_FIELDS))}"
        )
    cast = _CASTS.get(name, int)
    try:
        if cast is int and isinstance(value, float) and not value.is_integer():
            raise ValueError
        return cast(value)
    except (TypeError, ValueError):
        raise SuggestionConfigError(
            f"suggestion settings: {name} must be {cast.__name__}, not {value!r}"
        ) from None


def get_config(engine: Engine, tenant: TenantRef) -> SuggestionConfig:
    """The tenant's suggestion settings (defaults for whatever was never set)."""
    with Session(engine) as s:
        stored = s.scalar(
            select(Setting.value).where(Setting.tenant_id == tenant.id, Setting.key == SETTING_KEY)
        )
    values = {k: _coerce(k, v) for k, v in (stored or {}).items() if k in _FIELDS}
    return SuggestionConfig(**values)


def set_config(engine: Engine, tenant: TenantRef, actor: Actor, **changes: Any) -> SuggestionConfig:
    """Change some suggestion settings (admins only, audited); returns the new settings."""
    require_admin(actor, "changing suggestion settings", tenant)
    coerced = {k: _coerce(k, v) for k, v in changes.items()}
    with Session(engine) as s, s.begin():
        row = s.get(Setting, (tenant.id, SETTING_KEY))
        stored = dict(row.value) if row is not None else {}
        stored.update(coerced)
        config = SuggestionConfig(
            **{k: _coerce(k, v) for k, v in stored.items() if k in _FIELDS}
        ).validated()
        if row is None:
            s.add(Setting(tenant_id=tenant.id, key=SETTING_KEY, value=stored))
        else:
            row.value = stored
        audit.record(s, tenant, actor, "suggestions.configure", SETTING_KEY, **coerced)
    return config
