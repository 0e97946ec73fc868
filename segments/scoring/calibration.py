"""`winback score --evaluate`: fit on a calibration period, check the predictions on the holdout.

Time is split at `calibration_end` (default: halfway between the first
transaction and the as-of date, as the paper's 39 + 39 weeks). The models are
fitted on the calibration period only, for the customers who bought in it; then
for the holdout period (calibration_end, as_of]:

- purchases: predicted (BG/NBD conditional expectation) against actual purchase
  days, per number of repeat purchases in calibration (0, 1, ..., 6, 7+): the
  paper's Figure 4 as a table, plus the totals;
- churn: P(no purchase in the holdout) against what happened, as a Brier score
  (with the Brier score of always predicting the base rate beside it, so "good"
  has a reference) and a reliability table by decile of predicted churn;
- spend: the Gamma-Gamma expected value per purchase against the actual mean
  value of holdout purchase days, for customers who bought in both periods;
- per segment: the same per group (`fairness`).

Nothing is written; the report is the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from segments.errors import SegmentsError
from segments.scoring import bg_nbd
from segments.scoring.event_files import day_to_date, parse_as_of
from segments.scoring.fairness import (
    MIN_SIZE,
    GroupResult,
    behavioural_segments,
    brier_score,
    group_calibration,
)
from segments.scoring.gamma_gamma import expected_spend
from segments.scoring.purchase_summary import holdout_purchases, summarise_purchases
from segments.scoring.score_customers import ScoreOptions, fit_models, read_inputs

FREQUENCY_BUCKETS = 7  # 0..6 and 7+


@dataclass
class Evaluation:
    """Everything `--evaluate` reports."""

    calibration: dict
    models: dict
    purchases_by_frequency: list[dict]
    totals: dict
    churn: dict
    reliability: list[dict]
    spend: dict
    segments: list[GroupResult] = field(default_factory=list)

    @property
    def flagged(self) -> list[GroupResult]:
        """Groups whose error is far from the average."""
        return [g for g in self.segments if g.flagged]

    def as_dict(self) -> dict:
        """JSON-ready form."""
        return {
            "calibration": self.calibration,
            "models": self.models,
            "purchases_by_frequency": self.purchases_by_frequency,
            "totals": self.totals,
            "churn": self.churn,
            "reliability": self.reliability,
            "spend": self.spend,
            "segments": [g.as_dict() for g in self.segments],
            "flagged_segments": [f"{g.grouping}={g.group}" for g in self.flagged],
        }


def _split_day(first: int, as_of: int, calibration_end: str | None) -> int:
    if calibration_end is None:
        return first + (as_of - first) // 2
    day = parse_as_of(calibration_end)
    assert day is not None
    if not first < day < as_of:
        raise SegmentsError(
            f"--calibration-end {calibration_end} must fall between the first transaction "
            f"({day_to_date(first)}) and the as-of date ({day_to_date(as_of)})",
            "Pick a date inside the data, leaving a holdout period after it.",
        )
    return day


def _reliability(probability: np.ndarray, outcome: np.ndarray) -> list[dict]:
    order = np.argsort(probability, kind="stable")
    decile = np.empty(len(order), dtype=np.int64)
    decile[order] = np.arange(len(order)) * 10 // max(len(order), 1)
    rows = []
    for d in range(10):
        m = decile == d
        if m.any():
            rows.append(
                {
                    "decile": d + 1,
                    "customers": int(m.sum()),
                    "predicted": round(float(probability[m].mean()), 4),
                    "observed": round(float(outcome[m].mean()), 4),
                }
            )
    return rows


def evaluate(
    options: ScoreOptions,
    *,
    calibration_end: str | None = None,
    segment_by: tuple[str, ...] = (),
    min_group_size: int = MIN_SIZE,
) -> Evaluation:
    """Fit on the calibration period and compare predictions with the holdout period."""
    options = ScoreOptions(**{**options.__dict__, "keep_columns": tuple(segment_by)})
    transactions, _events, as_of = read_inputs(options)
    split = _split_day(int(transactions.day.min()), as_of, calibration_end)
    calibration = transactions.subset(transactions.day <= split)
    summary, skipped = summarise_purchases(calibration, split, skip_new=True)
    models = fit_models(summary)
    x, tx, T = summary.x, summary.tx_weeks(), summary.T_weeks()
    weeks = (as_of - split) / 7.0
    predicted = bg_nbd.expected_purchases(models.purchases, weeks, x, tx, T)
    quiet = bg_nbd.probability_no_purchase(models.purchases, weeks, x, tx, T)
    actual = holdout_purchases(transactions, summary.user_id, split, as_of)
    churned = (actual == 0).astype(np.float64)

    bucket = np.minimum(x, FREQUENCY_BUCKETS).astype(np.int64)
    by_frequency = []
    for b in range(FREQUENCY_BUCKETS + 1):
        m = bucket == b
        if m.any():
            by_frequency.append(
                {
                    "repeat_purchases": f"{b}+" if b == FREQUENCY_BUCKETS else str(b),
                    "customers": int(m.sum()),
                    "actual": round(float(actual[m].mean()), 4),
                    "predicted": round(float(predicted[m].mean()), 4),
                }
            )
    base_rate = float(churned.mean())
    groupings = {"behaviour": behavioural_segments(x, tx, T)}
    if segment_by:
        from segments.scoring.score_customers import _latest_values

        latest = _latest_values(calibration, summary)
        for col in segment_by:
            groupings[col] = latest[col].to_numpy(dtype=object)
    return Evaluation(
        calibration={
            "first_transaction": day_to_date(int(transactions.day.min())),
            "calibration_end": day_to_date(split),
            "holdout_end": day_to_date(as_of),
            "holdout_weeks": round(weeks, 2),
            "customers": len(summary),
            "left_out_first_bought_on_calibration_end": skipped,
        },
        models=models.as_dict(),
        purchases_by_frequency=by_frequency,
        totals={
            "actual": int(actual.sum()),
            "predicted": round(float(predicted.sum()), 1),
            "mean_absolute_error": round(float(np.mean(np.abs(predicted - actual))), 4),
        },
        churn={
            "definition": "no purchase in the holdout period",
            "brier": round(brier_score(quiet, churned), 4),
            "brier_base_rate": round(brier_score(np.full(len(churned), base_rate), churned), 4),
            "observed_rate": round(base_rate, 4),
            "predicted_rate": round(float(quiet.mean()), 4),
        },
        reliability=_reliability(quiet, churned),
        spend=_spend_check(transactions, summary, models, split, as_of),
        segments=group_calibration(groupings, predicted, actual, quiet, min_size=min_group_size),
    )


def _spend_check(transactions, summary, models, split: int, as_of: int) -> dict:
    """Predicted value per purchase against the holdout's, for customers who bought in both."""
    window = (transactions.day > split) & (transactions.day <= as_of)
    frame = pd.DataFrame(
        {
            "u": transactions.user_id[window].to_numpy(),
            "d": transactions.day[window],
            "a": transactions.amount[window],
        }
    )
    per_day = frame.groupby(["u", "d"]).a.sum().groupby(level=0).mean()
    actual = per_day.reindex(summary.user_id).to_numpy(dtype=np.float64)
    repeat = (summary.x > 0) & np.isfinite(actual)
    if not repeat.any():
        return {"customers": 0}
    predicted = expected_spend(models.spend, summary.x, summary.repeat_mean)
    return {
        "customers": int(repeat.sum()),
        "actual_mean": round(float(actual[repeat].mean()), 2),
        "predicted_mean": round(float(predicted[repeat].mean()), 2),
        "mean_absolute_error": round(float(np.mean(np.abs(predicted - actual)[repeat])), 2),
    }
