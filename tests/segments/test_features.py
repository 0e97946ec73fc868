"""Features: RFM, activity trend, fallbacks for missing columns, scaling, no PII."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agent.demo.cohort import make_fitness_cohort
from segments.features import activity_pairs, activity_trend, compute_features

PII = ["user_id", "first_name", "email", "phone", "locale", "timezone"]


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    return make_fitness_cohort(300)


def test_demo_cohort_features_and_no_pii(demo: pd.DataFrame) -> None:
    fs = compute_features(demo)
    assert list(fs.raw.index) == list(demo.index)
    assert not set(PII) & set(fs.raw.columns)
    for name in ("recency_days", "frequency", "monetary", "tenure_days", "activity_trend"):
        assert name in fs.columns
    # predictions, value and opt-ins are described, not clustered
    for name in ("clv", "churn_score", "opt_in_email", "do_not_contact", "favorite_category"):
        assert name in fs.raw.columns
        assert name not in fs.columns
    assert "app_opens_last_30d" in fs.columns  # an extra numeric column
    assert fs.matrix.shape == (len(demo), len(fs.columns))
    assert np.isfinite(fs.matrix).all()
    assert fs.skipped == {"propensity": "no propensity column (or no values)"}


def base(n: int = 6) -> pd.DataFrame:
    return pd.DataFrame({"user_id": [f"u{i}" for i in range(n)], "churn_score": [0.8] * n})


@pytest.mark.parametrize(
    ("columns", "expected", "source"),
    [
        ({"total_spend": [10.0, 20.0]}, [10.0, 20.0], "total_spend"),
        (
            {"avg_order_value": [5.0, 4.0], "lifetime_orders": [2, 3]},
            [10.0, 12.0],
            "avg_order_value * lifetime_orders",
        ),
        (
            {
                "total_spend": [np.nan, 7.0],
                "avg_order_value": [5.0, 4.0],
                "lifetime_orders": [2, 3],
            },
            [10.0, 7.0],
            "total_spend, else avg_order_value * lifetime_orders",
        ),
        ({"avg_order_value": [5.0, 4.0]}, None, None),
        ({"total_spend": [None, None]}, None, None),
    ],
)
def test_monetary_fallbacks(columns: dict, expected: list | None, source: str | None) -> None:
    cohort = base(2).assign(**columns)
    fs = compute_features(cohort)
    if expected is None:
        assert "monetary" not in fs.raw
        assert "monetary" in fs.skipped
    else:
        assert fs.raw["monetary"].tolist() == expected
        assert fs.sources["monetary"] == source


def test_minimal_cohort_leaves_everything_out_instead_of_faking() -> None:
    fs = compute_features(base(4))
    assert fs.matrix.shape == (4, 0)
    assert list(fs.raw.columns) == ["churn_score"]
    for name in ("recency_days", "frequency", "monetary", "tenure_days", "activity_trend"):
        assert name in fs.skipped


@pytest.mark.parametrize(
    ("before", "recent", "expected"),
    [
        (10.0, 0.0, -1.0),
        (0.0, 5.0, 1.0),
        (0.0, 0.0, 0.0),
        (4.0, 2.0, -0.5),
        (2.0, 4.0, 0.5),
        (8.0, 8.0, 0.0),
        (np.nan, 3.0, np.nan),
        (-3.0, 0.0, 0.0),  # negative counts are treated as 0
    ],
)
def test_activity_trend(before: float, recent: float, expected: float) -> None:
    got = activity_trend(pd.Series([before]), pd.Series([recent])).iloc[0]
    if np.isnan(expected):
        assert np.isnan(got)
    else:
        assert got == pytest.approx(expected)


def test_activity_trend_averages_every_before_recent_pair() -> None:
    cohort = base(2).assign(
        workouts_before=[10.0, 4.0],
        workouts_recent=[0.0, 4.0],
        sessions_before=[2.0, 1.0],
        sessions_recent=[1.0, 2.0],
        orphan_before=[1.0, 1.0],
    )
    assert activity_pairs(list(cohort.columns)) == [
        ("sessions_before", "sessions_recent"),
        ("workouts_before", "workouts_recent"),
    ]
    fs = compute_features(cohort)
    assert fs.raw["activity_trend"].tolist() == pytest.approx([-0.75, 0.25])
    assert "orphan_before" in fs.raw  # an extra numeric column, not a pair


def test_extra_columns_skip_identity_and_sensitive_names_and_text() -> None:
    cohort = base(3).assign(
        app_opens_last_30d=[1, 20, 3],
        customer_id=[11, 12, 13],
        zip_code=[10001, 94105, 60601],
        age=[31, 45, 22],
        note=["called support", "x", "y"],
        vip=[True, False, True],
    )
    fs = compute_features(cohort)
    assert "app_opens_last_30d" in fs.columns
    for name in ("customer_id", "zip_code", "age", "note", "vip"):
        assert name not in fs.raw


def test_flags_and_categories_are_normalised() -> None:
    cohort = base(4).assign(
        email_opt_in=["yes", "no", True, None],
        sms_opt_in=[True, False, True, False],
        favorite_category=["yoga", "  HIIT ", "", "x" * 41],
    )
    fs = compute_features(cohort)
    assert fs.raw["opt_in_email"].tolist()[:3] == [1.0, 0.0, 1.0]
    assert np.isnan(fs.raw["opt_in_email"].iloc[3])
    assert fs.raw["opt_in_sms"].tolist() == [1.0, 0.0, 1.0, 0.0]
    cats = fs.raw["favorite_category"]
    assert cats.iloc[0] == "yoga" and cats.iloc[1] == "HIIT"
    assert cats.isna().tolist() == [False, False, True, True]


def test_scaling_drops_constant_columns_imputes_and_clips() -> None:
    spend = [10.0, 12.0, 11.0, 9.0, np.nan, 1e9]
    cohort = base(6).assign(total_spend=spend, tenure_days=[100] * 6, lifetime_orders=range(6))
    fs = compute_features(cohort)
    assert "tenure_days" not in fs.columns  # constant
    m = fs.matrix[:, fs.columns.index("monetary")]
    assert np.isfinite(m).all()
    assert m.max() <= 5.0 and m.min() >= -5.0
    assert m[4] == 0.0  # missing -> the median
    assert fs.raw["monetary"].iloc[5] == 1e9  # raw keeps the real value


def test_fast_on_100k_rows(demo: pd.DataFrame) -> None:
    big = pd.concat([demo] * 334, ignore_index=True)
    import time

    start = time.perf_counter()
    fs = compute_features(big)
    elapsed = time.perf_counter() - start
    assert fs.matrix.shape[0] == len(big) >= 100_000
    assert elapsed < 3.0, f"features took {elapsed:.2f}s on {len(big)} rows"
