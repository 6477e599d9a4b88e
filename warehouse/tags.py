"""Tags admins assign to vendor dimensions, and the effective tags of a usage fact.

An assignment puts ``key=value`` on one dimension of one source:

- ``account`` and ``api_key``: the fact's ``account_key`` (a person's login or e-mail, or the
  API key id a vendor attributes usage to: Anthropic, OpenAI service accounts);
- ``project`` and ``workspace``: the fact's ``sub_account`` (OpenAI calls it a project; a vendor
  that groups keys in workspaces reports the workspace there).

A fact's **effective tags** are the vendor's own FOCUS tags with the assignments laid over
them: an assigned key replaces the vendor's value for that key (an admin set it on purpose).
When two dimensions of one fact assign the same key, the narrower wins: api_key, then account,
then project, then workspace. Keys are lower case (``team``, ``cost_center``); values are
kept as typed. Admins only, audited; the spend marts refresh when assignments change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from warehouse import audit
from warehouse.actors import Actor, require_admin
from warehouse.errors import InvalidInput, NotFound
from warehouse.models import UsageFact, VendorAccount
from warehouse.models_tags import TagAssignment
from warehouse.tenants import TenantRef

# Narrowest first: a key assigned on an earlier dimension wins over a later one.
DIMENSIONS = ("api_key", "account", "project", "workspace")
FACT_COLUMN = {
    "api_key": "account_key",
    "account": "account_key",
    "project": "sub_account",
    "workspace": "sub_account",
}
_KEY = re.compile(r"^[a-z][a-z0-9_.:/-]{0,63}$")
_SOURCE = re.compile(r"^[a-z0-9_][a-z0-9_.-]{0,63}$")
MAX_VALUE_CHARS = 200
MAX_DIMENSION_VALUE_CHARS = 320
UNATTRIBUTED = "unattributed"


class TagError(InvalidInput):
    """A tag assignment that cannot be saved; the message says which field and why."""


def _text(value: str | None, what: str, max_chars: int) -> str:
    text = (value or "").strip()
    if not text:
        raise TagError(f"{what} is required")
    if len(text) > max_chars:
        raise TagError(f"{what} is {len(text)} characters long; at most {max_chars} allowed")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise TagError(f"{what} {text!r} contains a control character")
    return text


def _check(source: str, dimension: str, value: str, key: str) -> tuple[str, str, str, str]:
    source = (source or "").strip()
    if not _SOURCE.match(source):
        raise TagError(f"source {source!r} is not a source name (e.g. openai, anthropic)")
    if dimension not in DIMENSIONS:
        raise TagError(f"dimension must be one of {', '.join(DIMENSIONS)}, not {dimension!r}")
    value = _text(value, f"the {dimension}", MAX_DIMENSION_VALUE_CHARS)
    key = (key or "").strip().lower()
    if not _KEY.match(key):
        raise TagError(
            f"tag key {key!r} must start with a letter and hold at most 64 letters, digits "
            "or _ . : / - (e.g. team, cost_center)"
        )
    return source, dimension, value, key


def parse_tag(text: str) -> tuple[str, str]:
    """``"team=search"`` → ``("team", "search")``; ``TagError`` without a ``=``."""
    key, sep, value = (text or "").partition("=")
    if not sep:
        raise TagError(f"tag {text!r} is not key=value (e.g. team=search)")
    return key.strip(), value.strip()


def _row(a: TagAssignment) -> dict[str, Any]:
    return {
        "source": a.source,
        "dimension": a.dimension,
        "dimension_value": a.dimension_value,
        "tag_key": a.tag_key,
        "tag_value": a.tag_value,
        "created_by": a.created_by,
        "created_at": a.created_at,
    }


def _target(source: str, dimension: str, value: str, key: str) -> str:
    return f"{source}/{dimension}/{value}:{key}"


def list_assignments(
    engine: Engine, tenant: TenantRef, actor: Actor, source: str | None = None
) -> list[dict[str, Any]]:
    """Every assignment of the tenant (of one source, or all). Admins only."""
    require_admin(actor, "listing tag assignments", tenant)
    query = select(TagAssignment).where(TagAssignment.tenant_id == tenant.id)
    if source is not None:
        query = query.where(TagAssignment.source == source)
    order = (
        TagAssignment.source,
        TagAssignment.dimension,
        TagAssignment.dimension_value,
        TagAssignment.tag_key,
    )
    with Session(engine) as s:
        return [_row(a) for a in s.scalars(query.order_by(*order))]


def _find(s: Session, tenant: TenantRef, source, dimension, value, key) -> TagAssignment | None:
    return s.scalar(
        select(TagAssignment).where(
            TagAssignment.tenant_id == tenant.id,
            TagAssignment.source == source,
            TagAssignment.dimension == dimension,
            TagAssignment.dimension_value == value,
            TagAssignment.tag_key == key,
        )
    )


def set_tag(
    engine: Engine,
    tenant: TenantRef,
    actor: Actor,
    *,
    source: str,
    dimension: str,
    value: str,
    key: str,
    tag_value: str,
) -> dict[str, Any]:
    """Put ``key=tag_value`` on (source, dimension, value), replacing that key's previous value
    there. Audited (old and new value)."""
    require_admin(actor, "setting a tag", tenant)
    source, dimension, value, key = _check(source, dimension, value, key)
    tag_value = _text(tag_value, f"the value of tag {key!r}", MAX_VALUE_CHARS)
    with Session(engine) as s, s.begin():
        row = _find(s, tenant, source, dimension, value, key)
        old = row.tag_value if row else None
        if row is None:
            row = TagAssignment(
                tenant_id=tenant.id,
                source=source,
                dimension=dimension,
                dimension_value=value,
                tag_key=key,
                created_by=actor.email,
            )
            s.add(row)
        row.tag_value = tag_value
        s.flush()
        target = _target(source, dimension, value, key)
        audit.record(s, tenant, actor, "tag.set", target, old=old, new=tag_value)
        return _row(row)


def remove_tag(
    engine: Engine,
    tenant: TenantRef,
    actor: Actor,
    *,
    source: str,
    dimension: str,
    value: str,
    key: str,
) -> None:
    """Take ``key`` off (source, dimension, value). Audited; ``NotFound`` when it is not set."""
    require_admin(actor, "removing a tag", tenant)
    source, dimension, value, key = _check(source, dimension, value, key)
    with Session(engine) as s, s.begin():
        row = _find(s, tenant, source, dimension, value, key)
        target = _target(source, dimension, value, key)
        if row is None:
            raise NotFound(f"no tag {key!r} on {source} {dimension} {value!r}")
        audit.record(s, tenant, actor, "tag.remove", target, old=row.tag_value)
        s.delete(row)


def discovered_values(
    engine: Engine, tenant: TenantRef, actor: Actor
) -> dict[str, list[tuple[str, str]]]:
    """``{dimension: [(source, value)]}`` seen in the tenant's facts and accounts: what an
    admin can tag. API keys are accounts a vendor reports as keys; projects and workspaces
    are the facts' sub-accounts."""
    require_admin(actor, "listing taggable dimensions", tenant)
    found: dict[str, list[tuple[str, str]]] = {d: [] for d in DIMENSIONS}
    with engine.connect() as conn:
        accounts = conn.execute(
            select(VendorAccount.source, VendorAccount.account_key, VendorAccount.kind)
            .where(
                VendorAccount.tenant_id == tenant.id,
                VendorAccount.kind != UNATTRIBUTED,
                VendorAccount.account_key != UNATTRIBUTED,
            )
            .order_by(VendorAccount.source, VendorAccount.account_key)
        ).all()
        subs = conn.execute(
            select(UsageFact.source, UsageFact.sub_account)
            .distinct()
            .where(UsageFact.tenant_id == tenant.id, UsageFact.sub_account.is_not(None))
            .order_by(UsageFact.source, UsageFact.sub_account)
        ).all()
    for source, key, kind in accounts:
        found["api_key" if kind == "api_key" else "account"].append((source, key))
    for source, sub in subs:
        found["project"].append((source, sub))
        found["workspace"].append((source, sub))
    return found


