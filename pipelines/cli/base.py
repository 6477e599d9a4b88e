"""The `aispend` root group and what every command module shares. Command names are a
contract other programs rely on: keep them stable.

User mistakes end in one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import atexit
import datetime as dt
import gc
import getpass
import sys

import click

from connectors.contract import ConnectorError
from connectors.registry import UnknownConnectorError
from warehouse.actors import Actor, PermissionDenied
from warehouse.errors import UserError
from warehouse.settings import Settings

# The interpreter's last collections at exit walk every object still alive (Dagster's classes,
# SQLAlchemy's, the location built: ~1.5 s CPU after a sync, ~0.3 s after importing Dagster
# alone) only to free memory the process is about to give back. Registered first, so it runs
# after every other exit handler: what is alive by then is kept out of those collections.
atexit.register(gc.freeze)

_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())
USER_ERRORS = (UserError, PermissionDenied, ConnectorError, UnknownConnectorError)


def _one_line(text: str) -> str:
    return " ".join(str(text).split()) or "failed"


def error_line(exc: BaseException) -> str | None:
    """The one line a user sees for an expected failure, or None for a bug."""
    if isinstance(exc, USER_ERRORS):
        return _one_line(str(exc))
    if isinstance(exc, OSError):  # a missing folder, an unwritable file, a port in use …
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        return _one_line(f"{exc.strerror or exc}{where}")
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DBAPIError):  # hide_parameters: the statement's values are not in it
        first = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else ""
        return _one_line(f"the warehouse refused the operation: {first}")
    return None


class AispendGroup(click.Group):
    """Turns expected failures into one `error: …` line and exit code 1, and click's own usage
    errors (exit code 2) into the same one-line form: never a traceback, never a usage dump."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.ClickException:
            raise
        except Exception as exc:
            line = error_line(exc)
            if line is None:
                raise
            click.echo(f"error: {line}", err=True)
            ctx.exit(1)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, False, **extra)
        except _NO_ARGS_IS_HELP as exc:  # a bare `aispend` or `aispend db`: the help itself
            exc.show()
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"error: {_usage_line(exc)}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("error: aborted", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


def _usage_line(exc: click.ClickException) -> str:
    line = _one_line(exc.format_message())
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.UsageError) and ctx is not None:
        line += f" (see `{ctx.command_path} --help`)"
    return line


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
