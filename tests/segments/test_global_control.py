"""The global control group: the same hash as the arms, per period, within Braze's limits."""

from __future__ import annotations

import hashlib
from datetime import date

import pandas as pd
import pytest

from segments.errors import SegmentsError
from segments.experiment_arms import assign_arms
from segments.global_control import (
    global_control_mask,
    global_control_warnings,
    in_global_control,
    period_label,
)


def test_membership_is_sha256_of_salt_and_user_like_the_arms() -> None:
    for user in ("u1", "u2", "alice@example.com", 12345):
        digest = hashlib.sha256(b"winback-global-control:2025-Q1\x1f" + str(user).encode()).digest()
        u = int.from_bytes(digest[:8], "big") / 2**64
        assert in_global_control(user, 0.05, "2025-Q1") == (u < 0.05)


def test_share_is_held_independent_of_arms_and_redrawn_each_period() -> None:
    ids = pd.Series([f"user-{i}" for i in range(100_000)])
    q1 = global_control_mask(ids, 0.05, "2025-Q1")
    assert q1.mean() == pytest.approx(0.05, abs=0.003)
    q2 = global_control_mask(ids, 0.05, "2025-Q2")
    assert (q1 & q2).mean() == pytest.approx(0.05 * 0.05, abs=0.001)  # a fresh draw
    arms = assign_arms(ids, salt="spring", control=0.1, baseline=0.1).arms.astype(str)
    assert (arms[q1] == "control").mean() == pytest.approx(0.1, abs=0.015)  # independent
    assert global_control_mask(list(reversed(ids)), 0.05, "2025-Q1")[::-1].tolist() == q1.tolist()
    assert not global_control_mask(ids, 0.0, "2025-Q1").any()


@pytest.mark.parametrize(
    ("day", "period", "label"),
    [
        (date(2025, 2, 14), "quarter", "2025-Q1"),
        (date(2025, 12, 31), "quarter", "2025-Q4"),
        (date(2025, 7, 1), "month", "2025-07"),
        (date(2025, 7, 1), "year", "2025"),
    ],
)
def test_period_labels(day: date, period: str, label: str) -> None:
    assert period_label(day, period) == label


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: global_control_mask(["u1"], 0.2, "2025-Q1"), "outside 1%-15%"),
        (lambda: global_control_mask(["u1"], 0.005, "2025-Q1"), "outside 1%-15%"),
        (lambda: period_label(date(2025, 1, 1), "week"), "Unknown global control period 'week'"),
    ],
)
def test_bad_settings_are_named(call, message: str) -> None:
    with pytest.raises(SegmentsError, match=message) as info:
        call()
    assert info.value.fix


def test_small_group_warns() -> None:
    assert "fewer than 1,000" in global_control_warnings(400, 0.05)[0]
    assert global_control_warnings(4000, 0.05) == [] and global_control_warnings(3, 0.0) == []
