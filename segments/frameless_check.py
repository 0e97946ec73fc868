"""A cohort's report computed without building a frame: Arrow or DuckDB for a CSV file,
Arrow for a Parquet file (whatever the engine), aggregate queries for a SQL table. None
means "use the pandas path" (see `cohort_check`)."""

from __future__ import annotations

from pathlib import Path

from segments.cohort_report import CohortReport, score_stats
from segments.cohort_source import CohortSource
from segments.column_mapping import file_format, load_mapping


def check_without_frame(
    source: CohortSource, rule: str | None, engine: str = "arrow"
) -> CohortReport | None:
    """The report of a clean cohort computed by Arrow, DuckDB or the database; None to use
    pandas. A CSV file is scanned by `engine` ("arrow" or "duckdb")."""
    if source.sql_url and source.table:
        from segments.database_check import check_table_in_database

        return check_table_in_database(source, rule)
    if source.path is None or source.sql_url or not Path(source.path).is_file():
        return None
    mapping = load_mapping(source.mapping)
    path = Path(source.path)
    if file_format(path) == "parquet":
        from segments.arrow_parquet_check import check_parquet_in_arrow as scan_file
    elif engine == "duckdb":
        from segments.duckdb_cohort_check import check_csv_in_duckdb as scan_file
    else:
        from segments.arrow_cohort_check import check_csv_in_arrow as scan_file
    found = scan_file(path, mapping, rule)
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
        score=score_stats(check.scores, may_reorder=True),
        renamed=scan.renamed,
        rule=None
        if not rule
        else {"rule": rule, "selected": check.rule_selected, "of_valid_rows": check.rows},
    )
