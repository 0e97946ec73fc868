"""Reading a cohort: CSV (any common dialect), Parquet, JSONL, or SQL via SQLAlchemy.

`load_cohort(source, log)` picks the reader by the file's suffix (or its magic
bytes), one module per format (`cohort_csv`, `cohort_jsonl`, `cohort_parquet`,
`cohort_sql`), then names the columns our way.

Column names are stripped, matched case-insensitively to the known columns,
and renamed by an optional YAML mapping file (`source_name: our_name`, or the
same under a `columns:` key).
"""

from __future__ import annotations

from pathlib import Path

from segments.cohort_csv import read_csv_file
from segments.cohort_jsonl import read_jsonl_file
from segments.cohort_parquet import read_parquet_file
from segments.cohort_problems import ProblemLog
from segments.cohort_source import CohortSource, LoadedCohort
from segments.column_mapping import (
    file_format,
    load_mapping,
    note_unused_mapping,
    rename_columns,
    unused_mapping,
)
from segments.errors import SegmentsError


def load_cohort(source: CohortSource, log: ProblemLog) -> LoadedCohort:
    """Read any supported source, rename its columns, and record load problems in `log`."""
    mapping = load_mapping(source.mapping)
    if source.sql_url:
        from segments.cohort_sql import read_sql  # SQLAlchemy (0.13 s) only for SQL sources

        loaded = read_sql(source.sql_url, table=source.table, query=source.query, log=log)
    elif source.path is None:
        raise SegmentsError("No cohort given", "Pass a FILE, or --sql URL with --table or --query.")
    else:
        path = Path(source.path)
        if not path.is_file():
            raise SegmentsError(
                f"Cohort file {path} does not exist", "Check the path (CSV, Parquet or JSONL)."
            )
        kind = file_format(path)
        if kind == "csv":
            ids = frozenset(k for k, v in mapping.items() if v == "user_id")
            loaded = read_csv_file(path, log, ids)
        elif kind == "jsonl":
            loaded = read_jsonl_file(path, log)
        else:
            loaded = read_parquet_file(path, log)
    if len(loaded.frame.columns):
        final, loaded.renamed = rename_columns(list(loaded.frame.columns), mapping, log)
        loaded.frame.columns = final
        note_unused_mapping(unused_mapping(mapping, loaded.renamed, final), log)
    return loaded
