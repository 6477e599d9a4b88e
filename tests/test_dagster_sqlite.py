"""The quicker SQLite event log writes exactly what Dagster's own storage reads: runs and
materializations recorded through ``open_instance`` show up in a stock instance (the Dagster UI
and daemon) of the same home, and a wiped instance records again."""

import contextlib
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
    batches = []
    store_batch = quick.event_log_storage.store_event_batch

    def spy(events):
        batches.append(len(events))
        return store_batch(events)

    quick.event_log_storage.store_event_batch = spy
    try:
        assert isinstance(quick.event_log_storage, QuickSqliteEventLogStorage)
        result = run_range(quick, "2026-09-02", "2026-09-04")
        assert result.success
    finally:
        quick.dispose()
    assert batches == [3, 3]  # the planned events, then the materializations, each at once
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
        # ... and the cross-run index: the records, their asset row and their indexed tags
        records = stock.fetch_materializations(dg.AssetKey("daily"), limit=10).records
        assert sorted(r.partition_key for r in records) == [
            "2026-09-02",
            "2026-09-03",
            "2026-09-04",
        ]
        [asset] = stock.get_asset_records([dg.AssetKey("daily")])
        assert asset.asset_entry.last_materialization_record.storage_id == max(
            r.storage_id for r in records
        )
        tags = stock.event_log_storage.get_latest_tags_by_partition(
            dg.AssetKey("daily"),
            dg.DagsterEventType.ASSET_MATERIALIZATION,
            ["dagster/data_version"],
            asset_partitions=["2026-09-02", "2026-09-03", "2026-09-04"],
        )
        assert len(tags) == 3
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


def _schema(path) -> tuple[list, list]:
    import sqlite3

    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        tables = sorted(db.execute("SELECT type, name, sql FROM sqlite_master").fetchall())
        stamp = db.execute("SELECT version_num FROM alembic_version").fetchall()
        mode = db.execute("PRAGMA journal_mode").fetchall()
    return tables, stamp + mode


def test_a_new_run_shard_is_the_one_dagster_makes(tmp_path):
    """Same tables, indexes, WAL mode and Alembic head stamp as Dagster's own storage creates."""
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    quick = open_instance(str(tmp_path))
    try:
        quick_run = run_range(quick, "2026-09-02", "2026-09-02").run_id
        assert quick.event_log_storage.has_table("asset_check_executions")
        shard = quick.event_log_storage.path_for_shard
    finally:
        quick.dispose()
    stock = dg.DagsterInstance.from_config(str(tmp_path))
    try:
        stock_run = run_range(stock, "2026-09-03", "2026-09-03").run_id
        assert {r.run_id for r in stock.get_runs()} == {quick_run, stock_run}
    finally:
        stock.dispose()
    assert _schema(shard(quick_run)) == _schema(shard(stock_run))


def test_a_new_home_gets_the_storage_dagster_makes(tmp_path):
    """A home's storage created by ``open_instance`` (flushed once, not at every commit) has
    Dagster's databases, tables, WAL mode and stamps, and records runs as usual."""
    ours, stock = tmp_path / "ours", tmp_path / "stock"
    for home in (ours, stock):
        home.mkdir()
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    quick = open_instance(str(ours))
    try:
        run_id = run_range(quick, "2026-09-02", "2026-09-02").run_id
    finally:
        quick.dispose()
    dg.DagsterInstance.from_config(str(stock)).dispose()
    files = ("history/runs.db", "history/runs/index.db", "schedules/schedules.db")
    for name in files:
        assert _schema(ours / name) == _schema(stock / name), name
    reopened = dg.DagsterInstance.from_config(str(ours))
    try:
        assert [r.run_id for r in reopened.get_runs()] == [run_id]
    finally:
        reopened.dispose()


@dg.asset(
    check_specs=[
        dg.AssetCheckSpec("positive", asset="checked"),
        dg.AssetCheckSpec("small", asset="checked"),
    ]
)
def checked() -> dg.MaterializeResult:
    return dg.MaterializeResult(
        check_results=[
            dg.AssetCheckResult(check_name="positive", passed=True),
            dg.AssetCheckResult(check_name="small", passed=False),
        ]
    )


CHECKED = dg.Definitions(
    assets=[checked], jobs=[dg.define_asset_job("checked_job")]
).resolve_job_def("checked_job")


def _check_rows(instance: dg.DagsterInstance, run_id: str) -> list:
    rows = []
    for name in ("positive", "small"):
        key = dg.AssetCheckKey(dg.AssetKey("checked"), name)
        [record] = instance.event_log_storage.get_asset_check_execution_history(key, limit=10)
        assert record.run_id == run_id
        rows.append((name, record.status.value, record.event.dagster_event_type.value))
    return rows


def test_planned_checks_stored_with_the_planned_batch(tmp_path):
    """A run's planned materializations and planned checks go to storage as one batch; the
    check executions Dagster reads (PLANNED, then the outcome) are the ones its own storage
    writes for the same run."""
    (tmp_path / "quick").mkdir(), (tmp_path / "stock").mkdir()
    for home in ("quick", "stock"):
        (tmp_path / home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    quick = open_instance(str(tmp_path / "quick"))
    one_by_one = []
    store_event = quick.event_log_storage.store_event

    def spy(event):
        one_by_one.append(event.dagster_event_type and event.dagster_event_type.value)
        return store_event(event)

    quick.event_log_storage.store_event = spy
    try:
        quick_run = CHECKED.execute_in_process(instance=quick, raise_on_error=False).run_id
    finally:
        quick.dispose()
    assert "ASSET_CHECK_EVALUATION" in one_by_one  # the outcomes, stored as they come
    assert not [kind for kind in one_by_one if kind and kind.endswith("_PLANNED")]
    stock = dg.DagsterInstance.from_config(str(tmp_path / "stock"))
    try:
        stock_run = CHECKED.execute_in_process(instance=stock, raise_on_error=False).run_id
        expected = _check_rows(stock, stock_run)
    finally:
        stock.dispose()
    reader = dg.DagsterInstance.from_config(str(tmp_path / "quick"))  # the stock classes
    try:
        assert _check_rows(reader, quick_run) == expected
        assert expected == [
            ("positive", "SUCCEEDED", "ASSET_CHECK_EVALUATION"),
            ("small", "FAILED", "ASSET_CHECK_EVALUATION"),
        ]
        planned = [
            e
            for e in reader.all_logs(quick_run)
            if e.is_dagster_event and e.dagster_event_type.value.endswith("_PLANNED")
        ]
        assert len(planned) == 3
    finally:
        reader.dispose()
