"""A cohort's report computed without building a frame: DuckDB for a CSV file, aggregate
queries for a SQL table. None means "use the pandas path" (see `check_cohort`)."""

from __future__ import annotations

from pathlib import Path

from segments.cohort_source import CohortSource
from segments.cohort_validation import CohortReport, _score_stats


def check_without_frame(source: CohortSource, rule: str | None) -> CohortReport | None:
    """The report of a clean cohort computed by DuckDB or the database; None to use pandas."""
    from segments.cohort_loaders import load_mapping

    if source.sql_url and source.table:
        from segments.database_check import check_table_in_database

        return check_table_in_database(source, rule)
    if source.path is None or source.sql_url or not Path(source.path).is_file():
        return None
    from segments.duckdb_cohort_check import check_csv_in_duckdb, score_series

    found = check_csv_in_duckdb(Path(source.path), load_mapping(source.mapping), rule)
    if found is None:
        return None
    scan, check = found
    return CohortReport(
        source=source.label,
        rows=check.rows,
        valid_rows=check.rows,
        problems=[],
        error_count=0,
        columns=check.columns,
        score=_score_stats(score_series(check)),
        renamed=scan.renamed,
        rule=None
        if not rule
        else {"rule": rule, "selected": check.rule_selected, "of_valid_rows": check.rows},
    )
