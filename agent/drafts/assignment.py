"""Which variant each treatment user receives: deterministic and balanced per segment.

Within one segment and channel, users are ordered by a hash of (campaign,
channel, user_id) and dealt variants round-robin, so the variant counts differ
by at most one and the same cohort always gives the same assignment, in any
row order. (Arms, by contrast, use hash thresholds so they stay stable even
when the cohort grows; see `segments`.)

With `weights` (a segment's Thompson shares, `agent.run.allocation_stage`),
the same hash order is dealt in proportion instead: variant j gets exactly
its largest-remainder count of the segment's users, spread evenly along the
order (its k-th user sits at position (k + 1/2) / count_j), so equal weights
give back the round-robin. Only the users passed in are dealt: the caller
passes treatment users, so no weight can reach a control or baseline user.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from agent.lift.thompson_allocation import share_counts


def _rank_keys(user_ids: pd.Series, salt: str) -> np.ndarray:
    prefix = salt.encode("utf-8") + b"\x1f"
    return np.array(
        [hashlib.blake2b(prefix + str(u).encode("utf-8"), digest_size=8).digest() for u in user_ids]
    )


def weighted_deal(n: int, weights: Sequence[float]) -> np.ndarray:
    """Variant numbers (1-based) for n ordered users, each variant's count by its weight."""
    counts = share_counts(n, list(weights))
    positions = np.concatenate([(np.arange(c) + 0.5) / c for c in counts if c] or [np.empty(0)])
    numbers = np.concatenate(
        [np.full(c, j + 1) for j, c in enumerate(counts) if c] or [np.empty(0, dtype=int)]
    )
    return numbers[np.argsort(positions, kind="stable")]


def assign_variants(
    user_ids: pd.Series,
    segments: pd.Series,
    n_variants: dict[int, int],
    *,
    salt: str,
    weights: Mapping[int, Sequence[float]] | None = None,
) -> pd.Series:
    """Variant number (1-based) per user; `n_variants` maps segment -> number of variants.

    `weights` (segment -> one weight per variant) deals in proportion; without it,
    or with equal weights, round-robin.
    """
    if len(user_ids) != len(segments):
        raise ValueError("user_ids and segments must have the same length")
    out = pd.Series(0, index=user_ids.index, dtype="int64")
    if user_ids.empty:
        return out
    keys = _rank_keys(user_ids, salt)
    seg_values = segments.to_numpy()
    for seg in pd.unique(seg_values):
        count = int(n_variants.get(int(seg), 0))
        if count < 1:
            continue
        positions = np.flatnonzero(seg_values == seg)
        order = positions[np.argsort(keys[positions], kind="stable")]
        w = list((weights or {}).get(int(seg), ()))
        if len(w) == count and sum(w) > 0 and not np.allclose(w, w[0]):
            out.iloc[order] = weighted_deal(len(order), w)
        else:
            out.iloc[order] = np.arange(len(order)) % count + 1
    return out
