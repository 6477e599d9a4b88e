"""Test helper: build a connector distribution and install it into a private --target folder,
so a test proves real entry-point discovery without changing the project's venv."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


def uv_executable() -> str:
    beside_python = Path(sys.executable).with_name("uv")  # uv is a dev dependency
    found = shutil.which("uv") or (str(beside_python) if beside_python.exists() else None)
    if found is None:
        raise RuntimeError("uv is needed to build and install a connector distribution")
    return found


def install_distribution(project: Path, site: Path) -> Path:
    result = subprocess.run(
        [
            uv_executable(),
            "pip",
            "install",
            "--python",
            sys.executable,
            "--target",
            str(site),
            "--no-deps",
            str(project),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return site
