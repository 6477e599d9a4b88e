"""``scaffold_connector``: the generated distribution installs, is discovered, and passes the
conformance kit out of the box. Installed with uv ``--target`` into a temporary folder, so the
project venv is never modified."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from plugin_install import install_distribution

from connectors.registry import load_connectors
from connectors.scaffold import scaffold_connector
from connectors.simulator import unregister_vendor

install = install_distribution


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    work = tmp_path_factory.mktemp("scaffold")
    project = scaffold_connector("acme_ai", work)
    written = sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file())
    (work / "written.txt").write_text("\n".join(written))  # before the build adds its own files
    site = work / "site"
    install(project, site)
    return project, site


def test_layout(scaffolded: tuple[Path, Path]):
    project, _ = scaffolded
    assert project.name == "aispend-acme-ai-connector"
    files = (project.parent / "written.txt").read_text().splitlines()
    assert files == [
        "README.md",
        "pyproject.toml",
        "src/aispend_acme_ai_connector/__init__.py",
        "src/aispend_acme_ai_connector/simulator.py",
        "tests/test_conformance.py",
    ]
    pyproject = (project / "pyproject.toml").read_text()
    assert 'name = "aispend-acme-ai-connector"' in pyproject
    assert 'acme_ai = "aispend_acme_ai_connector:AcmeAiConnector"' in pyproject
    assert "$" not in "".join(p.read_text() for p in project.rglob("*.py"))


def test_generated_connector_is_discovered(scaffolded: tuple[Path, Path], monkeypatch):
    _, site = scaffolded
    monkeypatch.syspath_prepend(str(site))
    try:
        connectors = load_connectors()
        assert connectors["acme_ai"].__name__ == "AcmeAiConnector"
        assert connectors["acme_ai"].provider == "Acme Ai"
    finally:
        for name in [m for m in sys.modules if m.startswith("aispend_acme_ai_connector")]:
            del sys.modules[name]
        unregister_vendor("acme_ai")


def test_generated_conformance_suite_passes(scaffolded: tuple[Path, Path]):
    project, site = scaffolded
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        " passed" in result.stdout
        and "failed" not in result.stdout
        and "skipped" not in result.stdout
    )


@pytest.mark.parametrize(
    "bad", ["", "A", "Acme", "1acme", "acme-ai", "acme ai", "class", "a", "acme__x", "x" * 41]
)
def test_bad_names_are_refused(bad: str, tmp_path: Path):
    with pytest.raises(ValueError, match="invalid connector name"):
        scaffold_connector(bad, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_never_overwritten(tmp_path: Path):
    (tmp_path / "aispend-acme-connector").mkdir()
    (tmp_path / "aispend-acme-connector" / "keep.txt").write_text("mine")
    with pytest.raises(ValueError, match="already exists"):
        scaffold_connector("acme", tmp_path)
    assert (tmp_path / "aispend-acme-connector" / "keep.txt").read_text() == "mine"
