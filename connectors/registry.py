"""The connector registry: every connector, built-in or third-party, comes from an entry point.

A package registers a connector class under the ``aispend.connectors`` group::

    [project.entry-points."aispend.connectors"]
    example = "aispend_example_connector:ExampleConnector"

aispend's own connectors are declared the same way in its ``pyproject.toml``. A plugin that
fails to import, or is not a ``Connector`` subclass, is skipped with a warning (one broken
package never takes the others down); two plugins claiming the same connector name is an
error naming both, because silently picking one would mix two vendors' data.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points
from types import MappingProxyType
from typing import Any

from connectors.contract import Connector

ENTRY_POINT_GROUP = "aispend.connectors"


class DuplicateConnectorError(RuntimeError):
    """Two installed plugins declare the same connector name."""


class UnknownConnectorError(LookupError):
    """No installed plugin provides the requested connector."""


def _describe_ep(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    where = f" from {dist.name} {dist.version}" if dist is not None else ""
    return f"{ep.name} = {ep.value}{where}"


def load_connectors(group: str = ENTRY_POINT_GROUP) -> dict[str, type[Connector]]:
    """Every installed connector class by name, sorted by name."""
    found: dict[str, tuple[type[Connector], EntryPoint]] = {}
    seen_values: set[tuple[str, str]] = set()
    for ep in entry_points(group=group):
        if (ep.name, ep.value) in seen_values:  # the same distribution visible twice on sys.path
            continue
        seen_values.add((ep.name, ep.value))
        try:
            cls = ep.load()
            if not (isinstance(cls, type) and issubclass(cls, Connector)):
                raise TypeError(f"{cls!r} is not a subclass of connectors.contract.Connector")
            name = getattr(cls, "name", None)
            if not isinstance(name, str) or not name.isidentifier():
                raise TypeError(f"{cls.__name__}.name must be an identifier, not {name!r}")
        except Exception as exc:  # a broken plugin is skipped, never a crash
            warnings.warn(
                f"aispend: skipping connector plugin {ep.name!r} ({ep.value}): {exc}",
                stacklevel=2,
            )
            continue
        if name in found:
            other_cls, other_ep = found[name]
            if other_cls is cls:
                continue
            raise DuplicateConnectorError(
                f"two plugins declare the connector {name!r}: "
                f"{_describe_ep(other_ep)} and {_describe_ep(ep)}; uninstall one of them"
            )
        found[name] = (cls, ep)
    return {name: found[name][0] for name in sorted(found)}


@functools.cache
def installed_connectors() -> Mapping[str, type[Connector]]:
    """``load_connectors()`` read once per process, for a long-running server (the dashboard):
    scanning the entry points costs more than a page's queries. A plugin installed later is
    seen after a restart."""
    return MappingProxyType(load_connectors())


def get_connector(name: str, group: str = ENTRY_POINT_GROUP) -> type[Connector]:
    """The connector class registered as ``name``."""
    connectors = load_connectors(group)
    try:
        return connectors[name]
    except KeyError:
        known = ", ".join(connectors) or "none installed"
        raise UnknownConnectorError(f"unknown connector {name!r}; known: {known}") from None


def describe(cls: type[Connector]) -> dict[str, Any]:
    """What ``aispend connectors list`` prints about a connector."""
    return {
        "name": cls.name,
        "provider": cls.provider,
        "services": list(cls.services),
        "source_type": cls.source_type,
        "default_confidence": cls.default_confidence,
        "credential_fields": [
            {"name": f.name, "secret": f.secret, "required": f.required, "help": f.help}
            for f in cls.credential_fields
        ],
        "settings_fields": [
            {"name": f.name, "kind": f.kind, "default": f.default, "help": f.help}
            for f in cls.settings_fields
        ],
        "config_source": cls.config_source,
        "schedule": {
            "refresh_cron": cls.schedule.refresh_cron,
            "sweep_cron": cls.schedule.sweep_cron,
            "watch_input": cls.schedule.watch_input,
        },
        "revision_window_days": cls.revision_window_days,
        "max_window_days": cls.max_window_days,
    }
