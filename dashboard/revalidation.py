"""The Overview's stale-while-revalidate hook: ask for a background refresh of every stale
API vendor (``pipelines.revalidate``) and learn which vendors are refreshing, without waiting."""

from __future__ import annotations

from connectors.registry import installed_connectors
from dashboard.app_context import AppContext
from pipelines import revalidate
from warehouse.actors import Actor


def refreshing_vendors(ctx: AppContext, actor: Actor | None) -> frozenset[str]:
    """Sources refreshing now for the tenant (a refresh is started for stale ones)."""
    if actor is None:
        return frozenset()
    return revalidate.revalidate(
        ctx.settings, ctx.engine, ctx.tenant, actor, installed_connectors()
    )
