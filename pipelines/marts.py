"""Mart assets: every ``dbt_like_sql/*.sql`` model is an asset named after its file.

- **Lineage from the SQL**: a table another model produces is that asset; ``usage_facts``,
  ``activity_days`` (and its view ``activity_facts``) and ``vendor_accounts`` (written by
  syncs) mean every ingest asset; admin
  tables (members, identity links, settings…) are observable source assets ``admin/<table>``.
  A model reading any other table is refused.
- **Incremental**: an ``incremental_by_month`` model recomputes only the tenants and months
  the ingest runs since its last build touched (their partitions and tenant tags, read from the
  Dagster instance), an ``incremental_by_day`` model only those days (from the first to the
  last touched); when nothing says what changed (a first build, a parent rebuilt by hand,
  an admin change) it rebuilds everything, or everything of one tenant.
- **Declared tests are asset checks**, run inside the build's transaction over the rows just
  written: a failing test rolls the build back (readers keep the previous mart) and fails it.
- **Refresh**: marts follow the ingest assets through declarative automation (its sensor runs
  by default); the ``marts_admin_input`` sensor refreshes, per tenant, the marts that read an
  admin table whose rows changed, within a minute while ``aispend serve`` runs.
"""

import json
import warnings
from collections.abc import Mapping, Sequence

import dagster as dg

from pipelines.ingest import TENANT_TAG
from pipelines.resources import WarehouseResource
from warehouse import tenants
from warehouse.mart_tables import MartTestFailed, build
from warehouse.sql_models import EVERYTHING, ModelError, Scope, SqlModel, days_scope, load_models
from warehouse.table_fingerprints import admin_table_names, tenant_fingerprints

GROUP = "marts"
ADMIN_GROUP = "admin_tables"
# Tables written by the ingest assets (facts and the accounts seen with them).
INGEST_TABLES = frozenset({"usage_facts", "activity_days", "activity_facts", "vendor_accounts"})
# Tables admins edit; a model may read them, and they become observable source assets.
ADMIN_TABLES = frozenset(
    {
        "members",
        "identity_links",
        "manual_entries",
        "settings",
        "budgets",
        "model_prices",
        "seat_plan_prices",
        "tag_assignments",
    }
)
IGNORED_TABLES = frozenset({"tenants"})
# Run tags: refresh everything of the marts (optionally of one tenant), not just what ingest touched.
REFRESH_TAG = "aispend/marts_refresh"
REFRESH_TENANT_TAG = "aispend/marts_tenant"
CURSOR_KEY = "ingest_cursor"
SENSOR_INTERVAL_SECONDS = 30

# eager() waits while any dependency partition is missing; a mart reads *all* ingest
# partitions, most of which never exist (days before a tenant started), so drop that clause.
MART_CONDITION = dg.AutomationCondition.eager().without(~dg.AutomationCondition.any_deps_missing())


def admin_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["admin", table])


def model_deps(
    model: SqlModel, models: Sequence[SqlModel], ingest_keys: Sequence[dg.AssetKey]
) -> list[dg.AssetKey]:
    produced = {m.name for m in models}
    deps: set[dg.AssetKey] = set()
    for table in sorted(model.reads):
        if table in produced:
            deps.add(dg.AssetKey(table))
        elif table in INGEST_TABLES:
            deps.update(ingest_keys)
        elif table in ADMIN_TABLES:
            deps.add(admin_key(table))
        elif table not in IGNORED_TABLES:
            raise ModelError(
                f"{model.path}: reads {table!r}, which is neither a model, a fact table "
                f"({', '.join(sorted(INGEST_TABLES))}) nor an admin table "
                f"({', '.join(sorted(ADMIN_TABLES))})"
            )
    return sorted(deps, key=lambda k: k.to_user_string())


def _latest_storage_id(instance: dg.DagsterInstance, keys: Sequence[dg.AssetKey]) -> int:
    latest = 0
    for key in keys:
        records = instance.fetch_materializations(key, limit=1).records
        if records:
            latest = max(latest, records[0].storage_id)
    return latest


def _previous_cursor(instance: dg.DagsterInstance, key: dg.AssetKey) -> int | None:
    records = instance.fetch_materializations(key, limit=1).records
    if not records or records[0].asset_materialization is None:
        return None
    value = records[0].asset_materialization.metadata.get(CURSOR_KEY)
    return None if value is None else int(value.value)


