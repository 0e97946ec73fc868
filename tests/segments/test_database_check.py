"""`cohort check --sql URL --table T` by aggregate queries: the pulled report, without the pull.

Against DuckDB and the local PostgreSQL (the `warehouse` fixture): a clean
table is answered by `check_table_in_database` with the same report as the
pandas path that pulls every row; a table with a problem, or whose column
types leave pandas' typing open, is declined and pulled as before.
"""

from __future__ import annotations

import pandas as pd
import pytest

from segments.cohort_check import check_cohort
from segments.cohort_source import CohortSource
from segments.database_check import check_table_in_database


def _table(bad: bool = False) -> pd.DataFrame:
    n = 40
    frame = pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(n)],
            "churn_score": [round(0.025 * i, 3) for i in range(n)],
            "lifetime_orders": list(range(n)),
            "email_opt_in": [i % 3 != 0 for i in range(n)],
            "timezone": ["UTC", "Europe/London"] * (n // 2),
            "spend": [float(i) * 1.5 for i in range(n)],
            "segment": ["a", "b", "c", "d"] * (n // 4),
        }
    )
    if bad:
        frame.loc[7, "churn_score"] = 1.5
    return frame


@pytest.mark.parametrize("rule", [None, "churn_score > 0.5 and spend >= 3 and email_opt_in"])
def test_clean_table_is_counted_in_the_database_with_the_pulled_report(warehouse, rule):
    _table().to_sql("cohort", warehouse.engine, index=False)
    source = CohortSource(sql_url=warehouse.url, table="cohort")
    counted = check_table_in_database(source, rule)
    assert counted is not None, "a clean table is answered without pulling it"
    pulled = check_cohort(source, rule=rule, engine="pandas")
    assert counted.as_dict() == pulled.as_dict()


def test_table_with_a_problem_is_pulled_and_named_by_record(warehouse):
    _table(bad=True).to_sql("cohort", warehouse.engine, index=False)
    source = CohortSource(sql_url=warehouse.url, table="cohort")
    assert check_table_in_database(source, None) is None
    report = check_cohort(source)
    assert report.error_count == 1
    assert (report.problems[0].row, report.problems[0].column) == (8, "churn_score")


def test_missing_table_is_a_clear_error(warehouse):
    from segments.errors import SegmentsError

    with pytest.raises(SegmentsError, match="There is no table nope"):
        check_cohort(CohortSource(sql_url=warehouse.url, table="nope"))
