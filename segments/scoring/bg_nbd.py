"""The BG/NBD purchase model (Fader, Hardie and Lee 2005, "Counting your customers the easy way").

Each customer buys at a Poisson rate lambda while alive (lambda ~ Gamma(r, alpha)
across customers) and, after each purchase, drops out for good with probability
p (p ~ Beta(a, b)). What a customer did is summarised by three numbers, all in
the model's time unit (weeks here, as in the paper):

- `x`:  repeat purchases (purchase days after the first),
- `tx`: the time of the last purchase, measured from the first,
- `T`:  the time from the first purchase to the end of observation.

The likelihood is the paper's equation (6), computed in logs: ln A1 + ln A2 +
ln(A3 + [x > 0] A4), the last sum with `logaddexp`. Parameters are fitted by
maximum likelihood over their logarithms (so they stay positive) with L-BFGS-B.
Customers with the same (x, tx, T) contribute the same term, so the fit runs on
the distinct triples weighted by their counts: a million customers measured in
days collapse to a few hundred thousand rows or fewer.

The predictions are the paper's equation (10) for expected purchases in the
next t, P(alive) from its appendix, and P(no purchase in the next t) =
1 - P(alive) + P(alive) * ((alpha + T) / (alpha + T + t))^(r + x): a customer
who is alive and makes no purchase cannot drop out (dropping out happens only
after a purchase), and given alive, lambda ~ Gamma(r + x, alpha + T).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import special

from segments.errors import SegmentsError
from segments.scoring.max_likelihood import fit_log_params


@dataclass(frozen=True)
class BgNbdParams:
    """Fitted BG/NBD parameters (time unit: weeks) and how the fit went."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int
    iterations: int

    def as_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)


def log_likelihood_terms(
    params: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """Each customer's log-likelihood under (r, alpha, a, b), the paper's equation (6)."""
    levels, inverse = np.unique(np.asarray(x, dtype=np.float64), return_inverse=True)
    return _terms(params, levels, inverse, np.asarray(x, dtype=np.float64), tx, T)


def _terms(
    params: np.ndarray,
    levels: np.ndarray,
    inverse: np.ndarray,
    x: np.ndarray,
    tx: np.ndarray,
    T: np.ndarray,
) -> np.ndarray:
    """The log-likelihood, its special functions evaluated once per distinct x (`levels`)."""
    r, alpha, a, b = params
    per_x = (
        special.gammaln(r + levels)
        - special.gammaln(r)
        + r * np.log(alpha)
        + special.betaln(a, b + levels)
        - special.betaln(a, b)
    )
    ln_a3 = -(r + x) * np.log(alpha + T)
    # A4 exists only for repeat buyers; where x = 0 its log is -inf and logaddexp returns ln A3
    with np.errstate(divide="ignore", invalid="ignore"):
        ln_a4_x = np.where(
            levels > 0, np.log(a) - np.log(np.maximum(b + levels - 1, 1e-300)), -np.inf
        )
    ln_a4 = ln_a4_x[inverse] - (r + x) * np.log(alpha + tx)
    return per_x[inverse] + np.logaddexp(ln_a3, ln_a4)


def compress(
    x: np.ndarray, tx: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (x, tx, T) triples and how many customers share each."""
    stacked = np.column_stack([x, tx, T]).astype(np.float64)
    unique, counts = np.unique(stacked, axis=0, return_counts=True)
    return unique[:, 0], unique[:, 1], unique[:, 2], counts.astype(np.float64)


def fit_bg_nbd(x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> BgNbdParams:
    """Maximum-likelihood (r, alpha, a, b) for customers summarised as (x, tx, T) in weeks."""
    x = np.asarray(x, dtype=np.float64)
    if len(x) == 0:
        raise SegmentsError("There are no customers to fit the purchase model on", _DATA_FIX)
    if not (x > 0).any():
        raise SegmentsError(
            "No customer bought on more than one day, so the purchase model (BG/NBD) cannot "
            "learn how often customers come back",
            _DATA_FIX,
        )
    ux, utx, uT, weight = compress(x, np.asarray(tx), np.asarray(T))
    total = weight.sum()
    levels, inverse = np.unique(ux, return_inverse=True)

    fit = fit_log_params(
        lambda params: _terms(params, levels, inverse, ux, utx, uT),
        4,
        weight=weight,
        ftol=1e-11,
        gtol=1e-8,
    )
    if not fit.ok:
        raise SegmentsError(
            "The purchase model (BG/NBD) could not be fitted to these transactions", _DATA_FIX
        )
    r, alpha, a, b = fit.params
    return BgNbdParams(
        r=float(r),
        alpha=float(alpha),
        a=float(a),
        b=float(b),
        log_likelihood=fit.mean_log_likelihood * total,
        customers=int(total),
        iterations=fit.iterations,
    )


_DATA_FIX = (
    "Give a longer transaction history (several months, with customers who bought more than "
    "once), or check that the user and timestamp columns are mapped correctly."
)


def probability_alive(p: BgNbdParams, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
    """P(the customer is still alive at T | x, tx, T)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", over="ignore"):
        ln_odds = (
            np.log(p.a)
            - np.log(np.maximum(p.b + x - 1, 1e-300))
            + (p.r + x) * (np.log(p.alpha + T) - np.log(p.alpha + tx))
        )
    # 1 / (1 + exp(ln_odds)) for repeat buyers; 1 for customers with no repeat purchase
    return np.where(x > 0, special.expit(-ln_odds), 1.0)


def expected_purchases(
    p: BgNbdParams, t: float, x: np.ndarray, tx: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """E[purchases in (T, T + t] | x, tx, T], the paper's equation (10)."""
    x = np.asarray(x, dtype=np.float64)
    if t <= 0:
        return np.zeros_like(x)
    z = t / (p.alpha + T + t)
    hyp = special.hyp2f1(p.r + x, p.b + x, p.a + p.b + x - 1, z)
    ratio = np.exp((p.r + x) * (np.log(p.alpha + T) - np.log(p.alpha + T + t)))
    numerator = (p.a + p.b + x - 1) / (p.a - 1) * (1 - ratio * hyp)
    with np.errstate(over="ignore"):
        odds = np.where(
            x > 0,
            p.a
            / np.maximum(p.b + x - 1, 1e-300)
            * np.exp((p.r + x) * (np.log(p.alpha + T) - np.log(p.alpha + tx))),
            0.0,
        )
    return np.maximum(numerator / (1 + odds), 0.0)


def probability_no_purchase(
    p: BgNbdParams, t: float, x: np.ndarray, tx: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """P(no purchase in (T, T + t] | x, tx, T): dead, or alive and not buying."""
    x = np.asarray(x, dtype=np.float64)
    alive = probability_alive(p, x, tx, T)
    quiet = np.exp((p.r + x) * (np.log(p.alpha + T) - np.log(p.alpha + T + t)))
    return np.clip(1 - alive + alive * quiet, 0.0, 1.0)
