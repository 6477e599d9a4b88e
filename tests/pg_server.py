"""The PostgreSQL server the tests use: the one at ``AISPEND_TEST_PG_URL`` when it answers, else
a throw-away server started for the session (so a fresh machine runs the PostgreSQL legs too).

The throw-away server comes from the system's binaries (``/usr/lib/postgresql/*/bin``) when
present, else from the pip-installable ``pgserver`` (a dev dependency). It listens on a free
port on 127.0.0.1 (system binaries) or a socket in its own folder (pgserver), trusts local
connections, keeps nothing durable (fsync off) and is deleted when the session ends.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def configured_url() -> str:
    return os.environ.get("AISPEND_TEST_PG_URL", DEFAULT_URL)


def answers(url: str, timeout: int = 3) -> bool:
    """True when a PostgreSQL server accepts a connection at ``url``."""
    import psycopg

    u = make_url(url)
    try:
        with psycopg.connect(
            host=u.query.get("host") or u.host,
            port=u.port or 5432,
            user=u.username,
            password=u.password,
            dbname=u.database,
            connect_timeout=timeout,
        ):
            return True
    except psycopg.OperationalError:
        return False


def system_bindir() -> Path | None:
    """The newest installed PostgreSQL's binaries with initdb and pg_ctl, if any."""
    found = [
        Path(d)
        for d in glob.glob("/usr/lib/postgresql/*/bin")
        if Path(d, "initdb").exists() and Path(d, "pg_ctl").exists()
    ]
    return max(found, key=lambda d: int(d.parent.name), default=None) if found else None


def start_throwaway() -> tuple[str, Callable[[], None]]:
    """Start a throw-away server; returns its admin URL and a function that stops and deletes it."""
    bindir = system_bindir()
    if bindir is not None:
        return _start_system(bindir)
    try:
        import pgserver
    except ImportError:
        raise RuntimeError(
            f"no PostgreSQL answers at {configured_url()}, no system PostgreSQL binaries are "
            "installed and pgserver is missing: run `bash .ci/install`"
        ) from None
    return _start_pgserver(pgserver)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_system(bindir: Path) -> tuple[str, Callable[[], None]]:
    folder = Path(tempfile.mkdtemp(prefix="aispend-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data = folder / "data"
    port = _free_port()

    def run(*args: str) -> None:
        subprocess.run([*run_as, *args], check=True, capture_output=True, text=True)

    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = (
            f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off -c synchronous_commit=off"
            " -c full_page_writes=off -c max_connections=200"
        )
        run(
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(folder / "log"),
            "-w",
            "-o",
            options,
            "start",
        )
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(
            f"could not start a throw-away PostgreSQL: {exc.stderr.strip()}"
        ) from None

    def stop() -> None:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)

    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", stop


def _start_pgserver(pgserver) -> tuple[str, Callable[[], None]]:
    folder = Path(tempfile.mkdtemp(prefix="aispend-pgserver-"))
    server = pgserver.get_server(folder, cleanup_mode="delete")
    url = make_url(server.get_uri()).set(drivername="postgresql+psycopg", database="postgres")
    return url.render_as_string(hide_password=False), server.cleanup


def database_url(admin_url: str, name: str) -> str:
    """``admin_url`` pointed at database ``name`` (keeps a socket ``host`` query)."""
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)
