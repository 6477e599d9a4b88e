"""The one place that reads the environment (STYLE.md §2). Everything else receives a Settings."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from warehouse.errors import InvalidInput

DEFAULT_SOURCE_DEADLINE = 900.0

ENV_VARS = {
    "AISPEND_HOME": "Folder for the embedded warehouse, the generated .env and Dagster's home. Default ./.aispend",
    "AISPEND_DATABASE_URL": "SQLAlchemy URL of the warehouse, e.g. postgresql+psycopg://user@host/db. Default: SQLite at $AISPEND_HOME/warehouse.db",
    "AISPEND_SECRET_KEY": "Fernet key(s) encrypting vendor credentials; comma-separated, newest first, to rotate",
    "AISPEND_COOKIE_KEY": "Key signing the dashboard's login cookie",
    "AISPEND_ADMIN_PASSWORD": "Password for the first admin created by `aispend init` (otherwise prompted)",
    "AISPEND_SESSION_DAYS": "How long a dashboard login lasts, in days (a number > 0). Default 7",
    "AISPEND_TENANT": "Tenant slug the dashboard and CLI use when none is given. Default 'default'",
    "AISPEND_DAGSTER_PORT": "Port of the Dagster UI started by `aispend serve`. Default 3000",
    "AISPEND_DASHBOARD_PORT": "Port of the Streamlit dashboard started by `aispend serve`. Default 8501",
    "AISPEND_SOURCE_DEADLINE": "Seconds one source's sync may take in total (every request and retry) before it gives up. Default 900",
    "AISPEND_DAGSTER_PG_URL": "postgresql+psycopg2:// URL of Dagster's own storage, read by pipelines/dagster_postgres.yaml",
    "AISPEND_ALERT_WEBHOOK_URL": "Optional: a Slack-compatible incoming webhook that receives budget alerts (a secret)",
    "AISPEND_ALERT_SMTP": "Optional: host:port of an SMTP server that mails budget alerts (plain SMTP, e.g. a local relay)",
    "AISPEND_ALERT_EMAIL_FROM": "Sender of alert emails. Default aispend@localhost",
    "AISPEND_ALERT_EMAIL_TO": "Comma-separated recipients of alert emails",
    "ANTHROPIC_API_KEY": "Optional: Claude writes the monthly suggestions (else the offline generator)",
    "DAGSTER_HOME": "Dagster instance folder (with dagster.yaml). Default $AISPEND_HOME/dagster",
    "AISPEND_HISTORY_START": "First day (YYYY-MM-DD) of the daily partitions: where the team's history starts. Default 2025-01-01",
}
DEFAULT_HISTORY_START = dt.date(2025, 1, 1)


def _read_dotenv(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip('"').strip("'")
    return values


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    secret_keys: tuple[str, ...] = ()
    cookie_key: str | None = None
    tenant: str = "default"
    anthropic_api_key: str | None = None
    dagster_home: Path = field(default_factory=Path)
    admin_password: str | None = None
    dagster_port: int = 3000
    dashboard_port: int = 8501
    alert_webhook_url: str | None = None
    alert_smtp: str | None = None
    alert_email_from: str = "aispend@localhost"
    alert_email_to: tuple[str, ...] = ()
    history_start: dt.date = DEFAULT_HISTORY_START
    source_deadline_seconds: float = DEFAULT_SOURCE_DEADLINE
    session_days: float = 7.0

    @property
    def dotenv_path(self) -> Path:
        return self.home / ".env"

    def to_env(self) -> dict[str, str]:
        """The environment that makes ``from_env`` rebuild these settings in a child process
        (the sync launcher). Holds secrets: pass it to a child, never log it."""
        env = {
            "AISPEND_HOME": str(self.home),
            "AISPEND_DATABASE_URL": self.database_url,
            "AISPEND_TENANT": self.tenant,
            "DAGSTER_HOME": str(self.dagster_home),
            "AISPEND_HISTORY_START": self.history_start.isoformat(),
        }
        if self.secret_keys:
            env["AISPEND_SECRET_KEY"] = ",".join(self.secret_keys)
        if self.cookie_key:
            env["AISPEND_COOKIE_KEY"] = self.cookie_key
        if self.anthropic_api_key:
            env["ANTHROPIC_API_KEY"] = self.anthropic_api_key
        if self.alert_webhook_url:
            env["AISPEND_ALERT_WEBHOOK_URL"] = self.alert_webhook_url
        if self.alert_smtp:
            env["AISPEND_ALERT_SMTP"] = self.alert_smtp
        env["AISPEND_ALERT_EMAIL_FROM"] = self.alert_email_from
        if self.alert_email_to:
            env["AISPEND_ALERT_EMAIL_TO"] = ",".join(self.alert_email_to)
        if self.source_deadline_seconds != DEFAULT_SOURCE_DEADLINE:
            env["AISPEND_SOURCE_DEADLINE"] = f"{self.source_deadline_seconds:g}"
        return env

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        home = Path(env.get("AISPEND_HOME") or "./.aispend").resolve()
        # Values generated by `aispend init` live in $AISPEND_HOME/.env; real env vars win.
        merged = {**_read_dotenv(home / ".env"), **{k: v for k, v in env.items() if v}}
        url = merged.get("AISPEND_DATABASE_URL") or f"sqlite:///{home / 'warehouse.db'}"
        keys = tuple(
            k.strip() for k in merged.get("AISPEND_SECRET_KEY", "").split(",") if k.strip()
        )
        return cls(
            home=home,
            database_url=url,
            secret_keys=keys,
            cookie_key=merged.get("AISPEND_COOKIE_KEY"),
            tenant=merged.get("AISPEND_TENANT") or "default",
            anthropic_api_key=merged.get("ANTHROPIC_API_KEY"),
            dagster_home=Path(merged.get("DAGSTER_HOME") or home / "dagster").resolve(),
            admin_password=merged.get("AISPEND_ADMIN_PASSWORD"),
            dagster_port=_port(merged, "AISPEND_DAGSTER_PORT", 3000),
            dashboard_port=_port(merged, "AISPEND_DASHBOARD_PORT", 8501),
            source_deadline_seconds=_seconds(
                merged, "AISPEND_SOURCE_DEADLINE", DEFAULT_SOURCE_DEADLINE
            ),
            alert_webhook_url=merged.get("AISPEND_ALERT_WEBHOOK_URL"),
            alert_smtp=merged.get("AISPEND_ALERT_SMTP"),
            alert_email_from=merged.get("AISPEND_ALERT_EMAIL_FROM") or "aispend@localhost",
            alert_email_to=tuple(
                a.strip() for a in merged.get("AISPEND_ALERT_EMAIL_TO", "").split(",") if a.strip()
            ),
            history_start=_history_start(merged.get("AISPEND_HISTORY_START")),
            session_days=_session_days(merged.get("AISPEND_SESSION_DAYS")),
        )


def _history_start(value: str | None) -> dt.date:
    if not value:
        return DEFAULT_HISTORY_START
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"AISPEND_HISTORY_START={value!r} is not a date (YYYY-MM-DD)") from None
def _port(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        port = int(raw)
    except ValueError:
        raise InvalidInput(f"{name}={raw!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise InvalidInput(f"{name}={port} is not a port (1-65535)")
    return port


def _seconds(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        seconds = float(raw)
    except ValueError:
        raise InvalidInput(f"{name}={raw!r} is not a number of seconds") from None
    if not 0 < seconds <= 7 * 24 * 3600:
        raise InvalidInput(f"{name}={raw} must be more than 0 and at most a week")
    return seconds


def _session_days(value: str | None) -> float:
    if not value:
        return 7.0
    try:
        days = float(value)
    except ValueError:
        days = 0.0
    if not 0 < days <= 366:
        raise InvalidInput(
            f"AISPEND_SESSION_DAYS must be a number of days between 0 and 366, not {value!r}"
        )
    return days
