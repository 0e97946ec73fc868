"""One `winback score` run: score, write the cohort, compare with the last run, keep this one.

The steps and their order: every input is checked and the models are fitted
(`score_customers.score_events`, which raises on bad input before anything is
written); the drift report compares the new scores with the newest snapshot in
the history folder; then the cohort is written atomically, and only after it,
the new snapshot is stored, so a failed write never becomes the next baseline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from segments.scoring.drift import (
    DEFAULT_THRESHOLD,
    DriftReport,
    compare,
    load_last_snapshot,
    save_snapshot,
    take_snapshot,
)
from segments.scoring.event_files import day_to_date
from segments.scoring.score_customers import ScoredCohort, ScoreOptions, score_events
from segments.scoring.scored_cohort import check_output_path, write_cohort


@dataclass
class ScoreRun:
    """What one run produced."""

    scored: ScoredCohort
    output: Path
    drift: DriftReport | None
    snapshot: Path | None

    def as_dict(self) -> dict:
        """JSON-ready form."""
        frame = self.scored.frame
        scores = {
            col: {
                "mean": round(float(frame[col].mean()), 4),
                "median": round(float(frame[col].median()), 4),
            }
            for col in ("churn_score", "propensity", "clv", "engagement_score")
        }
        return {
            "output": str(self.output),
            **self.scored.summary(),
            "scores": scores,
            "drift": None if self.drift is None else self.drift.as_dict(),
            "snapshot": None if self.snapshot is None else str(self.snapshot),
        }


def run_scoring(
    options: ScoreOptions,
    output: Path,
    *,
    history: Path | None,
    drift_threshold: float = DEFAULT_THRESHOLD,
) -> ScoreRun:
    """Score, check drift against `history` (None: no drift tracking), write, record."""
    check_output_path(output)
    previous = load_last_snapshot(history) if history is not None else None
    scored = score_events(options)
    drift = compare(previous, scored.frame, drift_threshold) if history is not None else None
    write_cohort(scored.frame, output)
    snapshot = None
    if history is not None:
        snapshot = save_snapshot(history, take_snapshot(scored.frame, day_to_date(scored.as_of)))
    return ScoreRun(scored, Path(output), drift, snapshot)
