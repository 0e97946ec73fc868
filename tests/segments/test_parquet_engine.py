"""`cohort check` of Parquet files with Arrow (`segments.arrow_parquet_check`): pandas' report.

The Arrow path answers only for a Parquet file whose types and values pandas
reads the same way; everything else falls back to the pandas path. The
property writes typed cohorts (text, integer, float, boolean and timestamp
columns, with nulls, NaN, empty strings, duplicates and values out of range),
sometimes through pandas (with its metadata) and sometimes through pyarrow
alone, and asserts the Arrow engine's report is the pandas engine's.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from segments.cohort_check import check_cohort
from segments.cohort_source import CohortSource
from segments.frameless_check import check_without_frame
from segments.rule_tokens import RuleError

RULES = [
    None,
    "churn_score > 0.5 and lifetime_orders >= 2",
    "feature > 0 or email_opt_in",
    "feature = 'abc'",
    "timezone in ['UTC', 'Europe/London'] or locale is null",
    "not email_opt_in or lifetime_orders is null",
    "last_contacted_at < '2024-05-01T12:00:00Z' or last_contacted_at is null",
    "first_name = 'Ana' or churn_score <= 0.25 and lifetime_orders not in [0, 3]",
]
UTC = dt.UTC


def _column(draw: st.DrawFn, kind: str, n: int, clean: bool) -> pa.Array:
    """A column of one Arrow type: good values, and unless `clean` some bad ones."""

    def values(good: st.SearchStrategy, bad: list, nullable: bool = True, **kw) -> list:
        pool = good if clean or not bad else good | st.sampled_from(bad)
        if nullable and draw(st.booleans()):
            pool = pool | st.none()
        return draw(st.lists(pool, min_size=n, max_size=n, **kw))

    if kind == "text_ids":
        good = st.from_regex(r"u[0-9]{1,3}", fullmatch=True) | st.sampled_from(["ü1", "用户"])
        unique = {"unique": True} if clean else {}
        ids = values(good, [" u9", "", "u 1", "u1"], nullable=not clean, **unique)
        return pa.array(ids, pa.string())
    if kind == "int_ids":
        return pa.array(values(st.integers(0, 999), [], nullable=False, unique=True), pa.int64())
    if kind == "score":
        return pa.array(values(st.floats(0, 1), [1.5, -0.1, float("nan")], nullable=not clean))
    if kind == "count_int":
        return pa.array(values(st.integers(0, 50), [-3]), pa.int64())
    if kind == "count_float":
        return pa.array(values(st.sampled_from([0.0, 2.0, 7.0]), [2.5]), pa.float64())
    if kind == "bool":
        return pa.array(values(st.booleans(), [], nullable=not clean), pa.bool_())
    if kind == "bool_text":
        return pa.array(values(st.sampled_from(["yes", "no", "TRUE", "0"]), ["maybe", ""]))
    if kind == "zone":
        return pa.array(values(st.sampled_from(["UTC", "Europe/London"]), ["Mars/Base", ""]))
    if kind == "locale":
        return pa.array(values(st.sampled_from(["en-US", "de"]), ["xx_yy!", ""]))
    if kind == "text":
        return pa.array(values(st.sampled_from(["abc", "1", "2.5", "", "true", "Ana"]), []))
    if kind == "int":
        return pa.array(values(st.integers(-5, 5), []), pa.int64())
    if kind == "float":
        return pa.array(values(st.floats(-10, 10), [float("nan")]), pa.float64())
    stamps = st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2030, 1, 1)).map(
        lambda d: d.replace(tzinfo=UTC)
    )
    if kind == "iso_text":
        text = stamps.map(lambda d: d.isoformat())
        return pa.array(values(text, ["2024-13-01", "yesterday", ""]), pa.string())
    return pa.array(values(stamps, []), pa.timestamp("us", UTC))


@st.composite
def cohorts(draw: st.DrawFn) -> tuple[pa.Table, bool, str | None]:
    """(table, write through pandas, rule); about half the cohorts have only good values."""
    n = draw(st.integers(1, 12))
    clean = draw(st.booleans())
    kinds = {
        "user_id": draw(st.sampled_from(["text_ids", "text_ids", "int_ids"])),
        "churn_score": "score",
        "lifetime_orders": draw(st.sampled_from(["count_int", "count_float"])),
        "email_opt_in": draw(st.sampled_from(["bool", "bool_text"])),
        "timezone": "zone",
        "locale": "locale",
        "first_name": "text",
        "feature": draw(st.sampled_from(["int", "float", "bool", "text", "stamp"])),
        "last_contacted_at": draw(st.sampled_from(["stamp", "iso_text"])),
    }
    columns = {name: _column(draw, kind, n, clean) for name, kind in kinds.items()}
    return pa.table(columns), draw(st.booleans()), draw(st.sampled_from(RULES))


def _report(path: Path, rule: str | None, engine: str) -> dict | str:
    try:
        return check_cohort(CohortSource(path=path), rule=rule, engine=engine).as_dict()
    except RuleError as exc:
        return f"RuleError: {exc}"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cohorts())
def test_arrow_gives_the_pandas_report_for_parquet(tmp_path_factory, case):
    table, through_pandas, rule = case
    path = tmp_path_factory.mktemp("parquet") / "cohort.parquet"
    if through_pandas:
        table.to_pandas().to_parquet(path, index=False)
    else:
        pq.write_table(table, path)
    answered = check_without_frame(CohortSource(path=path), None) is not None
    event("the Arrow scan answered" if answered else "the Arrow scan declined")
    assert _report(path, rule, "arrow") == _report(path, rule, "pandas")


def _clean(**overrides: pa.Array) -> pa.Table:
    columns = {
        "user_id": pa.array(["u1", "u2", "u3"]),
        "churn_score": pa.array([0.9, 0.2, 0.6]),
        "lifetime_orders": pa.array([3, 0, 5]),
        "email_opt_in": pa.array([True, False, True]),
        "feature": pa.array(["a", "b", "c"]),
    }
    return pa.table({**columns, **overrides})


@pytest.mark.parametrize(
    ("name", "table", "answers"),
    [
        ("clean", _clean(), True),
        ("ids that are numbers", _clean(user_id=pa.array([1, 2, 3])), False),
        ("an empty id", _clean(user_id=pa.array(["u1", "", "u3"])), False),
        ("a NaN score", _clean(churn_score=pa.array([0.9, float("nan"), 0.6])), False),
        ("a boolean with a null", _clean(email_opt_in=pa.array([True, None, False])), False),
        ("a categorical", _clean(feature=pa.array(["a", "b", "a"]).dictionary_encode()), False),
        ("a timestamp feature", _clean(feature=pa.array([dt.datetime(2024, 1, 1)] * 3)), False),
        ("a count that is not whole", _clean(lifetime_orders=pa.array([3.5, 0.0, 5.0])), False),
        ("text booleans", _clean(email_opt_in=pa.array(["yes", "no", "TRUE"])), True),
    ],
)
def test_what_the_parquet_scan_answers_for(tmp_path, name, table, answers):
    """Each decline is checked to be a case the pandas path reads differently or flags."""
    path = tmp_path / "cohort.parquet"
    pq.write_table(table, path)
    found = check_without_frame(CohortSource(path=path), "churn_score > 0.5")
    assert (found is not None) == answers, name
    pandas = check_cohort(CohortSource(path=path), rule="churn_score > 0.5", engine="pandas")
    assert check_cohort(CohortSource(path=path), rule="churn_score > 0.5").as_dict() == (
        pandas.as_dict()
    )
    if answers:
        assert found.as_dict() == pandas.as_dict()


def test_an_index_pandas_would_restore_declines(tmp_path):
    import pandas as pd

    path = tmp_path / "cohort.parquet"
    frame = _clean().to_pandas().set_index("feature")
    frame.to_parquet(path)  # "feature" is stored as a column pandas reads back as the index
    assert check_without_frame(CohortSource(path=path), None) is None
    assert pd.read_parquet(path).index.name == "feature"


def test_a_file_that_is_not_parquet_goes_to_pandas_for_its_error(tmp_path):
    path = tmp_path / "cohort.parquet"
    path.write_bytes(b"PAR1 but not really")
    assert check_without_frame(CohortSource(path=path), None) is None
