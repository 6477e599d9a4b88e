"""The model price table on SQLite and PostgreSQL: shipped list prices, admin versions (checked,
audited, never replaced), list-price equivalents that record their price version, unpriced
models never shown as $0, and `aispend prices list|set`."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipelines.cli import main
from warehouse import audit, prices
from warehouse.actors import Actor, PermissionDenied
from warehouse.models import UsageFact
from warehouse.models_prices import ModelPrice
from warehouse.price_defaults import SHIPPED_FROM, SHIPPED_PRICES
from warehouse.tenants import create_tenant, get_tenant

ADMIN = Actor("admin@a.example", "admin")
VIEWER = Actor("viewer@a.example", "viewer")
DAY = dt.date(2026, 10, 1)


@pytest.fixture
def tenant(engine):
    return create_tenant(engine, "acme", "Acme")


def _fact(tenant, day, sku, billed, **tokens) -> UsageFact:
    return UsageFact(
        tenant_id=tenant.id,
        source="anthropic",
        record_key=f"{day}-{sku}-{billed}",
        account_key="apikey_1",
        charge_period_start=day,
        charge_period_end=day + dt.timedelta(days=1),
        provider="Anthropic",
        service="Claude API",
        sku=sku,
        billed_cost_micros=billed,
        **tokens,
    )


def _rows(engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(ModelPrice))


def test_shipped_prices_cover_current_models_and_are_append_only():
    keys = Counter((p.model, p.valid_from) for p in SHIPPED_PRICES)
    assert all(n == 1 for n in keys.values()), "a shipped (model, valid_from) appears twice"
    models = {p.model for p in SHIPPED_PRICES}
    assert {"claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5"} <= models
    assert {"gpt-5", "gpt-4.1", "gpt-4.1-mini", "o3"} <= models
    for p in SHIPPED_PRICES:
        assert all(isinstance(x, Decimal) for x in (p.input, p.output))


def test_viewers_read_the_shipped_prices_with_their_versions(engine, tenant):
    current = {v.model: v for v in prices.list_prices(engine, tenant, VIEWER, on=DAY)}
    sonnet = current["claude-sonnet-4-5"]
    assert (sonnet.input, sonnet.output, sonnet.cache_read, sonnet.cache_write) == (
        Decimal(3),
        Decimal(15),
        Decimal("0.30"),
        Decimal("3.75"),
    )
    assert sonnet.version == f"shipped:claude-sonnet-4-5@{SHIPPED_FROM}"
    assert prices.list_prices(engine, tenant, VIEWER, on=SHIPPED_FROM - dt.timedelta(days=1)) == []
    with pytest.raises(PermissionDenied, match="signed-in"):
        prices.list_prices(engine, tenant, Actor("x@a.example", "superuser"))


def test_an_admin_version_wins_from_its_day_and_never_reprices_history(engine, tenant):
    book = prices.price_book(engine, tenant)
    before = book.list_price("claude-sonnet-4-5-20250929", DAY, input_tokens=1_000_000,
                             output_tokens=100_000)  # fmt: skip
    assert (before.micros, before.version) == (
        4_500_000,
        f"shipped:claude-sonnet-4-5@{SHIPPED_FROM}",
    )

    version = prices.set_price(
        engine, tenant, ADMIN, model="claude-sonnet-4-5", provider="Anthropic",
        valid_from=DAY + dt.timedelta(days=1), input="2.4", output="12", cache_read="0.24",
        cache_write="3", note="negotiated rate",
    )  # fmt: skip
    assert version.version.startswith("tenant:")
    book = prices.price_book(engine, tenant)
    again = book.list_price("claude-sonnet-4-5-20250929", DAY, input_tokens=1_000_000,
                            output_tokens=100_000)  # fmt: skip
    assert again == before  # the old day keeps its price and its version
    after = book.list_price("claude-sonnet-4-5", DAY + dt.timedelta(days=1),
                            input_tokens=1_000_000, output_tokens=100_000)  # fmt: skip
    assert (after.micros, after.version) == (3_600_000, version.version)

    [event] = audit.list_events(engine, tenant, ADMIN, actions=["price.set"])
    assert event["actor"] == ADMIN.email and event["target"] == "claude-sonnet-4-5"
    assert event["detail"]["version"] == version.version
    assert event["detail"]["input"] == "2.4"
    history = [v.version for v in prices.price_history(engine, tenant, VIEWER)
               if v.model == "claude-sonnet-4-5"]  # fmt: skip
    assert history == [f"shipped:claude-sonnet-4-5@{SHIPPED_FROM}", version.version]


def test_a_version_is_never_replaced_and_bad_prices_write_nothing(engine, tenant):
    args = {"model": "acme-coder", "provider": "Acme", "valid_from": DAY}
    prices.set_price(engine, tenant, ADMIN, input="1", output="2", **args)
    events = len(audit.list_events(engine, tenant, ADMIN))
    with pytest.raises(prices.PriceError, match="already has a price valid from 2026-10-01"):
        prices.set_price(engine, tenant, ADMIN, input="9", output="9", **args)
    for bad, match in [
        ({"input": "-1", "output": "2"}, "input '-1' must be between"),
        ({"input": "x", "output": "2"}, "input 'x' is not a number"),
        ({"input": 1.5, "output": "2"}, "input must be given as a decimal string"),
        ({"input": "1", "output": None}, "output is required"),
        ({"input": "1", "output": "2", "cache_read": "0.0000001"}, "cache_read .* 6 decimal"),
    ]:
        with pytest.raises(prices.PriceError, match=match):
            prices.set_price(engine, tenant, ADMIN, **{**args, "valid_from": DAY.replace(day=2)},
                             **bad)  # fmt: skip
    assert _rows(engine) == 1
    assert len(audit.list_events(engine, tenant, ADMIN)) == events
    with pytest.raises(PermissionDenied, match="admin role"):
        prices.set_price(engine, tenant, VIEWER, input="1", output="2",
                         **{**args, "valid_from": DAY.replace(day=3)})  # fmt: skip
    assert _rows(engine) == 1


def test_prices_belong_to_their_tenant(engine, tenant):
    other = create_tenant(engine, "globex", "Globex")
    prices.set_price(engine, tenant, ADMIN, model="acme-coder", provider="Acme",
                     valid_from=DAY, input="1", output="2")  # fmt: skip
    assert prices.price_book(engine, other).price_for("acme-coder", DAY) is None
    assert prices.price_book(engine, tenant).price_for("acme-coder", DAY) is not None


def test_unpriced_is_never_zero(engine, tenant):
    book = prices.price_book(engine, tenant)
    unknown = book.list_price("mystery-model", DAY, input_tokens=10, output_tokens=0)
    assert (unknown.micros, unknown.version, unknown.status) == (None, None, "unpriced")
    prices.set_price(engine, tenant, ADMIN, model="acme-coder", provider="Acme",
                     valid_from=DAY, input="1", output="2")  # no cache prices  # fmt: skip
    book = prices.price_book(engine, tenant)
    used_cache = book.list_price("acme-coder", DAY, input_tokens=10, output_tokens=10,
                                 cache_read_tokens=5)  # fmt: skip
    assert used_cache.status == "unpriced" and used_cache.micros is None
    no_cache = book.list_price("acme-coder", DAY, input_tokens=10, output_tokens=10,
                               cache_read_tokens=0)  # fmt: skip
    assert (no_cache.micros, no_cache.status) == (30, "priced")


def test_list_price_equivalents_of_the_facts_keep_billed_cost_apart(engine, tenant):
    with Session(engine) as s, s.begin():
        s.add(
            _fact(
                tenant,
                DAY,
                "claude-sonnet-4-5-20250929",
                4_000_000,
                input_tokens=1_000_000,
                output_tokens=100_000,
                cache_read_tokens=10_000,
                cache_write_tokens=0,
            )
        )
        s.add(_fact(tenant, DAY, "mystery-model", 123, input_tokens=5, output_tokens=5))
        s.add(_fact(tenant, DAY, "web_search", 10_000))  # no tokens: not a token figure
    # fmt: skip
    rows = {r["model"]: r for r in prices.list_price_equivalents(engine, tenant, VIEWER, DAY, DAY)}
    assert set(rows) == {"claude-sonnet-4-5-20250929", "mystery-model"}
    sonnet = rows["claude-sonnet-4-5-20250929"]
    assert sonnet["billed_cost_micros"] == 4_000_000  # the bill, untouched
    assert sonnet["list_cost_micros"] == 3_000_000 + 1_500_000 + 3_000
    assert sonnet["price_version"] == f"shipped:claude-sonnet-4-5@{SHIPPED_FROM}"
    mystery = rows["mystery-model"]
    assert (mystery["list_cost_micros"], mystery["price_version"], mystery["status"]) == (
        None, None, "unpriced"
    )  # fmt: skip


def test_cli_sets_and_lists_prices(tmp_path, warehouse_url, monkeypatch, engine):
    monkeypatch.setenv("AISPEND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AISPEND_DATABASE_URL", warehouse_url)
    monkeypatch.setenv("AISPEND_ADMIN_PASSWORD", "correct-horse")
    for key in ("AISPEND_SECRET_KEY", "AISPEND_COOKIE_KEY", "AISPEND_TENANT", "DAGSTER_HOME"):
        monkeypatch.delenv(key, raising=False)
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    result = runner.invoke(main, ["prices", "set", "gpt-5", "--provider", "OpenAI",
                                  "--valid-from", "2026-11-01", "--input", "1", "--output", "8",
                                  "--cache-read", "0.1"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.startswith("gpt-5: price tenant:")
    listing = runner.invoke(main, ["prices", "list", "--on", "2026-11-02"]).output
    assert "gpt-5  OpenAI  2026-11-01  1  8  0.1  -  tenant:" in listing
    assert "claude-sonnet-4-5  Anthropic  2025-01-01  3  15  0.3  3.75  shipped:" in listing
    older = runner.invoke(main, ["prices", "list", "--on", "2026-10-31"]).output
    assert "gpt-5  OpenAI  2025-01-01  1.25  10  0.125  1.25  shipped:gpt-5@2025-01-01" in older
    history = runner.invoke(main, ["prices", "list", "--history"]).output
    assert history.count("gpt-5  OpenAI") == 2
    again = runner.invoke(main, ["prices", "set", "gpt-5", "--provider", "OpenAI",
                                 "--valid-from", "2026-11-01", "--input", "2", "--output", "8"])  # fmt: skip
    assert again.exit_code == 1
    assert again.output.strip().splitlines() == [
        "error: gpt-5 already has a price valid from 2026-11-01: prices are versions, never "
        "replaced; add one with another valid-from date"
    ]
    tenant = get_tenant(engine, "default")
    assert [e["action"] for e in audit.list_events(engine, tenant, ADMIN)].count("price.set") == 1
