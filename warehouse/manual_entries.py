"""Manual entries: spend an admin types in. Attributed (who, when); turned into daily facts by
the pipeline's ``manual`` connector, never written as facts here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from warehouse import audit
from warehouse.actors import Actor, require_admin
from warehouse.amounts import AmountError, dollars_to_micros
from warehouse.errors import InvalidInput
from warehouse.members import MEMBER_KIND
from warehouse.models import IdentityLink, ManualEntry, Member, VendorAccount
from warehouse.tenants import TenantRef

CATEGORIES = ("Purchase", "Usage", "Credit", "Adjustment", "Tax")
MAX_PERIOD_DAYS = 366
SOURCE = "manual"


class ManualEntryError(InvalidInput):
    pass


MAX_TOKENS = 10**15


def member_account_key(member_id: int) -> str:
    return f"member:{member_id}"


def _amount_micros(amount: Decimal | str | int, category: str) -> int:
    try:
        micros = dollars_to_micros(amount)
    except AmountError as exc:
        raise ManualEntryError(str(exc)) from None
    if micros < 0 and category not in ("Credit", "Adjustment"):
        raise ManualEntryError("a negative amount needs the category Credit or Adjustment")
    return micros


def _tokens(tokens: int | str | None) -> int | None:
    """Optional token count: empty means unknown; otherwise a whole number ≥ 0."""
    if tokens is None or str(tokens).strip() == "":
        return None
    try:
        value = int(str(tokens).strip().replace(",", "").replace("_", ""))
    except ValueError:
        raise ManualEntryError(f"tokens {tokens!r} is not a whole number") from None
    if value < 0:
        raise ManualEntryError("tokens cannot be negative")
    if value > MAX_TOKENS:
        raise ManualEntryError(f"tokens {tokens!r} is more than {MAX_TOKENS:,}")
    return value


def _validate(period_start: dt.date, period_end: dt.date, category: str) -> None:
    if category not in CATEGORIES:
        raise ManualEntryError(f"category must be one of {', '.join(CATEGORIES)}")
    if period_end < period_start:
        raise ManualEntryError(f"period ends ({period_end}) before it starts ({period_start})")
    if (period_end - period_start).days + 1 > MAX_PERIOD_DAYS:
        raise ManualEntryError(f"a period can span at most {MAX_PERIOD_DAYS} days")


def _ensure_member_account(s: Session, tenant: TenantRef, actor: Actor, member: Member) -> None:
    """A member's manual spend is booked on the account ``member:<id>``, linked to that member."""
    key = member_account_key(member.id)
    account = s.scalar(
        select(VendorAccount).where(
            VendorAccount.tenant_id == tenant.id,
            VendorAccount.source == SOURCE,
            VendorAccount.account_key == key,
        )
    )
    if account is None:
        account = VendorAccount(
            tenant_id=tenant.id,
            source=SOURCE,
            account_key=key,
            display_name=member.display_name,
            email=member.email,
            kind=MEMBER_KIND,
        )
        s.add(account)
        s.flush()
    if s.scalar(select(IdentityLink).where(IdentityLink.vendor_account_id == account.id)) is None:
        s.add(
            IdentityLink(
                tenant_id=tenant.id,
                vendor_account_id=account.id,
                member_id=member.id,
                linked_by=actor.email,
            )
        )


def _member(s: Session, tenant: TenantRef, member_id: int | None) -> Member | None:
    if member_id is None:
        return None
    member = s.get(Member, member_id)
    if member is None or member.tenant_id != tenant.id:
        raise ManualEntryError(f"no member {member_id} in tenant {tenant.slug!r}")
    return member


def create_entry(
    engine: Engine,
    tenant: TenantRef,
    actor: Actor,
    *,
    provider: str,
    service: str,
    amount: Decimal | str | int,
    period_start: dt.date,
    period_end: dt.date,
    description: str = "",
    member_id: int | None = None,
    charge_category: str = "Purchase",
    tokens: int | str | None = None,
) -> int:
    require_admin(actor, "adding a manual entry", tenant)
    _validate(period_start, period_end, charge_category)
    micros = _amount_micros(amount, charge_category)
    token_count = _tokens(tokens)
    if not provider.strip() or not service.strip():
        raise ManualEntryError("a manual entry needs a provider and a service")
    with Session(engine) as s, s.begin():
        member = _member(s, tenant, member_id)
        row = ManualEntry(
            tenant_id=tenant.id,
            member_id=member_id,
            provider=provider.strip(),
            service=service.strip(),
            description=description,
            amount_micros=micros,
            tokens=token_count,
            period_start=period_start,
            period_end=period_end,
            charge_category=charge_category,
            created_by=actor.email,
        )
        s.add(row)
        if member is not None:
            _ensure_member_account(s, tenant, actor, member)
        s.flush()
        audit.record(
            s,
            tenant,
            actor,
            "manual_entry.create",
            str(row.id),
            amount_micros=micros,
            tokens=token_count,
            provider=row.provider,
        )
        return row.id


