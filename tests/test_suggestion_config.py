"""Suggestion settings live in the tenant's settings table: defaults, changes, bad values."""

from __future__ import annotations

import re

import pytest

from warehouse import audit
from warehouse.actors import Actor
from warehouse.suggestion_config import (
    SuggestionConfig,
    SuggestionConfigError,
    get_config,
    set_config,
)
from warehouse.tenants import create_tenant

ADMIN = Actor("admin@a.example", "admin")


def test_defaults_until_an_admin_changes_something(engine) -> None:
    acme, globex = create_tenant(engine, "acme"), create_tenant(engine, "globex")
    assert get_config(engine, acme) == SuggestionConfig()
    changed = set_config(
        engine, acme, ADMIN, model="claude-sonnet-4-5", max_tokens="200", monthly_budget_micros=0
    )
    assert changed == get_config(engine, acme)
    assert (changed.model, changed.max_tokens, changed.monthly_budget_micros) == (
        "claude-sonnet-4-5",
        200,
        0,
    )
    assert changed.lookback_months == SuggestionConfig().lookback_months  # untouched
    assert get_config(engine, globex) == SuggestionConfig()  # per tenant
    set_config(engine, acme, ADMIN, timeout_s=5)
    assert get_config(engine, acme).model == "claude-sonnet-4-5"  # earlier changes stay
    events = audit.list_events(engine, acme, ADMIN)
    assert [e["action"] for e in events] == ["suggestions.configure"] * 2
    assert events[1]["detail"]["model"] == "claude-sonnet-4-5"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"max_tokens": 5}, "max_tokens must be within 16..4096"),
        ({"monthly_budget_micros": -1}, "must not be negative"),
        ({"base_url": "ftp://x"}, "base_url must be an http(s) URL"),
        ({"model": " "}, "model must not be empty"),
        ({"max_tokens": "lots"}, "max_tokens must be int"),
        ({"temperature": 2}, "unknown field 'temperature'"),
    ],
)
def test_bad_values_are_refused_naming_the_field_and_nothing_changes(engine, changes, message):
    tenant = create_tenant(engine, "acme")
    with pytest.raises(SuggestionConfigError, match=re.escape(message)):
        set_config(engine, tenant, ADMIN, **changes)
    assert get_config(engine, tenant) == SuggestionConfig()
    assert audit.list_events(engine, tenant, ADMIN) == []
