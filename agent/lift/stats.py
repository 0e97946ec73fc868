"""Did the campaign work? Per-arm conversion and lift with honest uncertainty.

Pure functions on counts, so they can be checked against statsmodels:

- `compare(a, b)`: absolute lift (rate difference) with a 95% Wald CI
  (unpooled), relative lift with a 95% CI from the log risk ratio, and a
  two-sided p-value from the pooled two-proportion z-test, or from Fisher's
  exact test when any expected cell count is below 5 (the z-test's normal
  approximation is poor there). Incremental conversions and revenue are the
  treated arm's size times the per-user difference.
- the sample-ratio mismatch check lives with the arms it checks
  (`segments.experiment_arms.sample_ratio_mismatch`).
- `minimum_detectable_effect(n_a, n_b, base_rate)`: the smallest lift a
  two-sided 5% test detects with 80% power at these arm sizes (Cohen's h,
  solved exactly like statsmodels' `NormalIndPower`), as absolute and relative
  rate differences.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from statistics import NormalDist
from typing import Any

from scipy import optimize, stats

ALPHA = 0.05
POWER = 0.80
MIN_EXPECTED = 5


@dataclass(frozen=True)
class Arm:
    """Outcome totals of one arm."""

    name: str
    users: int
    conversions: int
    revenue: float = 0.0

    @property
    def rate(self) -> float | None:
        """Conversion rate, None for an empty arm."""
        return self.conversions / self.users if self.users else None

    def to_dict(self) -> dict[str, Any]:
        """Plain data with the rate and revenue per user."""
        return {
            **asdict(self),
            "rate": self.rate,
            "revenue_per_user": self.revenue / self.users if self.users else None,
        }


# the standard normal from the standard library: scipy.stats.norm costs ~100x more per
# call, and the power solver below calls it dozens of times per comparison
_NORMAL = NormalDist()


def _z(level: float) -> float:
    return _NORMAL.inv_cdf(level)


def two_proportion_ztest(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """Pooled two-sided z-test of p1 = p2: (z, p-value)."""
    p = (x1 + x2) / (n1 + n2)
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    if se == 0:
        return 0.0, 1.0
    z = (x1 / n1 - x2 / n2) / se
    return z, math.erfc(abs(z) / math.sqrt(2))  # two-sided, exact in the far tail


def diff_ci(x1: int, n1: int, x2: int, n2: int, alpha: float = ALPHA) -> tuple[float, float]:
    """Wald (unpooled) CI of p1 - p2."""
    p1, p2 = x1 / n1, x2 / n2
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    half = _z(1 - alpha / 2) * se
    return p1 - p2 - half, p1 - p2 + half


def ratio_ci(
    x1: int, n1: int, x2: int, n2: int, alpha: float = ALPHA
) -> tuple[float, float] | None:
    """CI of p1 / p2 from the log risk ratio; None when a count is zero."""
    if x1 == 0 or x2 == 0:
        return None
    log_rr = math.log((x1 / n1) / (x2 / n2))
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    half = _z(1 - alpha / 2) * se
    return math.exp(log_rr - half), math.exp(log_rr + half)


def _power(h: float, n1: int, n2: int, alpha: float) -> float:
    crit = _z(1 - alpha / 2)
    shift = h / math.sqrt(1 / n1 + 1 / n2)
    return _NORMAL.cdf(shift - crit) + _NORMAL.cdf(-crit - shift)


def minimum_detectable_effect(
    n_treated: int, n_reference: int, base_rate: float, alpha: float = ALPHA, power: float = POWER
) -> dict[str, float | None]:
    """Smallest upward lift detectable at these sizes: Cohen's h, absolute and relative."""
    if n_treated < 1 or n_reference < 1:
        return {"cohen_h": None, "absolute": None, "relative": None}
    h = optimize.brentq(lambda x: _power(x, n_treated, n_reference, alpha) - power, 1e-9, 10)
    start = 2 * math.asin(math.sqrt(min(max(base_rate, 0.0), 1.0)))
    if start + h >= math.pi:  # even 100% would not be detectable
        return {"cohen_h": h, "absolute": None, "relative": None}
    target = math.sin((start + h) / 2) ** 2
    absolute = target - base_rate
    return {
        "cohen_h": h,
        "absolute": absolute,
        "relative": absolute / base_rate if base_rate > 0 else None,
    }


def compare(treated: Arm, reference: Arm, alpha: float = ALPHA) -> dict[str, Any]:
    """Lift of `treated` over `reference` (see module doc for the methods)."""
    out: dict[str, Any] = {"treated": treated.name, "reference": reference.name}
    if not treated.users or not reference.users:
        empty = treated.name if not treated.users else reference.name
        out["note"] = f"cannot compare: the {empty} arm is empty"
        return out
    x1, n1, x2, n2 = treated.conversions, treated.users, reference.conversions, reference.users
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    expected = [n * pooled for n in (n1, n2)] + [n * (1 - pooled) for n in (n1, n2)]
    if min(expected) < MIN_EXPECTED:
        test = "fisher_exact"
        p_value = float(stats.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]]).pvalue)
    else:
        test = "two_proportion_z"
        p_value = two_proportion_ztest(x1, n1, x2, n2)[1]
    lo, hi = diff_ci(x1, n1, x2, n2, alpha)
    rr = ratio_ci(x1, n1, x2, n2, alpha)
    rev_diff = treated.revenue / n1 - reference.revenue / n2
    mde = minimum_detectable_effect(n1, n2, p2, alpha)
    out.update(
        absolute_lift=p1 - p2,
        absolute_ci=[lo, hi],
        relative_lift=(p1 - p2) / p2 if p2 > 0 else None,
        relative_ci=[rr[0] - 1, rr[1] - 1] if rr else None,
        p_value=p_value,
        test=test,
        significant=p_value < alpha,
        incremental_conversions=(p1 - p2) * n1,
        incremental_revenue=rev_diff * n1,
        mde_absolute=mde["absolute"],
        mde_relative=mde["relative"],
        underpowered=mde["absolute"] is None or abs(p1 - p2) < mde["absolute"],
    )
    return out
