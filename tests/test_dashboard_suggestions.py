"""The suggestion card on My progress and its teaser on the Overview (AppTest, SQLite and
PostgreSQL), the admins' generation costs, and the pure card renderer.

The card belongs to the signed-in user's member (users map to members by email); Regenerate
streams through the offline muse without a key, through the SDK against a fake Anthropic
server with one, and a failure leaves the card as it was with a quiet note.
"""

from __future__ import annotations

import datetime as dt
import gc

import pytest
from dashboard_apptest import ADMIN, VIEWER, app, login
from fake_anthropic import FakeAnthropic
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest
from test_dashboard_queries import seed_mart

from dashboard.components.suggestion_card import card_html, chips, teaser, teaser_html
from dashboard.formatting import current_month
from dashboard.suggestion_queries import SuggestionCard, generation_usage
from warehouse import members
from warehouse import suggestions as store
from warehouse.actors import SYSTEM
from warehouse.suggestion_config import set_config
from warehouse.suggestions import CachedSuggestion
from warehouse.users import create_user

FIRST = "With the 14 hours Claude saved you, you could knit a scarf for a jazz quintet."
FACTS = {"time_saved_hours_estimate": "14.2", "active_days": 9, "rank": 2, "members_ranked": 7,
         "rank_climb": 3}  # fmt: skip


@pytest.fixture
def card_env(dashboard_env, engine: Engine, monkeypatch):
    """Vic (the viewer) is a member with a suggestion this month; Ada (admin) is not."""
    # Finalize earlier tests' garbage (e.g. unclosed SQLite connections) here, on the main
    # thread: finalized inside an AppTest script thread, their logged tracebacks call
    # ast.parse while Streamlit is parsing the page, which trips CPython 3.11.7's shared AST
    # recursion counter ("AST constructor recursion depth mismatch", cpython#106905).
    gc.collect()
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    tenant = dashboard_env
    month = current_month()
    seed_mart(engine, [(tenant.id, month, "cursor", "cursor", 5_000_000, 0)])
    vic = members.create_member(
        engine, tenant, SYSTEM, display_name="Vic Viewer", email=VIEWER[0].upper()
    )
    members.create_member(engine, tenant, SYSTEM, display_name="Zoe Other", email="z@example.com")
    store.save_suggestion(
        engine, tenant, SYSTEM, member_id=vic, period=month, text=FIRST, generator="offline",
        model="offline-muse-1", prompt_version="p", inputs_hash="h", inputs=FACTS,
    )  # fmt: skip
    return tenant, vic, month


def _card_texts(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if "aispend-suggestion-card" in m.value]


def _progress(at: AppTest) -> AppTest:
    at.switch_page("app_pages/my_progress.py").run()
    assert not at.exception, at.exception
    return at


def _regenerate(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "Regenerate").click()
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_viewer_sees_a_teaser_on_the_overview_and_their_card_on_my_progress(card_env) -> None:
    at = login(app(), *VIEWER[:2])
    assert not _card_texts(at)
    (teaser_line,) = [m.value for m in at.markdown if "aispend-suggestion-teaser" in m.value]
    assert "With the 14 hours Claude saved you" in teaser_line
    at = _progress(at)
    (card,) = _card_texts(at)
    assert FIRST in card and "Vic Viewer" in card
    assert "~14 h saved (est.)" in card and "#2 of 7 ▲3" in card
    assert not [s for s in at.selectbox if s.label in ("Suggestion for", "Progress of")]
    assert not at.caption or all("breather" not in c.value for c in at.caption)


def test_regenerate_without_a_key_streams_the_offline_muse(card_env, engine) -> None:
    tenant, vic, month = card_env
    at = _regenerate(_progress(login(app(), *VIEWER[:2])))
    saved = store.cached_suggestion(engine, tenant.id, vic, month)
    assert saved.text != FIRST and saved.generator == "offline"
    (card,) = _card_texts(at)
    assert saved.text.split(" ")[0] in card


def test_regenerate_with_a_key_streams_claude_and_a_failure_changes_nothing(
    card_env, engine, monkeypatch
) -> None:
    tenant, vic, month = card_env
    fake = FakeAnthropic(text="Fresh from the fake Claude: knit faster.").start()
    try:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-dashboard-test")
        set_config(engine, tenant, SYSTEM, base_url=fake.base_url, max_retries=0, timeout_s=2)
        at = _regenerate(_progress(login(app(), *VIEWER[:2])))
        assert fake.calls == 1
        (card,) = _card_texts(at)
        assert "Fresh from the fake Claude: knit faster." in card
        assert "written by Claude (claude-haiku-4-5)" in card

        fake.script.append("429")
        at = _regenerate(at)
        assert fake.calls == 2
        (card,) = _card_texts(at)
        assert "Fresh from the fake Claude: knit faster." in card  # the previous card stays
        captions = [c.value for c in at.caption]
        assert any("previous suggestion stays" in c for c in captions), captions
        at.run()  # later visits: a quiet note, nothing more
        assert any("taking a breather" in c.value for c in at.caption)
        assert not at.error
    finally:
        fake.stop()


