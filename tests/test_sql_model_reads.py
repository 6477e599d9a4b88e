"""What a SQL model reads is parsed once and remembered between processes (keyed by its SQL,
dialect and sqlglot version); a model that does not parse is never remembered, and a damaged
cache file is ignored."""

from __future__ import annotations

import pytest

from warehouse import sql_model_reads
from warehouse.sql_models import ModelError, load_models, parse_model

HEADER = "/*\ndescription: test model\nkind: full\n*/\n"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    sql_model_reads._remembered.cache_clear()
    yield sql_model_reads.cache_file()
    sql_model_reads._remembered.cache_clear()


def _parses(monkeypatch) -> list[str]:
    calls = []
    parse = sql_model_reads.parse

    def counted(sql, dialect, path):
        calls.append(dialect)
        return parse(sql, dialect, path)

    monkeypatch.setattr(sql_model_reads, "parse", counted)
    return calls


def test_reads_are_parsed_once_then_remembered_across_processes(cache, monkeypatch):
    calls = _parses(monkeypatch)
    sql = "WITH t AS (SELECT * FROM usage_facts) SELECT * FROM t JOIN members ON 1 = 1"
    first = parse_model("m", HEADER + sql, "dbt_like_sql/m.sql")
    assert first.reads == {"usage_facts", "members"}
    assert calls == ["sqlite", "postgresql"] and cache.exists()
    sql_model_reads._remembered.cache_clear()  # as a new process: from the file
    again = parse_model("m", HEADER + sql, "dbt_like_sql/m.sql")
    assert again == first and calls == ["sqlite", "postgresql"]
    changed = parse_model("m", HEADER + sql.replace("members", "budgets"), "dbt_like_sql/m.sql")
    assert changed.reads == {"usage_facts", "budgets"} and len(calls) == 4
    # the shipped models: the same with and without the cache
    sql_model_reads._remembered.cache_clear()
    cache.unlink()
    parsed = load_models()
    assert load_models() == parsed


def test_a_model_that_does_not_parse_fails_every_time(cache, monkeypatch):
    calls = _parses(monkeypatch)
    for _ in range(2):
        with pytest.raises(ModelError, match="m.sql"):
            parse_model("m", HEADER + "SELECT FROM WHERE (", "dbt_like_sql/m.sql")
    assert len(calls) == 2
    assert not cache.exists()


def test_a_damaged_cache_file_is_ignored(cache, monkeypatch):
    cache.parent.mkdir(parents=True)
    cache.write_text('{"not": "a list"')
    assert parse_model("m", HEADER + "SELECT 1 AS x FROM members", "m.sql").reads == {"members"}
    sql_model_reads._remembered.cache_clear()
    cache.write_text('{"x": 3}')
    assert parse_model("m", HEADER + "SELECT 1 AS x FROM members", "m.sql").reads == {"members"}
