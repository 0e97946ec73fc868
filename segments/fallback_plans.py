"""The deterministic fallback plan: a segment named and described by rules, not the model.

`describe_profile(profile)` is the deterministic fallback plan (same fields as
the model's `SegmentPlan`, `source: "fallback"`), chosen by the rules in
`ARCHETYPES` after the seeds' archetypes. `describe_profiles(profiles)` does
all clusters at once and keeps names unique: each archetype goes to the
cluster that matches it best; a cluster whose best archetype is taken gets its
next good match, else the name plus a qualifier (its top category or number).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from segments.cluster_profiles import ClusterProfile, profile_to_prompt_dict
from segments.incentives import SEGMENT_TIERS as TIERS

SHARP_DROP, DECLINE = -0.6, -0.15


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
