"""The connector registry with real entry points.

Each test writes real distributions (a ``*.dist-info`` with ``entry_points.txt`` beside a
module) into a temporary folder on ``sys.path``; ``importlib.metadata`` discovers them exactly
as it discovers an installed package. Nothing is mocked.
"""

from __future__ import annotations

import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from connectors.contract import Connector
from connectors.registry import (
    ENTRY_POINT_GROUP,
    DuplicateConnectorError,
    UnknownConnectorError,
    describe,
    get_connector,
    load_connectors,
)

CONNECTOR_MODULE = '''
from connectors.contract import Connector, CredentialField


class {cls}(Connector):
    """A test connector."""

    name = "{name}"
    provider = "Test Provider"
    services = ("Test Service",)
    credential_fields = (CredentialField("api_key", help="the key"),)
    revision_window_days = 4
    max_window_days = 14
'''


class Plugins:
    """Writes throw-away distributions into a folder on sys.path."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch):
        self.root = root
        self.tag = uuid.uuid4().hex[:8]
        monkeypatch.syspath_prepend(str(root))
        self.modules: list[str] = []

    def module(self, stem: str, source: str) -> str:
        name = f"h1plug_{stem}_{self.tag}"
        (self.root / f"{name}.py").write_text(textwrap.dedent(source))
        self.modules.append(name)
        return name

    def connector(self, stem: str, connector_name: str) -> str:
        module = self.module(
            stem, CONNECTOR_MODULE.format(cls="PluginConnector", name=connector_name)
        )
        return f"{module}:PluginConnector"

    def distribution(
        self, dist: str, entries: dict[str, str], group: str = ENTRY_POINT_GROUP
    ) -> None:
        # importlib.metadata names (and de-duplicates) a distribution by the folder name up to
        # its first "-", so the name part must not contain one.
        info = self.root / f"{dist.replace('-', '_')}_{self.tag}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}-{self.tag}\nVersion: 1.0\n"
        )
        lines = [f"[{group}]"] + [f"{k} = {v}" for k, v in entries.items()]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")

    def cleanup(self) -> None:
        for name in self.modules:
            sys.modules.pop(name, None)


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    p = Plugins(tmp_path, monkeypatch)
    yield p
    p.cleanup()


def test_discovers_plugins_and_skips_broken_ones_with_a_warning(plugins: Plugins):
    good = plugins.connector("good", f"h1good_{plugins.tag}")
    broken = plugins.module("broken", "raise ImportError('needs a library that is not here')\n")
    not_connector = plugins.module("notconn", "class Thing:\n    name = 'thing'\n")
    plugins.distribution("h1-good", {"h1good": good})
    plugins.distribution(
        "h1-bad", {"h1broken": f"{broken}:Anything", "h1thing": f"{not_connector}:Thing"}
    )

    with pytest.warns(UserWarning) as warned:
        connectors = load_connectors()

    name = f"h1good_{plugins.tag}"
    assert name in connectors
    assert issubclass(connectors[name], Connector)
    assert list(connectors) == sorted(connectors)
    messages = [str(w.message) for w in warned]
    assert any(
        m.startswith(f"aispend: skipping connector plugin 'h1broken' ({broken}:Anything):")
        and "needs a library that is not here" in m
        for m in messages
    ), messages
    assert any("'h1thing'" in m and "not a subclass" in m for m in messages), messages
    with pytest.warns(UserWarning):  # the broken plugins are still installed
        assert get_connector(name) is connectors[name]


def test_builtin_connectors_register_through_the_same_entry_points():
    import importlib.metadata as md

    names = {ep.name for ep in md.entry_points(group=ENTRY_POINT_GROUP)}
    assert {"manual", "anthropic", "cursor"} <= names
    connectors = load_connectors()
    assert "cursor" in connectors  # imports fine; others appear as their modules land


def test_two_plugins_with_the_same_name_is_an_error_naming_both(plugins: Plugins):
    group = f"aispend.connectors.test_{plugins.tag}"
    first = plugins.connector("one", "samename")
    second = plugins.connector("two", "samename")
    plugins.distribution("h1-one", {"samename": first}, group=group)
    plugins.distribution("h1-two", {"samename_too": second}, group=group)

    with pytest.raises(DuplicateConnectorError) as info:
        load_connectors(group)
    message = str(info.value)
    assert "'samename'" in message
    assert first in message and second in message


def test_unknown_connector_lists_the_known_ones(plugins: Plugins):
    group = f"aispend.connectors.test_{plugins.tag}"
    plugins.distribution("h1-known", {"alpha": plugins.connector("alpha", "alpha")}, group=group)
    with pytest.raises(UnknownConnectorError, match=r"unknown connector 'nope'; known: alpha"):
        get_connector("nope", group)


def test_describe(plugins: Plugins):
    group = f"aispend.connectors.test_{plugins.tag}"
    plugins.distribution(
        "h1-desc", {"described": plugins.connector("desc", "described")}, group=group
    )
    cls = get_connector("described", group)
    assert describe(cls) == {
        "name": "described",
        "provider": "Test Provider",
        "services": ["Test Service"],
        "source_type": "api",
        "default_confidence": "high",
        "credential_fields": [
            {"name": "api_key", "secret": True, "required": True, "help": "the key"}
        ],
        "settings_fields": [],
        "config_source": "credentials",
        "schedule": {"refresh_cron": "7 * * * *", "sweep_cron": "30 3 * * *", "watch_input": False},
        "revision_window_days": 4,
        "max_window_days": 14,
    }
