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

`profile_to_prompt_dict(profile)` is the JSON-ready dict sent to the model.
`describe_profile(profile)` is the deterministic fallback plan (same fields as
the model's `SegmentPlan`, `source: "fallback"`), chosen by the rules in
`ARCHETYPES` after the seeds' archetypes. `describe_profiles(profiles)` does
all clusters at once and keeps names unique: each archetype goes to the
cluster that matches it best; a cluster whose best archetype is taken gets its
next good match, else the name plus a qualifier (its top category or number).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from segments.features import CHANNEL_RATE, CHANNELS, EXCLUDED_EXTRA, KNOWN_COLUMNS

MIN_GROUP_SIZE = 5
TOP_CATEGORIES = 5
LOW_RANK, HIGH_RANK = 0.30, 0.70
SHARP_DROP, DECLINE = -0.6, -0.15
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
TIERS = ("none", "low", "medium", "high")


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


def _safe_numeric_columns(raw: pd.DataFrame) -> list[str]:
    cols = []
    for col in raw.columns:
        name = str(col)
        if name in PII_COLUMNS or name in NOT_SUMMARISED:
            continue
        if EXCLUDED_EXTRA.search(name) and not CHANNEL_RATE.match(name):
            continue
        series = raw[col]
        if series.dtype == bool or not pd.api.types.is_numeric_dtype(series):
            continue
        cols.append(name)
    return cols


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
    numeric = _safe_numeric_columns(frame)
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


# ---- the deterministic fallback plan ---------------------------------------------------------


@dataclass(frozen=True)
class Archetype:
    """A named segment shape from the seeds, with the rule that scores a profile against it."""

    name: str
    score: Callable[[dict[str, Any]], float]
    description: str
    pain_points: tuple[str, ...]
    tone: str
    message_angle: str
    incentive_tier: str


def _lv(p: dict[str, Any], *names: str) -> int | None:
    """+1 high, 0 typical, -1 low for the first of `names` present; None if none is."""
    for name in names:
        stats = p["features"].get(name)
        if stats and "level" in stats:
            return {"low": -1, "typical": 0, "high": 1}[stats["level"]]
    return None


def _median(p: dict[str, Any], name: str) -> float | None:
    stats = p["features"].get(name)
    return stats.get("median") if stats else None


def _trend_kind(p: dict[str, Any]) -> str | None:
    trend = _median(p, "activity_trend")
    if trend is None:
        return None
    return "sharp" if trend <= SHARP_DROP else "decline" if trend <= DECLINE else "steady"


def _content_engagement(p: dict[str, Any]) -> int | None:
    levels = [
        _lv(p, n)
        for n in p["features"]
        if n.endswith("_rate") or n.startswith("app_opens") or n == "engagement_score"
    ]
    levels = [v for v in levels if v is not None]
    if not levels:
        return None
    mean = sum(levels) / len(levels)
    return 1 if mean >= 0.5 else -1 if mean <= -0.5 else 0


def _is(value: int | None, want: int) -> float:
    return 1.0 if value == want else 0.0


def _score_loyalist(p: dict[str, Any]) -> float:
    value = _lv(p, "monetary", "clv", "frequency")
    return (
        2 * _is(_lv(p, "tenure_days"), 1)
        + 2 * _is(value, 1)
        + 1 * (_trend_kind(p) == "sharp")
        + 0.5 * _is(_lv(p, "email_open_rate"), -1)
    )


def _score_trial(p: dict[str, Any]) -> float:
    return (
        2 * _is(_lv(p, "tenure_days"), -1)
        + 2 * _is(_lv(p, "frequency"), -1)
        + 1 * _is(_lv(p, "monetary", "clv"), -1)
    )


def _score_researcher(p: dict[str, Any]) -> float:
    value = _lv(p, "frequency", "monetary")
    return 2.5 * _is(_content_engagement(p), 1) + 1.5 * (value is not None and value <= 0)


def _score_decliner(p: dict[str, Any]) -> float:
    recent = [_lv(p, n) for n in p["features"] if n.endswith("_recent")]
    kind = _trend_kind(p)
    return (
        2 * (kind == "decline")
        + 1.5 * (kind in ("decline", "sharp") and _lv(p, "activity_trend") == 1)
        + 1 * (1 in recent)
        + 0.5 * _is(_lv(p, "tenure_days"), 0)
    )


def _score_reactivator(p: dict[str, Any]) -> float:
    tenure = _lv(p, "tenure_days")
    return (
        2 * _is(_lv(p, "recency_days"), 1)
        + 1 * (tenure is not None and tenure >= 0)
        + 0.5 * _is(_lv(p, "monetary", "clv"), 0)
    )


ARCHETYPES: tuple[Archetype, ...] = (
    Archetype(
        "Silent loyalists",
        _score_loyalist,
        "Long-standing, valuable members whose activity stopped quietly.",
        ("a long routine broke and has not restarted", "marketing messages are easy to ignore"),
        "warm and appreciative",
        "thank them for their time with us and invite them back to their routine",
        "low",
    ),
    Archetype(
        "Trial-and-gone",
        _score_trial,
        "New members who tried a few times and vanished before a habit formed.",
        ("never found a routine that fit", "the first steps felt like too much"),
        "friendly and simple",
        "make the first step back small and show a quick win",
        "medium",
    ),
    Archetype(
        "Browsing researchers",
        _score_researcher,
        "Members who keep looking at content and messages but rarely act on them.",
        ("interested but unsure where to start", "information without a plan"),
        "helpful and informative",
        "turn their interest into one concrete first step",
        "low",
    ),
    Archetype(
        "Gradual decliners",
        _score_decliner,
        "Regular members whose activity has been sliding rather than stopping.",
        ("the routine slips a little every week", "less time or motivation than before"),
        "encouraging, with no pressure",
        "rebuild momentum with small, achievable goals",
        "medium",
    ),
    Archetype(
        "Reactivators",
        _score_reactivator,
        "Established members on a long break who tend to come back on their own.",
        ("lost the thread after a break", "unsure what changed while away"),
        "welcoming and low-key",
        "show what is new since they were last here",
        "none",
    ),
)
GENERIC = Archetype(
    "Drifting members",
    lambda p: 0.0,
    "Members whose activity dropped without one clear pattern.",
    ("their routine was interrupted",),
    "friendly and brief",
    "remind them what they enjoyed and make coming back easy",
    "low",
)
MIN_SCORE = 2.5


def _traits(p: dict[str, Any]) -> list[str]:
    words = {
        "tenure_days": ("short tenure", "long tenure"),
        "monetary": ("low spend", "high spend"),
        "frequency": ("few orders", "many orders"),
        "recency_days": ("recently active", "inactive for a long time"),
        "email_open_rate": ("rarely opens e-mails", "often opens e-mails"),
        "push_open_rate": ("rarely opens push notifications", "often opens push notifications"),
        "engagement_score": ("low engagement", "high engagement"),
    }
    traits: list[str] = []
    for name, (low, high) in words.items():
        level = _lv(p, name)
        if level == -1:
            traits.append(low)
        elif level == 1:
            traits.append(high)
    kind = _trend_kind(p)
    if kind == "sharp":
        traits.insert(0, "activity dropped sharply")
    elif kind == "decline":
        traits.insert(0, "activity slowly declining")
    cats = p.get("top_categories", {})
    if cats:
        top, share = next(iter(cats.items()))
        if share >= 0.3:
            traits.append(f"mostly into {top}")
    return traits[:4] or ["no single behaviour stands out"]


def _tier(p: dict[str, Any], base: str) -> str:
    """The archetype's tier, one step higher for high-value clusters at high churn risk."""
    value = _lv(p, "clv", "monetary")
    churn = p.get("churn_score", {}).get("median")
    bump = value == 1 and churn is not None and churn >= 0.8
    return TIERS[min(TIERS.index(base) + bump, len(TIERS) - 1)]


def _plan(p: dict[str, Any], arch: Archetype, name: str) -> dict[str, Any]:
    traits = _traits(p)
    score = arch.score(p)
    why = (
        f"Matches the '{arch.name}' pattern (rule score {score:g}): " + ", ".join(traits) + "."
        if arch is not GENERIC
        else "No archetype rule matched strongly; described from the cluster's numbers: "
        + ", ".join(traits)
        + "."
    )
    return {
        "cluster_id": p["cluster_id"],
        "name": name,
        "description": arch.description,
        "defining_traits": traits,
        "pain_points": list(arch.pain_points),
        "tone": arch.tone,
        "message_angle": arch.message_angle,
        "incentive_tier": _tier(p, arch.incentive_tier),
        "rationale": why,
        "source": "fallback",
    }


def _ranked(p: dict[str, Any]) -> list[tuple[float, int]]:
    """(score, archetype index) from best to worst, ties in ARCHETYPES order."""
    return sorted(((a.score(p), i) for i, a in enumerate(ARCHETYPES)), key=lambda t: (-t[0], t[1]))


def describe_profile(profile: ClusterProfile | dict[str, Any]) -> dict[str, Any]:
    """The rule-based plan for one cluster (its best archetype; `source: "fallback"`)."""
    p = profile_to_prompt_dict(profile)
    score, index = _ranked(p)[0]
    arch = ARCHETYPES[index] if score >= MIN_SCORE else GENERIC
    return _plan(p, arch, arch.name)


def describe_profiles(
    profiles: Iterable[ClusterProfile | dict[str, Any]],
) -> dict[int, dict[str, Any]]:
    """Rule-based plans for all clusters, by cluster id, with unique names (module doc)."""
    items = [profile_to_prompt_dict(p) for p in profiles]
    pairs = sorted(
        (
            (-score, p["cluster_id"], i, idx)
            for idx, p in enumerate(items)
            for score, i in _ranked(p)
            if score >= MIN_SCORE
        ),
    )
    chosen: dict[int, Archetype] = {}
    used: set[int] = set()
    for _, _, i, idx in pairs:
        if idx in chosen or i in used:
            continue
        chosen[idx] = ARCHETYPES[i]
        used.add(i)
    plans: dict[int, dict[str, Any]] = {}
    taken: set[str] = {a.name.lower() for a in chosen.values()}
    for idx, p in enumerate(items):
        if idx in chosen:
            arch = chosen[idx]
            name = arch.name
        else:
            score, i = _ranked(p)[0]
            arch = ARCHETYPES[i] if score >= MIN_SCORE else GENERIC
            name = _unique_name(arch.name, p, taken)
            taken.add(name.lower())
        plans[int(p["cluster_id"])] = _plan(p, arch, name)
    return plans


def _unique_name(base: str, p: dict[str, Any], taken: set[str]) -> str:
    candidates = [base]
    cats = list(p.get("top_categories", {}))
    if cats:
        candidates.append(f"{base}, {cats[0]} fans")
    candidates.append(f"{base}, group {p['cluster_id']}")
    for name in candidates:
        if name.lower() not in taken:
            return name
    n = 2
    while f"{base} {n}".lower() in taken:
        n += 1
    return f"{base} {n}"
