"""What `cohort check` reports: counts, problems, score distribution and column coverage.

Every engine fills the same `CohortReport`: the pandas path from its frame
(`cohort_validation`), the scans that never build a frame from their
aggregates (`arrow_cohort_check`, `duckdb_cohort_check`, `database_check`).
`score_stats` summarises the churn scores from a plain float array, so each
engine's scores give the same numbers. Imports no pandas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from segments.cohort_problems import CohortProblem

SCORE_EDGES = [0.0, 0.5, 0.7, 0.9, 1.0000001]
SCORE_BUCKETS = ["0.0-0.5", "0.5-0.7", "0.7-0.9", "0.9-1.0"]


@dataclass
class CohortReport:
    """What `cohort check` prints: counts, problems, score distribution, column coverage."""

    source: str
    rows: int
    valid_rows: int
    problems: list[CohortProblem]
    error_count: int
    columns: list[dict] = field(default_factory=list)
    score: dict = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)
    file_error: bool = False
    rule: dict | None = None

    @property
    def invalid_rows(self) -> int:
        """Rows that have at least one problem (or could not be parsed)."""
        return self.rows - self.valid_rows

    @property
    def ok(self) -> bool:
        """True when the cohort has no problem at all."""
        return self.error_count == 0

    def as_dict(self) -> dict:
        """JSON-ready form (the `--json` output)."""
        return {
            "source": self.source,
            "ok": self.ok,
            "rows": self.rows,
            "valid_rows": self.valid_rows,
            "invalid_rows": self.invalid_rows,
            "error_count": self.error_count,
            "errors_truncated": self.error_count > len(self.problems),
            "errors": [p.as_dict() for p in self.problems],
            "score": self.score,
            "columns": self.columns,
            "renamed": self.renamed,
            "rule": self.rule,
        }


def score_stats(scores: np.ndarray) -> dict:
    """Count, quantiles, mean and buckets of the churn scores (NaN is a missing score)."""
    s = np.asarray(scores, dtype="float64")
    if np.isnan(s).any():
        s = s[~np.isnan(s)]
    if s.size == 0:
        return {"count": 0}
    q = np.quantile(s, [0.1, 0.25, 0.5, 0.75, 0.9])
    # bucket i holds edge[i] <= s < edge[i + 1]: one comparison per edge, no index array
    counts = np.diff([np.count_nonzero(s < edge) for edge in SCORE_EDGES])
    return {
        "count": int(s.size),
        "min": round(float(s.min()), 4),
        "p10": round(float(q[0]), 4),
        "p25": round(float(q[1]), 4),
        "median": round(float(q[2]), 4),
        "p75": round(float(q[3]), 4),
        "p90": round(float(q[4]), 4),
        "max": round(float(s.max()), 4),
        # an exactly rounded sum: the same mean whatever order the engine returns the scores in
        "mean": round(math.fsum(s) / s.size, 4),
        "buckets": dict(zip(SCORE_BUCKETS, map(int, counts), strict=True)),
    }
