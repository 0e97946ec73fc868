"""Always-valid lift: an interval and p-value a marketer may look at every day.

A fixed-horizon test is valid once, at the end. Looking every day and stopping
at the first p < 0.05 declares about one A/A test in four "significant" over 30
looks (measured by `scripts/simulate_sequential_lift.py`). The sequential
result here stays valid at every look, so peeking costs nothing but width.

Method: the normal-mixture sequential probability ratio test (mSPRT; Robbins
1970, Johari et al. 2017, as in Optimizely's Stats Engine) on the difference
of two proportions, in the standardized form of the asymptotic confidence
sequence of Waudby-Smith et al. 2023 ("Time-uniform central limit theory",
used by Eppo). With z = (p1 - p2) / sqrt(V), V the unpooled variance of the
difference, and k = rho^2 * n_eff (n_eff = 1 / (1/n1 + 1/n2), the effective
number of users), the mixture likelihood ratio is

    Lambda = (1 + k) ** -0.5 * exp(z**2 * k / (2 * (1 + k)))

- always-valid p-value: min(1, 1 / Lambda);
- always-valid interval: (p1 - p2) +- c(k) * sqrt(V), with
  c(k) = sqrt((1 + k) / k * (2 log(1/alpha) + log(1 + k)));
  p <= alpha exactly when the interval excludes 0.

rho is tuned so the interval is tightest at a planned number of users:
rho^2 = (2 log(1/alpha) + log(2 log(1/alpha) + 1)) / planned n_eff (the
paper's choice). In a winback batch every user is assigned at the send, so
the planned size defaults to the arms' sizes, and looks happen as later
conversions are imported; the simulation checks that regime too. The price:
at the planned size the interval is about 1.55 times as wide as the
fixed-horizon 95% interval (c = 3.03 instead of 1.96). The guarantee is
asymptotic (the variance is estimated), which the simulation checks at small
rates and sizes.
"""

from __future__ import annotations

import math
from typing import Any

from agent.lift.stats import ALPHA, Arm


def mixture_rho2(planned_n_eff: float, alpha: float = ALPHA) -> float:
    """The mixing parameter rho^2 that makes the interval tightest at `planned_n_eff`."""
    if planned_n_eff <= 0:
        raise ValueError("planned_n_eff must be positive")
    log_term = 2 * math.log(1 / alpha)
    return (log_term + math.log(log_term + 1)) / planned_n_eff


def critical_z(k: float, alpha: float = ALPHA) -> float:
    """The |z| at which the mixture likelihood ratio reaches 1 / alpha, for k = rho^2 n_eff."""
    return math.sqrt((1 + k) / k * (2 * math.log(1 / alpha) + math.log1p(k)))


def mixture_p_value(z: float, k: float) -> float:
    """Always-valid p-value: min(1, 1 / Lambda) of the normal mixture."""
    log_lambda = -0.5 * math.log1p(k) + z * z * k / (2 * (1 + k))
    return 1.0 if log_lambda <= 0 else math.exp(-log_lambda)


def effective_n(n1: int, n2: int) -> float:
    """1 / (1/n1 + 1/n2): the number of users that carries the same information per arm pair."""
    return 1 / (1 / n1 + 1 / n2)


def sequential_compare(
    treated: Arm,
    reference: Arm,
    *,
    planned: tuple[int, int] | None = None,
    alpha: float = ALPHA,
) -> dict[str, Any]:
    """Always-valid interval and p-value of treated - reference (see module doc).

    `planned` is (treated users, reference users) the mixture is tuned for;
    by default the arms' current sizes.
    """
    n1, n2 = treated.users, reference.users
    if not n1 or not n2:
        return {"method": "mSPRT normal mixture", "note": "an arm is empty"}
    p1, p2 = treated.conversions / n1, reference.conversions / n2
    variance = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
    plan = effective_n(*(planned or (n1, n2)))
    k = mixture_rho2(plan, alpha) * effective_n(n1, n2)
    out: dict[str, Any] = {
        "method": "mSPRT normal mixture (always valid)",
        "planned_n_eff": plan,
        "alpha": alpha,
    }
    if variance == 0:  # both rates 0 or both 1: no evidence either way
        return {**out, "ci": None, "p_value": 1.0, "significant": False}
    half = critical_z(k, alpha) * math.sqrt(variance)
    z = (p1 - p2) / math.sqrt(variance)
    p_value = mixture_p_value(z, k)
    return {
        **out,
        "ci": [p1 - p2 - half, p1 - p2 + half],
        "p_value": p_value,
        "significant": p_value <= alpha,
    }
