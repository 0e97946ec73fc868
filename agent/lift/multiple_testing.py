"""Many comparisons at once: adjusted p-values so that "significant" still means something.

Per-variant and per-segment lift makes dozens of comparisons; at the 5% level
one in twenty null comparisons looks like a win by chance. Two corrections,
stated in every report that uses them:

- `holm` (default): Holm's step-down method controls the family-wise error
  rate (the chance of any false win) at alpha, uniformly more powerful than
  Bonferroni. Use it when a "win" changes what is sent next.
- `bh`: Benjamini-Hochberg controls the false discovery rate (the expected
  share of false wins among the wins) at alpha; more wins, some of them false.

Both return adjusted p-values in the input order (compare with alpha), the
same numbers as statsmodels' `multipletests(method="holm" | "fdr_bh")`.
"""

from __future__ import annotations

from collections.abc import Sequence

CORRECTIONS = {
    "holm": "Holm step-down (family-wise error rate)",
    "bh": "Benjamini-Hochberg (false discovery rate)",
}


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values, in input order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg-adjusted p-values (q-values), in input order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i], reverse=True)
    adjusted = [0.0] * m
    running = 1.0
    for position, i in enumerate(order):
        rank = m - position
        running = min(running, p_values[i] * m / rank)
        adjusted[i] = min(1.0, running)
    return adjusted


def adjust(p_values: Sequence[float], method: str = "holm") -> list[float]:
    """Adjusted p-values by `method` ("holm" or "bh")."""
    if method == "holm":
        return holm(p_values)
    if method == "bh":
        return benjamini_hochberg(p_values)
    raise ValueError(f"unknown correction {method!r}; use one of {', '.join(CORRECTIONS)}")
