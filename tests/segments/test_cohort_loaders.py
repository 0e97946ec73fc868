"""Loaders: Parquet, JSONL, SQL (SQLite file and the real PostgreSQL server), column mapping."""

from __future__ import annotations

import uuid

import pandas as pd
import pytest
import sqlalchemy as sa

from agent.demo.cohort import make_fitness_cohort
from segments.cohort_check import check_cohort
from segments.cohort_loaders import CohortSource
from segments.cohort_validation import read_cohort
from segments.errors import SegmentsError

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def fitness() -> pd.DataFrame:
    return make_fitness_cohort(60, seed=3)


def _same(cohort_frame: pd.DataFrame, source: pd.DataFrame) -> None:
    assert list(cohort_frame.user_id) == list(source.user_id)
    assert cohort_frame.churn_score.tolist() == pytest.approx(source.churn_score.tolist())
    assert cohort_frame.lifetime_orders.tolist() == source.lifetime_orders.tolist()
    assert cohort_frame.email_opt_in.tolist() == source.email_opt_in.tolist()


def test_csv_parquet_jsonl_give_the_same_cohort(tmp_path, fitness):
    fitness.to_csv(tmp_path / "c.csv", index=False)
    fitness.to_parquet(tmp_path / "c.parquet")
    fitness.to_json(tmp_path / "c.jsonl", orient="records", lines=True)
    for name in ("c.csv", "c.parquet", "c.jsonl"):
        cohort = read_cohort(CohortSource(path=tmp_path / name))
        _same(cohort.frame, fitness)
        assert "workouts_per_month_before" in cohort.frame  # extra columns are kept


def test_jsonl_bad_lines_named_by_line(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text(
        '{"user_id": "u1", "churn_score": 0.5}\n\n{"user_id": "u2", "churn_score": 0.6\n'
        '[1, 2]\n{"user_id": "u3", "churn_score": 7}\n'
    )
    report = check_cohort(CohortSource(path=path))
    assert [(p.row, p.column) for p in report.problems] == [
        (3, None),
        (4, None),
        (5, "churn_score"),
    ]
    assert "not valid JSON" in report.problems[0].message
    assert "JSON list, not an object" in report.problems[1].message
    assert report.rows == 4 and report.valid_rows == 1


def test_mapping_file_renames_columns(tmp_path):
    (tmp_path / "c.csv").write_text("Customer ID,risk,orders\n001,0.8,4\n002,0.3,1\n")
    (tmp_path / "map.yaml").write_text("columns:\n  Customer ID: user_id\n  risk: churn_score\n")
    cohort = read_cohort(CohortSource(path=tmp_path / "c.csv", mapping=tmp_path / "map.yaml"))
    assert list(cohort.frame.columns) == ["user_id", "churn_score", "orders"]
    assert list(cohort.frame.user_id) == ["001", "002"]
    assert cohort.report.renamed == {"Customer ID": "user_id", "risk": "churn_score"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "must be a mapping of source column names"),
        ("a: [b\n", "not valid YAML"),
    ],
)
def test_bad_mapping_file(tmp_path, text, message):
    (tmp_path / "c.csv").write_text("user_id,churn_score\nu1,0.5\n")
    (tmp_path / "map.yaml").write_text(text)
    with pytest.raises(SegmentsError, match=message):
        check_cohort(CohortSource(path=tmp_path / "c.csv", mapping=tmp_path / "map.yaml"))


def test_mapping_of_absent_column_is_a_problem(tmp_path):
    (tmp_path / "c.csv").write_text("user_id,churn_score\nu1,0.5\n")
    report = check_cohort(CohortSource(path=tmp_path / "c.csv", mapping={"scroe": "churn_score"}))
    assert "the mapping renames 'scroe'" in report.problems[0].message


def test_missing_file_and_unreadable_parquet(tmp_path):
    with pytest.raises(SegmentsError, match="does not exist"):
        check_cohort(CohortSource(path=tmp_path / "nope.csv"))
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(SegmentsError, match="cannot be read as Parquet"):
        check_cohort(CohortSource(path=tmp_path / "bad.parquet"))


def _roundtrip_sql(url: str, fitness: pd.DataFrame) -> None:
    table = f"cohort_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(url)
    try:
        fitness.to_sql(table, engine, index=False)
        by_table = read_cohort(CohortSource(sql_url=url, table=table))
        _same(by_table.frame, fitness)
        query = f"SELECT * FROM {table} WHERE churn_score > 0.7 ORDER BY user_id"
        by_query = read_cohort(CohortSource(sql_url=url, query=query))
        expected = fitness[fitness.churn_score > 0.7].sort_values("user_id")
        assert list(by_query.frame.user_id) == list(expected.user_id)
        with pytest.raises(SegmentsError, match="no table"):
            check_cohort(CohortSource(sql_url=url, table=table + "_missing"))
        with pytest.raises(SegmentsError, match="could not be read"):
            check_cohort(CohortSource(sql_url=url, query="SELECT nope FROM " + table))
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
        engine.dispose()


def test_sqlite_table_and_query(tmp_path, fitness):
    _roundtrip_sql(f"sqlite:///{tmp_path / 'cohort.db'}", fitness)


@pytest.mark.postgres
def test_postgres_table_and_query(fitness):
    _roundtrip_sql(PG_URL, fitness)


def test_sql_bad_url_and_missing_table_or_query():
    with pytest.raises(SegmentsError, match="not a usable SQLAlchemy URL"):
        check_cohort(CohortSource(sql_url="nosuchdb://x", table="t"))
    with pytest.raises(SegmentsError, match="exactly one of --table and --query"):
        check_cohort(CohortSource(sql_url="sqlite://"))


def test_shipped_examples(tmp_path):
    from pathlib import Path

    examples = Path(__file__).resolve().parents[2] / "examples"
    assert read_cohort(CohortSource(path=examples / "cohort_small.csv")).report.valid_rows == 40
    (tmp_path / "export.csv").write_text("Customer ID,risk,last_order_days,orders\nc1,0.8,50,4\n")
    mapped = read_cohort(
        CohortSource(path=tmp_path / "export.csv", mapping=examples / "column_mapping.yaml")
    )
    assert list(mapped.frame.columns) == [
        "user_id",
        "churn_score",
        "days_since_last_activity",
        "lifetime_orders",
    ]