def ingest_scope(
    instance: dg.DagsterInstance,
    engine,
    ingest_keys: Sequence[dg.AssetKey],
    after: int,
) -> Scope:
    """The tenants, months and days the ingest materializations after storage id ``after``
    touched; everything when there are none or one of them can't be placed."""
    import datetime as dt

    days: set[dt.date] = set()
    slugs: set[str] = set()
    all_tenants = False
    run_tags: dict[str, dict[str, str]] = {}
    for key in ingest_keys:
        cursor = None
        while True:
            result = instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=key, after_storage_id=after),
                limit=1000,
                cursor=cursor,
                ascending=True,
            )
            for record in result.records:
                if record.partition_key is None:
                    return EVERYTHING
                days.add(dt.date.fromisoformat(record.partition_key))
                if record.run_id not in run_tags:
                    run = instance.get_run_by_id(record.run_id)
                    run_tags[record.run_id] = dict(run.tags) if run else {}
                slug = run_tags[record.run_id].get(TENANT_TAG)
                if slug:
                    slugs.add(slug)
                else:
                    all_tenants = True
            if not result.has_more:
                break
            cursor = result.cursor
    if not days:
        return EVERYTHING
    tenant_ids = None
    if not all_tenants:
        found = {t.slug: t.id for t in tenants.list_tenants(engine)}
        tenant_ids = frozenset(found[s] for s in slugs if s in found)
    return days_scope(tenant_ids, days)


def run_scope(
    context: dg.AssetExecutionContext,
    engine,
    model: SqlModel,
    ingest_keys: Sequence[dg.AssetKey],
) -> Scope:
    tags = context.run.tags
    if REFRESH_TAG in tags:
        slug = tags.get(REFRESH_TENANT_TAG)
        if not slug:
            return EVERYTHING
        return Scope(frozenset({tenants.get_tenant(engine, slug).id}))
    if not model.incremental:
        return EVERYTHING
    previous = _previous_cursor(context.instance, context.asset_key)
    if previous is None:
        return EVERYTHING
    return ingest_scope(context.instance, engine, ingest_keys, previous)


def _describe(scope: Scope) -> str:
    if scope.is_everything:
        return "everything"
    who = "all tenants" if scope.tenant_ids is None else f"tenants {sorted(scope.tenant_ids)}"
    when = "all months" if scope.months is None else f"{scope.months[0]}..{scope.months[1]}"
    if scope.days is not None:
        when = f"days {scope.days[0].isoformat()}..{scope.days[1].isoformat()}"
    return f"{who}, {when}"


def build_mart_asset(
    model: SqlModel, deps: Sequence[dg.AssetKey], ingest_keys: Sequence[dg.AssetKey]
) -> dg.AssetsDefinition:
    check_specs = [
        dg.AssetCheckSpec(
            name=test.name,
            asset=model.name,
            description=f"{test.kind}: {test.column}"
            + (f" in ({', '.join(test.values)})" if test.values else ""),
        )
        for test in model.tests
    ]
    header = f"kind {model.kind}; grain {', '.join(model.grain) or '-'}"

    @dg.asset(
        name=model.name,
        group_name=GROUP,
        deps=list(deps),
        automation_condition=MART_CONDITION,
        kinds={"sql"},
        check_specs=check_specs,
        description=f"{model.description}\n\n{header} ({model.path})",
        metadata={"sql": dg.MetadataValue.md(f"```sql\n{model.source.strip()}\n```")},
    )
    def _mart(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        engine = warehouse.engine
        cursor: int | None = _latest_storage_id(context.instance, ingest_keys)
        scope = run_scope(context, engine, model, ingest_keys)
        if scope.tenant_ids is not None and REFRESH_TAG in context.run.tags:
            # One tenant refreshed: other tenants' syncs since the last build are still due.
            cursor = _previous_cursor(context.instance, context.asset_key)
        try:
            result = build(engine, model, scope)
        except MartTestFailed as exc:
            raise dg.Failure(description=str(exc), metadata=exc.failures) from None
        scope_text = "everything" if result.full else _describe(result.scope)
        context.log.info(f"{model.name}: {result.rows} rows written ({scope_text})")
        metadata = {"rows": result.rows, "scope": scope_text}
        if cursor is not None:
            metadata[CURSOR_KEY] = cursor
        return dg.MaterializeResult(
            metadata=metadata,
            check_results=[
                dg.AssetCheckResult(
                    check_name=name,
                    passed=failing == 0,
                    metadata={"failing_rows": failing, "scope": scope_text},
                )
                for name, failing in result.tests.items()
            ],
        )

    return _mart


def build_admin_source(table: str) -> dg.SourceAsset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)  # observable_source_asset is beta
        return _admin_source(table)


def _admin_source(table: str) -> dg.SourceAsset:
    @dg.observable_source_asset(
        key=admin_key(table),
        group_name=ADMIN_GROUP,
        description=f"Admin table {table}: edited through aispend's services; marts reading it "
        "refresh when its rows change (sensor marts_admin_input).",
        required_resource_keys={"warehouse"},
    )
    def _observe(context) -> dg.DataVersion:
        from warehouse.table_fingerprints import table_fingerprint

        return dg.DataVersion(
            table_fingerprint(context.resources.warehouse.engine, table) or "empty"
        )

    return _observe


