"""The Gamma-Gamma spend model (Fader, Hardie and Lee 2005, "RFM and CLV: using iso-value curves").

A customer's transaction values vary around their own mean: each value is
Gamma(p, nu), and nu ~ Gamma(q, gamma) across customers. What is observed is
the mean value m of a customer's x repeat transactions (the first purchase is
left out, as in the paper, because it often differs). The marginal density of m
given x is

    Gamma(px + q) / (Gamma(px) Gamma(q)) * gamma^q * m^(px - 1) * x^(px)
        / (gamma + m x)^(px + q)

and the fit maximises its log over customers with at least one repeat purchase
and a positive mean value. The expected mean value of a customer's future
transactions is then (gamma + x m) p / (p x + q - 1): a weighted average of the
population mean p gamma / (q - 1) and the customer's own mean, the weight on
their own mean growing with x. Customers with no repeat purchase get the
population mean. The model assumes spend is independent of purchase frequency;
`spend_frequency_correlation` reports how far the data are from that.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import special

from segments.errors import SegmentsError
from segments.scoring.max_likelihood import fit_log_params

MIN_REPEAT_BUYERS = 10


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma parameters and how the fit went."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    customers: int
    spend_frequency_correlation: float

    def as_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)

    @property
    def population_mean(self) -> float:
        """The expected transaction value of a customer the model knows nothing about."""
        return self.p * self.gamma / (self.q - 1)


def log_likelihood_terms(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Each repeat buyer's log-likelihood of their mean value m over x repeat transactions."""
    levels, inverse = np.unique(np.asarray(x, dtype=np.float64), return_inverse=True)
    return _terms(params, levels, inverse, np.asarray(x, dtype=np.float64), np.log(m), m)


def _terms(
    params: np.ndarray,
    levels: np.ndarray,
    inverse: np.ndarray,
    x: np.ndarray,
    log_m: np.ndarray,
    m: np.ndarray,
) -> np.ndarray:
    """The log-likelihood, its gamma functions evaluated once per distinct x (`levels`)."""
    p, q, gamma = params
    pl = p * levels
    per_x = special.gammaln(pl + q) - special.gammaln(pl) - special.gammaln(q) + pl * np.log(levels)
    px = p * x
    return per_x[inverse] + q * np.log(gamma) + (px - 1) * log_m - (px + q) * np.log(gamma + m * x)


def fit_gamma_gamma(x: np.ndarray, m: np.ndarray) -> GammaGammaParams:
    """Maximum-likelihood (p, q, gamma) from repeat buyers' counts x and mean values m."""
    x = np.asarray(x, dtype=np.float64)
    m = np.asarray(m, dtype=np.float64)
    keep = (x > 0) & (m > 0) & np.isfinite(m)
    x, m = x[keep], m[keep]
    if len(x) < MIN_REPEAT_BUYERS:
        raise SegmentsError(
            f"Only {len(x)} customer(s) made a repeat purchase with a positive amount; the "
            f"spend model (Gamma-Gamma) needs at least {MIN_REPEAT_BUYERS}",
            "Give a longer transaction history, or check that the amount column is mapped.",
        )
    scale = float(np.mean(m))  # fit in units of the mean value, then scale gamma back
    levels, inverse = np.unique(x, return_inverse=True)
    scaled = m / scale
    log_scaled = np.log(scaled)

    fit = fit_log_params(
        lambda params: _terms(params, levels, inverse, x, log_scaled, scaled),
        3,
        ftol=1e-12,
        gtol=1e-9,
    )
    p, q, gamma = fit.params
    if not fit.ok or q <= 1:
        raise SegmentsError(
            "The spend model (Gamma-Gamma) could not be fitted: transaction values vary too "
            "much for a finite expected spend",
            "Check the amount column (refunds, currency mix-ups, outliers) or leave out extreme "
            "orders.",
        )
    corr = float(np.corrcoef(x, m)[0, 1]) if len(x) > 2 and np.std(x) > 0 else 0.0
    n = len(x)
    # the density of m/scale differs from that of m by the constant Jacobian n * ln(scale)
    loglik = fit.mean_log_likelihood * n - n * np.log(scale)
    return GammaGammaParams(
        p=float(p),
        q=float(q),
        gamma=float(gamma * scale),
        log_likelihood=float(loglik),
        customers=n,
        spend_frequency_correlation=round(corr, 4),
    )


def expected_spend(params: GammaGammaParams, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """E[mean value of future transactions | x repeat transactions with mean m]."""
    x = np.asarray(x, dtype=np.float64)
    m = np.where(np.asarray(x) > 0, np.nan_to_num(np.asarray(m, dtype=np.float64)), 0.0)
    return (params.gamma + x * m) * params.p / (params.p * x + params.q - 1)
