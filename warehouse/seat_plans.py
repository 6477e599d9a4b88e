"""Seat plans: what a tenant pays per seat and month for a vendor's plan (Copilot Business,
Enterprise…), editable by admins without ever re-pricing the past.

A price is valid from the first day of a month until the day before the next price of the
same plan starts: setting a new price closes the open one (``valid_to``) instead of changing
it. The price of a month is the one valid on its first day, so a month's seat rows always sum
to one price. Before a plan's first stored price, the connector's default applies (Copilot:
Business $19, Enterprise $39). The pipeline hands the prices to a connector that declares a
``seat_plan`` setting (``warehouse.connector_inputs``); a re-sync of a month then uses them.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from connectors.money import micros_to_decimal
from warehouse import audit
from warehouse.actors import Actor, require_admin
from warehouse.amounts import AmountError, dollars_to_micros
from warehouse.errors import InvalidInput
from warehouse.models_seats import SeatPlanPrice
from warehouse.tenants import TenantRef

#: The connector setting the prices are handed to (a JSON list, ``connectors.copilot.seats``).
SEAT_PLAN_SETTING = "seat_plan"


class SeatPlanError(InvalidInput):
    pass


def _row(p: SeatPlanPrice) -> dict[str, Any]:
    return {
        "source": p.source,
        "plan": p.plan,
        "usd_per_seat_month": Decimal(_usd_text(p.micros_per_seat_month)),
        "valid_from": p.valid_from,
        "valid_to": p.valid_to,
        "created_by": p.created_by,
    }


def _usd_text(micros: int) -> str:
    """``21_500_000`` → ``"21.5"``."""
    return format(micros_to_decimal(micros).normalize(), "f")


def _prices(s: Session, tenant: TenantRef, source: str | None = None) -> list[SeatPlanPrice]:
    query = select(SeatPlanPrice).where(SeatPlanPrice.tenant_id == tenant.id)
    if source is not None:
        query = query.where(SeatPlanPrice.source == source)
    order = (SeatPlanPrice.source, SeatPlanPrice.plan, SeatPlanPrice.valid_from)
    return list(s.scalars(query.order_by(*order)))


def list_prices(
    engine: Engine, tenant: TenantRef, actor: Actor, source: str | None = None
) -> list[dict[str, Any]]:
    """Every stored price (of one source, or all), oldest first per plan. Admins only."""
    require_admin(actor, "reading seat plans", tenant)
    with Session(engine) as s:
        return [_row(p) for p in _prices(s, tenant, source)]


def _amount(amount: Decimal | str | int) -> int:
    try:
        micros = dollars_to_micros(amount)
    except AmountError as exc:
        raise SeatPlanError(f"price: {exc}") from None
    if micros < 0:
        raise SeatPlanError(f"price {amount!r} must be an amount of dollars >= 0")
    return micros


def set_price(
    engine: Engine,
    tenant: TenantRef,
    actor: Actor,
    *,
    source: str,
    plan: str,
    amount: Decimal | str | int,
    valid_from: dt.date,
) -> dict[str, Any]:
    """Price ``plan`` of ``source`` at ``amount`` USD per seat and month from ``valid_from``
    (the first day of a month) on; the open price of the plan ends the day before. Refused
    when it would start on or before the open price's start (that would rewrite history)."""
    require_admin(actor, "setting a seat price", tenant)
    plan = plan.strip().lower()
    if not plan.isidentifier():
        raise SeatPlanError(f"plan {plan!r} is not a plan name (e.g. business, enterprise)")
    if not source.strip():
        raise SeatPlanError("source is required (e.g. copilot)")
    micros = _amount(amount)
    if valid_from.day != 1:
        raise SeatPlanError(
            f"a seat price starts on the first day of a month, not {valid_from} (the price of "
            "a month is the one valid on its first day)"
        )
    with Session(engine) as s, s.begin():
        rows = [p for p in _prices(s, tenant, source) if p.plan == plan]
        current = next((p for p in rows if p.valid_to is None), None)
        if current is not None:
            if valid_from <= current.valid_from:
                raise SeatPlanError(
                    f"{source} {plan} costs {micros_to_decimal(current.micros_per_seat_month)} "
                    f"since {current.valid_from}: a new price must start after that (history "
                    "is never re-priced)"
                )
            current.valid_to = valid_from - dt.timedelta(days=1)
        price = SeatPlanPrice(
            tenant_id=tenant.id,
            source=source,
            plan=plan,
            micros_per_seat_month=micros,
            valid_from=valid_from,
            valid_to=None,
            created_by=actor.email,
        )
        s.add(price)
        s.flush()
        audit.record(
            s, tenant, actor, "seat_plan.set", f"{source}:{plan}",
            usd_per_seat_month=_usd_text(micros), valid_from=valid_from.isoformat(),
        )  # fmt: skip
        return _row(price)


def plan_setting(engine: Engine, tenant: TenantRef, source: str, default: str | None) -> str | None:
    """The ``seat_plan`` setting (JSON) for ``source``'s connector: the stored prices, preceded
    by the connector's ``default`` entry of each plan until its first stored price; ``None``
    when the tenant stored none (the connector's own setting or default applies). System use."""
    with Session(engine) as s:
        stored = _prices(s, tenant, source)
    if not stored:
        return None
    entries: list[dict[str, Any]] = []
    first: dict[str, dt.date] = {}
    for p in stored:
        first[p.plan] = min(first.get(p.plan, p.valid_from), p.valid_from)
    for entry in json.loads(default) if default else []:
        plan = entry.get("plan")
        if plan not in first:
            entries.append(entry)
        elif not entry.get("valid_to"):
            entries.append({**entry, "valid_to": (first[plan] - dt.timedelta(days=1)).isoformat()})
    for p in stored:
        entries.append(
            {
                "plan": p.plan,
                "usd_per_seat_month": _usd_text(p.micros_per_seat_month),
                "valid_from": p.valid_from.isoformat(),
                "valid_to": p.valid_to.isoformat() if p.valid_to else None,
            }
        )
    return json.dumps(entries)
