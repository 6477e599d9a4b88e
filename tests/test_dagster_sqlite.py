"""The quicker SQLite event log writes exactly what Dagster's own storage reads: runs and
materializations recorded through ``open_instance`` show up in a stock instance (the Dagster UI
and daemon) of the same home, and a wiped instance records again."""

import warnings

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from pipelines.dagster_sqlite import QuickSqliteEventLogStorage, open_instance

DAYS = dg.DailyPartitionsDefinition(start_date="2026-09-01", end_date="2026-09-10")


def daily(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    context.log.info(f"range {context.partition_key_range}")
    return dg.MaterializeResult(metadata={"rows": 3})


with warnings.catch_warnings():  # BackfillPolicy is beta in Dagster 1.13 (as in pipelines.ingest)
    warnings.simplefilter("ignore", dg.BetaWarning)
    daily = dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run())(daily)


JOB = dg.Definitions(
    assets=[daily], jobs=[dg.define_asset_job("daily_job", partitions_def=DAYS)]
).resolve_job_def("daily_job")


def run_range(instance: dg.DagsterInstance, start: str, end: str) -> dg.ExecuteInProcessResult:
    tags = {ASSET_PARTITION_RANGE_START_TAG: start, ASSET_PARTITION_RANGE_END_TAG: end}
    return JOB.execute_in_process(instance=instance, tags=tags)


def test_what_it_writes_is_what_dagster_reads(tmp_path):
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    quick = open_instance(str(tmp_path))
    try:
        assert isinstance(quick.event_log_storage, QuickSqliteEventLogStorage)
        result = run_range(quick, "2026-09-02", "2026-09-04")
        assert result.success
    finally:
        quick.dispose()
    stock = dg.DagsterInstance.from_config(str(tmp_path))
    try:
        assert type(stock.event_log_storage).__name__ == "SqliteEventLogStorage"
        [run] = stock.get_runs()
        assert run.run_id == result.run_id and run.status == dg.DagsterRunStatus.SUCCESS
        assert stock.get_materialized_partitions(dg.AssetKey("daily")) == {
            "2026-09-02",
            "2026-09-03",
            "2026-09-04",
        }
        events = stock.all_logs(run.run_id)
        kinds = [e.dagster_event.event_type_value for e in events if e.is_dagster_event]
        assert kinds.count("ASSET_MATERIALIZATION") == 3
        assert kinds.count("ASSET_MATERIALIZATION_PLANNED") == 3
        assert any("range" in e.user_message for e in events if not e.is_dagster_event)
    finally:
        stock.dispose()


def test_a_wiped_instance_records_again(tmp_path):
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    instance = open_instance(str(tmp_path))
    try:
        assert run_range(instance, "2026-09-01", "2026-09-01").success
        instance.wipe()
        assert instance.get_materialized_partitions(dg.AssetKey("daily")) == set()
        result = run_range(instance, "2026-09-05", "2026-09-05")
        assert result.success
        assert instance.get_materialized_partitions(dg.AssetKey("daily")) == {"2026-09-05"}
        assert len(instance.all_logs(result.run_id)) > 0
    finally:
        instance.dispose()
