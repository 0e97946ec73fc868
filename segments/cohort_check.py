"""`winback cohort check`: a cohort's report from the fastest engine that can prove it.

`check_cohort(source, engine=...)` first asks a scan that builds no frame
(`frameless_check`): Arrow or DuckDB for a CSV file, aggregate queries for a
SQL table. Such a scan answers only for a cohort it can prove clean and typed
exactly as the pandas path types it. Every other cohort (a problem in any
row, a value two parsers might read differently, a format the scan does not
read) goes to the pandas path (`cohort_validation`), which names every
problem by row and column. So problems always come from one implementation,
and a clean cohort gets the same report from every engine.

This module imports no pandas: a clean CSV checked by Arrow never loads it.
"""

from __future__ import annotations

from typing import Literal

from segments.cohort_problems import DEFAULT_CAP
from segments.cohort_report import CohortReport
from segments.cohort_source import CohortSource

Engine = Literal["arrow", "duckdb", "pandas"]
ENGINES: tuple[str, ...] = ("arrow", "duckdb", "pandas")
DEFAULT_ENGINE: Engine = "arrow"


def check_cohort(
    source: CohortSource,
    *,
    max_problems: int = DEFAULT_CAP,
    rule: str | None = None,
    engine: Engine = DEFAULT_ENGINE,
) -> CohortReport:
    """Load and validate a cohort (and count a rule's matches); never raises for bad data.

    `engine="arrow"` (default) or `"duckdb"`: a CSV file is first scanned by that engine,
    which answers for a clean file without building a frame; any problem, and any file it
    cannot read exactly as pandas does, goes to the pandas path, which names every problem.
    A SQL table is counted in the database (`database_check`) by either. `engine="pandas"`
    always takes the pandas path."""
    if engine != "pandas":
        from segments.frameless_check import check_without_frame

        report = check_without_frame(source, rule, engine)
        if report is not None:
            return report
    from segments.activation_rules import evaluate_rule
    from segments.cohort_validation import load_and_validate

    loaded, valid, report = load_and_validate(source, max_problems)
    if rule and not report.file_error:
        result = evaluate_rule(loaded.frame[valid], rule)
        report.rule = {"rule": rule, "selected": result.selected, "of_valid_rows": result.total}
    return report
