"""Drift: each scoring run keeps its score distributions; the next run compares with the last.

A snapshot is a small JSON file (no user ids, no per-user values) in a history
folder: for every score and feature, ten quantile bins of this run (their
interior cut points) and the share of customers in each. The next run puts its
own values into the previous run's bins and computes the population stability
index per column:

    PSI = sum over bins of (new share - old share) * ln(new share / old share)

with shares floored at 0.0001 so an empty bin does not make it infinite. The
usual reading: below 0.1 stable, 0.1 to 0.25 a moderate shift, above 0.25 a
significant one. Crossing the threshold (default 0.25) on any column is an
alert: the command says which columns moved and exits with `DRIFT_EXIT_CODE`
(3), distinct from bad input (2) and a failed run (1), so a scheduler can page
someone. The cohort is still written: the new scores are right for the new data;
the alert says the population (or the pipeline feeding it) changed.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from segments.errors import SegmentsError

DRIFT_EXIT_CODE = 3
DEFAULT_THRESHOLD = 0.25
BINS = 10
FLOOR = 1e-4
MONITORED = [
    "churn_score",
    "propensity",
    "clv",
    "engagement_score",
    "p_alive",
    "expected_purchases",
    "days_since_last_activity",
    "lifetime_orders",
    "total_spend",
    "avg_order_value",
    "tenure_days",
]


@dataclass
class ColumnDistribution:
    """One column's bins: interior cut points and the share of customers in each bin."""

    cuts: list[float]
    shares: list[float]


@dataclass
class Snapshot:
    """One run's distributions and when it ran."""

    created_at: str
    as_of: str
    customers: int
    columns: dict[str, ColumnDistribution] = field(default_factory=dict)

    def as_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)


def _shares(values: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    counts = np.bincount(np.searchsorted(cuts, values, side="right"), minlength=len(cuts) + 1)
    return counts / max(len(values), 1)


def take_snapshot(frame: pd.DataFrame, as_of: str) -> Snapshot:
    """The distributions of the monitored columns present in `frame`."""
    snap = Snapshot(datetime.now(UTC).isoformat(timespec="seconds"), as_of, len(frame))
    for col in MONITORED:
        if col not in frame.columns:
            continue
        values = pd.to_numeric(frame[col], errors="coerce").dropna().to_numpy(dtype=np.float64)
        if len(values) == 0:
            continue
        cuts = np.unique(np.quantile(values, np.linspace(0, 1, BINS + 1)[1:-1]))
        snap.columns[col] = ColumnDistribution(
            [float(c) for c in cuts], [float(s) for s in _shares(values, cuts)]
        )
    return snap


def population_stability_index(old_shares: np.ndarray, new_shares: np.ndarray) -> float:
    """PSI between two share vectors over the same bins."""
    old = np.maximum(np.asarray(old_shares, dtype=np.float64), FLOOR)
    new = np.maximum(np.asarray(new_shares, dtype=np.float64), FLOOR)
    return float(np.sum((new - old) * np.log(new / old)))


@dataclass
class DriftReport:
    """PSI per column against the previous run, and whether any crossed the threshold."""

    threshold: float
    previous: dict | None
    psi: dict[str, float] = field(default_factory=dict)
    alerts: list[str] = field(default_factory=list)

    @property
    def alert(self) -> bool:
        """True when any column's PSI is at or above the threshold."""
        return bool(self.alerts)

    def as_dict(self) -> dict:
        """JSON-ready form."""
        return {
            "threshold": self.threshold,
            "previous_run": self.previous,
            "psi": self.psi,
            "alerts": self.alerts,
            "alert": self.alert,
            "exit_code_on_alert": DRIFT_EXIT_CODE,
        }

    def message(self) -> str:
        """One line for a person (and a scheduler's log)."""
        if self.previous is None:
            return "Drift: no earlier run in the history; this run is the baseline."
        when = f"the run of {self.previous['created_at']} (as of {self.previous['as_of']})"
        if not self.alert:
            worst = max(self.psi.items(), key=lambda kv: kv[1], default=("-", 0.0))
            return f"Drift: stable against {when} (largest PSI {worst[1]:.3f}, {worst[0]})."
        moved = ", ".join(f"{c} PSI {self.psi[c]:.3f}" for c in self.alerts)
        return (
            f"Drift alert: {moved} (threshold {self.threshold:g}) against {when}. "
            "Check the input data for a pipeline change, then review the scores before the "
            "next campaign."
        )


def compare(previous: Snapshot | None, current: pd.DataFrame, threshold: float) -> DriftReport:
    """PSI of `current`'s columns in `previous`'s bins."""
    if not threshold > 0:
        raise SegmentsError(
            f"The drift threshold must be positive, not {threshold}",
            "Pass e.g. --drift-threshold 0.25.",
        )
    if previous is None:
        return DriftReport(threshold, None)
    meta = {"created_at": previous.created_at, "as_of": previous.as_of}
    report = DriftReport(threshold, {**meta, "customers": previous.customers})
    for col, dist in previous.columns.items():
        if col not in current.columns:
            continue
        values = pd.to_numeric(current[col], errors="coerce").dropna().to_numpy(dtype=np.float64)
        shares = _shares(values, np.asarray(dist.cuts, dtype=np.float64))
        psi = round(population_stability_index(np.asarray(dist.shares), shares), 4)
        report.psi[col] = psi
        if psi >= threshold:
            report.alerts.append(col)
    return report


def load_last_snapshot(history: Path) -> Snapshot | None:
    """The newest snapshot in a history folder, or None."""
    history = Path(history)
    if not history.is_dir():
        return None
    files = sorted(history.glob("scores-*.json"))
    if not files:
        return None
    try:
        data = json.loads(files[-1].read_text(encoding="utf-8"))
        columns = {k: ColumnDistribution(**v) for k, v in data.pop("columns").items()}
        return Snapshot(**data, columns=columns)
    except (json.JSONDecodeError, TypeError, KeyError, AttributeError) as exc:
        raise SegmentsError(
            f"The score history file {files[-1]} is not a winback score snapshot ({exc})",
            "Remove or move that file, or point --history at another folder.",
        ) from None


def save_snapshot(history: Path, snapshot: Snapshot) -> Path:
    """Store a snapshot as scores-<UTC time>.json (written atomically); its path."""
    history = Path(history)
    history.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = history / f"scores-{stamp}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(snapshot.as_dict(), indent=1), encoding="utf-8")
    os.replace(tmp, path)
    return path
