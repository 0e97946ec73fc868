"""Clusters: choice of k, tiny cohorts, stable numbering, determinism, 100k rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from segments.clustering import cluster_users
from segments.features import compute_features


def blobs(sizes: list[int], dims: int = 3, spread: float = 0.3, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.eye(max(len(sizes), dims))[: len(sizes), :dims] * 10
    return np.vstack(
        [rng.normal(c, spread, size=(n, dims)) for c, n in zip(centres, sizes, strict=True)]
    )


def test_empty_cohort_gives_an_empty_result() -> None:
    result = cluster_users(np.zeros((0, 4)))
    assert result.n_segments == 0 and result.labels.shape == (0,) and result.sizes == []
    assert result.method == "empty"


def test_one_user_is_one_segment() -> None:
    result = cluster_users(np.array([[1.0, 2.0]]))
    assert result.n_segments == 1 and result.labels.tolist() == [0]


def test_identical_users_are_one_segment() -> None:
    result = cluster_users(np.ones((50, 3)), n_segments=4)
    assert result.n_segments == 1 and set(result.labels) == {0}


def test_no_features_is_one_segment() -> None:
    result = cluster_users(np.zeros((20, 0)))
    assert result.n_segments == 1 and result.sizes == [20]


def test_fewer_users_than_segments_gives_fewer_segments() -> None:
    x = np.array([[0.0, 0.0], [5.0, 5.0], [9.0, 0.0]])
    result = cluster_users(x, n_segments=6)
    assert result.n_segments == 3
    assert sorted(result.labels.tolist()) == [0, 1, 2]
    assert "capped to 3" in result.note


def test_small_cohorts_are_not_split_into_tiny_segments() -> None:
    assert cluster_users(blobs([4, 3])).n_segments == 1  # 7 users: too few for two segments
    assert cluster_users(blobs([6, 6])).n_segments == 2  # 12 users: at most 2 of 5+


def test_silhouette_finds_well_separated_groups_and_numbers_by_size() -> None:
    x = blobs([40, 120, 80, 60])
    result = cluster_users(x)
    assert result.method == "silhouette"
    assert result.n_segments == 4
    assert result.sizes == [120, 80, 60, 40]
    assert set(result.silhouette) == set(range(3, 9))
    # the largest blob (rows 40..159) is segment 0
    assert set(result.labels[40:160]) == {0}


def test_fixed_number_of_segments() -> None:
    result = cluster_users(blobs([50, 50, 50, 50]), n_segments=2)
    assert result.method == "fixed" and result.n_segments == 2
    assert sum(result.sizes) == 200


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_segments": 0}, "n_segments"),
        ({"min_segments": 5, "max_segments": 3}, "min_segments"),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cluster_users(blobs([10, 10]), **kwargs)


def test_nan_is_refused() -> None:
    x = blobs([10, 10])
    x[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        cluster_users(x)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(0, 60), st.integers(1, 4)),
        elements=st.floats(-3, 3, allow_nan=False, width=32),
    ),
    st.one_of(st.none(), st.integers(1, 6)),
)
def test_every_user_gets_exactly_one_label_deterministically(x: np.ndarray, k: int | None) -> None:
    first = cluster_users(x, n_segments=k)
    second = cluster_users(x.copy(), n_segments=k)
    assert np.array_equal(first.labels, second.labels)
    assert first.labels.shape == (len(x),)
    if len(x):
        assert set(first.labels.tolist()) == set(range(first.n_segments))
        assert first.sizes == sorted(first.sizes, reverse=True)
        assert sum(first.sizes) == len(x)
        assert first.n_segments <= len(np.unique(x, axis=0))
        if k is not None:
            assert first.n_segments <= k


def synthetic_cohort(n: int, seed: int = 3) -> pd.DataFrame:
    """A fast numpy cohort with three behaviours (for the size test)."""
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, 3, n)
    tenure = np.choose(
        kind, [rng.integers(500, 1400, n), rng.integers(10, 60, n), rng.integers(100, 700, n)]
    )
    before = np.choose(kind, [rng.uniform(10, 18, n), rng.uniform(1, 5, n), rng.uniform(6, 12, n)])
    recent = np.choose(kind, [rng.uniform(0, 1, n), rng.uniform(0, 0.5, n), rng.uniform(2, 4, n)])
    orders = np.maximum(1, (tenure / 30 * rng.uniform(0.6, 1, n)).astype(int))
    return pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(n)],
            "churn_score": rng.uniform(0.7, 1, n),
            "days_since_last_activity": rng.integers(10, 60, n),
            "lifetime_orders": orders,
            "total_spend": orders * rng.uniform(8, 30, n),
            "tenure_days": tenure,
            "workouts_per_month_before": before,
            "workouts_per_month_recent": recent,
            "email_open_rate": rng.beta(2, 5, n),
            "favorite_category": rng.choice(["yoga", "HIIT", "running"], n),
        }
    )


def test_100k_users_cluster_into_a_few_segments() -> None:
    """Scale; its speed is measured by scripts/bench_run.py, not asserted here."""
    cohort = synthetic_cohort(100_000)
    result = cluster_users(compute_features(cohort).matrix)
    assert result.labels.shape == (100_000,)
    assert 3 <= result.n_segments <= 8
