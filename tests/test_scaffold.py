"""``aispend connectors new``: the generated distribution passes ruff, installs, is discovered,
and passes the conformance kit out of the box; the example package is exactly what it
generates; and the printed next steps work as written in a fresh shell with no active venv.
Installs go to temporary folders (``--target`` or a throw-away venv): the project venv is never
modified."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from plugin_install import install_distribution, uv_executable

from connectors.registry import load_connectors
from connectors.scaffold import render, scaffold_connector, scaffold_values
from connectors.simulator import unregister_vendor
from connectors.testing import scenario_names
from pipelines.cli import main

# Installs this checkout (-e): the same xdist worker as the wheel build of test_sql_models.
pytestmark = pytest.mark.xdist_group("checkout_build")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "tests" / "example_connector"
RUFF = Path(sys.executable).with_name("ruff")


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    work = tmp_path_factory.mktemp("scaffold")
    project = scaffold_connector("acme_ai", work)
    written = sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file())
    (work / "written.txt").write_text("\n".join(written))  # before the build adds its own files
    site = work / "site"
    install_distribution(project, site)
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
    assert not any("${" in (project / f).read_text() for f in files)  # all substituted


def test_generated_files_pass_ruff(scaffolded: tuple[Path, Path]):
    project, _ = scaffolded
    for args in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run(
            [str(RUFF), *args], cwd=project, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_example_package_is_what_the_scaffold_generates():
    values = scaffold_values("example") | {"title": "Example AI", "vendor_class": "ExampleAIVendor"}
    for relative, text in render(values).items():
        if relative.endswith(".py"):
            assert (EXAMPLE / relative).read_text() == text, (
                f"tests/example_connector/{relative} drifted from the scaffold's template"
            )


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
    # Every scenario ran; the one the template bypasses says why.
    assert f"{len(scenario_names()) - 1} passed, 1 skipped" in result.stdout, result.stdout
    assert "bypassed: Acme Ai publishes no independent period total" in result.stdout


def fresh_shell_env(home: Path) -> dict[str, str]:
    """A login shell's environment: no active virtualenv, no Python paths, only the system
    PATH; what reaches the package index (certificates, proxies, index settings) is kept."""
    keep = {"SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NO_PROXY"}
    env = {
        key: value
        for key, value in os.environ.items()
        if key in keep or key.upper().endswith("_PROXY") or key.startswith(("UV_", "PIP_"))
    }
    return {**env, "PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}


@pytest.mark.slow
def test_printed_next_steps_work_in_a_fresh_shell(tmp_path: Path):
    """A throw-away aispend environment made the way .ci/install makes one (uv, no pip); the
    steps `aispend connectors new` prints are run verbatim by bash with an empty environment."""
    uv = uv_executable()
    venv = tmp_path / "venv"
    for command in (
        [uv, "venv", "--quiet", "--python", sys.executable, str(venv)],
        [uv, "pip", "sync", "--quiet", "--python", str(venv / "bin" / "python"), str(ROOT / "requirements.lock")],
        [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), "--no-deps", "-e", str(ROOT)],
    ):  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
    clean_env = fresh_shell_env(tmp_path)
    new = subprocess.run(
        [str(venv / "bin" / "aispend"), "connectors", "new", "acme", "--dest", str(tmp_path)],
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert new.returncode == 0, new.stdout + new.stderr
    steps = [line.strip() for line in new.stdout.splitlines() if line.startswith("  ")]
    assert steps and steps[0].startswith("cd ")
    run = subprocess.run(
        ["bash", "-c", " && ".join(steps)],
        env=clean_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"\d+ passed", run.stdout), run.stdout
    assert re.search(r"^acme\s", run.stdout, re.MULTILINE), run.stdout


def test_cli_prints_absolute_next_steps(tmp_path: Path):
    result = CliRunner().invoke(main, ["connectors", "new", "acme", "--dest", str(tmp_path)])
    assert result.exit_code == 0, result.output
    steps = [line.strip() for line in result.output.splitlines() if line.startswith("  ")]
    assert steps[0] == f"cd {(tmp_path / 'aispend-acme-connector').resolve()}"
    assert any(s.startswith(sys.executable) and s.endswith("-m pytest") for s in steps)


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
