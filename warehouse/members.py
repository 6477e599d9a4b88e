"""Members (the people on the team) and identity linking: vendor accounts → members.

Facts are keyed by vendor account, so linking, unlinking and merging never touch a fact.
"""

from __future__ import annotations

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from warehouse import audit
from warehouse.actors import Actor, require_admin
from warehouse.models import IdentityLink, ManualEntry, Member, VendorAccount
from warehouse.tenants import TenantRef


class MemberError(ValueError):
    pass


def _member(s: Session, tenant: TenantRef, member_id: int) -> Member:
    row = s.get(Member, member_id)
    if row is None or row.tenant_id != tenant.id:
        raise MemberError(f"no member {member_id} in tenant {tenant.slug!r}")
    return row


def _account(s: Session, tenant: TenantRef, account_id: int) -> VendorAccount:
    row = s.get(VendorAccount, account_id)
    if row is None or row.tenant_id != tenant.id:
        raise MemberError(f"no vendor account {account_id} in tenant {tenant.slug!r}")
    return row


def create_member(
    engine: Engine,
    tenant: TenantRef,
    actor: Actor,
    *,
    display_name: str,
    email: str | None = None,
    team: str | None = None,
) -> int:
    require_admin(actor, "creating a member")
    if not display_name.strip():
        raise MemberError("a member needs a display name")
    with Session(engine) as s, s.begin():
        row = Member(
            tenant_id=tenant.id,
            display_name=display_name.strip(),
            email=email.strip().lower() if email else None,
            team=team,
        )
        s.add(row)
        s.flush()
        audit.record(s, tenant, actor, "member.create", str(row.id), name=row.display_name)
        return row.id


def edit_member(
    engine: Engine,
    tenant: TenantRef,
    actor: Actor,
    member_id: int,
    *,
    display_name: str | None = None,
    email: str | None = None,
    team: str | None = None,
) -> None:
    require_admin(actor, "editing a member")
    with Session(engine) as s, s.begin():
        row = _member(s, tenant, member_id)
        changes = {}
        if display_name is not None:
            row.display_name = changes["display_name"] = display_name.strip()
        if email is not None:
            row.email = changes["email"] = email.strip().lower() or None
        if team is not None:
            row.team = changes["team"] = team or None
        audit.record(s, tenant, actor, "member.edit", str(member_id), **changes)


def list_members(engine: Engine, tenant: TenantRef) -> list[dict]:
    with Session(engine) as s:
        return [
            {"id": m.id, "display_name": m.display_name, "email": m.email, "team": m.team}
            for m in s.scalars(
                select(Member).where(Member.tenant_id == tenant.id).order_by(Member.display_name)
            )
        ]


def list_accounts(engine: Engine, tenant: TenantRef) -> list[dict]:
    """Every discovered vendor account with the member it is linked to (None when unlinked)."""
    with Session(engine) as s:
        rows = s.execute(
            select(VendorAccount, IdentityLink.member_id)
            .outerjoin(IdentityLink, IdentityLink.vendor_account_id == VendorAccount.id)
            .where(VendorAccount.tenant_id == tenant.id)
            .order_by(VendorAccount.source, VendorAccount.account_key)
        )
        return [
            {
                "id": a.id,
                "source": a.source,
                "account_key": a.account_key,
                "display_name": a.display_name,
                "email": a.email,
                "kind": a.kind,
                "member_id": member_id,
            }
            for a, member_id in rows
        ]


def link_account(
    engine: Engine, tenant: TenantRef, actor: Actor, account_id: int, member_id: int
) -> None:
    """Link a vendor account to a member (re-linking moves it)."""
    require_admin(actor, "linking an identity")
    with Session(engine) as s, s.begin():
        account = _account(s, tenant, account_id)
        _member(s, tenant, member_id)
        link = s.scalar(select(IdentityLink).where(IdentityLink.vendor_account_id == account.id))
        if link is None:
            s.add(
                IdentityLink(
                    tenant_id=tenant.id,
                    vendor_account_id=account.id,
                    member_id=member_id,
                    linked_by=actor.email,
                )
            )
        else:
            link.member_id = member_id
            link.linked_by = actor.email
        audit.record(
            s,
            tenant,
            actor,
            "identity.link",
            f"{account.source}:{account.account_key}",
            member_id=member_id,
        )


def unlink_account(engine: Engine, tenant: TenantRef, actor: Actor, account_id: int) -> None:
    require_admin(actor, "unlinking an identity")
    with Session(engine) as s, s.begin():
        account = _account(s, tenant, account_id)
        link = s.scalar(select(IdentityLink).where(IdentityLink.vendor_account_id == account.id))
        if link is not None:
            s.delete(link)
        audit.record(s, tenant, actor, "identity.unlink", f"{account.source}:{account.account_key}")


def merge_members(
    engine: Engine, tenant: TenantRef, actor: Actor, keep_id: int, remove_id: int
) -> None:
    """Move every link (and manual entry) of ``remove_id`` to ``keep_id``, then delete it.

    Facts are untouched: they are keyed by vendor account, not by member.
    """
    require_admin(actor, "merging members")
    if keep_id == remove_id:
        raise MemberError("cannot merge a member into itself")
    with Session(engine) as s, s.begin():
        keep = _member(s, tenant, keep_id)
        gone = _member(s, tenant, remove_id)
        s.execute(
            update(IdentityLink)
            .where(IdentityLink.tenant_id == tenant.id, IdentityLink.member_id == remove_id)
            .values(member_id=keep_id)
        )
        s.execute(
            update(ManualEntry)
            .where(ManualEntry.tenant_id == tenant.id, ManualEntry.member_id == remove_id)
            .values(member_id=keep_id)
        )
        audit.record(
            s,
            tenant,
            actor,
            "member.merge",
            str(keep_id),
            removed_id=remove_id,
            removed_name=gone.display_name,
            kept_name=keep.display_name,
        )
        s.delete(gone)