def edit_entry(
    engine: Engine,
    tenant: TenantRef,
    actor: Actor,
    entry_id: int,
    **changes,
) -> None:
    """Change any of provider, service, amount, tokens, period_start, period_end, description,
    member_id, charge_category. Records who changed it and when."""
    require_admin(actor, "editing a manual entry", tenant)
    allowed = {
        "provider",
        "service",
        "amount",
        "tokens",
        "period_start",
        "period_end",
        "description",
        "member_id",
        "charge_category",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ManualEntryError(f"unknown fields: {', '.join(sorted(unknown))}")
    with Session(engine) as s, s.begin():
        row = s.get(ManualEntry, entry_id)
        if row is None or row.tenant_id != tenant.id:
            raise ManualEntryError(f"no manual entry {entry_id} in tenant {tenant.slug!r}")
        start = changes.get("period_start", row.period_start)
        end = changes.get("period_end", row.period_end)
        category = changes.get("charge_category", row.charge_category)
        _validate(start, end, category)
        row.period_start, row.period_end, row.charge_category = start, end, category
        if "amount" in changes:
            row.amount_micros = _amount_micros(changes["amount"], category)
        if "tokens" in changes:
            row.tokens = _tokens(changes["tokens"])
        for name in ("provider", "service"):
            if name in changes and not str(changes[name]).strip():
                raise ManualEntryError(f"a manual entry needs a {name}")
        for name in ("provider", "service", "description"):
            if name in changes:
                setattr(row, name, changes[name])
        if "member_id" in changes:
            member = _member(s, tenant, changes["member_id"])
            row.member_id = changes["member_id"]
            if member is not None:
                _ensure_member_account(s, tenant, actor, member)
        row.updated_by = actor.email
        row.updated_at = dt.datetime.now(dt.UTC)
        audit.record(
            s,
            tenant,
            actor,
            "manual_entry.edit",
            str(entry_id),
            fields=sorted(changes),
        )


def delete_entry(engine: Engine, tenant: TenantRef, actor: Actor, entry_id: int) -> None:
    require_admin(actor, "deleting a manual entry", tenant)
    with Session(engine) as s, s.begin():
        row = s.get(ManualEntry, entry_id)
        if row is None or row.tenant_id != tenant.id:
            raise ManualEntryError(f"no manual entry {entry_id} in tenant {tenant.slug!r}")
        audit.record(
            s,
            tenant,
            actor,
            "manual_entry.delete",
            str(entry_id),
            amount_micros=row.amount_micros,
            provider=row.provider,
        )
        s.delete(row)


def list_entries(engine: Engine, tenant: TenantRef, actor: Actor) -> list[dict]:
    """The tenant's manual entries, oldest period first. Admins only."""
    require_admin(actor, "listing manual entries", tenant)
    return _entries(engine, tenant)


def _entries(engine: Engine, tenant: TenantRef) -> list[dict]:
    with Session(engine) as s:
        rows = s.execute(
            select(ManualEntry, Member.display_name)
            .outerjoin(Member, Member.id == ManualEntry.member_id)
            .where(ManualEntry.tenant_id == tenant.id)
            .order_by(ManualEntry.period_start, ManualEntry.id)
        )
        return [
            {
                "id": e.id,
                "provider": e.provider,
                "service": e.service,
                "description": e.description,
                "amount_micros": e.amount_micros,
                "tokens": e.tokens,
                "period_start": e.period_start,
                "period_end": e.period_end,
                "charge_category": e.charge_category,
                "member_id": e.member_id,
                "member_name": name,
                "created_by": e.created_by,
                "created_at": e.created_at,
                "updated_by": e.updated_by,
                "updated_at": e.updated_at,
            }
            for e, name in rows
        ]


def connector_config(engine: Engine, tenant: TenantRef) -> dict:
    """The config the ``manual`` connector's fetch() takes: every entry of the tenant.
    System use (the pipeline); people read entries through ``list_entries``."""
    return {
        "entries": [
            {
                "id": e["id"],
                "provider": e["provider"],
                "service": e["service"],
                "amount_micros": e["amount_micros"],
                "tokens": e["tokens"],
                "period_start": e["period_start"].isoformat(),
                "period_end": e["period_end"].isoformat(),
                "charge_category": e["charge_category"],
                "account_key": member_account_key(e["member_id"]) if e["member_id"] else None,
                "account_name": e["member_name"],
                "description": e["description"],
                "created_by": e["created_by"],
                "updated_by": e["updated_by"],
            }
            for e in _entries(engine, tenant)
        ]
    }
