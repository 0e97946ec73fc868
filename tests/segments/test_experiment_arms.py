"""Experiment arms: deterministic, stable under shuffling and growth, right fractions, SRM."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segments.errors import SegmentsError
from segments.experiment_arms import arm_hash, assign_arms, sample_ratio_mismatch

ids_strategy = st.lists(
    st.text(min_size=1, max_size=12), min_size=1, max_size=200, unique=True
).map(pd.Series)


def _arms(ids: pd.Series, salt: str = "spring", **kw) -> dict[str, str]:
    split = assign_arms(ids, salt=salt, **kw)
    return dict(zip(ids, split.arms.astype(str), strict=True))


@given(ids=ids_strategy, salt=st.text(min_size=1, max_size=10))
@settings(max_examples=60, deadline=None)
def test_deterministic_and_one_arm_per_user(ids, salt):
    first = _arms(ids, salt)
    assert first == _arms(ids.copy(), salt)
    assert set(first.values()) <= {"control", "baseline", "treatment"}
    assert len(first) == len(ids)


@given(ids=ids_strategy, seed=st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_stable_under_shuffling(ids, seed):
    shuffled = ids.sample(frac=1, random_state=seed).reset_index(drop=True)
    assert _arms(ids) == _arms(shuffled)


@given(ids=ids_strategy, more=st.lists(st.text(min_size=13, max_size=20), max_size=100))
@settings(max_examples=60, deadline=None)
def test_stable_when_the_cohort_grows(ids, more):
    grown = pd.concat([ids, pd.Series(more)], ignore_index=True).drop_duplicates()
    before, after = _arms(ids), _arms(grown)
    assert all(after[u] == arm for u, arm in before.items())


@given(
    control=st.floats(0.0, 0.45),
    baseline=st.floats(0.0, 0.45),
    salt=st.text(min_size=1, max_size=8),
)
@settings(max_examples=25, deadline=None)
def test_fractions_within_statistical_tolerance(control, baseline, salt):
    n = 20_000
    ids = pd.Series([f"user-{i}" for i in range(n)])
    split = assign_arms(ids, salt=salt, control=control, baseline=baseline)
    for arm, p in split.fractions.items():
        sd = (p * (1 - p) / n) ** 0.5
        assert abs(split.counts[arm] / n - p) <= 5 * sd + 1e-12, (arm, p)
    assert sum(split.counts.values()) == n


def test_hash_is_sha256_of_salt_and_id():
    digest = hashlib.sha256(b"spring\x1fu42").digest()[:8]
    assert arm_hash(["u42"], "spring")[0] == int.from_bytes(digest, "big") / 2**64
    assert arm_hash(["u42"], "autumn")[0] != arm_hash(["u42"], "spring")[0]


def test_boundaries_follow_the_hash():
    ids = pd.Series([f"u{i}" for i in range(5000)])
    u = arm_hash(ids, "s")
    arms = assign_arms(ids, salt="s", control=0.2, baseline=0.3).arms.astype(str).to_numpy()
    assert (arms == "control").tolist() == (u < 0.2).tolist()
    assert (arms == "baseline").tolist() == ((u >= 0.2) & (u < 0.5)).tolist()


def test_per_segment_counts_and_segments_without_control():
    ids = pd.Series([f"u{i}" for i in range(3000)])
    u = arm_hash(ids, "s")
    segments = pd.Series(np.where(np.arange(3000) < 2990, "big", "tiny"))
    # put only non-control users in the tiny segment so it must be flagged
    order = np.argsort(u)[::-1]
    segments = pd.Series("big", index=ids.index)
    segments.iloc[order[:10]] = "tiny"
    split = assign_arms(ids, salt="s", control=0.1, baseline=0.1, segments=segments)
    table = split.per_segment
    assert table.loc["tiny"].tolist() == [0, 0, 10]
    assert int(table.sum().sum()) == 3000
    assert table.loc["big", "control"] == split.counts["control"]
    assert split.segments_without_control == ["tiny"]
    assert split.as_dict()["segments_without_control"] == ["tiny"]


def test_srm_check_flags_a_broken_split():
    fractions = {"control": 0.1, "baseline": 0.1, "treatment": 0.8}
    assert (
        sample_ratio_mismatch({"control": 1000, "baseline": 1000, "treatment": 8000}, fractions)[
            "p_value"
        ]
        > 0.5
    )
    assert (
        sample_ratio_mismatch({"control": 700, "baseline": 1000, "treatment": 8300}, fractions)[
            "p_value"
        ]
        < 0.001
    )
    split = assign_arms(pd.Series([f"u{i}" for i in range(10_000)]), salt="x")
    assert not split.srm and split.srm_p_value is not None


@pytest.mark.parametrize(("control", "baseline"), [(0.6, 0.4), (-0.1, 0.1), (0.5, 0.7)])
def test_impossible_fractions_are_refused(control, baseline):
    with pytest.raises(SegmentsError, match="not possible"):
        assign_arms(pd.Series(["u1"]), salt="s", control=control, baseline=baseline)
