"""The plugin path, for real: an external connector distribution is built and installed,
discovered through its ``aispend.connectors`` entry point, and passes the conformance kit.

The distribution (``tests/example_connector``) is copied to a temporary folder, built by uv
and installed with ``--target`` into another temporary folder that is put on ``sys.path``
(and on ``PYTHONPATH`` for the subprocess). The project venv is never modified, so parallel
test runs and other engineers never see a half-installed plugin.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from plugin_install import install_distribution as install_into

from connectors.registry import load_connectors
from connectors.simulator import Simulator, registered_vendors, unregister_vendor
from connectors.testing import scenario_names

# Its module fixture (a server, a simulator, an install) is started once: one xdist worker.
pytestmark = pytest.mark.xdist_group("example_plugin")

EXAMPLE = Path(__file__).parent / "example_connector"
PACKAGE = "aispend_example_connector"


def install_distribution(source: Path, workdir: Path) -> Path:
    """Build and install the distribution at ``source`` into ``workdir/site``; return that folder."""
    copy = workdir / source.name
    shutil.copytree(
        source,
        copy,
        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", ".pytest_cache"),
    )
    return install_into(copy, workdir / "site")


def run_pytest(project: Path, site: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_distribution(EXAMPLE, tmp_path_factory.mktemp("example"))


@pytest.fixture
def on_path(example_site: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(example_site))
    yield example_site
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]
    unregister_vendor("example")


def test_installed_plugin_is_discovered_through_its_entry_point(on_path: Path):
    connectors = load_connectors()
    assert "example" in connectors
    cls = connectors["example"]
    assert cls.__module__ == PACKAGE
    assert Path(sys.modules[PACKAGE].__file__).is_relative_to(on_path)
    assert {"cursor"} <= set(connectors)  # built-ins sit beside it, found the same way
    # Its simulated API is found through the aispend.simulated_vendors entry point.
    assert "example" in registered_vendors()
    with Simulator(vendors=["example"], members=3) as sim:
        result = cls().check(sim.config("example"))
        assert result.ok, result.reason
        assert not cls().check(sim.config("example", good=False)).ok


def test_installed_plugin_passes_its_conformance_suite(example_site: Path, tmp_path: Path):
    project = example_site.parent / EXAMPLE.name
    result = run_pytest(project, example_site)
    assert result.returncode == 0, result.stdout + result.stderr
    # Every scenario runs; the one the example bypasses (no period totals) says why.
    assert f"{len(scenario_names()) - 1} passed, 1 skipped" in result.stdout, result.stdout
    assert "bypassed: Example AI publishes no independent period total" in result.stdout
