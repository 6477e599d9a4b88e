"""Python-built marts: ``spend_by_tag`` (``warehouse.tag_spend``) and ``vendor_period``
(``warehouse.vendor_period``), rewritten per tenant after every sync.

Both sit in the marts group (``aispend refresh`` and the mart automation rebuild them). An
admin's tag assignment changes ``spend_by_tag``: it reads the admin table ``tag_assignments``
(an observable source asset), and the ``marts_admin_input`` sensor refreshes the tenant's rows
within a minute (``ADMIN_READS``, handed to ``pipelines.marts.build_mart_definitions``).
"""

import contextlib
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from typing import Any

import dagster as dg
from sqlalchemy import Engine

from pipelines.marts import GROUP as MARTS_GROUP
from pipelines.marts import MART_CONDITION, admin_key
from pipelines.tenant_assets import build_tenant_asset
from warehouse import tag_spend, vendor_period
from warehouse.settings import Settings
from warehouse.tenants import TenantRef

SPEND_BY_TAG = "spend_by_tag"
VENDOR_PERIOD = "vendor_period"
# Python marts and the admin tables they read (the admin-input sensor refreshes them).
ADMIN_READS = {SPEND_BY_TAG: ("tag_assignments",)}


def refresh_spend_by_tag(engine, tenant: TenantRef, _settings: Settings) -> dict[str, int]:
    return {"rows": tag_spend.refresh(engine, tenant.id)}


def refresh_vendor_period(engine, tenant: TenantRef, _settings: Settings) -> dict[str, int]:
    rows = _take_ahead(engine, tenant.id)
    return {"rows": vendor_period.refresh(engine, tenant.id, rows)}


# (database URL, tenant id) -> vendor_period's rows being read ahead (``reading_ahead``).
_AHEAD: dict[tuple[str, int], Future] = {}
_AHEAD_LOCK = threading.Lock()


@contextlib.contextmanager
def reading_ahead(engine: Engine, tenant_ids: Sequence[int]) -> Iterator[None]:
    """While the marts run this wraps readies itself and builds the SQL marts, ``vendor_period``'s
    rows of ``tenant_ids`` are computed on a thread of their own (a read of the facts and sync
    statuses, which only syncs write: SQLite and psycopg leave Python's lock while the database
    works, so it takes the second core). The asset then writes them instead of reading again
    (~0.3-0.5 s off the end of a sync at 1,000 members × 90 days, both databases). A row a
    sync writes meanwhile is in the next refresh, as if that sync had finished a moment later."""
    url = engine.url.render_as_string(hide_password=False)
    futures = {(url, tenant_id): Future() for tenant_id in tenant_ids}
    with _AHEAD_LOCK:
        _AHEAD.update(futures)

    def read() -> None:
        for (_, tenant_id), future in futures.items():
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(vendor_period.compute(engine, tenant_id))
            except Exception as exc:  # the asset reads again and fails (or not) on its own
                future.set_exception(exc)

    reader = threading.Thread(target=read, name="vendor-period-ahead", daemon=True)
    reader.start()
    try:
        yield
    finally:
        with _AHEAD_LOCK:  # whatever the run did not take is dropped
            for key, future in futures.items():
                if _AHEAD.get(key) is future:
                    del _AHEAD[key]
                future.cancel()
        reader.join()


def _take_ahead(engine: Engine, tenant_id: int) -> list[dict[str, Any]] | None:
    """The rows read ahead for this tenant (waiting for them if still being read), once; None
    when none were, or the read failed."""
    key = (engine.url.render_as_string(hide_password=False), tenant_id)
    with _AHEAD_LOCK:
        future = _AHEAD.pop(key, None)
    if future is None:
        return None
    try:
        return future.result()
    except Exception:  # the read failed: the asset reads again and reports what it finds
        return None


def build_tag_mart_assets(facts: Sequence[dg.AssetKey]) -> list[dg.AssetsDefinition]:
    return [
        build_tenant_asset(
            SPEND_BY_TAG,
            refresh_spend_by_tag,
            deps=[*facts, *(admin_key(t) for t in ADMIN_READS[SPEND_BY_TAG])],
            group=MARTS_GROUP,
            automation_condition=MART_CONDITION,
            rows_from=("rows",),
            description=(
                "Spend per tenant, month, source, tag key and value (the vendor's FOCUS tags "
                "with the admins' tag assignments laid over them): billed exact, estimate and "
                "list-price value beside it, tokens NULL when unknown; an untagged row per key "
                "so a key's rows sum to the month's spend."
            ),
        ),
        build_tenant_asset(
            VENDOR_PERIOD,
            refresh_vendor_period,
            deps=list(facts),
            group=MARTS_GROUP,
            automation_condition=MART_CONDITION,
            rows_from=("rows",),
            description=(
                "Each source's month: billed spend, estimate beside it, tokens, seats, idle "
                "seats and their fee, last successful sync (freshness computed when read)."
            ),
        ),
    ]
