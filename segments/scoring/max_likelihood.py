"""The maximum-likelihood fit the purchase and spend models share.

A model gives the log-likelihood of each customer (or of each distinct row,
with `weight` the number of customers it stands for) as a function of its
positive parameters. The fit minimises minus the mean log-likelihood over the
parameters' logarithms (so they stay positive; each within e^-20..e^20) with
L-BFGS-B from all ones. A value that is not finite counts as `FAILED`, so the
optimizer steps away from it; a fit that ends there is `ok = False`, and the
model says what that means for its data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize

FAILED = 1e10


@dataclass(frozen=True)
class LikelihoodFit:
    """The fitted parameters and how the fit went."""

    params: np.ndarray
    mean_log_likelihood: float
    iterations: int

    @property
    def ok(self) -> bool:
        """Whether the optimizer ended on a finite likelihood."""
        return bool(np.isfinite(self.mean_log_likelihood)) and -self.mean_log_likelihood < FAILED


def fit_log_params(
    terms: Callable[[np.ndarray], np.ndarray],
    n_params: int,
    *,
    weight: np.ndarray | None = None,
    ftol: float,
    gtol: float,
) -> LikelihoodFit:
    """Maximise the (weighted) mean of `terms(params)` over positive `params`."""
    total = None if weight is None else weight.sum()

    def objective(log_params: np.ndarray) -> float:
        t = terms(np.exp(log_params))
        value = -float(np.mean(t)) if weight is None else -float((weight * t).sum()) / total
        return value if np.isfinite(value) else FAILED

    result = optimize.minimize(
        objective,
        x0=np.zeros(n_params),
        method="L-BFGS-B",
        bounds=[(-20.0, 20.0)] * n_params,
        options={"maxiter": 1000, "ftol": ftol, "gtol": gtol},
    )
    return LikelihoodFit(np.exp(result.x), -float(result.fun), int(result.nit))
