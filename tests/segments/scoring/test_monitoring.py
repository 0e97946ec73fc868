"""Drift (PSI against the last run), per-segment flags, the engagement composite, score age."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from segments.errors import SegmentsError
from segments.scoring.drift import (
    compare,
    load_last_snapshot,
    population_stability_index,
    save_snapshot,
    take_snapshot,
)
from segments.scoring.engagement import EngagementSettings, engagement_scores
from segments.scoring.fairness import behavioural_segments, group_calibration
from segments.scoring.staleness import score_age_days, stale_scores_warning


def _frame(seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "churn_score": np.clip(rng.beta(5, 2, 5000) - shift, 0, 1),
            "tenure_days": rng.integers(30, 900, 5000),
        }
    )


def test_psi_is_zero_for_the_same_shares_and_grows_with_the_shift() -> None:
    assert population_stability_index([0.5, 0.5], [0.5, 0.5]) == 0
    assert population_stability_index([0.5, 0.5], [0.4, 0.6]) == pytest.approx(
        0.1 * np.log(0.6 / 0.4), rel=1e-9
    )


def test_a_new_sample_of_the_same_population_is_stable_a_shift_alerts(tmp_path: Path) -> None:
    history = tmp_path / "history"
    assert load_last_snapshot(history) is None
    assert compare(None, _frame(1), 0.25).message().startswith("Drift: no earlier run")
    save_snapshot(history, take_snapshot(_frame(1), "2024-01-01"))
    previous = load_last_snapshot(history)
    assert previous is not None and previous.customers == 5000
    stable = compare(previous, _frame(2), 0.25)
    assert not stable.alert and stable.psi["churn_score"] < 0.02
    shifted = compare(previous, _frame(3, shift=0.3), 0.25)
    assert shifted.alerts == ["churn_score"] and shifted.psi["tenure_days"] < 0.02
    assert "churn_score PSI" in shifted.message()
    # snapshots hold distributions only: no user id, no per-user value
    text = next(history.glob("scores-*.json")).read_text()
    assert "user_id" not in text and len(json.loads(text)["columns"]["churn_score"]["shares"]) == 10


def test_a_corrupt_history_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "scores-20240101T000000000000Z.json").write_text("{not json")
    with pytest.raises(SegmentsError, match="not a winback score snapshot"):
        load_last_snapshot(tmp_path)
    with pytest.raises(SegmentsError, match="threshold must be positive"):
        compare(None, _frame(1), 0)


def test_a_group_the_model_gets_wrong_is_flagged() -> None:
    rng = np.random.default_rng(0)
    n = 3000
    region = np.where(np.arange(n) % 3 == 0, "north", "south").astype(object)
    actual = rng.poisson(1.0, n).astype(float)
    predicted = np.full(n, 1.0)
    predicted[region == "north"] = 2.0  # the model doubles the north's purchases
    churn = np.full(n, np.exp(-1.0))
    tiny = np.array(["a"] * (n - 5) + ["b"] * 5, dtype=object)
    results = group_calibration({"region": region, "tiny": tiny}, predicted, actual, churn)
    by_group = {(r.grouping, r.group): r for r in results}
    north, south = by_group[("region", "north")], by_group[("region", "south")]
    assert north.flagged and "bias" in north.reason and north.bias == pytest.approx(1.0, abs=0.1)
    assert not south.flagged
    assert by_group[("tiny", "b")].reason == "too small" and not by_group[("tiny", "b")].flagged


def test_behavioural_segments() -> None:
    labels = behavioural_segments(
        np.array([0, 0, 3, 3]), np.array([0, 0, 40, 5]), np.array([2, 30, 45, 45])
    )
    assert list(labels) == ["new", "one-time", "repeat, recent", "repeat, lapsed"]


def test_engagement_composite_by_hand() -> None:
    users = pd.Index(["daily", "month_ago", "silent"])
    as_of = 1000
    # daily: a purchase every day for 4 weeks; month_ago: 3 purchases 30 days ago; silent: 90
    user = np.r_[np.zeros(28, int), np.ones(3, int), [2]]
    day = np.r_[np.arange(973, 1001), [970, 970, 970], [910]]
    events = pd.Series(["daily", "month_ago", "nobody"])
    kinds = pd.Series(["open", "open", "open"])
    score, last = engagement_scores(
        users, as_of, user, day, events, np.array([1000, 970, 999]), kinds,
        EngagementSettings(event_weights={"open": 0.5}),
    )  # fmt: skip
    activity = 3.5 * 2 ** (-30 / 14)  # three purchases and one open (weight 0.5), 30 days old
    expected = 0.5 * 2 ** (-30 / 14) + 0.5 * (1 - 2 ** (-activity / 3))
    assert score[1] == pytest.approx(expected)
    assert score[0] > 0.95 and score[2] < 0.02
    assert list(last) == [1000, 970, 910]  # the unknown user's event is ignored


def test_score_age_and_warning() -> None:
    frame = pd.DataFrame({"scores_as_of": ["2024-05-01", "2024-05-01"]})
    assert score_age_days(frame, date(2024, 5, 11)) == 10
    assert stale_scores_warning(frame, date(2024, 5, 5), max_age_days=7) is None
    warning = stale_scores_warning(frame, date(2024, 5, 11), max_age_days=7)
    assert warning and "10 days old" in warning and "2024-05-01" in warning
    assert score_age_days(pd.DataFrame({"churn_score": [0.5]}), date(2024, 5, 11)) is None
