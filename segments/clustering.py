"""Behavioural clusters: k-means on the scaled feature matrix, deterministic.

`cluster_users(matrix)` returns one label per row (`Clustering.labels`).

How many segments:
- `n_segments=N` fixes it (capped by the number of distinct rows: fewer users
  than segments gives fewer segments).
- Otherwise the silhouette criterion picks it within `min_segments..max_segments`
  (default 3..8): k-means is fitted for each k on a deterministic sample of at
  most `sample_size` rows (default 3,000; a seeded draw without replacement),
  the silhouette score is computed on that sample, and the best k wins (ties
  go to the smaller k). The upper bound is also capped at
  `n_rows // min_cluster_size` (default 5), so a 12-user cohort is not split
  into eight segments of one or two.
- The final model is fitted on every row, started from the chosen sample
  model's centroids (so a 100,000-row cohort takes a few seconds).
- Tiny cohorts: no rows -> an empty result with 0 segments; one distinct row
  (or one user, or no usable feature) -> one segment.

Determinism: fixed `random_state`, fixed `n_init`, a seeded sample, and label
numbering that does not depend on k-means' internal order: segments are
numbered by size (largest is 0), ties broken by their centroid coordinates.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import silhouette_score

RANDOM_STATE = 0
N_INIT = 4
DEFAULT_MIN_SEGMENTS = 3
DEFAULT_MAX_SEGMENTS = 8
DEFAULT_SAMPLE_SIZE = 3000
DEFAULT_MIN_CLUSTER_SIZE = 5


@dataclass(frozen=True)
class Clustering:
    """Labels (0..n_segments-1, one per row) and how the number of segments was chosen."""

    labels: np.ndarray
    n_segments: int
    sizes: list[int]
    method: str  # "silhouette" | "fixed" | "single" | "empty"
    centroids: np.ndarray
    silhouette: dict[int, float] = field(default_factory=dict)
    note: str = ""

    def to_dict(self) -> dict:
        """Summary for JSON output (no per-user data)."""
        return {
            "n_segments": self.n_segments,
            "sizes": self.sizes,
            "method": self.method,
            "silhouette": {str(k): round(v, 4) for k, v in self.silhouette.items()},
            "note": self.note,
        }


def cluster_users(
    matrix: np.ndarray,
    *,
    n_segments: int | None = None,
    min_segments: int = DEFAULT_MIN_SEGMENTS,
    max_segments: int = DEFAULT_MAX_SEGMENTS,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
    min_cluster_size: int = DEFAULT_MIN_CLUSTER_SIZE,
    random_state: int = RANDOM_STATE,
) -> Clustering:
    """One segment label per row of `matrix` (see the module doc for the rules)."""
    if n_segments is not None and n_segments < 1:
        raise ValueError("n_segments must be at least 1")
    if min_segments < 1 or max_segments < min_segments:
        raise ValueError("need 1 <= min_segments <= max_segments")
    x = np.asarray(matrix, dtype="float64")
    if x.ndim != 2:
        raise ValueError("matrix must be 2-dimensional (rows x features)")
    n = x.shape[0]
    if n == 0:
        return Clustering(np.zeros(0, dtype="int64"), 0, [], "empty", np.zeros((0, x.shape[1])))
    if not np.isfinite(x).all():
        raise ValueError("matrix must not contain NaN or infinite values")
    distinct = _distinct_rows(x, cap=max(max_segments, n_segments or 0))
    if x.shape[1] == 0 or distinct == 1:
        return _single(x, "every user has the same features")

    if n_segments is not None:
        k = min(n_segments, distinct)
        note = f"fixed at {n_segments}"
        if k < n_segments:
            note += f", capped to {k} (the number of distinct users)"
        if k == 1:
            return _single(x, note)
        model = _fit(x, k, random_state)
        return _finish(x, model.labels_, model.cluster_centers_, "fixed", {}, note)

    hi = min(max_segments, distinct, n // max(min_cluster_size, 1))
    if hi < 2:
        return _single(x, f"{n} users: too few for more than one segment")
    lo = min(max(min_segments, 2), hi)
    sample = _sample(n, sample_size, random_state)
    xs = x[sample]
    hi = min(hi, _distinct_rows(xs, cap=hi) if len(sample) < n else hi, len(sample) - 1)
    lo = min(lo, hi)
    if hi < 2:
        return _single(x, "the sample has too few distinct users for more than one segment")
    scores: dict[int, float] = {}
    fitted: dict[int, KMeans] = {}
    for k in range(lo, hi + 1):
        model = _fit(xs, k, random_state)
        fitted[k] = model
        labels = model.labels_
        if len(np.unique(labels)) < 2:
            continue
        scores[k] = float(silhouette_score(xs, labels))
    if not scores:
        return _single(x, "no split of the sample into two or more groups")
    best = max(scores, key=lambda k: (round(scores[k], 6), -k))
    if len(sample) == n:
        model = fitted[best]
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = KMeans(best, init=fitted[best].cluster_centers_, n_init=1).fit(x)
    note = f"silhouette chose {best} of {lo}..{hi}"
    return _finish(x, model.labels_, model.cluster_centers_, "silhouette", scores, note)


def _fit(x: np.ndarray, k: int, random_state: int) -> KMeans:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return KMeans(k, n_init=N_INIT, random_state=random_state).fit(x)


def _sample(n: int, size: int, random_state: int) -> np.ndarray:
    if n <= size:
        return np.arange(n)
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n, size=size, replace=False))


def _distinct_rows(x: np.ndarray, cap: int) -> int:
    """Number of distinct rows, counted only up to `cap` + 1 when that is cheaper."""
    if x.shape[1] == 0:
        return 1
    head = x[: min(len(x), 5000)]
    found = len(np.unique(head, axis=0))
    if found > cap or len(head) == len(x):
        return found
    return len(np.unique(x, axis=0))


def _single(x: np.ndarray, note: str) -> Clustering:
    centroid = x.mean(axis=0, keepdims=True)
    labels = np.zeros(len(x), dtype="int64")
    return Clustering(labels, 1, [len(x)], "single", centroid, {}, note)


def _finish(
    x: np.ndarray,
    labels: np.ndarray,
    centroids: np.ndarray,
    method: str,
    scores: dict[int, float],
    note: str,
) -> Clustering:
    """Renumber clusters: largest first, ties by centroid; drop empty clusters."""
    k = centroids.shape[0]
    sizes = np.bincount(labels, minlength=k)
    present = [c for c in range(k) if sizes[c] > 0]
    rounded = np.round(centroids, 6)
    order = sorted(present, key=lambda c: (-int(sizes[c]), tuple(rounded[c])))
    mapping = np.full(k, -1, dtype="int64")
    mapping[order] = np.arange(len(order))
    new_labels = mapping[labels]
    new_centroids = np.vstack([x[new_labels == i].mean(axis=0) for i in range(len(order))])
    new_sizes = [int(sizes[c]) for c in order]
    return Clustering(new_labels, len(order), new_sizes, method, new_centroids, scores, note)
