"""Kiro from the report CSVs the simulator writes the way Kiro writes them into S3 (both
reports, both layouts, both date formats, shuffled columns, a redelivered file): it joins the
conformance kit through a folder target, turns credits into dollars at the tenant's prices,
and finds people by email, else by Identity Center id."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.contract import ConnectorError, FetchContext
from connectors.dates import days
from connectors.kiro import KiroConnector
from connectors.kiro.reports import snake
from connectors.simulator.kiro import KiroReports
from connectors.testing import ConnectorConformance, StaticConfigTarget

# Its module fixture (a server, a simulator, an install) is started once: one xdist worker.
pytestmark = pytest.mark.xdist_group("kiro_connector")

START = dt.date(2026, 9, 10)
DAYS = 45
END = START + dt.timedelta(days=DAYS - 1)
REPORTS = KiroReports(seed=7, members=12, start=START, days=DAYS)


@pytest.fixture(scope="module")
def kiro_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("kiro") / "bucket"
    REPORTS.write(folder)
    return folder


def _fetch(config: dict, start: dt.date = START, end: dt.date = END):
    [batch] = KiroConnector().fetch(config, start, end, FetchContext())
    return batch


class TestKiroConformance(ConnectorConformance):
    connector = KiroConnector
    bypass = {
        "test_every_offered_page_is_consumed": "report files at rest: nothing is paged",
        "test_survives_a_429_storm": "report files at rest: no HTTP",
        "test_survives_a_500_storm": "report files at rest: no HTTP",
        "test_malformed_payload_is_a_clear_error": (
            "report files at rest: malformed files are tested below (bad header, bad number)"
        ),
        "test_missing_field_is_a_clear_error": (
            "report files at rest: a missing column is tested below"
        ),
        "test_reconciliation_totals_agree": "Kiro publishes no independent period total",
    }

    @pytest.fixture
    def conformance_target(self, kiro_folder) -> Iterator[StaticConfigTarget]:
        yield StaticConfigTarget(
            REPORTS.config(kiro_folder),
            (dt.date(2026, 9, 27), dt.date(2026, 10, 3)),  # across a month boundary
            bad_config={"folder": str(kiro_folder / "no-such-folder")},
            billed=REPORTS.expected_billed_micros,
            tokens=REPORTS.expected_tokens,
            span=(START, END),
        )


def test_every_day_equals_what_the_simulated_team_was_billed(kiro_folder):
    batch = _fetch(REPORTS.config(kiro_folder))
    totals = {t.day: t.billed_cost_micros for t in batch.vendor_totals}
    assert list(totals) == list(days(START, END))
    assert totals == {d: REPORTS.expected_billed_micros(d) for d in days(START, END)}
    assert any(r.sku == "kiro-overage-credits" and r.billed_cost_micros for r in batch.usage)


def test_a_month_of_seats_sums_to_the_tier_prices(kiro_folder):
    batch = _fetch(REPORTS.config(kiro_folder), dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    seats: dict[str, int] = {}
    for r in batch.usage:
        if r.charge_category == "Purchase":
            seats[r.account_key] = seats.get(r.account_key, 0) + r.billed_cost_micros
            assert r.effective_cost_micros == r.billed_cost_micros
    assert seats and set(seats.values()) <= {20_000_000, 40_000_000, 200_000_000}
    assert len(seats) == len(REPORTS._seated(dt.date(2026, 10, 1)))


def test_people_by_email_else_by_identity_center_id(kiro_folder):
    """Old-layout rows (no User_Email) belong to the email a newer file states for the same
    UserId; a user no file gives an email stays their Identity Center id, linkable later."""
    batch = _fetch(REPORTS.config(kiro_folder), START, START + dt.timedelta(days=5))
    assert REPORTS.new_layout_from > START  # these days come from old-layout files only
    keys = {a.account_key for a in batch.accounts}
    users = {m.index: m for m in REPORTS.users}
    hidden = [m for m in users.values() if REPORTS.email(m) is None]
    assert hidden, "the simulated team should have a member without an email"
    assert {m.email for m in users.values() if REPORTS.email(m)} & keys
    assert {REPORTS.user_id(m) for m in hidden} & keys
    assert not {m.email for m in hidden} & keys
    no_email = next(a for a in batch.accounts if a.account_key == REPORTS.user_id(hidden[0]))
    assert no_email.email is None and "Identity Center" in no_email.display_name


def test_activity_reads_dynamic_model_columns_and_the_legacy_report(kiro_folder):
    batch = _fetch(REPORTS.config(kiro_folder), END - dt.timedelta(days=3), END)
    metrics = {a.metric for a in batch.activity}
    assert {"credits_used", "total_messages", "chat_conversations"} <= metrics
    assert any(m.endswith("_messages") and m.startswith("claude_") for m in metrics)
    assert {"chat_messages_sent", "inline_acceptance_count"} <= metrics  # by_user_analytic
    assert snake("Chat_AICodeLines") == "chat_ai_code_lines"
    assert snake("claude_sonnet_4.5") == "claude_sonnet_4_5"


def test_a_redelivered_file_is_not_counted_twice(kiro_folder):
    day = REPORTS.redelivered_day
    copies = sorted(
        kiro_folder.rglob(f"KIRO_IDE_*_user_report_{day + dt.timedelta(days=1):%Y%m%d}*")
    )
    assert len(copies) == 2
    batch = _fetch(REPORTS.config(kiro_folder), day, day)
    credits = sum(a.value for a in batch.activity if a.metric in ("credits_used",))
    expected = sum(
        s[0]
        for m in REPORTS.users
        for c in ("KIRO_IDE", "KIRO_CLI", "PLUGIN")
        if (s := REPORTS.split(m, day, c)) is not None
    )
    assert credits == expected


def test_the_tenants_price_per_credit_prices_overage(kiro_folder):
    config = REPORTS.config(kiro_folder)
    cheap = _fetch({**config, "price_per_credit": "0.02"})
    usual = _fetch(config)

    def overage(batch):
        return sum(r.billed_cost_micros for r in batch.usage if r.consumed_unit == "credits")

    assert overage(usual) > 0 and overage(cheap) * 2 == overage(usual)


def test_an_unpriced_tier_is_a_clear_error(kiro_folder):
    config = {**REPORTS.config(kiro_folder), "seat_prices": '{"PRO": "20"}'}
    with pytest.raises(ConnectorError, match=r"tier 'P\w+' has no price.*seat_prices"):
        _fetch(config)


def _copy_one_file(kiro_folder: Path, tmp_path: Path) -> Path:
    source = sorted(kiro_folder.rglob("KIRO_IDE_*_user_report_*.csv"))[-1]
    folder = tmp_path / "reports"
    folder.mkdir()
    return Path(shutil.copy(source, folder / source.name))


def test_a_file_without_a_required_column_names_it(kiro_folder, tmp_path):
    path = _copy_one_file(kiro_folder, tmp_path)
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, [c for c in rows[0] if c != "Date"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(ConnectorError, match=r"user_report.*header.*no column 'Date'"):
        _fetch({"folder": str(path.parent)})


def test_a_bad_number_names_the_file_line_and_column(kiro_folder, tmp_path):
    path = _copy_one_file(kiro_folder, tmp_path)
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows[1]["Credits_Used"] = "lots"
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(ConnectorError, match=r"user_report.*line 3\.Credits_Used.*not a number"):
        _fetch({"folder": str(path.parent)})


def test_check_names_a_missing_folder_setting_and_an_empty_folder(tmp_path):
    assert "folder" in KiroConnector().check({}).reason
    empty = KiroConnector().check({"folder": str(tmp_path)})
    assert not empty.ok and "no Kiro report files" in empty.reason


def test_a_new_report_file_changes_the_fingerprint_the_folder_sensor_watches(kiro_folder, tmp_path):
    folder = tmp_path / "reports"
    shutil.copytree(kiro_folder, folder)
    connector = KiroConnector()
    before = connector.input_fingerprint({"folder": str(folder)})
    assert connector.input_span({"folder": str(folder)}) == (START, END)
    source = sorted(folder.rglob("KIRO_CLI_*_user_report_*.csv"))[-1]
    shutil.copy(source, source.with_name(source.name.replace("0200", "0900")))
    assert connector.input_fingerprint({"folder": str(folder)}) != before
