"""Which variant each treatment user receives: deterministic and balanced per segment.

Within one segment and channel, users are ordered by a hash of (campaign,
channel, user_id) and dealt variants round-robin, so the variant counts differ
by at most one and the same cohort always gives the same assignment, in any
row order. (Arms, by contrast, use hash thresholds so they stay stable even
when the cohort grows; see `segments`.)
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd


def _rank_keys(user_ids: pd.Series, salt: str) -> np.ndarray:
    prefix = salt.encode("utf-8") + b"\x1f"
    return np.array(
        [hashlib.blake2b(prefix + str(u).encode("utf-8"), digest_size=8).digest() for u in user_ids]
    )


def assign_variants(
    user_ids: pd.Series, segments: pd.Series, n_variants: dict[int, int], *, salt: str
) -> pd.Series:
    """Variant number (1-based) per user; `n_variants` maps segment -> number of variants."""
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
        out.iloc[order] = np.arange(len(order)) % count + 1
    return out
