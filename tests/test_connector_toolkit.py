"""The connector toolkit on its own: exact money, days, payload readers that name the bad
field, tokens counted once, amortised purchases, settings, files, and the accuracy functions
the kit and the pipeline share."""

from __future__ import annotations

import datetime as dt
import os
import random
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.accuracy import (
    control_total_problems,
    reconciliation_problem,
    unit_price_problems,
    unit_sums,
)
from connectors.contract import (
    CheckResult,
    Connector,
    ConnectorError,
    CredentialError,
    CredentialField,
    ReconciliationTotal,
    SchemaError,
    SettingField,
    UnitPrice,
    UsageRecord,
)
from connectors.credential_check import check_call
from connectors.dates import (
    day_end_ms,
    day_of_epoch_ms,
    day_start_ms,
    day_start_seconds,
    day_windows,
    days,
    parse_day,
)
from connectors.files import csv_rows, folder_fingerprint, list_files
from connectors.money import allocate, micros_to_decimal, split_over_days, to_micros
from connectors.payload import PayloadReader
from connectors.purchases import amortized_purchase
from connectors.tokens import TokenCounts, record_tokens

D = dt.date(2026, 10, 1)


# -- money ---------------------------------------------------------------------------------------
def test_to_micros_states_its_unit_and_refuses_floats():
    assert to_micros("1.23", unit="usd") == 1_230_000
    assert to_micros("123.45", unit="cents") == 1_234_500
    assert to_micros(Decimal("0.0000005"), unit="usd") == 0  # half-even below a micro-dollar
    assert to_micros(Decimal("0.0000015"), unit="usd") == 2
    assert to_micros(7, unit="cents") == 70_000
    with pytest.raises(TypeError, match="float"):
        to_micros(1.5, unit="usd")
    with pytest.raises(ValueError, match="unit"):
        to_micros("1", unit="dollars")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a decimal"):
        to_micros("1,5", unit="usd")
    assert micros_to_decimal(1_230_000) == Decimal("1.23")


def test_allocate_is_exact_and_proportional():
    rng = random.Random(3)
    for _ in range(500):
        weights = [rng.randint(0, 10**9) for _ in range(rng.randint(1, 12))]
        if not any(weights):
            weights[0] = 1
        total = rng.randint(0, 10**10)
        parts = allocate(total, weights)
        assert sum(parts) == total
        for part, w in zip(parts, weights, strict=True):
            assert abs(part - total * w / sum(weights)) < 1 + 1e-6 * total
    assert allocate(10, [1, 1, 1]) == [4, 3, 3]
    assert allocate(-10, [1, 1, 1]) == [-4, -3, -3]
    with pytest.raises(ValueError, match="positive weight sum"):
        allocate(10, [0, 0])
    with pytest.raises(ValueError, match=">= 0"):
        allocate(10, [2, -1])


