"""``aispend connectors new NAME``: a ready-to-publish connector distribution.

``scaffold_connector("acme", Path("."))`` writes ``aispend-acme-connector/`` with a
``pyproject.toml`` declaring the ``aispend.connectors`` entry point, a working connector, a
simulated vendor API it talks to, a conformance test that passes out of the box, and a README.
The developer then replaces the simulated API and the connector together, endpoint by endpoint.
"""

from __future__ import annotations

import importlib.util
import keyword
import re
import shlex
import shutil
import sys
from importlib.resources import files
from pathlib import Path
from string import Template

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{1,39}")

#: template file → path inside the generated distribution (``{package}`` is filled in).
FILES = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "connector.py.tmpl": "src/{package}/__init__.py",
    "simulator.py.tmpl": "src/{package}/simulator.py",
    "test_conformance.py.tmpl": "tests/test_conformance.py",
}


def scaffold_values(name: str) -> dict[str, str]:
    """The names derived from a connector name: ``acme_ai`` → ``AcmeAiConnector`` etc."""
    camel = "".join(part.capitalize() for part in name.split("_") if part)
    return {
        "name": name,
        "title": " ".join(part.capitalize() for part in name.split("_") if part),
        "package": f"aispend_{name}_connector",
        "dist": f"aispend-{name.replace('_', '-')}-connector",
        "class_name": f"{camel}Connector",
        "vendor_class": f"{camel}Vendor",
    }


def validate_name(name: str) -> None:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ValueError(
            f"invalid connector name {name!r}: use 2-40 lower-case letters, digits or "
            "underscores, starting with a letter (e.g. 'acme' or 'acme_ai')"
        )
    if keyword.iskeyword(name) or name.endswith("_") or "__" in name:
        raise ValueError(f"invalid connector name {name!r}: pick a plain word such as 'acme'")


def scaffold_connector(name: str, dest: Path) -> Path:
    """Write ``dest/aispend-<name>-connector/`` and return its path.

    Raises ``ValueError`` for a bad name or when the folder already exists (nothing is
    overwritten).
    """
    validate_name(name)
    values = scaffold_values(name)
    root = Path(dest) / values["dist"]
    if root.exists():
        raise ValueError(f"{root} already exists; remove it or choose another destination")
    for relative, text in render(values).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def render(values: dict[str, str]) -> dict[str, str]:
    """Every template rendered with ``values``: path inside the distribution → text."""
    templates = files("connectors.templates")
    return {
        target.format(package=values["package"]): Template(
            templates.joinpath(template).read_text(encoding="utf-8")
        ).substitute(values)
        for template, target in FILES.items()
    }


def next_steps(project: Path) -> list[str]:
    """Shell commands that install, test and list the new connector from a fresh shell (no
    active virtualenv): absolute paths into the environment this aispend runs from, which
    already satisfies the package's ``aispend`` requirement (aispend is on no index). pip when
    that environment has it, else uv (environments made by ``uv venv`` have no pip)."""
    interpreter = Path(sys.executable)
    project_spec = shlex.quote(f"{project.resolve()}[test]")
    if importlib.util.find_spec("pip") is not None:
        install = f"{shlex.quote(str(interpreter))} -m pip install -e {project_spec}"
    else:
        uv = interpreter.with_name("uv")
        uv_cmd = str(uv) if uv.exists() else (shutil.which("uv") or "uv")
        install = (
            f"{shlex.quote(uv_cmd)} pip install --python {shlex.quote(str(interpreter))} "
            f"-e {project_spec}"
        )
    aispend = interpreter.with_name("aispend")
    return [
        f"cd {shlex.quote(str(project.resolve()))}",
        install,
        f"{shlex.quote(str(interpreter))} -m pytest",
        f"{shlex.quote(str(aispend))} connectors list",
    ]
