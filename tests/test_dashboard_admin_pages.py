"""The admin pages driven through AppTest, on SQLite and PostgreSQL: each page's main action,
asserted on what lands in the warehouse and on what the page then shows."""

from __future__ import annotations

import datetime as dt

import pytest
from dashboard_apptest import ADMIN, shown
from dashboard_apptest import app as _app
from dashboard_apptest import errors as _errors
from dashboard_apptest import login as _login
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from dashboard import launch_panel
from warehouse import audit, credentials, dashboard_settings, identities, manual_entries, members
from warehouse.actors import SYSTEM
from warehouse.models import VendorAccount
from warehouse.users import login_directory


@pytest.fixture(autouse=True)
def refreshes(monkeypatch) -> list[str]:
    """Tenants whose marts refresh a page asked for (the Dagster run itself is the browser
    test's: tests/test_browser_admin.py)."""
    asked: list[str] = []
    monkeypatch.setattr(
        launch_panel, "launch_refresh", lambda settings, actor, tenant: asked.append(tenant.slug)
    )
    return asked


def _admin_on(page: str) -> AppTest:
    at = _login(_app(), *ADMIN[:2])
    at.switch_page(f"app_pages/{page}").run()
    assert not at.exception, at.exception
    return at


def _click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def _texts(elements) -> list[str]:
    return [shown(e.value) for e in elements]


def test_members_page_links_a_possible_match(dashboard_env, engine: Engine, refreshes) -> None:
    tenant = dashboard_env
    ada = members.create_member(engine, tenant, SYSTEM, display_name="Ada", email="ada@example.com")
    with Session(engine) as s, s.begin():
        s.add(VendorAccount(tenant_id=tenant.id, source="cursor", account_key="ada@example.com"))
        s.add(VendorAccount(tenant_id=tenant.id, source="cursor", account_key="zed@example.com"))
    at = _admin_on("admin_members.py")
    assert "cursor · 2 unlinked" in [h.value for h in at.subheader]
    table = at.dataframe[0].value
    assert list(table.columns) == ["Account", "Name", "Email", "Kind", "Possible match"]
    assert table.set_index("Account").loc["ada@example.com", "Possible match"] == "Ada"
    assert "None" not in table.to_string()
    # The first account (ada) is chosen; its possible match is preselected.
    account = at.selectbox(key="link_account")
    assert "cursor · ada@example.com — possible match: Ada" in account.options
    member = next(s for s in at.selectbox if s.key and s.key.startswith("link_member_"))
    assert member.value == ada
    _click(at, "Link to member")
    assert _texts(at.success)[0].startswith("Linked cursor:ada@example.com to Ada")
    linked = {
        a["account_key"]: a["member_id"] for a in identities.list_accounts(engine, tenant, SYSTEM)
    }
    assert linked == {"ada@example.com": ada, "zed@example.com": None}
    assert "cursor · 1 unlinked" in [h.value for h in at.subheader]
    assert refreshes == [tenant.slug]  # the link asked for the dashboard's refresh

    # Create a member from the remaining account.
    _click(at, "Create a member from this account")
    assert "zed@example.com" in [m["email"] for m in members.list_members(engine, tenant, SYSTEM)]
    assert _texts(at.success) == [
        "Created a member from cursor:zed@example.com and linked it.",
        "Every account found in vendor data is linked to a member.",
    ]


def test_members_page_merge_shows_a_preview_then_merges(dashboard_env, engine: Engine) -> None:
    tenant = dashboard_env
    keep = members.create_member(engine, tenant, SYSTEM, display_name="Ada")
    gone = members.create_member(engine, tenant, SYSTEM, display_name="Ada again")
    at = _admin_on("admin_members.py")
    at.selectbox(key="merge_keep").set_value(keep).run()
    at.selectbox(key="merge_remove").set_value(gone).run()
    assert any("Ada again is merged into Ada" in i for i in _texts(at.info))
    merge = next(b for b in at.button if b.label == "Merge")
    assert merge.disabled
    at.checkbox(key=f"merge_confirm_{keep}_{gone}").check().run()
    _click(at, "Merge")
    assert [m["id"] for m in members.list_members(engine, tenant, SYSTEM)] == [keep]


