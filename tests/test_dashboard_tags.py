"""Admin → Tags and Analytics → Spend by tag, through AppTest on SQLite and PostgreSQL: an
admin tags a project seen in vendor data and removes it again; a bad tag is one error line; a
viewer is refused; the Analytics section shows a key's values and the untagged rest."""

from __future__ import annotations

import datetime as dt

from dashboard_apptest import ADMIN, VIEWER, app, errors, login, shown
from mart_seed import write
from sqlalchemy import Engine

from connectors.contract import Account, UsageRecord
from dashboard.formatting import current_month
from warehouse import audit, tag_spend, tags
from warehouse.actors import SYSTEM


def _seed(engine: Engine, tenant) -> None:
    day = dt.date.fromisoformat(f"{current_month()}-01")
    rows = [
        UsageRecord(day=day, account_key="ada@x.io", service="API", sku=f"gpt-{sub}",
                    billed_cost_micros=cost, sub_account=sub, input_tokens=tokens)
        for sub, cost, tokens in (("proj_search", 1_234_567, 10), ("proj_ads", 765_433, None))
    ]  # fmt: skip
    write(engine, tenant.id, "openai", day, day, rows, accounts=[Account("ada@x.io")])


def _on(page: str, who=ADMIN):
    at = login(app(), *who[:2])
    at.switch_page(f"app_pages/{page}").run()
    assert not at.exception, at.exception
    return at


def _click(at, label: str):
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def test_admin_adds_and_removes_a_tag_on_a_project_seen_in_vendor_data(
    dashboard_env, engine: Engine
) -> None:
    tenant = dashboard_env
    _seed(engine, tenant)
    at = _on("admin_tags.py")
    assert any("No tags yet" in i.value for i in at.info)
    at.selectbox(key="tag_dimension").set_value("project").run()
    seen = at.selectbox(key="tag_seen")
    assert seen.options == ["openai · proj_ads", "openai · proj_search"]
    seen.set_value(("openai", "proj_search"))
    at.text_input(key="tag_text").input("team")
    at = _click(at, "Add tag")
    assert any("tag 'team' is not key=value" in e for e in errors(at))
    assert tags.list_assignments(engine, tenant, SYSTEM) == []

    at.text_input(key="tag_text").input("Team=search")
    at = _click(at, "Add tag")
    assert errors(at) == []
    assert shown(at.success[0].value) == "Tagged openai project proj_search with team=search."
    (row,) = at.dataframe[0].value.to_dict("records")
    assert (row["source"], row["on"], row["value"], row["tag"], row["set by"]) == (
        "openai", "Project", "proj_search", "team=search", ADMIN[0])  # fmt: skip

    at = _click(at, "Remove tag")
    assert tags.list_assignments(engine, tenant, SYSTEM) == []
    actions = [e["action"] for e in audit.list_events(engine, tenant, SYSTEM)]
    assert actions[:2] == ["tag.remove", "tag.set"]


def test_a_viewer_is_refused_the_tags_page(dashboard_env) -> None:
    at = _on("admin_tags.py", VIEWER)
    assert [e.value for e in at.error] == ["This page is for admins only."]
    assert [b.label for b in at.button] == ["Log out"]  # no tag controls


def test_analytics_shows_spend_by_tag_with_the_untagged_rest(dashboard_env, engine) -> None:
    tenant = dashboard_env
    _seed(engine, tenant)
    tags.set_tag(engine, tenant, SYSTEM, source="openai", dimension="project",
                 value="proj_search", key="team", tag_value="search")  # fmt: skip
    tag_spend.refresh(engine, tenant.id)
    at = _on("analytics.py", VIEWER)
    assert at.selectbox(key="aispend_an_tag_key").value == "team"
    table = next(d.value for d in at.dataframe if "team" in d.value.columns)
    assert table.to_dict("records") == [
        {"team": "search", "billed": "$1.23", "estimate (not billed)": "$0.00", "tokens": "10"},
        {"team": "(untagged)", "billed": "$0.77", "estimate (not billed)": "$0.00",
         "tokens": "unknown"},
    ]  # fmt: skip
    assert any("Billed across all values: $2.00" in shown(c.value) for c in at.caption)
