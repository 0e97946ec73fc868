"""Customer lifetime value: expected spend per purchase times expected purchases, discounted.

CLV over a horizon H is computed month by month, as the Gamma-Gamma paper and
common practice do: the expected purchases of each step (from BG/NBD, E[X(t_i)]
- E[X(t_{i-1})]) times the expected value of a purchase (Gamma-Gamma), divided
by (1 + d)^i where d is the annual discount rate turned into a per-step rate.
Steps are about 30 days (a 365-day horizon is 12 steps of 30.4 days), so the
discounting matches a monthly cash-flow view without a step per day.
"""

from __future__ import annotations

import numpy as np

from segments.scoring.bg_nbd import BgNbdParams, expected_purchases

STEP_DAYS = 30.0


def lifetime_value(
    purchase_model: BgNbdParams,
    spend: np.ndarray,
    x: np.ndarray,
    tx: np.ndarray,
    T: np.ndarray,
    *,
    horizon_days: float = 365.0,
    annual_discount_rate: float = 0.10,
) -> np.ndarray:
    """Discounted expected revenue per customer over `horizon_days` (x, tx, T in weeks)."""
    steps = max(1, round(horizon_days / STEP_DAYS))
    step_days = horizon_days / steps
    per_step_rate = (1 + annual_discount_rate) ** (step_days / 365.0) - 1
    value = np.zeros(len(x), dtype=np.float64)
    previous = np.zeros(len(x), dtype=np.float64)
    for i in range(1, steps + 1):
        cumulative = expected_purchases(purchase_model, i * step_days / 7.0, x, tx, T)
        value += (cumulative - previous) / (1 + per_step_rate) ** i
        previous = cumulative
    return value * spend