@dataclass(frozen=True)
class Assignments:
    """A tenant's assignments, ready to lay over facts (``effective``)."""

    on: Mapping[tuple[str, str, str], Mapping[str, str]] = field(default_factory=dict)

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(k for tags in self.on.values() for k in tags)

    def effective(
        self,
        source: str,
        account_key: str | None,
        sub_account: str | None,
        vendor_tags: Mapping[str, Any] | None,
    ) -> dict[str, str]:
        """The fact's tags: its vendor tags (empty values dropped), then the assignments of
        its dimensions, widest first so the narrowest wins."""
        tags = {str(k): str(v) for k, v in (vendor_tags or {}).items() if v not in (None, "")}
        values = {"account_key": account_key, "sub_account": sub_account}
        for dimension in reversed(DIMENSIONS):
            value = values[FACT_COLUMN[dimension]]
            if value is not None:
                tags.update(self.on.get((source, dimension, value), {}))
        return tags


def load_assignments(bind: Engine | Connection, tenant_id: int) -> Assignments:
    """Every assignment of the tenant (no actor: for the marts the pipeline builds and the
    budgets' own reads), on an engine or inside a caller's connection."""
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return load_assignments(conn, tenant_id)
    on: dict[tuple[str, str, str], dict[str, str]] = {}
    rows: Iterable = bind.execute(
        select(
            TagAssignment.source,
            TagAssignment.dimension,
            TagAssignment.dimension_value,
            TagAssignment.tag_key,
            TagAssignment.tag_value,
        ).where(TagAssignment.tenant_id == tenant_id)
    )
    for source, dimension, value, key, tag_value in rows:
        on.setdefault((source, dimension, value), {})[key] = tag_value
    return Assignments(on)
