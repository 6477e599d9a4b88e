"""Admin → Import a file and Admin → Seat plans driven through AppTest, on SQLite and
PostgreSQL: what the pages show, and what lands in the warehouse (a viewer's "admins only" is
tests/test_dashboard_app.py's, for every admin page)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dashboard_apptest import ADMIN, errors, shown
from dashboard_apptest import app as _app
from dashboard_apptest import login as _login
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from dashboard import launch_panel
from pipelines.launch import AlreadyRunning
from warehouse import audit, file_imports, seat_plans
from warehouse.actors import SYSTEM
from warehouse.models import UsageFact, VendorAccount

BAD_CSV = (
    b"date,vendor,amount,email\n"
    b"2026-10-01,GitHub,19.00,ada@example.com\n"
    b"2026-10-02,GitHub,twelve,bob@example.com\n"
    b"not a day,GitHub,5.00,cy@example.com\n"
)
GOOD_CSV = (
    b"date,vendor,amount,email\n"
    b"2026-10-01,GitHub,19.00,ada@example.com\n"
    b"2026-10-02,GitHub,21.50,bob@example.com\n"
)


def _admin_on(page: str) -> AppTest:
    at = _login(_app(), *ADMIN[:2])
    at.switch_page(f"app_pages/{page}").run()
    assert not at.exception, at.exception
    return at


def _texts(elements) -> list[str]:
    return [shown(e.value) for e in elements]


def _file_facts(engine: Engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).where(UsageFact.source == "file"))


def test_import_page_shows_row_errors_then_imports_a_good_file(
    dashboard_env, engine: Engine, monkeypatch
) -> None:
    tenant = dashboard_env

    def refresh_busy(*args, **kwargs):  # the Dagster refresh itself is the browser test's
        raise AlreadyRunning("a sync of marts is still running")

    monkeypatch.setattr(launch_panel, "launch_refresh", refresh_busy)
    at = _admin_on("admin_import.py")
    assert any("No file imported yet" in i for i in _texts(at.info))

    at.file_uploader[0].upload("october.csv", BAD_CSV, "text/csv").run()
    assert not at.exception, at.exception
    assert errors(at) == ["october.csv: 2 problem(s), nothing was imported."]
    assert not at.dataframe  # no import listed, no preview
    problems = at.table[0].value
    assert list(problems.columns) == ["Column", "Problem"]
    assert list(problems.index) == ["3", "4"]
    assert list(problems["Column"]) == ["amount", "date"]
    assert "twelve" in problems.iloc[0]["Problem"]
    assert not [b for b in at.button if b.label == "Import"]
    assert _file_facts(engine) == 0
    assert file_imports.list_imports(engine, tenant, SYSTEM) == []

    at.file_uploader[0].upload("october.csv", GOOD_CSV, "text/csv").run()
    assert errors(at) == []
    assert "Ready to import 2 rows of october.csv as 2 daily facts, $40.50 billed, " \
        "2026-10-01 … 2026-10-02." in _texts(at.success)  # fmt: skip
    detected = at.dataframe[0].value.set_index("Meaning")
    assert detected.loc["amount", "Column"] == "amount"
    assert _file_facts(engine) == 0  # the preview wrote nothing

    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception, at.exception
    [record] = file_imports.list_imports(engine, tenant, SYSTEM)
    assert (record["filename"], record["facts"], record["billed_cost_micros"]) == (
        "october.csv",
        2,
        40_500_000,
    )
    assert _file_facts(engine) == 2
    assert _texts(at.success)[0].startswith("Imported 2 rows of october.csv")
    listed = at.dataframe[0].value.to_dict("records")[0]
    assert (listed["File"], listed["Billed"], listed["Daily facts"]) == (
        "october.csv",
        "$40.50",
        "2",
    )
    assert not at.file_uploader[0].value  # a fresh uploader for the next file
    [event] = audit.list_events(engine, tenant, SYSTEM, actions=["file.import"])
    assert event["target"] == "october.csv"

    # The same file again changes nothing.
    at.file_uploader[0].upload("october.csv", GOOD_CSV, "text/csv").run()
    assert any("already imported as import #" in i for i in _texts(at.info))
    assert not [b for b in at.button if b.label == "Import"]

    at.checkbox(key=f"remove_import_confirm_{record['id']}").check().run()
    next(b for b in at.button if b.label == "Remove import").click().run()
    assert file_imports.list_imports(engine, tenant, SYSTEM) == []
    assert _file_facts(engine) == 0


def _seat(engine: Engine, tenant, account: str, day: dt.date, micros: int) -> None:
    with Session(engine) as s, s.begin():
        s.add(
            UsageFact(
                tenant_id=tenant.id,
                source="copilot",
                record_key=f"seat-{account}-{day}",
                account_key=account,
                charge_period_start=day,
                charge_period_end=day + dt.timedelta(days=1),
                provider="GitHub",
                service="Copilot Business",
                sku="business",
                charge_category="Purchase",
                consumed_unit="seat_days",
                consumed_quantity=1,
                billed_cost_micros=micros,
            )  # fmt: skip
        )


def test_seat_plans_page_prices_a_plan_and_lists_idle_seats(dashboard_env, engine: Engine):
    tenant = dashboard_env
    with Session(engine) as s, s.begin():
        s.add(VendorAccount(tenant_id=tenant.id, source="copilot", account_key="octo",
                            display_name="Octo Cat", kind="user"))  # fmt: skip
    for i in range(3):
        _seat(engine, tenant, "octo", dt.date(2026, 10, 1 + i), 633_333)
    at = _admin_on("admin_seat_plans.py")
    assert [h.value for h in at.subheader] == ["GitHub · copilot"]
    assert any("No prices stored: the defaults apply (business $19" in shown(c.value)
               for c in at.caption)  # fmt: skip

    at.text_input(key="seat_plan_copilot_plan").input("Enterprise")
    at.text_input(key="seat_plan_copilot_usd").input("41.50")
    at.date_input(key="seat_plan_copilot_from").set_value(dt.date(2026, 11, 1))
    next(b for b in at.button if b.label == "Set price").click().run()
    assert not at.exception, at.exception
    assert errors(at) == []
    [row] = seat_plans.list_prices(engine, tenant, SYSTEM, "copilot")
    assert (row["plan"], row["usd_per_seat_month"], row["valid_from"]) == (
        "enterprise",
        Decimal("41.5"),
        dt.date(2026, 11, 1),
    )
    prices = at.dataframe[0].value.to_dict("records")
    assert prices[0]["Valid from"] == "2026-11-01" and prices[0]["Valid to"] == "open"

    # A price that would rewrite history is refused, and nothing changes.
    at.text_input(key="seat_plan_copilot_plan").input("enterprise")
    at.text_input(key="seat_plan_copilot_usd").input("5")
    at.date_input(key="seat_plan_copilot_from").set_value(dt.date(2026, 10, 1))
    next(b for b in at.button if b.label == "Set price").click().run()
    assert any("never re-priced" in e for e in errors(at))
    assert len(seat_plans.list_prices(engine, tenant, SYSTEM)) == 1

    at.date_input(key="idle_period").set_value((dt.date(2026, 10, 1), dt.date(2026, 10, 31))).run()
    idle = at.dataframe[1].value.to_dict("records")
    assert idle == [
        {
            "Vendor": "copilot",
            "Account": "octo",
            "Name": "Octo Cat",
            "Member": "not linked",
            "Seat fees": "$1.90",
            "Last active": "never",
        }
    ]
    assert any("They cost $1.90 of seat fees" in shown(c.value) for c in at.caption)
    assert [e["action"] for e in audit.list_events(engine, tenant, SYSTEM)][0] == "seat_plan.set"
