"""Simulations that check the lift methods against known truth (used by scripts and tests).

- `aa_peeking`: A/A experiments (both arms share one true rate) looked at
  after every day; the share of experiments *ever* declared significant is the
  real false-positive rate of a marketer who checks daily. Two regimes:
  `arrivals` (new users every day, the textbook sequential setting) and
  `one_send` (every user assigned at the send, as in a winback batch, with
  conversions spread over the days after it and imported daily).
- `thompson_vs_uniform`: successive batches of a campaign with known true
  variant rates; each batch's treatment users are split by Thompson shares
  (from all earlier batches' results) or equally; reports cumulative
  conversions and how often the best variant got strictly the most users in batch 5.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from agent.lift.sequential import critical_z, mixture_rho2
from agent.lift.stats import ALPHA
from agent.lift.thompson_allocation import VariantHistory, share_counts, thompson_shares


def _z(x1: np.ndarray, x2: np.ndarray, n1: np.ndarray, n2: np.ndarray) -> np.ndarray:
    p1, p2 = x1 / n1, x2 / n2
    var = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
    safe = np.where(var > 0, var, 1.0)
    return np.where(var > 0, (p1 - p2) / np.sqrt(safe), 0.0)


def aa_peeking(
    *,
    runs: int = 2000,
    days: int = 30,
    rate: float = 0.05,
    users_per_day: int = 100,
    regime: str = "arrivals",
    seed: int = 0,
    alpha: float = ALPHA,
) -> dict[str, Any]:
    """Share of A/A runs ever significant over daily looks: sequential vs fixed-horizon."""
    rng = np.random.default_rng(seed)
    looks = np.arange(1, days + 1)
    if regime == "arrivals":
        n = (users_per_day * looks).astype(float)
        x1, x2 = (rng.binomial(users_per_day, rate, (runs, days)).cumsum(axis=1) for _ in "ab")
        planned_n = float(n[-1])
    elif regime == "one_send":
        total = users_per_day * days
        n = np.full(days, float(total))
        # each converter converts on a uniformly random day after the send
        x1, x2 = (
            np.stack(
                [rng.multinomial(c, [1 / days] * days) for c in rng.binomial(total, rate, runs)]
            ).cumsum(axis=1)
            for _ in "ab"
        )
        planned_n = float(total)
    else:
        raise ValueError(f"unknown regime {regime!r}")
    z = np.abs(_z(x1, x2, n, n))
    k = mixture_rho2(planned_n / 2, alpha) * (n / 2)
    crit = np.array([critical_z(float(v), alpha) for v in k])
    from scipy.stats import norm

    fixed = float(norm.ppf(1 - alpha / 2))
    return {
        "regime": regime,
        "runs": runs,
        "days": days,
        "rate": rate,
        "users_per_day_per_arm": users_per_day,
        "sequential_ever_significant": float((z >= crit).any(axis=1).mean()),
        "fixed_horizon_ever_significant": float((z >= fixed).any(axis=1).mean()),
        "fixed_horizon_significant_at_end": float((z[:, -1] >= fixed).mean()),
    }


def thompson_vs_uniform(
    true_rates: Sequence[float],
    *,
    batches: int = 10,
    users_per_batch: int = 1000,
    floor: float = 0.10,
    runs: int = 200,
    seed: int = 0,
    draws: int = 4000,
) -> dict[str, Any]:
    """Cumulative conversions and how often the best variant leads by batch 5, both policies."""
    rng = np.random.default_rng(seed)
    best = int(np.argmax(true_rates))
    names = [f"v{i + 1}" for i in range(len(true_rates))]
    rates = np.asarray(true_rates, dtype=float)
    out: dict[str, Any] = {"true_rates": list(true_rates), "batches": batches, "runs": runs}
    for policy in ("thompson", "uniform"):
        totals = np.zeros(runs)
        best_leads_at_5 = 0
        per_batch = np.zeros(batches)
        for run in range(runs):
            users = np.zeros(len(rates), dtype=int)
            conv = np.zeros(len(rates), dtype=int)
            for b in range(batches):
                if policy == "thompson":
                    history = [
                        VariantHistory(v, int(n), int(x))
                        for v, n, x in zip(names, users, conv, strict=True)
                    ]
                    shares = np.array(
                        [
                            s.share
                            for s in thompson_shares(
                                history, floor=floor, draws=draws, seed=run * 1000 + b
                            )
                        ]
                    )
                else:
                    shares = np.full(len(rates), 1 / len(rates))
                # exact counts, as assign_variants_by_share sends them
                sent = np.array(share_counts(users_per_batch, list(shares)))
                got = rng.binomial(sent, rates)
                users += sent
                conv += got
                per_batch[b] += got.sum()
                if b == 4 and sent[best] > np.delete(sent, best).max():
                    best_leads_at_5 += 1
            totals[run] = conv.sum()
        out[policy] = {
            "mean_cumulative_conversions": float(totals.mean()),
            "mean_conversions_per_batch": (per_batch / runs).round(1).tolist(),
            "best_gets_most_users_in_batch_5": best_leads_at_5 / runs,
        }
    out["expected_if_always_best"] = float(rates[best] * users_per_batch * batches)
    return out
