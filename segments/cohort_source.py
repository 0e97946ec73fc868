"""A cohort source and what a reader returns: the shared types of the cohort readers.

Every reader (`cohort_csv`, `cohort_jsonl`, `cohort_parquet`, `cohort_sql`)
returns a `LoadedCohort`: the frame with the source's column names, the row
number of each frame row (what a person finds in the file, see
`cohort_problems`), a mask of rows already known to be broken (ragged,
undecodable bytes) and the number of records that could not become a row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from segments.cohort_problems import ProblemLog

if TYPE_CHECKING:  # pandas only where a frame is built: `cohort check` on Arrow never needs it
    import pandas as pd

NA_TOKENS = ["", "NA", "N/A", "n/a", "null", "NULL", "None", "none"]


@dataclass(frozen=True)
class CohortSource:
    """Where a cohort comes from: a file, or a SQL table or query; plus a column mapping."""

    path: Path | None = None
    sql_url: str | None = None
    table: str | None = None
    query: str | None = None
    mapping: Path | dict[str, str] | None = None

    @property
    def label(self) -> str:
        """How problems name this source."""
        if self.path is not None:
            return str(self.path)
        what = f"table {self.table}" if self.table else "query"
        return f"{what} at {hide_password(self.sql_url or '')}"


@dataclass
class LoadedCohort:
    """A cohort as read, before validation."""

    frame: pd.DataFrame
    rows: np.ndarray
    source: str
    broken: np.ndarray
    dropped: int = 0
    decimal: str = "."
    renamed: dict[str, str] = field(default_factory=dict)
    file_error: bool = False

    @property
    def total_rows(self) -> int:
        """Records in the source, including those that could not be parsed."""
        return len(self.frame) + self.dropped


def hide_password(url: str) -> str:
    """`url` with its password replaced by ***."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def empty_cohort(source: str, log: ProblemLog, message: str) -> LoadedCohort:
    """A source with no rows: the problem logged, nothing to validate."""
    import pandas as pd

    log.add(message, expected="a header line and at least one row")
    return LoadedCohort(
        pd.DataFrame(), np.zeros(0, dtype=np.int64), source, np.zeros(0, bool), file_error=True
    )


def records_cohort(frame: pd.DataFrame, source: str) -> LoadedCohort:
    """A frame read whole (Parquet, SQL): rows numbered from 1 in record order."""
    rows = np.arange(1, len(frame) + 1, dtype=np.int64)
    return LoadedCohort(frame, rows, source, np.zeros(len(frame), bool))
