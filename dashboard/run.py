"""How to start the dashboard server: the command line `aispend serve` (and the tests) use.

    python -m dashboard.run --port 8501

runs `python -m streamlit run <dashboard/server_app.py> --server.port 8501
--server.address 127.0.0.1 --server.headless true ... --theme.*` (the warm default theme from
dashboard/theme.py: no config.toml in the working directory needed). server_app.py is the
dashboard (streamlit_app.py) as a Streamlit st.App, its pages' paths answered a little faster.
The app reads its configuration from the environment the process is given
(AISPEND_DATABASE_URL, AISPEND_COOKIE_KEY, AISPEND_TENANT, ...).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dashboard.theme import server_theme_flags

APP_PATH = Path(__file__).resolve().with_name("server_app.py")
HEALTH_PATH = "/_stcore/health"


def streamlit_command(
    port: int, address: str = "127.0.0.1", python: str | None = None
) -> list[str]:
    """argv that serves the dashboard on address:port, headless, without telemetry."""
    return [
        python or sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_PATH),
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
        # Streamlit runs a full gc.collect() after every script run by default: with pandas,
        # altair and SQLAlchemy loaded that holds the GIL 0.1-0.5 s (measured), delaying the
        # page's last messages and the next rerun. Python's own generational GC still runs.
        "--runner.postScriptGC",
        "false",
        *server_theme_flags(),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the aispend dashboard.")
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--address", default="127.0.0.1")
    args = parser.parse_args(argv)
    command = streamlit_command(args.port, args.address)
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
