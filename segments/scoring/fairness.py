"""Per-segment performance: the holdout calibration per group, flagging groups far from the average.

"A model performs well on average but poorly on a subgroup. Monitor performance
per segment." Groups are behavioural segments computed from the calibration
period (below) and, when asked, the values of any column the user names
(region, plan, ...), taken from each customer's latest transaction. No
protected attribute is required, and none is inferred.

Per group: customers, mean actual and predicted holdout purchases, the relative
bias of the predicted total ((predicted - actual) / actual) and the Brier score
of the churn probability. A group of at least `min_size` customers is flagged
when its Brier score is more than 1.5 times the overall one, or its bias is
both beyond +-20% and more than 20 percentage points away from the overall bias
(a group that is right on its own is not flagged because others pull the
average off).
Smaller groups are listed but not flagged: their numbers are mostly noise.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

MIN_SIZE = 30
BRIER_RATIO = 1.5
BIAS_GAP = 0.20
RECENT_WEEKS = 13.0
NEW_WEEKS = 4.0


@dataclass(frozen=True)
class GroupResult:
    """How the model did on one group."""

    grouping: str
    group: str
    customers: int
    actual_mean: float
    predicted_mean: float
    bias: float | None
    brier: float
    flagged: bool
    reason: str

    def as_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)


def behavioural_segments(x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
    """new (first purchase < 4 weeks ago), one-time, repeat-recent, repeat-lapsed (> 13 weeks)."""
    labels = np.where(
        T < NEW_WEEKS,
        "new",
        np.where(
            x == 0,
            "one-time",
            np.where(T - tx <= RECENT_WEEKS, "repeat, recent", "repeat, lapsed"),
        ),
    )
    return labels.astype(object)


def _bias(predicted: np.ndarray, actual: np.ndarray) -> float | None:
    total = float(actual.sum())
    return None if total == 0 else round((float(predicted.sum()) - total) / total, 4)


def brier_score(probability: np.ndarray, outcome: np.ndarray) -> float:
    """Mean squared difference between a probability and a 0/1 outcome."""
    return float(np.mean((probability - outcome) ** 2)) if len(outcome) else float("nan")


def group_calibration(
    groupings: dict[str, np.ndarray],
    predicted: np.ndarray,
    actual: np.ndarray,
    churn_probability: np.ndarray,
    *,
    min_size: int = MIN_SIZE,
) -> list[GroupResult]:
    """Calibration per group of each grouping, with flags against the overall numbers."""
    churned = (actual == 0).astype(np.float64)
    overall_brier = brier_score(churn_probability, churned)
    overall_bias = _bias(predicted, actual) or 0.0
    results: list[GroupResult] = []
    for name, labels in groupings.items():
        series = pd.Series(labels).fillna("(blank)").astype(str).to_numpy()
        for group in sorted(set(series)):
            m = series == group
            n = int(m.sum())
            bias = _bias(predicted[m], actual[m])
            brier = brier_score(churn_probability[m], churned[m])
            reasons = []
            if n >= min_size:
                if overall_brier > 0 and brier > BRIER_RATIO * overall_brier:
                    reasons.append(f"Brier {brier:.3f} > {BRIER_RATIO:g} x overall")
                off = bias is not None and abs(bias) > BIAS_GAP
                if off and abs(bias - overall_bias) > BIAS_GAP:
                    reasons.append(f"bias {bias:+.0%} vs overall {overall_bias:+.0%}")
            results.append(
                GroupResult(
                    grouping=name,
                    group=group,
                    customers=n,
                    actual_mean=round(float(actual[m].mean()), 4),
                    predicted_mean=round(float(predicted[m].mean()), 4),
                    bias=bias,
                    brier=round(brier, 4),
                    flagged=bool(reasons),
                    reason="; ".join(reasons) if reasons else ("too small" if n < min_size else ""),
                )
            )
    return results
