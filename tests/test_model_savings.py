"""The savings mart on SQLite and PostgreSQL: the same tokens on the cheapest model of the same
family, at list prices with the versions used; unpriced models give no row, never $0."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from suggestion_seed import PERIOD, seed_team, usage

from pipelines.savings import model_family, refresh_savings
from warehouse.models_analytics import ModelSaving

NOV_2 = dt.date(2026, 11, 2)


def _rows(engine: Engine) -> dict[tuple[int, str], ModelSaving]:
    with Session(engine) as s:
        return {(r.member_id, r.model): r for r in s.scalars(select(ModelSaving))}


def test_october_savings_per_member_and_model(engine: Engine) -> None:
    tenant, ids = seed_team(engine)
    with Session(engine) as s, s.begin():
        s.add(usage(tenant, "cursor", "bob@acme.example", dt.date(2026, 10, 7),
                    service="Cursor", sku="mystery-model", billed=1, inp=5, out=5))  # fmt: skip
    refresh_savings(engine, tenant, today=NOV_2)
    rows = _rows(engine)
    opus = rows[(ids["Ada"], "claude-opus-4-1-20250805")]
    # 1,000,700 in + 100,077 out on opus 4.1 ($15/$75 per M) vs haiku 4.5 ($1/$5), exactly:
    assert (opus.list_micros, opus.cheapest_model) == (15_010_500 + 7_505_775, "claude-haiku-4-5")
    assert opus.cheapest_micros == 1_000_700 + 500_385
    assert opus.saving_micros == opus.list_micros - opus.cheapest_micros
    assert opus.price_versions == (
        "shipped:claude-opus-4-1@2025-01-01 -> shipped:claude-haiku-4-5@2025-01-01"
    )
    bob = rows[(ids["Bob"], "gpt-5")]
    assert (bob.list_micros, bob.cheapest_model, bob.cheapest_micros) == (
        6_875,
        "gpt-5-mini",
        1_375,
    )
    assert rows[(0, "gpt-5")].tokens == 198  # zed is linked to nobody: kept as "not linked"
    assert (ids["Bob"], "mystery-model") not in rows  # unpriced: no row, never $0
    assert {r.period for r in rows.values()} == {PERIOD}
    # Rewritten, not appended.
    refresh_savings(engine, tenant, today=NOV_2)
    assert len(_rows(engine)) == len(rows)


def test_families() -> None:
    assert [model_family(m) for m in ("claude-opus-4-1", "claude-3-7-sonnet", "gpt-5-mini",
                                      "gpt-4.1-nano", "gpt-4o-mini", "o4-mini", "x")] == [
        "claude-4", "claude-3", "gpt-5", "gpt-4.1", "gpt-4o", "o", "x",
    ]  # fmt: skip
