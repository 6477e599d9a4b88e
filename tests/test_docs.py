"""Docs that can't drift: every CLI command, environment variable and connector is in the README."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import click
import pytest

from pipelines.cli import main
from warehouse.settings import ENV_VARS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _commands(group: click.Group, prefix: str = "aispend") -> list[str]:
    out = []
    for name, cmd in group.commands.items():
        path = f"{prefix} {name}"
        if isinstance(cmd, click.Group):
            out.extend(_commands(cmd, path))
        else:
            out.append(path)
    return out


@pytest.mark.parametrize("command", _commands(main))
def test_every_cli_command_is_documented(command):
    assert f"`{command}" in README, f"{command} is missing from the README's CLI reference"


@pytest.mark.parametrize("var", sorted(ENV_VARS))
def test_every_environment_variable_is_documented(var):
    assert f"`{var}`" in README


def test_every_variable_read_in_code_is_declared():
    """No module reads an AISPEND_* variable that Settings (and so the README) doesn't know."""
    found = set()
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts:
            continue
        found |= set(re.findall(r"[\"'](AISPEND_[A-Z_]+)[\"']", path.read_text()))
    assert found - set(ENV_VARS) - {"AISPEND_TEST_PG_URL"} <= {
        v for v in found if f"`{v}`" in README
    }


def test_every_registered_connector_is_documented():
    from connectors.registry import load_connectors

    for name in load_connectors():
        if name == "example":  # the test-only example plugin, when installed
            continue
        assert f"`{name}`" in README, f"connector {name} is missing from the README"


def test_quickstart_has_exactly_two_commands_and_ci_runs_the_second_verbatim():
    block = README.split("## Quickstart", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    assert len(commands) == 2
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1].strip() in ci.splitlines()


def test_lock_file_has_no_download_addresses():
    assert "://" not in (ROOT / "requirements.lock").read_text()
    tracked = subprocess.run(
        ["git", "ls-files", "uv.lock"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    assert tracked.strip() == ""
