"""Dashboard users: bcrypt-hashed passwords, roles admin and viewer."""

from __future__ import annotations

from dataclasses import dataclass

import bcrypt
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from warehouse import audit
from warehouse.actors import ROLES, Actor, require_admin, require_signed_in
from warehouse.errors import InvalidInput, check_text
from warehouse.models import User
from warehouse.tenants import TenantRef

MIN_PASSWORD = 8
MAX_NAME = 200  # the users.name column
MAX_EMAIL = 320  # the users.email column


class UserError(InvalidInput):
    """A user account request that cannot be done (bad email, short password, duplicate…)."""


@dataclass(frozen=True)
class LoginUser:
    email: str
    name: str
    password_hash: str
    role: str
    id: int = 0
    session_version: int = 1  # every login cookie carries it; a bump ends the user's sessions


def check_password_rule(password: str) -> None:
    """The one password rule, for every way a password is set (CLI, init, demo, admin page).

    The sign-in form trims what is typed, so a password that starts or ends with whitespace
    could be set but never used: it is refused here instead."""
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password needs at least {MIN_PASSWORD} characters")
    if password != password.strip():
        raise UserError("a password cannot start or end with a space")


def check_password(password: str | None) -> None:
    """The password rule (``check_password_rule``), checked before anything is written."""
    check_password_rule(password or "")


def hash_password(password: str) -> str:
    check_password(password)
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, not {role!r}")


def _normalize(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise UserError(f"{email!r} is not an email address")
    return email


def _get(s: Session, tenant: TenantRef, email: str) -> User:
    row = s.scalar(select(User).where(User.tenant_id == tenant.id, User.email == _normalize(email)))
    if row is None:
        raise UserError(f"no user {email!r} in tenant {tenant.slug!r}")
    return row


def count_users(engine: Engine, tenant: TenantRef) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(User).where(User.tenant_id == tenant.id))


def user_exists(engine: Engine, tenant: TenantRef, email: str) -> bool:
    with Session(engine) as s:
        return user_exists_in(s, tenant, email)


def user_exists_in(s: Session, tenant: TenantRef, email: str) -> bool:
    return (
        s.scalar(
            select(User.id).where(User.tenant_id == tenant.id, User.email == _normalize(email))
        )
        is not None
    )


def create_user(
    engine: Engine,
    tenant: TenantRef,
    actor: Actor,
    *,
    email: str,
    name: str | None = None,
    password: str,
    role: str,
) -> int:
    require_admin(actor, "creating a user", tenant)
    check_new_user(email=email, name=name, password=password, role=role)
    with Session(engine) as s, s.begin():
        return add_user(s, tenant, actor, email=email, name=name, password=password, role=role)


def check_new_user(*, email: str, name: str | None, password: str | None, role: str) -> None:
    """Everything ``create_user`` would refuse about its input, checked before any write."""
    _check_role(role)
    email = _normalize(email)
    check_text(email, "an email address", MAX_EMAIL)
    check_text(name, "a user's name", MAX_NAME)
    check_password(password)


def add_user(
    s: Session,
    tenant: TenantRef,
    actor: Actor,
    *,
    email: str,
    name: str | None = None,
    password: str,
    role: str,
) -> int:
    """``create_user`` inside the caller's transaction (``aispend init`` writes the tenant and
    its first admin together)."""
    require_admin(actor, "creating a user", tenant)
    check_new_user(email=email, name=name, password=password, role=role)
    email = _normalize(email)
    if s.scalar(select(User.id).where(User.tenant_id == tenant.id, User.email == email)):
        raise UserError(f"user {email} already exists in tenant {tenant.slug!r}")
    row = User(
        tenant_id=tenant.id,
        email=email,
        name=name or email.split("@")[0],
        password_hash=hash_password(password),
        role=role,
    )
    s.add(row)
    s.flush()
    audit.record(s, tenant, actor, "user.create", email, role=role)
    return row.id


def change_role(engine: Engine, tenant: TenantRef, actor: Actor, email: str, role: str) -> None:
    require_admin(actor, "changing a role", tenant)
    _check_role(role)
    with Session(engine) as s, s.begin():
        row = _get(s, tenant, email)
        if row.role == "admin" and role != "admin":
            admins = s.scalar(
                select(func.count())
                .select_from(User)
                .where(User.tenant_id == tenant.id, User.role == "admin")
            )
            if admins <= 1:
                raise UserError("the last admin cannot be demoted")
        old, row.role = row.role, role
        row.session_version += 1  # sessions opened under the old role end
        audit.record(s, tenant, actor, "user.change_role", row.email, old=old, new=role)


def reset_password(
    engine: Engine, tenant: TenantRef, actor: Actor, email: str, new_password: str
) -> None:
    require_admin(actor, "resetting a password", tenant)
    with Session(engine) as s, s.begin():
        row = _get(s, tenant, email)
        row.password_hash = hash_password(new_password)
        row.session_version += 1  # a cookie saved before the reset no longer logs in
        audit.record(s, tenant, actor, "user.reset_password", row.email)


def end_sessions(engine: Engine, tenant: TenantRef, actor: Actor, email: str) -> None:
    """Log ``email`` out everywhere: every login cookie issued so far stops working.
    A user may end their own sessions; an admin anyone's in the tenant."""
    require_signed_in(actor, "ending sessions", tenant)
    if _normalize(email) != actor.email.strip().lower():
        require_admin(actor, "ending another user's sessions", tenant)
    with Session(engine) as s, s.begin():
        row = _get(s, tenant, email)
        row.session_version += 1
        audit.record(s, tenant, actor, "user.end_sessions", row.email)


def list_users(engine: Engine, tenant: TenantRef, actor: Actor) -> list[dict]:
    """The tenant's dashboard users (no password hashes). Admins only."""
    require_admin(actor, "listing users", tenant)
    with Session(engine) as s:
        return [
            {"email": u.email, "name": u.name, "role": u.role, "created_at": u.created_at}
            for u in s.scalars(select(User).where(User.tenant_id == tenant.id).order_by(User.email))
        ]


def login_directory(engine: Engine, tenant: TenantRef) -> list[LoginUser]:
    """What the dashboard's authenticator needs: emails, names, bcrypt hashes and roles."""
    with Session(engine) as s:
        return [
            LoginUser(u.email, u.name, u.password_hash, u.role, u.id, u.session_version)
            for u in s.scalars(select(User).where(User.tenant_id == tenant.id).order_by(User.email))
        ]
