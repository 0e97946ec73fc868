"""Reading a Parquet cohort: typed columns as written, rows numbered from 1."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from segments.cohort_problems import ProblemLog
from segments.cohort_source import LoadedCohort, records_cohort
from segments.errors import SegmentsError


def read_parquet_file(path: Path, log: ProblemLog) -> LoadedCohort:
    """A Parquet file; rows are numbered from 1."""
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise SegmentsError(
            f"{path} cannot be read as Parquet ({exc.__class__.__name__}: {exc})",
            "Check that the file is a complete Parquet export, or give a CSV or JSONL file.",
        ) from exc
    return records_cohort(frame, str(path))
