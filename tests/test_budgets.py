"""Budgets on SQLite and PostgreSQL: utilisation from billed facts, alerts recorded once per
threshold and month, delivered to a local webhook and SMTP server, retried after failures."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy

import pytest
from alert_receivers import SmtpReceiver, WebhookReceiver
from click.testing import CliRunner
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from suggestion_seed import seed_team, usage

from pipelines.budgets import check_budgets
from pipelines.cli import main
from warehouse import budgets
from warehouse.actors import SYSTEM, Actor, PermissionDenied
from warehouse.settings import Settings

NOV_2 = dt.date(2026, 11, 2)  # October is finished; November has no spend yet
D = 1_000_000


@pytest.fixture
def team(engine: Engine):
    tenant, ids = seed_team(engine)
    with Session(engine) as s, s.begin():
        tagged = usage(tenant, "cursor", "bob@acme.example", dt.date(2026, 10, 6),
                       service="Cursor", sku="gpt-5-tagged", billed=10 * D)  # fmt: skip
        tagged.tags = {"project": "search"}
        s.add(tagged)
    return tenant, ids


@pytest.fixture
def webhook():
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


def _settings(tmp_path, **changes) -> Settings:
    return dataclasses.replace(Settings.from_env({"AISPEND_HOME": str(tmp_path)}), **changes)


def _set(engine, tenant, scope, target, dollars):
    return budgets.set_budget(
        engine, tenant, SYSTEM, scope=scope, target=target, monthly_micros=dollars * D
    )


def test_utilisation_counts_billed_spend_per_scope(engine: Engine, team) -> None:
    tenant, ids = team
    _set(engine, tenant, "tenant", "", 1_000)
    _set(engine, tenant, "team", "Platform", 100)
    _set(engine, tenant, "member", str(ids["Bob"]), 60)
    _set(engine, tenant, "vendor", "cursor", 2_000)
    _set(engine, tenant, "tag", "project=search", 8)
    got = {
        u.budget.label: (u.spend_micros, u.crossed(), u.projected_micros)
        for u in budgets.utilisation(engine, tenant, SYSTEM, "2026-10", today=NOV_2)
    }
    assert got == {
        # everything billed, the unlinked zed account included; estimates never count
        "whole team": (1_089 * D, [75, 90, 100], 1_089 * D),
        "team Platform": (
            90 * D,
            [75, 90],
            90 * D,
        ),  # 90 % is reached at exactly 90 %  # Ada 30 + Bob 50 + 10 tagged
        f"member {ids['Bob']}": (60 * D, [75, 90, 100], 60 * D),
        "vendor cursor": (1_059 * D, [], 1_059 * D),
        "tag project=search": (10 * D, [75, 90, 100], 10 * D),
    }


def test_alerts_fire_once_per_threshold_and_reach_the_webhook(
    engine: Engine, team, webhook, tmp_path
) -> None:
    tenant, ids = team
    _set(engine, tenant, "member", str(ids["Bob"]), 70)  # $60 of $70: 85.7 %
    settings = _settings(tmp_path, alert_webhook_url=webhook.url)
    assert check_budgets(engine, tenant, settings, today=NOV_2) == {
        "new_alerts": 1, "delivered": 1, "delivery_failed": 0,
    }  # fmt: skip
    assert [m["text"] for m in webhook.received] == [
        f"aispend · Acme: the member {ids['Bob']} budget reached 75 % in 2026-10: $60.00 of $70.00."
    ]
    # Nothing new: nothing recorded, nothing sent again.
    assert check_budgets(engine, tenant, settings, today=NOV_2)["new_alerts"] == 0
    assert len(webhook.received) == 1
    # Late data pushes October over 90 and 100 %: those two fire, once each.
    with Session(engine) as s, s.begin():
        s.add(usage(tenant, "cursor", "bob@acme.example", dt.date(2026, 10, 30),
                    service="Cursor", sku="gpt-5-late", billed=15 * D))  # fmt: skip
    assert check_budgets(engine, tenant, settings, today=NOV_2)["new_alerts"] == 2
    assert check_budgets(engine, tenant, settings, today=NOV_2)["new_alerts"] == 0
    assert [m["text"].split(" reached ")[1][:5] for m in webhook.received] == [
        "75 % ", "90 % ", "100 %",
    ]  # fmt: skip


def test_a_failed_delivery_is_kept_and_retried_without_leaking_the_webhook(
    engine: Engine, team, webhook, tmp_path
) -> None:
    tenant, ids = team
    _set(engine, tenant, "tenant", "", 1_000)
    settings = _settings(tmp_path, alert_webhook_url=webhook.url)
    webhook.status = 500
    assert check_budgets(engine, tenant, settings, today=NOV_2) == {
        "new_alerts": 3, "delivered": 0, "delivery_failed": 3,
    }  # fmt: skip
    alerts = budgets.list_alerts(engine, tenant, SYSTEM)
    assert [(a["delivered"], a["attempts"], a["last_error"]) for a in alerts] == [
        (False, 1, "webhook: HTTP 500")
    ] * 3
    webhook.status = 200
    assert check_budgets(engine, tenant, settings, today=NOV_2)["delivered"] == 3
    assert len(webhook.received) == 3
    assert all(
        a["delivered"] and a["attempts"] == 2 for a in budgets.list_alerts(engine, tenant, SYSTEM)
    )
    assert check_budgets(engine, tenant, settings, today=NOV_2)["delivered"] == 0


def test_alerts_are_mailed_over_smtp(engine: Engine, team, tmp_path) -> None:
    tenant, ids = team
    _set(engine, tenant, "team", "Platform", 110)
    smtp = SmtpReceiver()
    try:
        settings = _settings(
            tmp_path, alert_smtp=smtp.address, alert_email_to=("finance@acme.example",)
        )
        assert check_budgets(engine, tenant, settings, today=NOV_2)["delivered"] == 1
    finally:
        smtp.close()
    (raw,) = smtp.messages
    message = email.message_from_string(raw, policy=email.policy.default)
    assert message["Subject"] == "aispend budget alert: 75 (2026-10)"
    assert message["To"] == "finance@acme.example"
    assert message.get_content().strip() == (
        "aispend · Acme: the team Platform budget reached 75 % in 2026-10: $90.00 of $110.00."
    )


def test_a_month_in_progress_is_projected_to_exceed(engine: Engine, team, tmp_path) -> None:
    tenant, ids = team
    _set(engine, tenant, "member", str(ids["Bob"]), 80)
    oct_8 = dt.date(2026, 10, 8)
    (u,) = budgets.utilisation(engine, tenant, SYSTEM, "2026-10", today=oct_8)
    # $60 in the 7 days before the 8th: $8.571428/day (floored to the micro-dollar) x 24 days
    assert u.spend_micros == 60 * D
    assert u.projected_micros == 60 * D + (60 * D // 7) * 24
    assert u.projected_to_exceed and u.crossed() == [75]
    check_budgets(engine, tenant, _settings(tmp_path), today=oct_8)
    kinds = sorted(a["kind"] for a in budgets.list_alerts(engine, tenant, SYSTEM))
    assert kinds == ["75", "projected"]


def test_budgets_refuse_nonsense_and_viewers(engine: Engine, team) -> None:
    tenant, ids = team
    for scope, target, micros, message in [
        ("planet", "", D, "scope must be one of"),
        ("member", "99999", D, "no member with id"),
        ("tag", "search", D, "key=value"),
        ("team", "", D, "needs a target"),
        ("tenant", "", 0, "above \\$0"),
        ("tenant", "", -5, "above \\$0"),
    ]:
        with pytest.raises(budgets.BudgetError, match=message):
            budgets.set_budget(
                engine, tenant, SYSTEM, scope=scope, target=target, monthly_micros=micros
            )
    with pytest.raises(budgets.BudgetError, match="whole percents"):
        budgets.set_budget(engine, tenant, SYSTEM, monthly_micros=D, thresholds=[0, 50])
    viewer = Actor("v@acme.example", "viewer")
    with pytest.raises(PermissionDenied):
        budgets.set_budget(engine, tenant, viewer, monthly_micros=D)
    assert budgets.list_budgets(engine, tenant, SYSTEM) == []


def test_cli_sets_lists_and_removes_a_budget(
    engine: Engine, team, warehouse_url, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("AISPEND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AISPEND_DATABASE_URL", warehouse_url)
    monkeypatch.setenv("AISPEND_TENANT", "acme")
    run = CliRunner().invoke
    out = run(
        main, ["budget", "set", "--scope", "vendor", "--target", "cursor", "--amount", "1234.5"]
    )
    assert out.exit_code == 0, out.output
    assert "vendor cursor, $1,234.50 a month" in out.output
    listed = run(main, ["budget", "list", "--period", "2026-10"])
    assert "$1,059.00 of $1,234.50" in listed.output and "85.8 %" in listed.output
    bad = run(main, ["budget", "set", "--amount", "lots"])
    assert bad.exit_code != 0 and "'lots' is not an amount in dollars" in bad.output
    (ref,) = budgets.list_budgets(engine, team[0], SYSTEM)
    assert run(main, ["budget", "remove", str(ref.id)]).exit_code == 0
    assert budgets.list_budgets(engine, team[0], SYSTEM) == []


def test_the_marts_refresh_records_and_delivers_alerts_through_dagster(
    engine: Engine, team, webhook, warehouse_url, tmp_path
) -> None:
    import dagster as dg

    from pipelines.sync import refresh_marts

    tenant, _ = team
    today = dt.datetime.now(dt.UTC).date()  # the asset checks the real month (and the last)
    with Session(engine) as s, s.begin():
        s.add(usage(tenant, "windsurf", "team", today, service="Windsurf", sku="seat",
                    billed=900 * D))  # fmt: skip
    _set(engine, tenant, "vendor", "windsurf", 1_000)
    settings = _settings(tmp_path, database_url=warehouse_url, alert_webhook_url=webhook.url)
    rows = refresh_marts(settings, instance=dg.DagsterInstance.ephemeral())
    # $900 of $1,000 today: 75 % and 90 %, whatever today is.
    assert rows["budget_alerts"] == 2 and rows["forecasts_and_anomalies"] >= 1
    assert len(webhook.received) == 2
    assert refresh_marts(settings, instance=dg.DagsterInstance.ephemeral())["budget_alerts"] == 0