def test_manual_entries_page_adds_edits_and_deletes(dashboard_env, engine: Engine) -> None:
    tenant = dashboard_env
    ada = members.create_member(engine, tenant, SYSTEM, display_name="Ada")
    at = _admin_on("admin_manual_entries.py")
    at.selectbox(key="new_member").set_value(ada)
    at.text_input(key="new_vendor").input("GitHub")
    at.text_input(key="new_product").input("Copilot Business")
    at.text_input(key="new_amount").input("1,234.57")
    at.text_input(key="new_tokens").input("1000")
    at.date_input(key="new_period").set_value((dt.date(2026, 10, 1), dt.date(2026, 10, 31)))
    next(b for b in at.button if b.label == "Add entry").click().run()
    assert not at.exception, at.exception
    assert _errors(at) == []
    [entry] = manual_entries.list_entries(engine, tenant, SYSTEM)
    assert (entry["amount_micros"], entry["tokens"], entry["member_id"]) == (
        1_234_570_000,
        1000,
        ada,
    )
    table = at.dataframe[0].value
    assert table.to_dict("records") == [
        {
            "Period": "2026-10-01 – 2026-10-31",
            "Member": "Ada",
            "Vendor": "GitHub",
            "Product": "Copilot Business",
            "Amount": "$1,234.57",
            "Tokens": "1,000",
            "Category": "Purchase",
            "Note": "",
            "Added by": table.iloc[0]["Added by"],
            "Last changed": "",
        }
    ]
    assert table.iloc[0]["Added by"].startswith(ADMIN[0])
    assert "None" not in table.to_string()

    # Edit the amount only: the audit names exactly that field.
    prefix = f"edit_{entry['id']}"
    assert at.text_input(key=f"{prefix}_amount").value == "1234.57"
    at.text_input(key=f"{prefix}_amount").input("1300")
    next(b for b in at.button if b.label == "Save changes").click().run()
    assert _errors(at) == []
    assert manual_entries.list_entries(engine, tenant, SYSTEM)[0]["amount_micros"] == 1_300_000_000
    [edit] = audit.list_events(engine, tenant, SYSTEM, actions=["manual_entry.edit"])
    assert edit["detail"]["fields"] == ["amount"]

    # A bad amount is one clear error and changes nothing.
    at.text_input(key=f"{prefix}_amount").input("twelve")
    next(b for b in at.button if b.label == "Save changes").click().run()
    assert _errors(at) == ["amount 'twelve' is not a number"]
    assert manual_entries.list_entries(engine, tenant, SYSTEM)[0]["amount_micros"] == 1_300_000_000

    at.checkbox(key=f"delete_confirm_{entry['id']}").check().run()
    _click(at, "Delete entry")
    assert manual_entries.list_entries(engine, tenant, SYSTEM) == []


def test_vendors_page_stores_masked_credentials_and_tests_them(
    dashboard_env, engine: Engine, vendor_simulator, monkeypatch
) -> None:
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    monkeypatch.setenv("AISPEND_SECRET_KEY", key)
    config = vendor_simulator.config("cursor")
    at = _admin_on("admin_vendors.py")
    assert "Cursor" in [h.value for h in at.subheader]
    assert any("Not configured yet" in w.value for w in at.warning)
    at.text_input(key="vendor_cursor_api_key").input(config["api_key"])
    at.text_input(key="vendor_cursor_base_url").input(config["base_url"])
    forms_save = [b for b in at.button if b.label == "Save credentials"]
    # One form per credentialed connector; cursor's is the one holding these inputs.
    next(b for b in forms_save if "cursor" in str(b.form_id)).click().run()
    assert not at.exception, at.exception
    assert _errors(at) == []
    stored = credentials.masked_config(engine, [key], dashboard_env, SYSTEM, "cursor")
    assert stored == {"api_key": "••••" + config["api_key"][-4:], "base_url": config["base_url"]}
    assert config["api_key"] not in str(at)  # not on the page, not even in the session
    placeholder = at.text_input(key="vendor_cursor_api_key").placeholder
    assert placeholder == f"stored: ••••{config['api_key'][-4:]} — leave empty to keep"
    next(b for b in at.button if b.key == "test_cursor").click().run()
    assert any(s.startswith("Connection works.") for s in _texts(at.success))
    [event] = audit.list_events(engine, dashboard_env, SYSTEM, actions=["vendor.test"])
    assert event["detail"]["ok"] is True


