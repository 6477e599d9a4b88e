"""The warehouse as a Dagster resource: the one place the pipeline gets its settings and engine.

Assets never read ``os.environ``: they ask this resource. By default it reads
``Settings.from_env()``; ``run_sync`` pins the Settings it was given instead. Nothing secret
(database URL with password, encryption keys) ever goes into the resource's run config, which
Dagster records with every run: a pinned Settings is referred to by an opaque handle.
"""

from __future__ import annotations

import threading
import uuid

import dagster as dg
from sqlalchemy import Engine

from warehouse.engine import make_engine
from warehouse.settings import Settings

_PINNED: dict[str, Settings] = {}
_ENGINES: dict[str, Engine] = {}
_LOCK = threading.Lock()


def engine_for(settings: Settings) -> Engine:
    """One engine per database URL and process (engines own connection pools)."""
    with _LOCK:
        engine = _ENGINES.get(settings.database_url)
        if engine is None:
            engine = _ENGINES[settings.database_url] = make_engine(settings.database_url)
        return engine


def forget_inherited_connections() -> None:
    """In a forked child: drop the parent's pooled connections without closing them (they are
    the parent's); the engines open new ones here."""
    with _LOCK:
        for engine in _ENGINES.values():
            engine.dispose(close=False)


def dispose_engines() -> None:
    """Close every pooled connection (tests, and the CLI before it exits)."""
    with _LOCK:
        for engine in _ENGINES.values():
            engine.dispose()
        _ENGINES.clear()


class WarehouseResource(dg.ConfigurableResource):
    """Gives assets the warehouse engine and the settings (``secret_keys`` for credentials)."""

    pinned: str = ""  # handle of Settings pinned by run_sync in this process; "" = environment

    @classmethod
    def for_settings(cls, settings: Settings) -> WarehouseResource:
        handle = uuid.uuid4().hex
        _PINNED[handle] = settings
        return cls(pinned=handle)

    def release(self) -> None:
        """Forget the pinned Settings (run_sync calls this when it is done)."""
        _PINNED.pop(self.pinned, None)

    @property
    def settings(self) -> Settings:
        if self.pinned and self.pinned in _PINNED:
            return _PINNED[self.pinned]
        return Settings.from_env()

    @property
    def engine(self) -> Engine:
        return engine_for(self.settings)
