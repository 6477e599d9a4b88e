"""Signing in: the password check behind the dashboard's login form, throttled in the warehouse.

Failures are counted per account (the email typed, whether or not such a user exists) and per
client (its address). After ``BACKOFF_AFTER`` failures of an account each further attempt must
wait (doubling, capped); after ``LOCK_AFTER`` the account is locked until an admin unlocks it
(`aispend user unlock EMAIL`, or ``unlock_account``). A client is only slowed down, never locked
(many people may share one address behind a proxy). The lockout and the unlock are audited.

An unknown email is checked against a dummy bcrypt hash of the same cost, so the answer takes
as long as for a known one and timing does not tell which accounts exist.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import bcrypt
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from warehouse import audit
from warehouse.actors import Actor, require_admin
from warehouse.models import LoginThrottle, User
from warehouse.tenants import TenantRef
from warehouse.users import LoginUser

BACKOFF_AFTER = 5  # account failures before each further attempt has to wait
LOCK_AFTER = 10  # account failures before the account is locked until an admin unlocks it
CLIENT_BACKOFF_AFTER = 20  # failures from one client before it has to wait
BACKOFF_FIRST_S = 30
BACKOFF_MAX_S = 15 * 60
CLIENT_WINDOW = dt.timedelta(minutes=15)  # a client's count restarts after this long quiet
# Who the audit log names for events of the login form (nobody is signed in yet).
LOGIN_FORM = Actor("login-form", "viewer")


class LoginThrottled(Exception):
    """Too many failures: the attempt was refused without checking the password."""

    def __init__(self, message: str, locked: bool) -> None:
        super().__init__(message)
        self.locked = locked


@dataclass(frozen=True)
class ThrottleState:
    failures: int
    locked: bool
    blocked_until: dt.datetime | None


@functools.cache
def _dummy_hash() -> bytes:
    # Same cost factor as real hashes (bcrypt.gensalt()'s default), made once per process.
    return bcrypt.hashpw(b"aispend-no-such-user", bcrypt.gensalt())


def prepare() -> None:
    """Make the dummy hash now (one bcrypt), not on the process's first unknown email, which
    would otherwise take twice as long as a known one."""
    _dummy_hash()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite gives naive datetimes back (stored as UTC).
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _email_key(email: str) -> str:
    return email.strip().lower()[:320]


def _row(s: Session, tenant: TenantRef, kind: str, key: str) -> LoginThrottle | None:
    return s.scalar(
        select(LoginThrottle).where(
            LoginThrottle.tenant_id == tenant.id,
            LoginThrottle.kind == kind,
            LoginThrottle.key == key,
        )
    )


def _backoff(failures: int, after: int) -> dt.timedelta | None:
    if failures < after:
        return None
    return dt.timedelta(seconds=min(BACKOFF_FIRST_S * 2 ** (failures - after), BACKOFF_MAX_S))


def _refusal(account: LoginThrottle | None, client: LoginThrottle | None, now: dt.datetime):
    if account is not None and account.locked:
        return LoginThrottled(
            "This account is locked after too many failed sign-ins. Ask an admin to unlock it.",
            locked=True,
        )
    waits = [
        _aware(r.blocked_until)
        for r in (account, client)
        if r is not None and r.blocked_until is not None and _aware(r.blocked_until) > now
    ]
    if waits:
        seconds = int((max(waits) - now).total_seconds()) + 1
        return LoginThrottled(
            f"Too many failed sign-ins. Try again in {seconds} seconds.", locked=False
        )
    return None


def check_login(
    engine: Engine,
    tenant: TenantRef,
    email: str,
    password: str,
    client: str | None,
    *,
    now: dt.datetime | None = None,
) -> LoginUser | None:
    """The user if ``password`` is theirs; None otherwise (never says which part was wrong).

    Raises LoginThrottled, without checking the password, while the account or the client has
    to wait or the account is locked.
    """
    key = _email_key(email)
    client_key = (client or "unknown")[:320]
    now = now or _now()
    with Session(engine) as s:
        refusal = _refusal(
            _row(s, tenant, "account", key), _row(s, tenant, "client", client_key), now
        )
        if refusal is not None:
            raise refusal
        u = s.scalar(select(User).where(User.tenant_id == tenant.id, User.email == key))
        found = (
            None
            if u is None
            else LoginUser(u.email, u.name, u.password_hash, u.role, u.id, u.session_version)
        )
    stored = found.password_hash.encode() if found else _dummy_hash()
    try:
        matches = bcrypt.checkpw(password.encode(), stored)
    except ValueError:  # a malformed stored hash: no match
        matches = False
    if found is not None and matches:
        with Session(engine) as s, s.begin():
            row = _row(s, tenant, "account", key)
            if row is not None:
                s.delete(row)
        return found
    _count_failure(engine, tenant, key, client_key, now)
    return None


def _count_failure(
    engine: Engine, tenant: TenantRef, key: str, client_key: str, now: dt.datetime
) -> None:
    for attempt in range(2):  # a concurrent first failure may insert the same row first
        try:
            with Session(engine) as s, s.begin():
                _bump(s, tenant, "account", key, client_key, now)
                _bump(s, tenant, "client", client_key, client_key, now)
            return
        except IntegrityError:
            if attempt:
                raise


def _bump(
    s: Session, tenant: TenantRef, kind: str, key: str, client_key: str, now: dt.datetime
) -> None:
    row = _row(s, tenant, kind, key)
    if row is None:
        row = LoginThrottle(tenant_id=tenant.id, kind=kind, key=key, failures=0, locked=False)
        s.add(row)
    elif (
        kind == "client"
        and row.last_failure_at
        and _aware(row.last_failure_at) < now - CLIENT_WINDOW
    ):
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    wait = _backoff(row.failures, BACKOFF_AFTER if kind == "account" else CLIENT_BACKOFF_AFTER)
    if wait is not None:
        row.blocked_until = now + wait
    if kind == "account" and row.failures >= LOCK_AFTER and not row.locked:
        row.locked = True
        audit.record(
            s, tenant, LOGIN_FORM, "login.lockout", key, failures=row.failures, client=client_key
        )
    elif kind == "client" and row.failures == CLIENT_BACKOFF_AFTER:
        audit.record(s, tenant, LOGIN_FORM, "login.client_throttled", key, failures=row.failures)


def throttle_state(engine: Engine, tenant: TenantRef, email: str) -> ThrottleState:
    """How an account stands (failures so far, locked, waiting until)."""
    with Session(engine) as s:
        row = _row(s, tenant, "account", _email_key(email))
        if row is None:
            return ThrottleState(0, False, None)
        return ThrottleState(row.failures, row.locked, _aware(row.blocked_until))


def locked_accounts(engine: Engine, tenant: TenantRef, actor: Actor) -> list[dict]:
    """Accounts that are locked or have to wait, newest failure first. Admins only."""
    require_admin(actor, "listing locked accounts", tenant)
    now = _now()
    with Session(engine) as s:
        rows = s.scalars(
            select(LoginThrottle)
            .where(LoginThrottle.tenant_id == tenant.id, LoginThrottle.kind == "account")
            .order_by(LoginThrottle.last_failure_at.desc(), LoginThrottle.key)
        )
        return [
            {
                "email": r.key,
                "failures": r.failures,
                "locked": r.locked,
                "waits_until": _aware(r.blocked_until),
            }
            for r in rows
            if r.locked or (r.blocked_until is not None and _aware(r.blocked_until) > now)
        ]


def unlock_account(engine: Engine, tenant: TenantRef, actor: Actor, email: str) -> bool:
    """Clear an account's failures and lockout. Admins only; audited. False if it had none."""
    require_admin(actor, "unlocking an account", tenant)
    key = _email_key(email)
    with Session(engine) as s, s.begin():
        row = _row(s, tenant, "account", key)
        if row is None:
            return False
        audit.record(
            s, tenant, actor, "login.unlock", key, failures=row.failures, locked=row.locked
        )
        s.delete(row)
        return True
