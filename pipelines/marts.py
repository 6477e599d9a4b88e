"""Mart assets: every ``dbt_like_sql/*.sql`` file (one SELECT) is an asset named after the file.

Dependencies are read from the SQL itself (sqlglot): a table produced by another SQL file is
that asset; ``usage_facts``/``activity_facts`` mean every ingest asset; other warehouse tables
(members, identity links, budgets…) are admin input and no asset. Materializing rebuilds the
table in one transaction. Marts refresh by themselves when their inputs change (declarative
automation, with its sensor running by default).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from pipelines.resources import WarehouseResource
from warehouse.mart_tables import rebuild_table, tables_read

SQL_DIR = Path(__file__).resolve().parent.parent / "dbt_like_sql"
FACT_TABLES = frozenset({"usage_facts", "activity_facts"})
GROUP = "marts"

# eager() waits while any dependency partition is missing; a mart reads *all* ingest
# partitions, most of which never exist (days before a tenant started), so drop that clause.
MART_CONDITION = dg.AutomationCondition.eager().without(~dg.AutomationCondition.any_deps_missing())


@dataclass(frozen=True)
class SqlModel:
    name: str
    sql: str
    reads: frozenset[str]
    path: Path


def load_models(sql_dir: Path = SQL_DIR) -> list[SqlModel]:
    models = []
    for path in sorted(sql_dir.glob("*.sql")):
        sql = path.read_text()
        models.append(SqlModel(path.stem, sql, tables_read(sql), path))
    return models


def model_deps(
    model: SqlModel, models: Sequence[SqlModel], ingest_keys: Sequence[dg.AssetKey]
) -> list[dg.AssetKey]:
    produced = {m.name for m in models}
    deps: set[dg.AssetKey] = set()
    for table in model.reads:
        if table in produced and table != model.name:
            deps.add(dg.AssetKey(table))
        elif table in FACT_TABLES:
            deps.update(ingest_keys)
    return sorted(deps, key=lambda k: k.to_user_string())


def build_mart_asset(model: SqlModel, deps: Sequence[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        name=model.name,
        group_name=GROUP,
        deps=list(deps),
        automation_condition=MART_CONDITION,
        kinds={"sql"},
        description=f"Table {model.name}, rebuilt from dbt_like_sql/{model.path.name}",
        metadata={"sql": dg.MetadataValue.md(f"```sql\n{model.sql.strip()}\n```")},
    )
    def _mart(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        rows = rebuild_table(warehouse.engine, model.name, model.sql)
        context.log.info(f"{model.name}: {rows} rows")
        return dg.MaterializeResult(metadata={"rows": rows})

    return _mart


def build_mart_assets(
    ingest_keys: Sequence[dg.AssetKey], sql_dir: Path = SQL_DIR
) -> list[dg.AssetsDefinition]:
    models = load_models(sql_dir)
    return [build_mart_asset(m, model_deps(m, models, ingest_keys)) for m in models]


def mart_automation_sensor() -> dg.AutomationConditionSensorDefinition:
    """Evaluates the marts' automation conditions; RUNNING by default (STACK-NOTES §Dagster)."""
    return dg.AutomationConditionSensorDefinition(
        "marts_automation",
        target=dg.AssetSelection.groups(GROUP),
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=30,
    )