def test_users_page_creates_changes_role_and_resets_password(dashboard_env, engine: Engine):
    import bcrypt

    at = _admin_on("admin_users.py")
    assert list(at.dataframe[0].value.columns) == ["Email", "Name", "Role", "Created"]
    form = "user_create"
    [email, name, password] = [t for t in at.text_input if t.form_id == form]
    email.input("New.Person@example.com")
    name.input("New Person")
    password.input("a-long-password")
    next(b for b in at.button if b.form_id == form).click().run()
    assert _errors(at) == []
    users = {u.email: u for u in login_directory(engine, dashboard_env)}
    assert users["new.person@example.com"].role == "viewer"

    at.selectbox(key="role_user").set_value("new.person@example.com")
    at.selectbox(key="role_new").set_value("admin")
    next(b for b in at.button if b.label == "Change role").click().run()
    users = {u.email: u for u in login_directory(engine, dashboard_env)}
    assert users["new.person@example.com"].role == "admin"

    at.selectbox(key="password_user").set_value("new.person@example.com")
    [first, second] = [t for t in at.text_input if t.form_id == "user_password"]
    first.input("another-password")
    second.input("another-password")
    next(b for b in at.button if b.label == "Reset password").click().run()
    assert _errors(at) == []
    users = {u.email: u for u in login_directory(engine, dashboard_env)}
    assert bcrypt.checkpw(
        b"another-password", users["new.person@example.com"].password_hash.encode()
    )


def test_settings_page_saves_and_refuses_bad_thresholds(dashboard_env, engine: Engine) -> None:
    at = _admin_on("admin_settings.py")
    at.radio[0].set_value("anonymous")
    at.checkbox[0].check()
    next(b for b in at.button if b.label == "Save settings").click().run()
    assert _errors(at) == []
    saved = dashboard_settings.get_dashboard_settings(engine, dashboard_env, SYSTEM)
    assert (saved.display_mode, saved.viewers_see_only_own_detail) == ("anonymous", True)

    titan = next(n for n in at.number_input if n.label.endswith("Token Titan"))
    titan.set_value(2_000_000)
    next(b for b in at.button if b.label == "Save settings").click().run()
    saved = dashboard_settings.get_dashboard_settings(engine, dashboard_env, SYSTEM)
    assert saved.badge_token_titan_tokens == 2_000_000
    assert saved.badge_big_spender_usd == 500  # the others keep their values

    at.number_input[0].set_value(48)  # fresh longer than stale
    next(b for b in at.button if b.label == "Save settings").click().run()
    assert any("must be above the fresh one" in e for e in _errors(at))
    assert dashboard_settings.get_dashboard_settings(engine, dashboard_env, SYSTEM).fresh_hours == 6


def test_audit_log_page_lists_and_filters(dashboard_env, engine: Engine) -> None:
    members.create_member(engine, dashboard_env, SYSTEM, display_name="Ada")
    manual_entries.create_entry(
        engine,
        dashboard_env,
        SYSTEM,
        provider="GitHub",
        service="Copilot",
        amount="19",
        period_start=dt.date(2026, 10, 1),
        period_end=dt.date(2026, 10, 31),
    )
    at = _admin_on("admin_audit_log.py")
    table = at.dataframe[0].value
    assert list(table.columns) == ["When", "Who", "Action", "Target", "Details"]
    assert (
        list(table["Action"])
        == ["manual_entry.create", "member.create", "user.create"][:2] + (list(table["Action"])[2:])
    )
    details = table.set_index("Action").loc["manual_entry.create", "Details"]
    assert "amount: $19.00" in details and "None" not in table.to_string()
    at.multiselect[0].select("member.create").run()
    assert list(at.dataframe[0].value["Action"]) == ["member.create"]


