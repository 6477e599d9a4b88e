"""`aispend init`: migrate, create the tenant and first admin, generate keys into $AISPEND_HOME/.env."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from warehouse import encryption, migrate, tenants, users
from warehouse.actors import Actor
from warehouse.engine import make_engine
from warehouse.errors import InvalidInput
from warehouse.models import Tenant
from warehouse.private_paths import private_dir
from warehouse.settings import Settings
from warehouse.tenants import TenantRef

DAGSTER_YAML = """\
# Written by `aispend init`: local Dagster instance storage for this aispend home.
# For PostgreSQL storage see pipelines/dagster_postgres.yaml.
telemetry:
  enabled: false
"""


@dataclass(frozen=True)
class InitResult:
    tenant: TenantRef
    admin_email: str
    admin_created: bool
    keys_written: list[str]
    settings: Settings


def write_generated_keys(settings: Settings) -> tuple[Settings, list[str]]:
    """Write AISPEND_SECRET_KEY / AISPEND_COOKIE_KEY to $AISPEND_HOME/.env (mode 600) when absent."""
    wanted = {}
    if not settings.secret_keys:
        wanted["AISPEND_SECRET_KEY"] = encryption.generate_key()
    if not settings.cookie_key:
        wanted["AISPEND_COOKIE_KEY"] = secrets.token_urlsafe(32)
    if wanted:
        path = settings.dotenv_path
        private_dir(path.parent)
        existing = path.read_text() if path.exists() else ""
        if existing and not existing.endswith("\n"):
            existing += "\n"
        body = existing + "".join(f"{k}={v}\n" for k, v in wanted.items())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(body)
        os.chmod(path, 0o600)
    settings = replace(
        settings,
        secret_keys=settings.secret_keys or (wanted.get("AISPEND_SECRET_KEY"),),
        cookie_key=settings.cookie_key or wanted.get("AISPEND_COOKIE_KEY"),
    )
    return settings, sorted(wanted)


def set_dotenv_value(settings: Settings, key: str, value: str) -> None:
    """Set ``key=value`` in $AISPEND_HOME/.env (mode 600), replacing an earlier line for it."""
    path = settings.dotenv_path
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = path.read_text().splitlines() if path.exists() else []
    lines = [line for line in lines if line.partition("=")[0].strip() != key]
    lines.append(f"{key}={value}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)


def write_dagster_home(settings: Settings) -> Path:
    private_dir(settings.dagster_home)
    path = settings.dagster_home / "dagster.yaml"
    if not path.exists():
        path.write_text(DAGSTER_YAML)
    return path


def check_init(tenant_slug: str, admin_email: str, admin_password: str | None) -> None:
    """Everything ``init_home`` would refuse about its input, checked before anything is written."""
    tenants.check_slug(tenant_slug)
    # The password matters only when the admin is created: init_home checks it then.
    users.check_new_user(email=admin_email, name=None, password="x" * 99, role="admin")


def init_home(
    settings: Settings,
    *,
    tenant_slug: str,
    admin_email: str,
    admin_password: str | None,
    engine: Engine | None = None,
) -> InitResult:
    """Idempotent: a second run changes nothing and reports what already exists.

    The input is validated before anything is written; the tenant and its first admin are
    written in one transaction (a refused admin leaves no tenant without an admin)."""
    check_init(tenant_slug, admin_email, admin_password)
    engine = engine or make_engine(settings.database_url)
    migrate.upgrade(engine)
    with Session(engine) as s:
        existing = s.scalar(select(Tenant.id).where(Tenant.slug == tenant_slug))
    if existing is None or not users.user_exists(
        engine, tenants.TenantRef(existing, tenant_slug, tenant_slug), admin_email
    ):
        if not admin_password:
            raise InvalidInput("an admin password is needed (set AISPEND_ADMIN_PASSWORD)")
        users.check_new_user(email=admin_email, name="Admin", password=admin_password, role="admin")
    private_dir(settings.home)
    settings, written = write_generated_keys(settings)
    write_dagster_home(settings)
    created = False
    with Session(engine) as s, s.begin():
        tenant = tenants.ensure_tenant(s, tenant_slug)
        if not users.user_exists_in(s, tenant, admin_email):
            users.add_user(
                s,
                tenant,
                Actor("aispend-init", "admin"),
                email=admin_email,
                name="Admin",
                password=admin_password or "",
                role="admin",
            )
            created = True
    return InitResult(tenant, admin_email.lower(), created, written, settings)
