"""Where a connector's configuration comes from: read from what the connector declares.

- ``config_source = "credentials"`` or ``"folder"``: the fields an admin stored for the source
  (``warehouse.credentials``); the tenants synced are those that configured it.
- a connector declaring a ``seat_plan`` setting also gets the tenant's seat prices
  (``warehouse.seat_plans``);
- ``config_source = "admin_input"``: data admins enter in aispend, named by the connector's
  ``admin_input`` (``"manual_entries"``), built into a config for every tenant.

The pipeline calls only ``tenants_for`` and ``config_for``: it never asks which connector it
is talking to. A new kind of admin input registers its config builder in ``ADMIN_INPUTS``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Engine

from connectors.contract import Connector
from warehouse import credentials, manual_entries, seat_plans, tenants
from warehouse.tenants import TenantRef

#: admin input name → builds the connector config of one tenant from admin tables.
ADMIN_INPUTS: dict[str, Callable[[Engine, TenantRef], dict[str, Any]]] = {
    "manual_entries": manual_entries.connector_config,
}


def _admin_input(connector: type[Connector]) -> Callable[[Engine, TenantRef], dict[str, Any]]:
    name = connector.admin_input
    if name not in ADMIN_INPUTS:
        known = ", ".join(sorted(ADMIN_INPUTS))
        raise LookupError(
            f"{connector.name} reads admin input {name!r}, which the warehouse does not have "
            f"(known: {known})"
        )
    return ADMIN_INPUTS[name]


def tenants_for(
    engine: Engine, connector: type[Connector], only: str | None = None
) -> list[TenantRef]:
    """The tenants a sync of ``connector`` covers (optionally only the one with slug ``only``)."""
    if connector.config_source == "admin_input":
        _admin_input(connector)
        found = tenants.list_tenants(engine)
    else:
        found = credentials.configured_tenants(engine, connector.name)
    return [t for t in found if only is None or t.slug == only]


def config_for(
    engine: Engine, keys: Sequence[str], connector: type[Connector], tenant: TenantRef
) -> dict[str, Any]:
    """What the connector's ``fetch`` takes for this tenant. System use only: never log it."""
    if connector.config_source == "admin_input":
        return _admin_input(connector)(engine, tenant)
    config = credentials.connector_config(engine, keys, tenant, connector.name)
    return _with_seat_plan(engine, connector, tenant, config)


def _with_seat_plan(
    engine: Engine, connector: type[Connector], tenant: TenantRef, config: dict[str, Any]
) -> dict[str, Any]:
    """A connector declaring a ``seat_plan`` setting gets the tenant's stored seat prices
    (``warehouse.seat_plans``), which win over a value configured with the credentials."""
    spec = next(
        (f for f in connector.settings_fields if f.name == seat_plans.SEAT_PLAN_SETTING), None
    )
    if spec is None:
        return config
    default = config.get(spec.name) or spec.default
    stored = seat_plans.plan_setting(engine, tenant, connector.name, default)
    return config if stored is None else {**config, spec.name: stored}