def test_a_user_without_a_member_is_invited_not_blocked(card_env, engine) -> None:
    tenant, _, _ = card_env
    create_user(engine, tenant, SYSTEM, email="new@example.com", name="New",
                password="new-password-1", role="viewer")  # fmt: skip
    at = login(app(), "new@example.com", "new-password-1")
    assert any(m.label.startswith("Billed spend") for m in at.metric)  # the overview works
    at = _progress(at)
    assert not _card_texts(at)
    assert any("links your login (new@example.com)" in i.value for i in at.info)
    to_earn = [c.value for c in at.caption if c.value.startswith("To earn:")]
    assert "To earn: 10,000,000 tokens in one month" in to_earn and len(to_earn) == 8


def test_an_admin_picks_any_members_card_and_sees_generation_costs(card_env, engine) -> None:
    tenant, vic, month = card_env
    store.record_failure(
        engine, tenant, SYSTEM, member_id=vic, period=month, error="timeout: slow",
        generation=store.Generation(model="claude-haiku-4-5", trigger="pipeline", outcome="error"),
    )  # fmt: skip
    store.save_suggestion(
        engine, tenant, SYSTEM, member_id=vic, period=month, text=FIRST, generator="llm",
        model="claude-haiku-4-5", prompt_version="p", inputs_hash="h", inputs=FACTS,
        generation=store.Generation(model="claude-haiku-4-5", trigger="pipeline", outcome="ok",
                                    input_tokens=400, output_tokens=60, cost_micros=700),
    )  # fmt: skip
    at = _progress(login(app(), *ADMIN[:2]))
    picker = next(s for s in at.selectbox if s.label == "Progress of")
    assert picker.options == ["Vic Viewer", "Zoe Other"]
    assert FIRST in _card_texts(at)[0]
    picker.select_index(1).run()
    assert not _card_texts(at)
    assert any("No suggestion for this month yet" in c.value for c in at.caption)

    at.switch_page("app_pages/admin_suggestions.py").run()
    assert not at.exception, at.exception
    metric = next(m for m in at.metric if m.label.startswith("Suggestion generation"))
    assert metric.value == "$0.00 of $5.00"  # 700 micro-dollars rounds to no cent
    table = at.dataframe[-1].value
    assert table.to_dict("records") == [
        {"month": dt.date.today().strftime("%B %Y"), "calls": 2, "failed": 1,
         "input_tokens": 400, "output_tokens": 60, "cost": "$0.00"}
    ]  # fmt: skip


def test_generation_usage_query_counts_per_month(engine: Engine) -> None:
    from warehouse.tenants import create_tenant

    tenant = create_tenant(engine, "acme")
    m = members.create_member(engine, tenant, SYSTEM, display_name="A")
    for outcome, cost in (("ok", 1_500_000), ("error", None), ("ok", 2_500_000)):
        gen = store.Generation("claude-haiku-4-5", "pipeline", outcome, 10, 5, cost, None)
        store.record_failure(engine, tenant, SYSTEM, member_id=m, period="2026-11", error="x",
                             generation=gen)  # fmt: skip
    usage = generation_usage(engine, tenant.id)
    assert usage.to_dict("records") == [
        {"month": current_month(), "calls": 3, "failed": 1, "input_tokens": 30,
         "output_tokens": 15, "cost_micros": 4_000_000}
    ]  # fmt: skip
    assert store.generation_cost_this_month(engine, tenant.id) == 4_000_000


def _card(text: str, **facts) -> SuggestionCard:
    at = dt.datetime(2026, 11, 3, tzinfo=dt.UTC)
    cached = CachedSuggestion(1, "2026-11", text, "llm", "claude-haiku-4-5", "p", "h", facts,
                              at, None, None)  # fmt: skip
    return SuggestionCard("Ada <Admin>", cached)


def test_card_html_escapes_everything_from_data_and_model() -> None:
    html = card_html(_card("<script>alert(1)</script> & friends"))
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; friends" in html
    assert "Ada &lt;Admin&gt;" in html and "November 2026" in html
    assert "written by Claude (claude-haiku-4-5)" in html


def test_chips_show_growth_only() -> None:
    assert chips({"rank": 4, "members_ranked": 9, "rank_climb": None}) == ["#4 of 9"]
    assert chips({"rank": 4, "members_ranked": 9, "rank_climb": 2}) == ["#4 of 9 ▲2"]
    assert chips({"time_saved_hours_estimate": "0.4", "active_days": 1}) == ["1 active day"]


def test_teaser_keeps_the_first_sentence_and_cuts_on_a_word() -> None:
    assert teaser("Short one. And more.") == "Short one."
    long = "With the fourteen hours Claude saved you this month you could knit scarves " * 3
    cut = teaser(long)
    assert cut.endswith("…") and len(cut) <= 91 and long.startswith(cut[:-1])
    assert "✦ Short one." in teaser_html(_card("Short one. And more."))
