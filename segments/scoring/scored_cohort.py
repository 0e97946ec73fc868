"""The scored cohort: the columns `winback run` and `winback cohort check` read, written atomically.

Known cohort columns (see `segments.cohort_schema`): `user_id`, `churn_score`,
`propensity`, `clv`, `engagement_score`, `days_since_last_activity`,
`lifetime_orders` (purchase days), `total_spend`, `avg_order_value`,
`tenure_days`. Extra columns are kept by the cohort reader as features usable in
activation rules: `p_alive`, `expected_purchases` (over the scoring horizon),
`expected_spend` (per purchase), `scores_as_of` (the date the scores describe;
`winback run` can warn when it is old, see `staleness`).

The file is written to a temporary name beside the target and renamed over it,
so a crash or a full disk never leaves half a cohort where a run would read it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from segments.errors import SegmentsError

WRITERS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl"}
COLUMN_ORDER = [
    "user_id",
    "churn_score",
    "propensity",
    "clv",
    "engagement_score",
    "days_since_last_activity",
    "lifetime_orders",
    "total_spend",
    "avg_order_value",
    "tenure_days",
    "p_alive",
    "expected_purchases",
    "expected_spend",
    "scores_as_of",
]


def check_output_path(path: Path) -> str:
    """The format for an output path; a clear error before any work if it cannot be written."""
    kind = WRITERS.get(Path(path).suffix.lower())
    if kind is None:
        raise SegmentsError(
            f"Cannot write a cohort to {path}: unknown file type '{Path(path).suffix}'",
            "Name the output .csv, .parquet or .jsonl.",
        )
    parent = Path(path).resolve().parent
    if not parent.is_dir():
        raise SegmentsError(
            f"Cannot write a cohort to {path}: the folder {parent} does not exist",
            "Create the folder or choose another --output.",
        )
    return kind


def write_cohort(frame: pd.DataFrame, path: Path) -> None:
    """Write the scored cohort as CSV, Parquet or JSONL, atomically."""
    path = Path(path)
    kind = check_output_path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.resolve().parent)
    os.close(fd)
    try:
        if kind == "csv":
            frame.to_csv(tmp, index=False)
        elif kind == "parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_json(tmp, orient="records", lines=True, force_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
