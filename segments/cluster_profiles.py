"""PII-free cluster profiles: what the LLM sees about a segment, and the fallback plan.

`build_profiles(raw, labels)` summarises each cluster from the feature frame
(`FeatureSet.raw`), never from the cohort's identity columns:

- size and share of the cohort;
- per numeric feature: p25, median, p75 (3 significant digits) and a `level`
  ("low" | "typical" | "high"): where the cluster's median falls in the whole
  cohort's distribution (below the 30th percentile, above the 70th, or between);
- top favourite categories with their shares, only categories that at least
  `min_group_size` users of the cluster share (default 5), so no category
  points at one person; long or empty category texts are never shown;
- channel opt-in shares and the do-not-contact share;
- churn score summary (mean, p25, median, p75).

Privacy rules, beyond using only the feature frame: numeric columns whose
names look like identity or sensitive data are skipped even if present
(defence in depth, e.g. when a cohort frame is passed by mistake); text
columns other than `favorite_category` are never read; a cluster smaller than
`min_group_size` reports medians only, rounded to 2 significant digits, and no
categories.

`profile_to_prompt_dict(profile)` is the JSON-ready dict sent to the model;
`fallback_plans` turns the same dict into a plan when the model cannot.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from segments.features import (
    CHANNEL_RATE,
    CHANNELS,
    EXCLUDED_EXTRA,
    KNOWN_COLUMNS,
    numeric_columns,
)

MIN_GROUP_SIZE = 5
TOP_CATEGORIES = 5
LOW_RANK, HIGH_RANK = 0.30, 0.70
NOT_SUMMARISED = {"churn_score", "do_not_contact"} | {f"opt_in_{c}" for c in CHANNELS}
PII_COLUMNS = KNOWN_COLUMNS - {
    "churn_score",
    "days_since_last_activity",
    "lifetime_orders",
    "total_spend",
    "avg_order_value",
    "clv",
    "propensity",
    "engagement_score",
    "tenure_days",
    "email_opt_in",
    "sms_opt_in",
    "push_opt_in",
    "do_not_contact",
    "favorite_category",
}


@dataclass(frozen=True)
class ClusterProfile:
    """Aggregates about one cluster; nothing in it comes from one person alone."""

    cluster_id: int
    size: int
    share: float
    features: dict[str, dict[str, Any]] = field(default_factory=dict)
    top_categories: dict[str, float] = field(default_factory=dict)
    channel_opt_in: dict[str, float] = field(default_factory=dict)
    do_not_contact_share: float | None = None
    churn_score: dict[str, float] = field(default_factory=dict)
    small: bool = False


def _sig(value: float, digits: int = 3) -> float:
    """`value` rounded to `digits` significant digits (plain float, JSON-safe)."""
    if value is None or not math.isfinite(value):
        return float("nan")
    if value == 0:
        return 0.0
    places = digits - 1 - math.floor(math.log10(abs(value)))
    rounded = round(float(value), places)
    return float(int(rounded)) if places <= 0 else rounded


def _level(rank: float) -> str:
    return "low" if rank < LOW_RANK else "high" if rank > HIGH_RANK else "typical"


def _unsafe(name: str) -> bool:
    """Identity-like, sensitive or separately summarised columns (see the module doc)."""
    if name in PII_COLUMNS or name in NOT_SUMMARISED:
        return True
    return bool(EXCLUDED_EXTRA.search(name)) and not CHANNEL_RATE.match(name)


def build_profiles(
    raw: pd.DataFrame,
    labels: np.ndarray | pd.Series | Iterable[int],
    *,
    min_group_size: int = MIN_GROUP_SIZE,
    top_n: int = TOP_CATEGORIES,
) -> list[ClusterProfile]:
    """One profile per cluster label, ordered by label (see the module doc)."""
    labels = np.asarray(list(labels) if not hasattr(labels, "__len__") else labels)
    if len(labels) != len(raw):
        raise ValueError(f"{len(labels)} labels for {len(raw)} rows")
    if len(raw) == 0:
        return []
    frame = raw.reset_index(drop=True)
    label_series = pd.Series(labels.astype("int64"), name="cluster")
    numeric = numeric_columns(frame, _unsafe)
    cohort_sorted = {c: np.sort(frame[c].dropna().to_numpy(dtype="float64")) for c in numeric}
    groups = frame.groupby(label_series, sort=True)
    quantiles = (
        groups[numeric].quantile([0.25, 0.5, 0.75]) if numeric else pd.DataFrame()
    )  # (cluster, q) x feature
    total = len(frame)
    profiles: list[ClusterProfile] = []
    for cid, part in groups:
        size = len(part)
        small = size < min_group_size
        features: dict[str, dict[str, Any]] = {}
        for col in numeric:
            q = quantiles.loc[cid, col] if numeric else None
            median = q.loc[0.5] if q is not None else float("nan")
            if not np.isfinite(median):
                continue
            values = cohort_sorted[col]
            rank = (
                np.searchsorted(values, median, "left") + np.searchsorted(values, median, "right")
            ) / (2 * len(values))
            if small:
                features[col] = {"median": _sig(median, 2), "level": _level(rank)}
            else:
                features[col] = {
                    "p25": _sig(q.loc[0.25]),
                    "median": _sig(median),
                    "p75": _sig(q.loc[0.75]),
                    "level": _level(rank),
                }
        profiles.append(
            ClusterProfile(
                cluster_id=int(cid),
                size=size,
                share=round(size / total, 3),
                features=features,
                top_categories={} if small else _top_categories(part, min_group_size, top_n),
                channel_opt_in=_shares(part, {c: f"opt_in_{c}" for c in CHANNELS}, small),
                do_not_contact_share=_shares(part, {"x": "do_not_contact"}, small).get("x"),
                churn_score=_churn(part, small),
                small=small,
            )
        )
    return profiles


def _top_categories(part: pd.DataFrame, k: int, top_n: int) -> dict[str, float]:
    if "favorite_category" not in part:
        return {}
    cats = part["favorite_category"].astype("string").str.strip()
    cats = cats[cats.notna() & (cats != "") & (cats.str.len() <= 40)]
    counts = cats.value_counts()
    counts = counts[counts >= k]
    ranked = sorted(counts.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))[:top_n]
    return {str(cat): round(int(n) / len(part), 2) for cat, n in ranked}


def _shares(part: pd.DataFrame, columns: dict[str, str], small: bool) -> dict[str, float]:
    out = {}
    for key, col in columns.items():
        if col in part and part[col].notna().any():
            share = float(pd.to_numeric(part[col], errors="coerce").mean())
            out[key] = round(share, 1 if small else 2)
    return out


def _churn(part: pd.DataFrame, small: bool) -> dict[str, float]:
    if "churn_score" not in part or not part["churn_score"].notna().any():
        return {}
    s = pd.to_numeric(part["churn_score"], errors="coerce").dropna()
    if small:
        return {"median": round(float(s.median()), 1)}
    return {
        "mean": round(float(s.mean()), 2),
        "p25": round(float(s.quantile(0.25)), 2),
        "median": round(float(s.median()), 2),
        "p75": round(float(s.quantile(0.75)), 2),
    }


def profile_to_prompt_dict(profile: ClusterProfile | dict[str, Any]) -> dict[str, Any]:
    """The JSON-serializable dict the model sees (aggregates only; NaN dropped)."""
    data = asdict(profile) if isinstance(profile, ClusterProfile) else dict(profile)
    features = {
        name: {k: v for k, v in stats.items() if not (isinstance(v, float) and math.isnan(v))}
        for name, stats in data.get("features", {}).items()
    }
    out: dict[str, Any] = {
        "cluster_id": int(data["cluster_id"]),
        "size": int(data["size"]),
        "share": float(data["share"]),
        "features": features,
        "top_categories": dict(data.get("top_categories", {})),
        "channel_opt_in": dict(data.get("channel_opt_in", {})),
        "churn_score": dict(data.get("churn_score", {})),
    }
    if data.get("do_not_contact_share") is not None:
        out["do_not_contact_share"] = data["do_not_contact_share"]
    if data.get("small"):
        out["small"] = True
    return out
