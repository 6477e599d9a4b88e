"""Vendor credentials and source settings, encrypted at rest; only masked values leave here,
except through ``connector_config`` which the pipeline hands straight to the connector call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from connectors.contract import CheckResult, Connector
from connectors.http import check_base_url, redact
from warehouse import audit, encryption
from warehouse.actors import Actor, require_admin
from warehouse.errors import InvalidInput
from warehouse.models import Credential, Tenant
from warehouse.tenants import TenantRef


def configure_source(
    engine: Engine,
    keys: Sequence[str],
    tenant: TenantRef,
    actor: Actor,
    source: str,
    values: dict[str, str],
    secret_fields: set[str],
) -> None:
    """Store (or replace) fields of a source's configuration, each encrypted.

    Refused before anything is stored: an empty secret, a value longer than
    ``MAX_VALUE_CHARS``, and a ``base_url`` that is not an http(s) URL with a host."""
    require_admin(actor, "configuring a vendor", tenant)
    check_values(source, values, secret_fields)
    now = dt.datetime.now(dt.UTC)
    with Session(engine) as s, s.begin():
        for name, value in values.items():
            row = s.scalar(
                select(Credential).where(
                    Credential.tenant_id == tenant.id,
                    Credential.source == source,
                    Credential.field == name,
                )
            )
            if row is None:
                row = Credential(tenant_id=tenant.id, source=source, field=name)
                s.add(row)
            row.ciphertext = encryption.encrypt(keys, value)
            row.is_secret = name in secret_fields
            row.last4 = value[-4:] if len(value) >= 8 else ""
            row.updated_by = actor.email
            row.updated_at = now
        audit.record(s, tenant, actor, "vendor.configure", source, fields=sorted(values))


MAX_VALUE_CHARS = 4096


def check_values(source: str, values: dict[str, str], secret_fields: set[str]) -> None:
    """What ``configure_source`` refuses; messages name the field, never a secret's value."""
    for name, value in values.items():
        if not isinstance(value, str):
            raise InvalidInput(f"{source}: {name} must be text")
        if name in secret_fields and not value.strip():
            raise InvalidInput(f"{source}: {name} is empty; a secret needs a value")
        if len(value) > MAX_VALUE_CHARS:
            raise InvalidInput(
                f"{source}: {name} is {len(value)} characters long; at most {MAX_VALUE_CHARS}"
            )
        if name == "base_url":
            try:
                check_base_url(value)
            except ValueError as exc:
                raise InvalidInput(f"{source}: {exc}") from None


def remove_source(engine: Engine, tenant: TenantRef, actor: Actor, source: str) -> None:
    require_admin(actor, "removing a vendor", tenant)
    with Session(engine) as s, s.begin():
        s.execute(
            delete(Credential).where(Credential.tenant_id == tenant.id, Credential.source == source)
        )
        audit.record(s, tenant, actor, "vendor.remove", source)


def masked_config(
    engine: Engine, keys: Sequence[str], tenant: TenantRef, actor: Actor, source: str
) -> dict:
    """What the UI and CLI may show: secrets as ••••last4, plain fields as they are. Admins only."""
    require_admin(actor, "reading a vendor's configuration", tenant)
    out: dict[str, str] = {}
    with Session(engine) as s:
        for row in s.scalars(
            select(Credential).where(Credential.tenant_id == tenant.id, Credential.source == source)
        ):
            out[row.field] = (
                encryption.MASK + row.last4
                if row.is_secret
                else encryption.decrypt(keys, row.ciphertext)
            )
    return out


def check_connection(
    engine: Engine, keys: Sequence[str], tenant: TenantRef, actor: Actor, connector: type[Connector]
) -> CheckResult:
    """Ask the vendor whether the stored credentials work (the connector's ``check``); audited.

    The reason the connector gives is already redacted; it is redacted again against the stored
    secrets before it is kept or returned.
    """
    require_admin(actor, "testing a vendor connection", tenant)
    config = connector_config(engine, keys, tenant, connector.name)
    missing = connector.missing_credentials(config)
    if missing:
        result = CheckResult(False, f"not configured: missing {', '.join(missing)}")
    else:
        try:
            result = connector().check(config)
        except Exception as exc:  # a connector bug must not leak a traceback or a secret
            result = CheckResult(False, f"{type(exc).__name__}: {exc}")
    result = CheckResult(result.ok, redact(result.reason, connector.secret_values(config)))
    audit.record_action(
        engine, tenant, actor, "vendor.test", connector.name, ok=result.ok, reason=result.reason
    )
    return result


def connector_config(
    engine: Engine, keys: Sequence[str], tenant: TenantRef, source: str
) -> dict[str, str]:
    """Decrypted configuration for one connector call. System use only: never log or show it."""
    with Session(engine) as s:
        return {
            row.field: encryption.decrypt(keys, row.ciphertext)
            for row in s.scalars(
                select(Credential).where(
                    Credential.tenant_id == tenant.id, Credential.source == source
                )
            )
        }


def configured_tenants(engine: Engine, source: str) -> list[TenantRef]:
    with Session(engine) as s:
        rows = s.scalars(
            select(Tenant)
            .where(Tenant.id.in_(select(Credential.tenant_id).where(Credential.source == source)))
            .order_by(Tenant.slug)
        )
        return [TenantRef(t.id, t.slug, t.name) for t in rows]


def configured_sources(engine: Engine, tenant: TenantRef) -> list[str]:
    with Session(engine) as s:
        return sorted(
            set(s.scalars(select(Credential.source).where(Credential.tenant_id == tenant.id)))
        )


def rotate_all(engine: Engine, keys: Sequence[str]) -> int:
    """Re-encrypt every stored credential under the newest key; returns how many."""
    count = 0
    with Session(engine) as s, s.begin():
        for row in s.scalars(select(Credential)):
            row.ciphertext = encryption.rotate(keys, row.ciphertext)
            count += 1
    return count
