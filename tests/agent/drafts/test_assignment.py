"""Variant assignment: deterministic, order-independent, balanced within segments."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.drafts.assignment import assign_variants

users = st.lists(st.text(min_size=1, max_size=8), min_size=0, max_size=200, unique=True)


@settings(max_examples=60, deadline=None)
@given(users, st.integers(1, 4), st.integers(1, 5), st.randoms(use_true_random=False))
def test_balanced_deterministic_and_order_independent(ids, n_segments, n_var, rnd):
    frame = pd.DataFrame({"user_id": ids, "segment": [i % n_segments for i in range(len(ids))]})
    variants = {s: n_var for s in range(n_segments)}
    first = assign_variants(frame.user_id, frame.segment, variants, salt="camp:email")
    again = assign_variants(frame.user_id, frame.segment, variants, salt="camp:email")
    assert first.tolist() == again.tolist()
    shuffled = frame.sample(frac=1, random_state=rnd.randint(0, 10**6))
    other = assign_variants(shuffled.user_id, shuffled.segment, variants, salt="camp:email")
    assert dict(zip(shuffled.user_id, other, strict=True)) == dict(
        zip(frame.user_id, first, strict=True)
    )
    for _seg, group in first.groupby(frame.segment):
        counts = group.value_counts()
        assert set(counts.index) <= set(range(1, n_var + 1))
        if len(group) >= n_var:
            assert counts.max() - counts.min() <= 1 and len(counts) == n_var


def test_segment_without_variants_gets_zero():
    ids = pd.Series(["a", "b", "c"])
    out = assign_variants(ids, pd.Series([0, 1, 1]), {1: 2}, salt="s")
    assert out.tolist()[0] == 0 and sorted(out.tolist()[1:]) == [1, 2]


def test_salt_changes_assignment():
    ids = pd.Series([f"u{i}" for i in range(100)])
    seg = pd.Series([0] * 100)
    a = assign_variants(ids, seg, {0: 3}, salt="spring:email")
    b = assign_variants(ids, seg, {0: 3}, salt="autumn:email")
    assert a.tolist() != b.tolist()
