"""Named jobs, so runs read as what they are in the Dagster UI (not ``__ephemeral_asset_job__``):
``sync_<source>`` (that source's ingest asset and its checks, daily-partitioned; a range run is a
single-run backfill), ``refresh_marts`` (every mart) and ``refresh_suggestions`` (the badges, then
members' suggestions). ``aispend sync``, the demo, schedules and sensors all run these."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,  # what define_asset_job returns (not exported by dagster)
)

from connectors.contract import Connector
from pipelines.ingest import ingest_key
from pipelines.marts import GROUP as MARTS_GROUP

REFRESH_MARTS = "refresh_marts"
REFRESH_SUGGESTIONS = "refresh_suggestions"


def sync_job_name(source: str) -> str:
    return f"sync_{source}"


def build_sync_job(connector: type[Connector]) -> UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        sync_job_name(connector.name),
        selection=dg.AssetSelection.assets(ingest_key(connector.name)),
        description=f"Pull {connector.provider} ({connector.name}) for a range of days.",
        tags={"aispend/source": connector.name},
    )


def build_jobs(
    connectors: Mapping[str, type[Connector]],
) -> dict[str, UnresolvedAssetJobDefinition]:
    """``{source: sync job}`` for every connector."""
    return {name: build_sync_job(cls) for name, cls in sorted(connectors.items())}


def refresh_marts_job() -> UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        REFRESH_MARTS,
        selection=dg.AssetSelection.groups(MARTS_GROUP),
        description="Rebuild every mart from the facts and admin input.",
    )


def refresh_suggestions_job(keys: Sequence[dg.AssetKey]) -> UnresolvedAssetJobDefinition:
    """``keys``: the suggestions asset and what it refreshes first (the badges it mentions)."""
    return dg.define_asset_job(
        REFRESH_SUGGESTIONS,
        selection=dg.AssetSelection.assets(*keys),
        description="Refresh the badges, then every member's suggestions (cached by inputs).",
    )