def test_budgets_page_sets_shows_refuses_and_removes(dashboard_env, engine: Engine) -> None:
    from warehouse import budgets

    at = _admin_on("admin_budgets.py")
    assert any("No budgets yet" in i.value for i in at.info)
    next(t for t in at.text_input if t.label == "Dollars per month").input("12,345.67")
    at = _click(at, "Save budget")
    assert _errors(at) == []
    (ref,) = budgets.list_budgets(engine, dashboard_env, SYSTEM)
    assert (ref.scope, ref.monthly_micros, ref.thresholds) == (
        "tenant",
        12_345_670_000,
        (75, 90, 100),
    )
    row = at.dataframe[0].value.to_dict("records")[0]
    assert (row["budget"], row["monthly"], row["spent"]) == ("whole team", "$12,345.67", "$0.00")

    next(t for t in at.text_input if t.label == "Dollars per month").input("lots")
    at = _click(at, "Save budget")
    assert any("'lots' is not a number" in e for e in _errors(at))
    at = _click(at, "Remove budget")
    assert budgets.list_budgets(engine, dashboard_env, SYSTEM) == []
    assert [e["action"] for e in audit.list_events(engine, dashboard_env, SYSTEM)][:2] == [
        "budget.remove",
        "budget.set",
    ]


def test_prices_page_lists_unpriced_and_adds_a_version(dashboard_env, engine: Engine) -> None:
    from warehouse import prices
    from warehouse.models import UsageFact

    day = dt.date(2026, 10, 1)
    with Session(engine) as s, s.begin():
        s.add(
            UsageFact(
                tenant_id=dashboard_env.id,
                source="anthropic",
                record_key="k1",
                account_key="apikey_1",
                charge_period_start=day,
                charge_period_end=day + dt.timedelta(days=1),
                provider="Anthropic",
                service="Claude API",
                sku="claude-house-model",
                billed_cost_micros=5_000_000,
                input_tokens=1_000,
                output_tokens=10,
            )  # fmt: skip
        )
    at = _admin_on("admin_prices.py")
    table = at.dataframe[0].value.set_index("Model")
    assert table.loc["claude-house-model", "Input"] == "unpriced"
    assert table.loc["claude-sonnet-4-5", "Source"] == "shipped"
    assert any("1 model(s) in your usage have no price" in w for w in _texts(at.warning))

    # The form is prefilled with the unpriced model; a bad number is one clear error.
    assert at.text_input(key="price_model").value == "claude-house-model"
    at.date_input(key="price_valid_from").set_value(dt.date(2026, 9, 1))
    at.text_input(key="price_input").input("abc")
    at.text_input(key="price_output").input("15")
    _click(at, "Add price version")
    assert any("input 'abc' is not a number" in e for e in _errors(at))
    assert prices.unpriced_models(engine, dashboard_env, SYSTEM) == [
        ("Anthropic", "claude-house-model")
    ]

    at.text_input(key="price_input").input("2.5")
    _click(at, "Add price version")
    assert _errors(at) == []
    assert _texts(at.success)[0].startswith("Price added: claude-house-model from 2026-09-01")
    assert prices.unpriced_models(engine, dashboard_env, SYSTEM) == []
    table = at.dataframe[0].value.set_index("Model")
    assert (
        table.loc["claude-house-model", "Input"],
        table.loc["claude-house-model", "Source"],
    ) == (
        "$2.5",
        "yours",
    )
    [entry] = [
        e for e in audit.list_events(engine, dashboard_env, SYSTEM) if e["action"] == "price.set"
    ]
    assert entry["target"] == "claude-house-model"
