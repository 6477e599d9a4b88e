"""The `aispend` root group and what every command module shares. Command names are a
contract other programs rely on: keep them stable.

User mistakes end in one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import getpass

import click

from connectors.contract import ConnectorError
from warehouse.actors import Actor, PermissionDenied
from warehouse.encryption import SecretKeyError
from warehouse.settings import Settings

USER_ERRORS = (ValueError, PermissionDenied, ConnectorError, SecretKeyError, FileExistsError)


class AispendGroup(click.Group):
    """Turns expected failures into `error: …` and exit code 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)


def _settings() -> Settings:
    return Settings.from_env()


def _engine(settings: Settings):
    from warehouse.engine import make_engine

    return make_engine(settings.database_url)


def _tenant(settings: Settings, engine, slug: str | None):
    from warehouse.tenants import get_tenant

    return get_tenant(engine, slug or settings.tenant)


def cli_actor() -> Actor:
    """Whoever can run the CLI on the warehouse's machine acts as an admin."""
    return Actor(f"cli:{getpass.getuser()}", "admin")


def _date(_ctx, _param, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


@click.group(cls=AispendGroup)
@click.version_option(package_name="aispend")
def main() -> None:
    """aispend: what your team spends on AI tools, per person, per tool, per day."""


def _redacted_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
