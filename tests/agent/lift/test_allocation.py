"""Thompson allocation with a floor, the winners selection, and the property that
control-arm and global-control users never get a variant whatever the history."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from agent.lift.simulations import thompson_vs_uniform
from agent.lift.thompson_allocation import (
    VariantHistory,
    assign_variants_by_share,
    probability_best,
    share_counts,
    thompson_shares,
    uniform_shares,
)
from agent.lift.winners import Reference, VariantResult, pick_winners, winning_examples
from segments.experiment_arms import assign_arms
from segments.global_control import global_control_mask


def test_probability_best_matches_numerical_integration() -> None:
    """P(Beta(a1,b1) > Beta(a2,b2)) by quadrature against the Monte Carlo estimate."""
    history = [VariantHistory("a", 200, 30), VariantHistory("b", 180, 20)]
    pooled = (30 + 20 + 1) / (200 + 180 + 2)  # the shared prior: 20 users at the pooled rate
    a = stats.beta(20 * pooled + 30, 20 * (1 - pooled) + 170)
    b = stats.beta(20 * pooled + 20, 20 * (1 - pooled) + 160)
    exact = integrate.quad(lambda x: a.pdf(x) * b.cdf(x), 0, 1)[0]
    assert probability_best(history, draws=400_000, seed=3)[0] == pytest.approx(exact, abs=0.003)
    flat = stats.beta(31, 171)  # and a flat prior would give a measurably different answer
    assert abs(integrate.quad(lambda x: flat.pdf(x) * b.cdf(x), 0, 1)[0] - exact) > 0.003


def test_shares_follow_the_evidence_and_keep_the_floor() -> None:
    history = [
        VariantHistory("c1-email-v1", 400, 20),
        VariantHistory("c1-email-v2", 400, 48),
        VariantHistory("c1-email-v3", 0, 0),
    ]
    shares = {s.variant: s for s in thompson_shares(history, floor=0.1, seed=1)}
    assert sum(s.share for s in shares.values()) == pytest.approx(1.0)
    assert all(s.share >= 0.1 - 1e-12 for s in shares.values())
    assert shares["c1-email-v2"].share > shares["c1-email-v3"].share > shares["c1-email-v1"].share
    assert "new, so it gets the 10% floor" in shares["c1-email-v3"].reason
    assert "kept at the 10% floor" in shares["c1-email-v1"].reason
    assert "48/400 converted (12.0%)" in shares["c1-email-v2"].reason
    again = thompson_shares(history, floor=0.1, seed=1)
    assert [s.share for s in again] == [s.share for s in shares.values()]  # reproducible


def test_floor_too_large_means_equal_split_and_bad_history_is_refused() -> None:
    history = [VariantHistory(v, 100, x) for v, x in (("a", 1), ("b", 50), ("c", 9))]
    shares = thompson_shares(history, floor=0.4)
    assert [round(s.share, 12) for s in shares] == [round(1 / 3, 12)] * 3
    assert "equal split" in shares[0].reason
    assert [s.share for s in uniform_shares(["a", "b"])] == [0.5, 0.5]
    for bad, message in (
        ([], "no variants"),
        ([VariantHistory("a", 5, 6)], "conversions <= users"),
        ([VariantHistory("a"), VariantHistory("a")], "appear twice"),
    ):
        with pytest.raises(ValueError, match=message):
            thompson_shares(bad)


def test_share_counts_are_exact() -> None:
    assert share_counts(10, [0.5, 0.25, 0.25]) == [5, 3, 2] or share_counts(
        10, [0.5, 0.25, 0.25]
    ) == [5, 2, 3]
    assert sum(share_counts(997, [0.13, 0.3, 0.57])) == 997


def test_assignment_gives_treatment_users_exact_shares_in_any_order() -> None:
    users = [(f"u{i}", "treatment") for i in range(1000)] + [
        (f"c{i}", "control") for i in range(50)
    ]
    shares = {"v1": 0.7, "v2": 0.2, "v3": 0.1}
    first = assign_variants_by_share(users, shares, salt="spring:email")
    counts = {v: sum(1 for x in first.values() if x == v) for v in shares}
    assert counts == {"v1": 700, "v2": 200, "v3": 100}
    assert assign_variants_by_share(list(reversed(users)), shares, salt="spring:email") == first


HISTORY = st.lists(
    st.tuples(st.integers(0, 500), st.integers(0, 500)).map(lambda t: (max(t), min(t))),
    min_size=1,
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(
    history=HISTORY,
    user_count=st.integers(0, 300),
    floor=st.floats(0.0, 0.5),
    share=st.sampled_from([0.0, 0.01, 0.05, 0.15]),
    period=st.sampled_from(["2025-Q1", "2025-Q2", "2026-03"]),
)
def test_no_control_or_global_control_user_ever_gets_a_variant(
    history: list[tuple[int, int]], user_count: int, floor: float, share: float, period: str
) -> None:
    """Whatever the outcomes history, only treatment users outside the global control get one."""
    import pandas as pd

    ids = pd.Series([f"user-{i}" for i in range(user_count)], dtype=object)
    arms = assign_arms(ids, salt="spring", control=0.2, baseline=0.1).arms.astype(str)
    held_out = set(ids[global_control_mask(ids, share, period)])
    shares = thompson_shares(
        [VariantHistory(f"v{i}", n, x) for i, (n, x) in enumerate(history)], floor=floor, draws=500
    )
    assigned = assign_variants_by_share(
        zip(ids, arms, strict=True),
        {s.variant: s.share for s in shares},
        salt="spring:email",
        excluded=held_out,
    )
    for user, arm in zip(ids, arms, strict=True):
        if arm != "treatment" or user in held_out:
            assert assigned[user] is None
        else:
            assert assigned[user] is not None


def test_fast_thompson_simulation_beats_an_equal_split() -> None:
    """The fast version of scripts/simulate_thompson_allocation.py (fixed seed, fewer runs)."""
    result = thompson_vs_uniform([0.04, 0.05, 0.06, 0.08], runs=12, seed=5, draws=2000)
    thompson, uniform = result["thompson"], result["uniform"]
    assert thompson["mean_cumulative_conversions"] > uniform["mean_cumulative_conversions"] * 1.08
    assert thompson["best_gets_most_users_in_batch_5"] >= 0.75
    assert uniform["best_gets_most_users_in_batch_5"] == 0  # an exact equal split is a tie


def test_winners_need_evidence_against_variants_and_the_reference() -> None:
    results = [
        VariantResult("Lapsed yogis", "email", "c0-email-v1", 500, 75, "Back on the mat?", "Hi"),
        VariantResult("Lapsed yogis", "email", "c0-email-v2", 500, 30, "We miss you", "Hi"),
        VariantResult("Weekend runners", "email", "c1-email-v1", 12, 6, "Lace up", "Hi"),
        VariantResult("Night owls", "sms", "c2-sms-v1", 400, 22),
    ]
    refs = {
        "Lapsed yogis": Reference("baseline", 300, 24),
        "Weekend runners": Reference("control", 100, 5),
        "Night owls": Reference("control", 400, 20),
    }
    decisions = {d.variant: d for d in pick_winners(results, refs, seed=2)}
    assert decisions["c0-email-v1"].winner and decisions["c0-email-v1"].reason.startswith("won")
    assert (
        not decisions["c0-email-v2"].winner
        and "P(best in segment)" in decisions["c0-email-v2"].reason
    )
    assert "only 12 users" in decisions["c1-email-v1"].reason
    assert "P(beats control)" in decisions["c2-sms-v1"].reason
    examples = winning_examples(list(decisions.values()))
    assert examples == {
        ("Lapsed yogis", "email"): [
            {"variant": "c0-email-v1", "subject": "Back on the mat?", "body": "Hi"}
        ]
    }
    no_ref = pick_winners(results[:1], {})
    assert "no baseline or control users" in no_ref[0].reason
