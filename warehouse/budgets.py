"""Monthly budgets, what has been spent against them, and their alert events.

A budget covers the whole tenant, a team, a member, a vendor or a usage tag (``key=value``),
per calendar month, in exact micro-dollars. Spend is billed cost only (estimates never count);
a member's and a team's go through identity links. Alert events are recorded once per budget,
month and kind (a crossed threshold, or "projected" to exceed) and never deleted; delivering
them (``pipelines.alert_delivery``) marks them delivered or records why not, for a retry.

Admins change budgets (audited); any signed-in user reads them and their utilisation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from warehouse import audit
from warehouse.actors import Actor, require_admin, require_signed_in
from warehouse.amounts import usd_text
from warehouse.errors import InvalidInput
from warehouse.identities import through_links
from warehouse.locks import begin_exclusive
from warehouse.models import IdentityLink, Member, UsageFact
from warehouse.models_budgets import Budget, BudgetAlert
from warehouse.projection import month_bounds, project
from warehouse.sql_values import as_date
from warehouse.tags import load_assignments
from warehouse.tenants import TenantRef

SCOPES = ("tenant", "team", "member", "vendor", "tag")
DEFAULT_THRESHOLDS = (75, 90, 100)
MAX_BUDGET_MICROS = 10**9 * 1_000_000  # a billion dollars a month
MAX_ERROR_CHARS = 500


class BudgetError(InvalidInput):
    """A budget that cannot be saved: what is wrong, in words an admin can act on."""


@dataclass(frozen=True)
class BudgetRef:
    id: int
    scope: str
    target: str
    monthly_micros: int
    thresholds: tuple[int, ...]

    @property
    def label(self) -> str:
        return "whole team" if self.scope == "tenant" else f"{self.scope} {self.target}"


@dataclass(frozen=True)
class Utilisation:
    budget: BudgetRef
    period: str
    spend_micros: int
    projected_micros: int  # realised + trailing daily rate x days left (a projection)

    @property
    def percent(self) -> float:
        """Display only (never stored): spend as a percentage of the budget."""
        return 100 * self.spend_micros / self.budget.monthly_micros

    def crossed(self) -> list[int]:
        """Thresholds (percents) reached, compared exactly in micro-dollars."""
        return [
            t
            for t in self.budget.thresholds
            if self.spend_micros * 100 >= t * self.budget.monthly_micros
        ]

    @property
    def projected_to_exceed(self) -> bool:
        return self.projected_micros > self.budget.monthly_micros >= self.spend_micros


def _ref(row: Budget) -> BudgetRef:
    return BudgetRef(row.id, row.scope, row.target, row.monthly_micros, tuple(row.thresholds))


def _validate(
    s: Session, tenant: TenantRef, scope: str, target: str, micros: int, thresholds
) -> tuple[str, tuple[int, ...]]:
    if scope not in SCOPES:
        raise BudgetError(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    target = (target or "").strip()
    if scope == "tenant":
        target = ""
    elif not target or len(target) > 255:
        raise BudgetError(f"a {scope} budget needs a target of 1 to 255 characters")
    if scope == "member" and (
        not target.isdigit()
        or s.scalar(
            select(Member.id).where(Member.tenant_id == tenant.id, Member.id == int(target))
        )
        is None
    ):
        raise BudgetError(f"no member with id {target!r} in this tenant")
    if scope == "tag" and "=" not in target:
        raise BudgetError("a tag budget's target is key=value, e.g. project=search")
    if (
        isinstance(micros, bool)
        or not isinstance(micros, int)
        or not 0 < micros <= MAX_BUDGET_MICROS
    ):
        raise BudgetError("the monthly amount must be above $0 and at most $1,000,000,000")
    levels = tuple(sorted(set(thresholds)))
    if not levels or any(
        isinstance(t, bool) or not isinstance(t, int) or not 1 <= t <= 1000 for t in levels
    ):
        raise BudgetError("thresholds are whole percents from 1 to 1000, e.g. 75, 90, 100")
    return target, levels


def set_budget(
    engine: Engine,
    tenant: TenantRef,
    actor: Actor,
    *,
    scope: str = "tenant",
    target: str = "",
    monthly_micros: int,
    thresholds=DEFAULT_THRESHOLDS,
) -> BudgetRef:
    """Create the budget for (scope, target), or change its amount and thresholds. Audited."""
    require_admin(actor, "setting a budget", tenant)
    with Session(engine) as s, s.begin():
        target, levels = _validate(s, tenant, scope, target, monthly_micros, thresholds)
        row = s.scalar(
            select(Budget).where(
                Budget.tenant_id == tenant.id, Budget.scope == scope, Budget.target == target
            )
        )
        old = _ref(row) if row else None
        if row is None:
            row = Budget(tenant_id=tenant.id, scope=scope, target=target)
            s.add(row)
        row.monthly_micros, row.thresholds = monthly_micros, list(levels)
        s.flush()
        audit.record(
            s, tenant, actor, "budget.set", f"{scope}:{target}",
            old_micros=old.monthly_micros if old else None, new_micros=monthly_micros,
            thresholds=list(levels),
        )  # fmt: skip
        return _ref(row)


def remove_budget(engine: Engine, tenant: TenantRef, actor: Actor, budget_id: int) -> None:
    """Delete a budget (its alert history goes with it). Audited."""
    require_admin(actor, "removing a budget", tenant)
    with Session(engine) as s, s.begin():
        row = s.get(Budget, budget_id)
        if row is None or row.tenant_id != tenant.id:
            raise BudgetError(f"no budget {budget_id} in this tenant")
        audit.record(s, tenant, actor, "budget.remove", f"{row.scope}:{row.target}")
        s.delete(row)


def list_budgets(engine: Engine, tenant: TenantRef, actor: Actor) -> list[BudgetRef]:
    require_signed_in(actor, "reading budgets", tenant)
    with Session(engine) as s:
        rows = s.scalars(
            select(Budget)
            .where(Budget.tenant_id == tenant.id)
            .order_by(Budget.scope, Budget.target)
        )
        return [_ref(r) for r in rows]


def _daily_spend(s: Session, tenant: TenantRef, budget: BudgetRef, start: dt.date, end: dt.date):
    """Billed spend per day in [start, end) that ``budget`` covers."""
    day = UsageFact.charge_period_start
    query = select(day, func.sum(UsageFact.billed_cost_micros)).where(
        UsageFact.tenant_id == tenant.id,
        UsageFact.cost_basis == "billed",
        day >= start,
        day < end,
    )
    if budget.scope in ("team", "member"):
        query = through_links(query, UsageFact).join(Member, Member.id == IdentityLink.member_id)
        if budget.scope == "team":
            query = query.where(Member.team == budget.target)
        else:
            query = query.where(Member.id == int(budget.target))
    elif budget.scope == "vendor":
        query = query.where(UsageFact.source == budget.target)
    if budget.scope == "tag":
        key, _, value = budget.target.partition("=")
        # A fact's effective tags: the vendor's, with the admins' assignments over them
        # (warehouse.tags). JSON cannot be grouped on PostgreSQL: filter the rows here.
        assigned = load_assignments(s.connection(), tenant.id)
        where = list(query.whereclause.clauses)
        if not assigned.on:
            where.append(UsageFact.tags.is_not(None))
        f = UsageFact
        rows = s.execute(
            select(day, f.billed_cost_micros, f.tags, f.source, f.account_key, f.sub_account)
            .where(*where)
        ).all()  # fmt: skip
        totals: dict[dt.date, int] = {}
        for d, micros, tags, source, account, sub in rows:
            if assigned.effective(source, account, sub, tags).get(key) == value:
                totals[d] = totals.get(d, 0) + int(micros or 0)
        return totals
    return {d: int(m or 0) for d, m in s.execute(query.group_by(day)).all()}


def utilisation(
    engine: Engine,
    tenant: TenantRef,
    actor: Actor,
    period: str,
    *,
    today: dt.date | None = None,
) -> list[Utilisation]:
    """Every budget's spend in ``period`` and its month-end projection (``warehouse.projection``:
    realised + the trailing daily rate x the days left; a finished month projects itself)."""
    require_signed_in(actor, "reading budget utilisation", tenant)
    today = today or dt.datetime.now(dt.UTC).date()
    start, end = month_bounds(period)
    out = []
    with Session(engine) as s:
        for budget in list_budgets(engine, tenant, actor):
            per_day = {
                as_date(d): m for d, m in _daily_spend(s, tenant, budget, start, end).items()
            }
            p = project(per_day, period, today)
            out.append(Utilisation(budget, period, p.realised_micros, p.projected_micros))
    return out


def record_alerts(engine: Engine, tenant: TenantRef, usage: list[Utilisation]) -> int:
    """Record an alert for each threshold crossed and each projected overrun not recorded yet
    for that budget and month; returns how many are new. Called by the pipeline."""
    new = 0
    for u in usage:
        kinds = [str(t) for t in u.crossed()] + (["projected"] if u.projected_to_exceed else [])
        for kind in kinds:
            try:
                with Session(engine) as s, s.begin():
                    # Read-then-write: on SQLite wait for a concurrent writer, don't fail.
                    begin_exclusive(s.connection(), "aispend:budget_alerts")
                    exists = s.scalar(
                        select(BudgetAlert.id).where(
                            BudgetAlert.budget_id == u.budget.id,
                            BudgetAlert.period == u.period,
                            BudgetAlert.kind == kind,
                        )
                    )
                    if exists is not None:
                        continue
                    s.add(
                        BudgetAlert(
                            tenant_id=tenant.id,
                            budget_id=u.budget.id,
                            period=u.period,
                            kind=kind,
                            spend_micros=u.spend_micros,
                            budget_micros=u.budget.monthly_micros,
                            message=alert_message(tenant, u, kind),
                        )
                    )
                new += 1
            except IntegrityError:  # a concurrent run recorded it first: still once
                continue
    return new


def alert_message(tenant: TenantRef, u: Utilisation, kind: str) -> str:
    spent, budget = usd_text(u.spend_micros), usd_text(u.budget.monthly_micros)
    if kind == "projected":
        return (
            f"aispend · {tenant.name}: the {u.budget.label} budget is projected to exceed "
            f"{budget} in {u.period} (projection {usd_text(u.projected_micros)}; spent {spent} so far)."
        )
    return (
        f"aispend · {tenant.name}: the {u.budget.label} budget reached {kind} % in {u.period}: "
        f"{spent} of {budget}."
    )


@dataclass(frozen=True)
class PendingAlert:
    id: int
    message: str
    period: str
    kind: str
    attempts: int


def pending_alerts(engine: Engine, tenant: TenantRef) -> list[PendingAlert]:
    with Session(engine) as s:
        rows = s.scalars(
            select(BudgetAlert)
            .where(BudgetAlert.tenant_id == tenant.id, BudgetAlert.delivered.is_(False))
            .order_by(BudgetAlert.id)
        )
        return [PendingAlert(r.id, r.message, r.period, r.kind, r.attempts) for r in rows]


def mark_delivery(engine: Engine, alert_id: int, error: str | None) -> None:
    """Record one delivery attempt: delivered, or the (already redacted) reason it failed."""
    with Session(engine) as s, s.begin():
        begin_exclusive(s.connection(), "aispend:budget_alerts")
        row = s.get(BudgetAlert, alert_id)
        row.attempts += 1
        if error is None:
            row.delivered, row.delivered_at, row.last_error = True, dt.datetime.now(dt.UTC), None
        else:
            row.last_error = error[:MAX_ERROR_CHARS]


def list_alerts(engine: Engine, tenant: TenantRef, actor: Actor) -> list[dict]:
    """Every alert event of the tenant, newest first. Any signed-in user."""
    require_signed_in(actor, "reading budget alerts", tenant)
    with Session(engine) as s:
        rows = s.scalars(
            select(BudgetAlert)
            .where(BudgetAlert.tenant_id == tenant.id)
            .order_by(BudgetAlert.id.desc())
        )
        return [
            {
                "period": r.period,
                "kind": r.kind,
                "message": r.message,
                "delivered": r.delivered,
                "attempts": r.attempts,
                "last_error": r.last_error,
            }
            for r in rows
        ]
