"""Members: the people on the team. Creating, editing and merging them.

Vendor accounts are linked to members in ``warehouse.identities``. Facts are keyed by vendor
account, so merging members never touches a fact.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from warehouse import audit
from warehouse.actors import Actor, require_admin
from warehouse.errors import InvalidInput
from warehouse.models import IdentityLink, ManualEntry, Member, VendorAccount
from warehouse.tenants import TenantRef

MEMBER_KIND = "member"  # manual spend booked on a member's own "member:<id>" account


class MemberError(InvalidInput):
    pass


def get_member(s: Session, tenant: TenantRef, member_id: int) -> Member:
    row = s.get(Member, member_id)
    if row is None or row.tenant_id != tenant.id:
        raise MemberError(f"no member {member_id} in tenant {tenant.slug!r}")
    return row


def add_member(
    s: Session,
    tenant: TenantRef,
    actor: Actor,
    display_name: str,
    email: str | None,
    team: str | None,
    **detail: str,
) -> Member:
    if not display_name.strip():
        raise MemberError("a member needs a display name")
    row = Member(
        tenant_id=tenant.id,
        display_name=display_name.strip(),
        email=email.strip().lower() if email and email.strip() else None,
        team=team.strip() if team and team.strip() else None,
    )
    s.add(row)
    s.flush()
    audit.record(s, tenant, actor, "member.create", str(row.id), name=row.display_name, **detail)
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
    require_admin(actor, "creating a member", tenant)
    with Session(engine) as s, s.begin():
        return add_member(s, tenant, actor, display_name, email, team).id


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
    require_admin(actor, "editing a member", tenant)
    with Session(engine) as s, s.begin():
        row = get_member(s, tenant, member_id)
        changes = {}
        if display_name is not None:
            if not display_name.strip():
                raise MemberError("a member needs a display name")
            row.display_name = changes["display_name"] = display_name.strip()
        if email is not None:
            row.email = changes["email"] = email.strip().lower() or None
        if team is not None:
            row.team = changes["team"] = team or None
        audit.record(s, tenant, actor, "member.edit", str(member_id), **changes)


def list_members(engine: Engine, tenant: TenantRef, actor: Actor) -> list[dict]:
    """Every member with the vendor accounts linked to them ("source:key"). Admins only."""
    require_admin(actor, "listing members", tenant)
    with Session(engine) as s:
        links: dict[int, list[str]] = {}
        for member_id, source, key in s.execute(
            select(IdentityLink.member_id, VendorAccount.source, VendorAccount.account_key)
            .join(VendorAccount, VendorAccount.id == IdentityLink.vendor_account_id)
            .where(IdentityLink.tenant_id == tenant.id, VendorAccount.kind != MEMBER_KIND)
            .order_by(VendorAccount.source, VendorAccount.account_key)
        ):
            links.setdefault(member_id, []).append(f"{source}:{key}")
        return [
            {
                "id": m.id,
                "display_name": m.display_name,
                "email": m.email,
                "team": m.team,
                "accounts": links.get(m.id, []),
            }
            for m in s.scalars(
                select(Member).where(Member.tenant_id == tenant.id).order_by(Member.display_name)
            )
        ]


@dataclass(frozen=True)
class MergePreview:
    """What merging ``remove`` into ``keep`` moves: linked accounts and manual entries."""

    keep_id: int
    keep_name: str
    remove_id: int
    remove_name: str
    accounts: tuple[str, ...]
    manual_entries: int

    def describe(self) -> str:
        return (
            f"{self.remove_name} is merged into {self.keep_name}: "
            f"{len(self.accounts)} linked account(s) "
            f"({', '.join(self.accounts) or 'none'}) and {self.manual_entries} manual "
            f"entr{'y' if self.manual_entries == 1 else 'ies'} move; "
            f"{self.remove_name} is then removed. No fact changes."
        )


def _preview(s: Session, tenant: TenantRef, keep_id: int, remove_id: int) -> MergePreview:
    if keep_id == remove_id:
        raise MemberError("cannot merge a member into itself")
    keep = get_member(s, tenant, keep_id)
    gone = get_member(s, tenant, remove_id)
    accounts = s.scalars(
        select(VendorAccount)
        .join(IdentityLink, IdentityLink.vendor_account_id == VendorAccount.id)
        .where(IdentityLink.tenant_id == tenant.id, IdentityLink.member_id == remove_id)
        .order_by(VendorAccount.source, VendorAccount.account_key)
    )
    entries = s.scalar(
        select(func.count())
        .select_from(ManualEntry)
        .where(ManualEntry.tenant_id == tenant.id, ManualEntry.member_id == remove_id)
    )
    return MergePreview(
        keep.id,
        keep.display_name,
        gone.id,
        gone.display_name,
        tuple(f"{a.source}:{a.account_key}" for a in accounts if a.kind != MEMBER_KIND),
        int(entries or 0),
    )


def merge_preview(
    engine: Engine, tenant: TenantRef, actor: Actor, keep_id: int, remove_id: int
) -> MergePreview:
    """What ``merge_members(keep_id, remove_id)`` would move, without changing anything."""
    require_admin(actor, "previewing a merge", tenant)
    with Session(engine) as s:
        return _preview(s, tenant, keep_id, remove_id)


def merge_members(
    engine: Engine, tenant: TenantRef, actor: Actor, keep_id: int, remove_id: int
) -> MergePreview:
    """Move every link (and manual entry) of ``remove_id`` to ``keep_id``, then delete it.

    Facts are untouched: they are keyed by vendor account, not by member. Returns what moved.
    """
    require_admin(actor, "merging members", tenant)
    with Session(engine) as s, s.begin():
        moved = _preview(s, tenant, keep_id, remove_id)
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
            removed_name=moved.remove_name,
            kept_name=moved.keep_name,
            accounts=list(moved.accounts),
            manual_entries=moved.manual_entries,
        )
        s.delete(s.get(Member, remove_id))
        return moved
