"""Suggestions through the real anthropic SDK against a fake Anthropic server on 127.0.0.1.

The server counts the calls it received and keeps what reached it: caching is proved by
counting, privacy by reading the requests, failures by scripting the server. Every test runs
on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fake_anthropic import DEFAULT_TEXT, FakeAnthropic
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session
from suggestion_seed import PERIOD, SECRET_STRINGS, seed_team

from pipelines.suggestions import prompt
from pipelines.suggestions.generate import Regeneration, refresh_suggestions
from pipelines.suggestions.offline import OFFLINE_MODEL
from warehouse import suggestions as store
from warehouse.actors import SYSTEM, Actor, PermissionDenied
from warehouse.models import UsageFact
from warehouse.models_suggestions import SuggestionGeneration
from warehouse.suggestion_config import get_config, set_config

API_KEY = "sk-ant-api03-test-key-never-logged-0123456789"
TODAY = dt.date(2026, 11, 20)  # looking back 3 months: October and September hold data
MEMBER_MONTHS = 6  # 3 members x 2 months
FAILURES = ["429", "500", "529", "timeout", "refusal", "malformed", "truncated", "stream_error"]
KIND = {
    "429": "rate_limited",
    "500": "server_error",
    "529": "server_error",
    "timeout": "timeout",
    "refusal": "refused",
    "malformed": "malformed",
    "truncated": "malformed",
    "stream_error": "server_error",
}


@pytest.fixture
def fake():
    server = FakeAnthropic(slow_s=1.5).start()
    yield server
    server.stop()


@pytest.fixture
def team(engine: Engine, fake: FakeAnthropic):
    tenant, ids = seed_team(engine)
    set_config(engine, tenant, SYSTEM, base_url=fake.base_url, max_retries=0, timeout_s=0.5)
    return tenant, ids


def _refresh(engine, tenant, api_key=API_KEY):
    return refresh_suggestions(
        engine, tenant, get_config(engine, tenant), api_key=api_key, today=TODAY
    )


def _generations(engine) -> list[SuggestionGeneration]:
    with Session(engine) as s:
        return list(s.scalars(select(SuggestionGeneration).order_by(SuggestionGeneration.id)))


def test_first_refresh_asks_claude_once_per_member_month_then_never_again(engine, team, fake):
    tenant, ids = team
    summary = _refresh(engine, tenant)
    assert fake.calls == MEMBER_MONTHS
    assert (summary.llm, summary.cached, summary.failed) == (MEMBER_MONTHS, 0, 0)
    ada = store.cached_suggestion(engine, tenant.id, ids["Ada"], PERIOD)
    assert (ada.text, ada.generator, ada.model) == (DEFAULT_TEXT, "llm", "claude-haiku-4-5")
    assert ada.prompt_version == prompt.PROMPT_VERSION and ada.last_error is None
    # Tokens and the list-price estimate of every call are recorded (haiku: $1 in, $5 out).
    logged = _generations(engine)
    assert [(g.outcome, g.trigger, g.input_tokens, g.output_tokens) for g in logged] == [
        ("ok", "pipeline", 412, 57)
    ] * MEMBER_MONTHS
    assert {g.cost_micros for g in logged} == {412 * 1 + 57 * 5}
    assert store.generation_cost_this_month(engine, tenant.id) == MEMBER_MONTHS * 697

    again = _refresh(engine, tenant)
    assert fake.calls == MEMBER_MONTHS  # nothing changed: zero API calls
    assert (again.cached, again.llm) == (MEMBER_MONTHS, 0)


def test_changed_inputs_prompt_or_model_regenerate_only_what_they_touch(engine, team, fake):
    tenant, ids = team
    _refresh(engine, tenant)
    with Session(engine) as s, s.begin():  # a late vendor revision of Bob's October
        s.execute(
            update(UsageFact)
            .where(UsageFact.account_key == "bob@acme.example", UsageFact.charge_period_start >= dt.date(2026, 10, 1))
            .values(billed_cost_micros=51_000_000)
        )  # fmt: skip
    _refresh(engine, tenant)
    assert fake.calls == MEMBER_MONTHS + 1
    assert '"spend_usd": "51.00"' in fake.received[-1].body["messages"][0]["content"]

    set_config(engine, tenant, SYSTEM, model="claude-sonnet-4-5")
    _refresh(engine, tenant)
    assert fake.calls == 2 * MEMBER_MONTHS + 1
    assert fake.received[-1].body["model"] == "claude-sonnet-4-5"
    assert fake.received[-1].body["max_tokens"] == 300


def test_prompt_version_is_part_of_the_cache_key(engine, team, fake, monkeypatch):
    tenant, _ = team
    _refresh(engine, tenant)
    monkeypatch.setattr("pipelines.suggestions.generate.PROMPT_VERSION", "next")
    _refresh(engine, tenant)
    assert fake.calls == 2 * MEMBER_MONTHS


def test_no_email_name_or_vendor_key_reaches_the_request(engine, team, fake):
    tenant, _ = team
    _refresh(engine, tenant)
    assert fake.calls == MEMBER_MONTHS
    for request in fake.received:
        assert request.path == "/v1/messages"
        for secret in SECRET_STRINGS:
            assert secret not in request.raw, secret
        # The API key travels only as the bearer token, never in the body.
        assert request.headers["authorization"] == f"Bearer {API_KEY}"
        assert API_KEY not in json.dumps(request.body)
        assert request.body["system"] == prompt.SYSTEM_PROMPT
        assert request.body["stream"] is True


@pytest.mark.parametrize("failure", FAILURES)
def test_a_failure_keeps_the_previous_suggestion_and_records_the_error(engine, team, fake, failure):
    tenant, ids = team
    _refresh(engine, tenant)
    before = store.cached_suggestion(engine, tenant.id, ids["Ada"], PERIOD)
    fake.script.append(failure)
    regen = Regeneration(
        engine, tenant, SYSTEM, ids["Ada"], PERIOD, get_config(engine, tenant), API_KEY
    )
    list(regen)  # fmt: skip
    assert regen.outcome == "failed" and "previous suggestion stays" in regen.note
    after = store.cached_suggestion(engine, tenant.id, ids["Ada"], PERIOD)
    assert (after.text, after.generated_at) == (before.text, before.generated_at)
    assert after.last_error.startswith(KIND[failure] + ":")
    assert API_KEY not in after.last_error
    last = _generations(engine)[-1]
    assert (last.outcome, last.trigger, last.error) == ("error", "regenerate", after.last_error)


@pytest.mark.parametrize("failure", FAILURES)
def test_a_failure_with_nothing_to_keep_falls_back_to_the_offline_muse(engine, team, fake, failure):
    tenant, ids = team
    fake.script.extend([failure] * MEMBER_MONTHS)
    summary = _refresh(engine, tenant)
    assert summary.failed + summary.skipped_outage == MEMBER_MONTHS
    for member_id in ids.values():
        cached = store.cached_suggestion(engine, tenant.id, member_id, PERIOD)
        assert cached.generator == "offline" and cached.text
        assert cached.last_error  # the reason is kept beside the fallback
    # The next run tries Claude again (the cached model is the offline one).
    fake.script.clear()
    _refresh(engine, tenant)
    assert store.cached_suggestion(engine, tenant.id, ids["Ada"], PERIOD).text == DEFAULT_TEXT


def test_an_outage_stops_the_run_from_hammering_the_api(engine, team, fake):
    tenant, _ = team
    fake.script.extend(["500"] * MEMBER_MONTHS)
    summary = _refresh(engine, tenant)
    assert fake.calls == 3
    assert (summary.failed, summary.skipped_outage, summary.errors) == (3, 3, {"server_error": 3})


def test_the_monthly_budget_caps_calls(engine, team, fake):
    tenant, ids = team
    set_config(engine, tenant, SYSTEM, monthly_budget_micros=697 * 2)  # two haiku calls
    summary = _refresh(engine, tenant)
    assert fake.calls == 2
    assert (summary.llm, summary.skipped_budget, summary.offline) == (2, 4, 4)
    # Over budget, Regenerate still answers — from the offline muse, and says so.
    regen = Regeneration(
        engine, tenant, SYSTEM, ids["Cy"], "2026-09", get_config(engine, tenant), API_KEY
    )
    text = "".join(regen)  # fmt: skip
    assert fake.calls == 2 and regen.outcome == "offline" and "budget" in regen.note
    assert store.cached_suggestion(engine, tenant.id, ids["Cy"], "2026-09").text == text


def test_regenerate_streams_a_new_suggestion_through_the_sdk(engine, team, fake):
    tenant, ids = team
    _refresh(engine, tenant)
    fake.text = "Fresh idea: teach a parrot to say 'lgtm' with the hours you saved this month."
    ada = Actor("ada@acme.example", "viewer")  # the member herself
    regen = Regeneration(
        engine, tenant, ada, ids["Ada"], PERIOD, get_config(engine, tenant), API_KEY
    )
    chunks = list(regen)  # fmt: skip
    assert len(chunks) > 5 and "".join(chunks) == fake.text  # streamed, chunk by chunk
    assert fake.calls == MEMBER_MONTHS + 1  # forced: the inputs did not change
    assert regen.outcome == "llm"
    assert store.cached_suggestion(engine, tenant.id, ids["Ada"], PERIOD).text == fake.text
    last = _generations(engine)[-1]
    assert (last.trigger, last.actor, last.outcome) == ("regenerate", "ada@acme.example", "ok")


def test_only_the_member_or_an_admin_may_regenerate(engine, team, fake):
    tenant, ids = team
    _refresh(engine, tenant)
    bob = Actor("bob@acme.example", "viewer")
    regen = Regeneration(
        engine, tenant, bob, ids["Ada"], PERIOD, get_config(engine, tenant), API_KEY
    )
    with pytest.raises(PermissionDenied):
        list(regen)
    assert fake.calls == MEMBER_MONTHS  # refused before any call


def test_without_a_key_the_offline_muse_writes_everything_and_caches_too(engine, team, fake):
    tenant, ids = team
    summary = _refresh(engine, tenant, api_key=None)
    assert (summary.offline, fake.calls) == (MEMBER_MONTHS, 0)
    cached = store.cached_suggestion(engine, tenant.id, ids["Bob"], PERIOD)
    assert (cached.generator, cached.model) == ("offline", OFFLINE_MODEL)
    assert _refresh(engine, tenant, api_key=None).cached == MEMBER_MONTHS
    assert _generations(engine) == []  # nothing spent, nothing logged
    regen = Regeneration(
        engine, tenant, SYSTEM, ids["Bob"], PERIOD, get_config(engine, tenant), None
    )
    new = "".join(regen)  # fmt: skip
    assert regen.outcome == "offline" and new != cached.text and fake.calls == 0