def admin_tables_read(models: Sequence[SqlModel]) -> list[str]:
    return sorted({t for m in models for t in m.reads} & ADMIN_TABLES)


def marts_reading(models: Sequence[SqlModel], table: str) -> list[str]:
    """Models that read ``table``, directly or through another model (in build order)."""
    affected = {m.name for m in models if table in m.reads}
    for m in models:  # topological order: a model comes after what it reads
        if m.reads & affected:
            affected.add(m.name)
    return [m.name for m in models if m.name in affected]


def admin_input_sensor(
    models: Sequence[SqlModel], python_reads: Mapping[str, Sequence[str]] | None = None
) -> dg.SensorDefinition:
    """Refreshes, per tenant, the marts reading an admin table whose rows changed:
    ``python_reads`` names Python-built mart assets and the admin tables they read."""
    python_reads = dict(python_reads or {})
    tables = sorted(
        set(admin_tables_read(models)) | {t for ts in python_reads.values() for t in ts}
    )

    def readers(table: str) -> list[str]:
        return marts_reading(models, table) + [n for n, ts in python_reads.items() if table in ts]

    @dg.sensor(
        name="marts_admin_input",
        asset_selection=[dg.AssetKey(n) for n in [*(m.name for m in models), *python_reads]],
        minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Refreshes the marts reading members, identity links, settings… "
        "when an admin changes them (per tenant).",
    )
    def _sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
        engine = warehouse.engine
        seen: dict[str, dict[str, str]] = json.loads(context.cursor) if context.cursor else {}
        first_tick = not context.cursor
        changed: dict[int, set[str]] = {}
        for table in tables:
            now = {str(t): fp for t, fp in tenant_fingerprints(engine, table).items()}
            before = seen.get(table, {})
            for tenant_id in set(now) | set(before):
                if now.get(tenant_id) != before.get(tenant_id):
                    changed.setdefault(int(tenant_id), set()).add(table)
            seen[table] = now
        context.update_cursor(json.dumps(seen, sort_keys=True))
        if first_tick or not changed:
            return dg.SkipReason("admin tables unchanged")
        slugs = {t.id: t.slug for t in tenants.list_tenants(engine)}
        requests = []
        for tenant_id, touched in sorted(changed.items()):
            if tenant_id not in slugs:
                continue
            names = sorted({n for table in touched for n in readers(table)})
            fingerprint = "-".join(seen[t].get(str(tenant_id), "none") for t in sorted(touched))
            requests.append(
                dg.RunRequest(
                    run_key=f"marts-{slugs[tenant_id]}-{fingerprint}",
                    asset_selection=[dg.AssetKey(n) for n in names],
                    tags={
                        REFRESH_TAG: ",".join(sorted(touched)),
                        REFRESH_TENANT_TAG: slugs[tenant_id],
                    },
                )
            )
        return requests or dg.SkipReason("admin tables changed for no known tenant")

    return _sensor


def build_mart_definitions(
    ingest_keys: Sequence[dg.AssetKey],
    models: Sequence[SqlModel] | None = None,
    python_reads: Mapping[str, Sequence[str]] | None = None,
) -> tuple[list, list[dg.SensorDefinition]]:
    """(assets: source assets + marts, sensors) for the shipped models (or ``models``);
    ``python_reads``: Python mart assets (defined elsewhere) and the admin tables they read."""
    models = list(models) if models is not None else load_models()
    marts = [build_mart_asset(m, model_deps(m, models, ingest_keys), ingest_keys) for m in models]
    present = ADMIN_TABLES & admin_table_names()  # budgets, prices… once their tables exist
    sources = [build_admin_source(t) for t in sorted(present | set(admin_tables_read(models)))]
    sensor = admin_input_sensor(models, python_reads)
    return [*sources, *marts], [mart_automation_sensor(), sensor]


def build_mart_assets(
    ingest_keys: Sequence[dg.AssetKey], models: Sequence[SqlModel] | None = None
) -> list[dg.AssetsDefinition]:
    """The mart assets alone (no source assets or sensors)."""
    models = list(models) if models is not None else load_models()
    return [build_mart_asset(m, model_deps(m, models, ingest_keys), ingest_keys) for m in models]


def mart_automation_sensor() -> dg.AutomationConditionSensorDefinition:
    """Evaluates the marts' automation conditions; RUNNING by default (STACK-NOTES §Dagster)."""
    return dg.AutomationConditionSensorDefinition(
        "marts_automation",
        target=dg.AssetSelection.groups(GROUP),
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=30,
    )
