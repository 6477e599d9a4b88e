"""Identity linking: vendor accounts (as vendors know people) → members (as the team knows them).

Accounts are discovered by the pipeline in vendor data. An admin links each to a member, creates
a member from it, or unlinks it. Facts are keyed by vendor account, so none of this rewrites a
fact: marts join ``identity_links`` and history follows the link.
"""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from warehouse import audit
from warehouse.actors import Actor, require_admin
from warehouse.members import MEMBER_KIND, MemberError, add_member, get_member, list_members
from warehouse.models import IdentityLink, Member, VendorAccount
from warehouse.tenants import TenantRef

# Account kinds that are not a person and are never offered for linking.
NOT_PEOPLE = frozenset({"unattributed", MEMBER_KIND})


def _account(s: Session, tenant: TenantRef, account_id: int) -> VendorAccount:
    row = s.get(VendorAccount, account_id)
    if row is None or row.tenant_id != tenant.id:
        raise MemberError(f"no vendor account {account_id} in tenant {tenant.slug!r}")
    return row


def list_accounts(engine: Engine, tenant: TenantRef, actor: Actor) -> list[dict]:
    """Every discovered vendor account with the member it is linked to (None when unlinked)."""
    require_admin(actor, "listing vendor accounts", tenant)
    with Session(engine) as s:
        rows = s.execute(
            select(VendorAccount, IdentityLink.member_id, Member.display_name)
            .outerjoin(IdentityLink, IdentityLink.vendor_account_id == VendorAccount.id)
            .outerjoin(Member, Member.id == IdentityLink.member_id)
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
                "member_name": member_name,
            }
            for a, member_id, member_name in rows
        ]


def account_email(account: dict) -> str | None:
    """The email a vendor account is known by: its email, or its key when that is one."""
    for value in (account.get("email"), account.get("account_key")):
        if value and "@" in value:
            return value.strip().lower()
    return None


def unlinked_accounts(engine: Engine, tenant: TenantRef, actor: Actor) -> dict[str, list[dict]]:
    """Accounts discovered in vendor data and linked to nobody, grouped by vendor (source).

    Each carries ``possible_match`` (a member id, or None) when its email equals exactly one
    member's email. Remainders ("unattributed") and vendor control totals are not people and
    never appear here.
    """
    require_admin(actor, "reviewing vendor accounts", tenant)
    by_email: dict[str, list[dict]] = {}
    for m in list_members(engine, tenant, actor):
        if m["email"]:
            by_email.setdefault(m["email"].lower(), []).append(m)
    grouped: dict[str, list[dict]] = {}
    for account in list_accounts(engine, tenant, actor):
        if account["member_id"] is not None or account["kind"] in NOT_PEOPLE:
            continue
        matches = by_email.get(account_email(account) or "", [])
        match = matches[0] if len(matches) == 1 else None
        grouped.setdefault(account["source"], []).append(
            {
                **account,
                "possible_match": match["id"] if match else None,
                "possible_match_name": match["display_name"] if match else None,
            }
        )
    return grouped


def _label(account: VendorAccount) -> str:
    return f"{account.source}:{account.account_key}"


def _refuse_if_linked(s: Session, tenant: TenantRef, account: VendorAccount) -> None:
    link = s.scalar(select(IdentityLink).where(IdentityLink.vendor_account_id == account.id))
    if link is not None:
        owner = get_member(s, tenant, link.member_id)
        raise MemberError(
            f"{_label(account)} is already linked to {owner.display_name}; unlink it first"
        )


def _link(
    s: Session, tenant: TenantRef, actor: Actor, account: VendorAccount, member_id: int
) -> None:
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
    audit.record(s, tenant, actor, "identity.link", _label(account), member_id=member_id)


def link_account(
    engine: Engine, tenant: TenantRef, actor: Actor, account_id: int, member_id: int
) -> None:
    """Link a vendor account to a member (re-linking moves it)."""
    require_admin(actor, "linking an identity", tenant)
    with Session(engine) as s, s.begin():
        account = _account(s, tenant, account_id)
        get_member(s, tenant, member_id)
        _link(s, tenant, actor, account, member_id)


def unlink_account(engine: Engine, tenant: TenantRef, actor: Actor, account_id: int) -> None:
    require_admin(actor, "unlinking an identity", tenant)
    with Session(engine) as s, s.begin():
        account = _account(s, tenant, account_id)
        link = s.scalar(select(IdentityLink).where(IdentityLink.vendor_account_id == account.id))
        if link is not None:
            s.delete(link)
        audit.record(s, tenant, actor, "identity.unlink", _label(account))


def create_member_from_account(
    engine: Engine,
    tenant: TenantRef,
    actor: Actor,
    account_id: int,
    *,
    display_name: str | None = None,
    team: str | None = None,
) -> int:
    """A new member named after an unlinked vendor account, linked to it, in one transaction."""
    require_admin(actor, "creating a member from an account", tenant)
    with Session(engine) as s, s.begin():
        account = _account(s, tenant, account_id)
        _refuse_if_linked(s, tenant, account)
        email = account_email({"email": account.email, "account_key": account.account_key})
        name = display_name or account.display_name or (email or account.account_key).split("@")[0]
        member = add_member(s, tenant, actor, name, email, team, from_account=_label(account))
        _link(s, tenant, actor, account, member.id)
        return member.id


def link_possible_matches(engine: Engine, tenant: TenantRef, actor: Actor) -> list[tuple[str, int]]:
    """Link every unlinked account whose email names exactly one member; returns what was linked
    as ("source:key", member id). One transaction, one audit event per link."""
    require_admin(actor, "linking identities", tenant)
    wanted = [
        (a["id"], a["possible_match"])
        for group in unlinked_accounts(engine, tenant, actor).values()
        for a in group
        if a["possible_match"] is not None
    ]
    linked = []
    with Session(engine) as s, s.begin():
        for account_id, member_id in wanted:
            account = _account(s, tenant, account_id)
            if s.scalar(
                select(IdentityLink.id).where(IdentityLink.vendor_account_id == account_id)
            ):
                continue  # linked meanwhile by someone else: theirs stands
            _link(s, tenant, actor, account, member_id)
            linked.append((_label(account), member_id))
    return linked


def through_links(query, facts):
    """``query`` joined from a fact table (``UsageFact``, ``ActivityDay`` or the
    ``ActivityFact`` view) through its vendor account to ``IdentityLink``: only linked facts
    remain, ``IdentityLink.member_id`` in reach."""
    account = (
        (VendorAccount.tenant_id == facts.tenant_id)
        & (VendorAccount.source == facts.source)
        & (VendorAccount.account_key == facts.account_key)
    )
    return query.join(VendorAccount, account).join(
        IdentityLink, IdentityLink.vendor_account_id == VendorAccount.id
    )
