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


def score_stats(scores: np.ndarray, *, may_reorder: bool = False) -> dict:
    """Count, quantiles, mean and buckets of the churn scores (NaN is a missing score).
    `may_reorder`: the caller's array may be partially sorted in place (saves a copy)."""
    s = np.asarray(scores, dtype="float64")
    if np.isnan(s).any():
        s = s[~np.isnan(s)]
    if s.size == 0:
        return {"count": 0}
    # summed in extended precision, before the quantiles reorder anything: rounded to 4
    # decimals the mean does not depend on the order an engine returns the scores in
    # (math.fsum is exact but 10x slower)
    mean = float(np.sum(s, dtype=np.longdouble) / s.size)
    # bucket i holds edge[i] <= s < edge[i + 1]: one comparison per edge, no index array
    counts = np.diff([np.count_nonzero(s < edge) for edge in SCORE_EDGES])
    low, high = float(s.min()), float(s.max())
    q = _quantiles(s, [0.1, 0.25, 0.5, 0.75, 0.9], in_place=may_reorder and s.flags.writeable)
    return {
        "count": int(s.size),
        "min": round(low, 4),
        "p10": round(q[0], 4),
        "p25": round(q[1], 4),
        "median": round(q[2], 4),
        "p75": round(q[3], 4),
        "p90": round(q[4], 4),
        "max": round(high, 4),
        "mean": round(mean, 4),
        "buckets": dict(zip(SCORE_BUCKETS, map(int, counts), strict=True)),
    }


def _quantiles(values: np.ndarray, qs: list[float], *, in_place: bool = False) -> list[float]:
    """Quantiles by linear interpolation between order statistics (numpy's default method,
    SQL's percentile_cont) from one partial sort; np.quantile copies twice and imports
    numpy.ma on first use."""
    n = values.size
    positions = [q * (n - 1) for q in qs]
    below = [math.floor(p) for p in positions]
    above = [min(b + 1, n - 1) for b in below]
    kth = sorted(set(below + above))
    if in_place:
        values.partition(kth)
        ordered = values
    else:
        ordered = np.partition(values, kth)
    return [
        float(ordered[b] + (ordered[a] - ordered[b]) * (p - b))
        for p, b, a in zip(positions, below, above, strict=True)
    ]
