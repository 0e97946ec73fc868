"""The seeds' scenario as data: a fitness app's users who stopped logging workouts.

`make_fitness_cohort(n)` generates a realistic, deterministic cohort (same `n`
and `seed`, same rows): favourite workouts, tenure, workouts per month before
and recently, spend, channel opt-ins, open rates, and a few users who opted out
or asked not to be contacted. Users are drawn from the seeds' archetypes so the
clustering has real structure to find; the archetype itself is not a column.
Contact details are fictional (example.com addresses, 555-01xx numbers).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FIRST_NAMES = [
    "Maria", "James", "Aisha", "Chen", "Sofia", "Liam", "Priya", "Noah", "Elena", "Mateo",
    "Yuki", "Omar", "Hannah", "Lucas", "Zara", "Ethan", "Ines", "Kofi", "Chloe", "Ravi",
    "Paris", "Georgia", "Jordan", "Sydney", "Austin", "Camila", "Felix", "Amara", "Leo", "Nora",
]  # fmt: skip
CATEGORIES = ["yoga", "HIIT", "running", "strength", "cycling", "pilates"]
TIMEZONES = ["America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London"]

# archetype: share, tenure days, workouts/month before, recent, plan price, category weights
ARCHETYPES = {
    "silent_loyalist": (0.22, (500, 1400), (10, 18), (0.0, 1.0), 29.0, [4, 1, 2, 2, 1, 3]),
    "trial_and_gone": (0.25, (14, 60), (2, 6), (0.0, 0.5), 9.0, [1, 3, 2, 1, 2, 1]),
    "gradual_decliner": (0.23, (200, 700), (8, 14), (1.5, 4.0), 19.0, [2, 2, 3, 3, 2, 1]),
    "browsing_researcher": (0.15, (60, 300), (1, 4), (0.5, 2.0), 9.0, [1, 1, 1, 1, 1, 1]),
    "reactivator": (0.15, (300, 1000), (5, 10), (0.0, 2.0), 19.0, [1, 2, 1, 3, 3, 1]),
}


def make_fitness_cohort(n: int = 500, seed: int = 10) -> pd.DataFrame:
    """A scored at-risk cohort: `n` users who have not logged a workout in 10+ days."""
    if n < 1:
        raise ValueError("n must be at least 1")
    rng = np.random.default_rng(seed)
    names = list(ARCHETYPES)
    shares = np.array([ARCHETYPES[a][0] for a in names])
    kinds = rng.choice(len(names), size=n, p=shares / shares.sum())
    rows = []
    for i, k in enumerate(kinds, start=1):
        _, tenure_r, before_r, recent_r, price, weights = ARCHETYPES[names[k]]
        tenure = int(rng.integers(*tenure_r))
        before = round(float(rng.uniform(*before_r)), 1)
        recent = round(float(rng.uniform(*recent_r)), 1)
        months = max(tenure / 30.0, 0.5)
        orders = max(1, int(months * rng.uniform(0.6, 1.0)))
        spend = round(orders * price * rng.uniform(0.9, 1.1), 2)
        w = np.array(weights, dtype=float)
        days_idle = int(10 + rng.gamma(2.0, 6.0 if names[k] != "silent_loyalist" else 9.0))
        churn = float(np.clip(0.45 + days_idle / 120 + rng.normal(0, 0.08), 0.05, 0.99))
        opens = float(
            np.clip(rng.beta(2, 5) + (0.25 if names[k] == "browsing_researcher" else 0), 0, 1)
        )
        first = FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]
        rows.append(
            {
                "user_id": f"u{i:06d}",
                "first_name": first,
                "email": f"{first.lower()}.{i}@example.com",
                "phone": f"+1-202-555-01{i % 100:02d}",
                "churn_score": round(churn, 3),
                "days_since_last_activity": days_idle,
                "lifetime_orders": orders,
                "total_spend": spend,
                "avg_order_value": round(spend / orders, 2),
                "clv": round(spend * rng.uniform(1.1, 1.8), 2),
                "tenure_days": tenure,
                "favorite_category": CATEGORIES[int(rng.choice(len(CATEGORIES), p=w / w.sum()))],
                "workouts_per_month_before": before,
                "workouts_per_month_recent": recent,
                "app_opens_last_30d": int(
                    rng.poisson(12 if names[k] == "browsing_researcher" else 3)
                ),
                "email_open_rate": round(opens, 3),
                "push_open_rate": round(float(np.clip(rng.beta(2, 6), 0, 1)), 3),
                "engagement_score": round(float(np.clip(recent / max(before, 0.1), 0, 1)), 3),
                "email_opt_in": bool(rng.random() > 0.06),
                "sms_opt_in": bool(rng.random() > 0.45),
                "push_opt_in": bool(rng.random() > 0.3),
                "do_not_contact": bool(rng.random() < 0.02),
                "locale": "en-US" if rng.random() > 0.15 else "en-GB",
                "timezone": TIMEZONES[int(rng.integers(len(TIMEZONES)))],
            }
        )
    return pd.DataFrame(rows)