@pytest.mark.parametrize(
    "micros, start, end",
    [
        (19_000_000, dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
        (19_000_000, dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        (7, dt.date(2026, 1, 1), dt.date(2026, 1, 10)),
        (-19_990_000, dt.date(2026, 5, 1), dt.date(2026, 5, 3)),
        (1_234_567_891, dt.date(2026, 3, 5), dt.date(2026, 4, 7)),
    ],
)
def test_split_over_days_sums_exactly_in_whole_cents(micros, start, end):
    parts = split_over_days(micros, start, end)
    assert sum(p for _, p in parts) == micros
    assert [d for d, _ in parts] == list(days(start, end))
    cents = [abs(p) // 10_000 for _, p in parts]
    assert max(cents) - min(cents) <= 1
    assert all(abs(p) % 10_000 == 0 for _, p in parts[:-1])
    with pytest.raises(ValueError, match="before it starts"):
        split_over_days(1, end, start - dt.timedelta(days=1))


# -- dates ---------------------------------------------------------------------------------------
def test_parse_day_reads_every_shape_vendors_send():
    assert parse_day("2025-09-08") == dt.date(2025, 9, 8)
    assert parse_day("2025-09-08T00:00:00Z") == dt.date(2025, 9, 8)
    assert parse_day("2025-09-08T23:30:00-02:00") == dt.date(2025, 9, 9)  # in UTC
    assert parse_day("09-08-2025") == dt.date(2025, 9, 8)  # Amazon Q / Kiro CSV
    with pytest.raises(ValueError):
        parse_day("2025/09/08")
    with pytest.raises(ValueError):
        parse_day("09-08-2025", formats=())


def test_windows_and_epochs():
    assert list(day_windows(D, D + dt.timedelta(days=44), 31)) == [
        (D, D + dt.timedelta(days=30)),
        (D + dt.timedelta(days=31), D + dt.timedelta(days=44)),
    ]
    assert list(day_windows(D, D - dt.timedelta(days=1), 31)) == []
    assert day_end_ms(D) - day_start_ms(D) == 86_400_000 - 1
    assert day_of_epoch_ms(day_end_ms(D)) == D and day_of_epoch_ms(day_end_ms(D) + 1) != D
    assert day_start_seconds(D) * 1000 == day_start_ms(D)


# -- payload readers -----------------------------------------------------------------------------
BODY = {
    "data": [
        {
            "date": "2026-10-01T00:00:00Z",
            "user": "ada@example.com",
            "tokens": {"input": 10, "output": Decimal("20")},
            "cost_cents": "123.45",
            "team": None,
            "stamp": "1790899200000",
        },
        {"date": "2026-10-02", "user": "", "tokens": {"input": -1}, "cost_cents": True},
    ]
}


def test_payload_reader_reads_and_names_the_field_on_failure():
    read = PayloadReader("acme", "/v1/usage")
    first, second = read.body(BODY).list("data")
    assert first.day("date") == D
    assert first.text("user") == "ada@example.com"
    assert first.obj("tokens").count("output") == 20
    assert first.money("cost_cents", unit="cents") == 1_234_500
    assert first.opt_text("team") is None and first.opt("missing") is None
    assert first.obj("tokens").count("cache", default=0) == 0
    assert first.epoch_ms_day("stamp") == dt.date(2026, 10, 2)
    cases = [
        (lambda: second.text("user"), "data[1].user", "not a non-empty string"),
        (lambda: second.obj("tokens").count("input"), "data[1].tokens.input", "not a count"),
        (lambda: second.obj("tokens").count("output"), "data[1].tokens.output", "is missing"),
        (lambda: second.money("cost_cents", unit="cents"), "data[1].cost_cents", "not a number"),
        (lambda: read.body({"data": {}}).list("data"), "data", "not a list"),
        (lambda: read.body([]).field("data"), "<body>", "not an object"),
        (lambda: first.one_of("user", ("bob",)), "data[0].user", "not one of bob"),
    ]
    for call, field_name, problem in cases:
        with pytest.raises(SchemaError) as caught:
            call()
        assert caught.value.field_name == field_name
        assert str(caught.value).startswith("acme at /v1/usage: field")
        assert problem in str(caught.value)


def test_currency_codes_are_checked_in_any_case():
    read = PayloadReader("acme", "/v1/costs")
    assert read.body({"currency": "usd"}).currency("currency") == "usd"
    assert read.body({"c": "USD"}).currency("c", expected="usd") == "USD"
    assert read.body({"currency": None}).currency(default="USD") == "USD"
    with pytest.raises(SchemaError, match=r"field 'amount\.currency' is 'eur', not USD"):
        read.body({"amount": {"currency": "eur"}}).obj("amount").currency()
    with pytest.raises(SchemaError, match="is missing"):
        read.body({}).currency()


def test_check_call_reports_refusals_by_status_and_never_the_secret():
    def refused():
        raise CredentialError("acme", "credentials were rejected (HTTP 403)", endpoint="/v1/me")

    def broken():
        raise ConnectorError("acme", "HTTP 500: down", endpoint="/v1/me")

    assert check_call(lambda: None, "the token") == CheckResult(True, "the token works")
    assert check_call(refused, "the token") == CheckResult(
        False, "the token was rejected (HTTP 403)"
    )
    assert check_call(broken).reason == "acme at /v1/me: HTTP 500: down"
    with pytest.raises(ZeroDivisionError):  # a bug is not a failed check
        check_call(lambda: 1 / 0)


def test_csv_rows_are_read_by_header_and_name_file_line_and_column(tmp_path: Path):
    path = tmp_path / "report.csv"
    path.write_text("UserId,Date,Credits_Used\nu1,10-01-2026,1.5\nu2,2026-10-02,lots\n")
    rows = list(csv_rows(path, "kiro", required=("UserId", "Date")))
    assert rows[0].day("Date") == D and rows[0].number("Credits_Used") == Decimal("1.5")
    with pytest.raises(SchemaError, match=r"kiro at .*report.csv: field 'line 3.Credits_Used'"):
        rows[1].number("Credits_Used")
    with pytest.raises(SchemaError, match="has no column 'User_Email'"):
        list(csv_rows(path, "kiro", required=("User_Email",)))


def test_folder_listing_and_fingerprint(tmp_path: Path):
    before = folder_fingerprint(tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "1.csv").write_text("x")
    after = folder_fingerprint(tmp_path)
    assert before != after and list_files(tmp_path) == [tmp_path / "a" / "1.csv"]
    os.utime(tmp_path / "a" / "1.csv", ns=(1, 1))
    assert folder_fingerprint(tmp_path) != after
    assert folder_fingerprint(tmp_path / "gone") != folder_fingerprint(tmp_path)


# -- tokens --------------------------------------------------------------------------------------
def test_inclusive_input_is_split_so_tokens_count_once():
    tokens = TokenCounts.from_inclusive_input(1_000, cached=300, cache_write=100, output=50)
    assert tokens == TokenCounts(600, 50, 300, 100)
    assert tokens.total == 1_050  # input 1,000 (cache included) + output 50: nothing twice
    record = UsageRecord(day=D, account_key="a", service="s", sku="m", **tokens.columns())
    assert record_tokens(record) == 1_050
    assert tokens.activity_metrics("tool")["tool_cache_read_tokens"] == 300
    with pytest.raises(ValueError, match="exceed"):
        TokenCounts.from_inclusive_input(100, cached=101)
    with pytest.raises(ValueError, match="whole number"):
        TokenCounts(-1)


# -- purchases -----------------------------------------------------------------------------------
OCTOBER = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


def _seat_fee(within: tuple[dt.date, dt.date], **extra) -> list[UsageRecord]:
    return amortized_purchase(
        account_key="octocat",
        service="Copilot Business",
        sku="seat",
        amount_micros=19_000_000,
        period_start=OCTOBER[0],
        period_end=OCTOBER[1],
        within=within,
        **extra,
    )


def test_a_month_of_seat_fees_sums_exactly_to_the_price():
    seat = {"consumed_quantity": Decimal(1), "consumed_unit": "seat"}
    rows = _seat_fee(OCTOBER, **seat)
    assert len(rows) == 31 and {r.charge_category for r in rows} == {"Purchase"}
    assert sum(r.effective_cost_micros for r in rows) == 19_000_000
    assert sum(r.billed_cost_micros for r in rows) == 19_000_000
    in_pieces = [r for window in day_windows(*OCTOBER, 7) for r in _seat_fee(window, **seat)]
    assert in_pieces == rows  # fetching a month in pieces gives the same rows
    invoiced = _seat_fee(OCTOBER, billed_on=OCTOBER[0])
    assert [r.billed_cost_micros for r in invoiced[:2]] == [19_000_000, 0]
    assert sum(r.effective_cost_micros for r in invoiced) == 19_000_000
    with pytest.raises(ValueError, match="outside"):
        _seat_fee(OCTOBER, billed_on=dt.date(2026, 11, 1))


# -- settings ------------------------------------------------------------------------------------
class _Configured(Connector):
    """A connector with credentials and settings."""

    name = "configured"
    provider = "Configured"
    services = ("S",)
    credential_fields = (CredentialField("token"),)
    settings_fields = (
        SettingField("price_per_credit", kind="decimal", default="0.04"),
        SettingField("folder", kind="path", required=True),
        SettingField("plan", kind="choice", choices=("business", "enterprise"), default="business"),
        SettingField("seat_prices", kind="json", default='[{"price": "19"}]'),
    )


def test_settings_are_typed_defaulted_and_required():
    config = {"token": "t", "folder": "~/reports", "price_per_credit": "0.05"}
    assert _Configured.setting(config, "price_per_credit") == Decimal("0.05")
    assert _Configured.setting({}, "price_per_credit") == Decimal("0.04")
    assert _Configured.setting(config, "folder") == Path("~/reports").expanduser()
    assert _Configured.setting(config, "seat_prices") == [{"price": "19"}]
    assert _Configured.input_folder(config) == Path("~/reports").expanduser()
    assert _Configured.missing_credentials({"token": "t"}) == ["folder"]
    with pytest.raises(ConnectorError, match="'plan' must be one of business, enterprise"):
        _Configured.setting({"plan": "free"}, "plan")
    with pytest.raises(ConnectorError, match="'price_per_credit' must be a decimal number"):
        _Configured.setting({"price_per_credit": "cheap"}, "price_per_credit")
    assert [f.name for f in _Configured.config_fields()] == [
        "token",
        "price_per_credit",
        "folder",
        "plan",
        "seat_prices",
    ]


# -- accuracy ------------------------------------------------------------------------------------
def _record(billed: int, quantity: int | None = 1_000_000, unit: str = "tokens") -> UsageRecord:
    return UsageRecord(
        day=D,
        account_key="k",
        service="s",
        sku="m",
        billed_cost_micros=billed,
        consumed_quantity=None if quantity is None else Decimal(quantity),
        consumed_unit=unit,
    )


def test_control_totals_unit_guard_and_reconciliation():
    assert control_total_problems({D: 5}, {D: 5}, [D]) == []
    [off] = control_total_problems({D: 6}, {D: 5}, [D])
    assert "off by $0.000001" in off
    [missing] = control_total_problems({D: 6}, {}, [D])
    assert "no control total" in missing

    prices = (UnitPrice("tokens", Decimal("0.000000005"), Decimal("0.00008")),)
    fine = [_record(3_000_000), _record(0, quantity=None)]  # $3 per million tokens
    assert unit_price_problems(unit_sums(fine, prices), prices) == []
    [slip] = unit_price_problems(unit_sums([_record(300_000_000)], prices), prices)
    assert "cents read as dollars" in slip

    total = ReconciliationTotal("cycle", D, D, 1_000_000, account_key="ada", tolerance_micros=5)
    assert reconciliation_problem(total, 1_000_004) is None
    assert "reports $1" in reconciliation_problem(total, 100_000_000)
