"""The theme: a warm default served by the server's flags, a cool motion-free alternative
chosen in the sidebar and remembered for the session, reduced motion honoured on every page,
and Okabe–Ito colours for charts and freshness dots."""

from __future__ import annotations

import json
import subprocess
import sys

from dashboard_apptest import VIEWER
from dashboard_apptest import app as _app
from dashboard_apptest import login as _login
from streamlit.testing.v1 import AppTest

from dashboard import theme
from dashboard.components.board import DOTS, PALETTE
from dashboard.run import streamlit_command


def _styles(at: AppTest) -> str:
    return "\n".join(str(e.proto) for e in at.get("html"))


def test_reduced_motion_everywhere_and_the_cool_theme_remembered(dashboard_env) -> None:
    at = _app()
    assert "prefers-reduced-motion: reduce" in _styles(at)  # even on the login form
    at = _login(at, *VIEWER[:2])
    styles = _styles(at)
    assert "prefers-reduced-motion: reduce" in styles
    assert theme.COOL.background not in styles  # warm (the server theme) by default

    at.toggle(key=theme.COOL_THEME_KEY).set_value(True).run()
    assert not at.exception, at.exception
    styles = _styles(at)
    assert theme.COOL.background in styles
    # Motion off outright, not only inside the reduced-motion query.
    assert styles.count("transition: none !important") == 2

    at.switch_page("app_pages/my_progress.py").run()  # remembered across pages
    assert not at.exception, at.exception
    assert at.toggle(key=theme.COOL_THEME_KEY).value is True
    assert theme.COOL.background in _styles(at)

    at.toggle(key=theme.COOL_THEME_KEY).set_value(False).run()
    assert theme.COOL.background not in _styles(at)


def test_the_server_serves_the_warm_theme_with_colour_blind_safe_charts() -> None:
    command = streamlit_command(8501)
    flags = theme.server_theme_flags()
    assert " ".join(flags) in " ".join(command)
    given = dict(zip(flags[::2], flags[1::2], strict=True))
    assert given["--theme.backgroundColor"] == theme.WARM.background
    assert json.loads(given["--theme.chartCategoricalColors"]) == list(theme.OKABE_ITO)
    assert PALETTE == theme.OKABE_ITO
    assert {colour for colour, _ in DOTS.values()} <= set(theme.OKABE_ITO)
    # Streamlit accepts every flag (an unknown one would be refused here).
    help_text = subprocess.run(
        [sys.executable, "-m", "streamlit", "run", "--help"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    for flag in theme.server_theme_flags()[::2]:
        assert flag in help_text, flag
