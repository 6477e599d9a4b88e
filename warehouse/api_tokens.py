"""Tokens of the read-only API: created, listed and revoked by an admin (audited); checked on
every API call.

A token is 32 random bytes (URL-safe text behind an ``aispend_`` prefix), shown once when
created; the warehouse keeps only its sha256. A token belongs to one tenant and carries
scopes (``read:kpis`` …): the API answers only that tenant's data, only for those scopes.
Every call is audited with the actor ``api:<token name>``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from warehouse import audit
from warehouse.actors import Actor, require_admin
from warehouse.errors import InvalidInput
from warehouse.models import Tenant
from warehouse.models_api import ApiToken
from warehouse.tenants import TenantRef

SCOPES = ("read:kpis", "read:members", "read:vendors", "read:leaderboard", "read:budgets")
PREFIX = "aispend_"
MAX_NAME = 100


class ApiTokenError(InvalidInput):
    """A token that cannot be created or revoked: what is wrong, for the admin."""


@dataclass(frozen=True)
class ApiTokenRef:
    id: int
    name: str
    scopes: tuple[str, ...]
    created_by: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None

    @property
    def actor(self) -> Actor:
        """Who the API acts as for this token: it reads what a viewer may read."""
        return Actor(f"api:{self.name}", "viewer")


def _ref(row: ApiToken) -> ApiTokenRef:
    return ApiTokenRef(
        row.id, row.name, tuple(row.scopes), row.created_by, row.created_at, row.revoked_at,
        row.last_used_at,
    )  # fmt: skip


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_scopes(text: str) -> tuple[str, ...]:
    """``read:kpis,read:members`` (or ``all``) as a tuple of known scopes."""
    wanted = [s.strip() for s in text.split(",") if s.strip()]
    if wanted == ["all"]:
        return SCOPES
    unknown = sorted(set(wanted) - set(SCOPES))
    if unknown or not wanted:
        raise ApiTokenError(
            f"unknown scope(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(SCOPES)} or all"
        )
    return tuple(s for s in SCOPES if s in wanted)


def create_token(
    engine: Engine, tenant: TenantRef, actor: Actor, *, name: str, scopes=SCOPES
) -> tuple[ApiTokenRef, str]:
    """A new token for ``tenant``; returns it with its secret text (never stored). Audited."""
    require_admin(actor, "creating an API token", tenant)
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise ApiTokenError(f"a token name is 1 to {MAX_NAME} printable characters")
    scopes = tuple(scopes)
    if not scopes or set(scopes) - set(SCOPES):
        raise ApiTokenError(f"scopes must be among {', '.join(SCOPES)}")
    secret = PREFIX + secrets.token_urlsafe(32)
    with Session(engine) as s, s.begin():
        taken = s.scalar(
            select(ApiToken.id).where(
                ApiToken.tenant_id == tenant.id,
                ApiToken.name == name,
                ApiToken.revoked_at.is_(None),
            )
        )
        if taken is not None:
            raise ApiTokenError(f"an active token named {name!r} exists (id {taken})")
        row = ApiToken(
            tenant_id=tenant.id,
            name=name,
            token_sha256=_digest(secret),
            scopes=list(scopes),
            created_by=actor.email,
        )
        s.add(row)
        s.flush()
        audit.record(s, tenant, actor, "api_token.create", name, id=row.id, scopes=list(scopes))
        return _ref(row), secret


def list_tokens(engine: Engine, tenant: TenantRef, actor: Actor) -> list[ApiTokenRef]:
    """Every token of the tenant, revoked ones included, oldest first. Admins only."""
    require_admin(actor, "listing API tokens", tenant)
    with Session(engine) as s:
        rows = s.scalars(
            select(ApiToken).where(ApiToken.tenant_id == tenant.id).order_by(ApiToken.id)
        )
        return [_ref(r) for r in rows]


def revoke_token(engine: Engine, tenant: TenantRef, actor: Actor, token_id: int) -> ApiTokenRef:
    """Revoke a token now: the API refuses it from the next call. Audited."""
    require_admin(actor, "revoking an API token", tenant)
    with Session(engine) as s, s.begin():
        row = s.get(ApiToken, token_id)
        if row is None or row.tenant_id != tenant.id:
            raise ApiTokenError(f"no API token {token_id} in this tenant")
        if row.revoked_at is not None:
            raise ApiTokenError(f"API token {token_id} ({row.name}) is already revoked")
        row.revoked_at = dt.datetime.now(dt.UTC)
        audit.record(s, tenant, actor, "api_token.revoke", row.name, id=row.id)
        s.flush()
        return _ref(row)


def authenticate(engine: Engine, token: str) -> tuple[TenantRef, ApiTokenRef] | None:
    """The tenant and token a presented bearer token stands for; None when it is unknown or
    revoked. Looked up by its digest, then compared in constant time."""
    if not token or not token.startswith(PREFIX) or len(token) > 200:
        return None
    digest = _digest(token)
    with Session(engine) as s:
        row = s.scalar(select(ApiToken).where(ApiToken.token_sha256 == digest))
        if row is None or not hmac.compare_digest(row.token_sha256, digest):
            return None
        if row.revoked_at is not None:
            return None
        tenant = s.get(Tenant, row.tenant_id)
        return TenantRef(tenant.id, tenant.slug, tenant.name), _ref(row)


def record_call(
    engine: Engine, tenant: TenantRef, token: ApiTokenRef, path: str, status: int, **detail
) -> None:
    """Audit one API call (answered or refused) and note when the token was last used."""
    with Session(engine) as s, s.begin():
        row = s.get(ApiToken, token.id)
        if row is not None:
            row.last_used_at = dt.datetime.now(dt.UTC)
        audit.record(s, tenant, token.actor, "api.call", path, status=status, **detail)
