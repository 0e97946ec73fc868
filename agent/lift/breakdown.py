"""Lift per variant and per segment, beside the arm-level result, with a stated correction.

Users are counted once per group they belong to: a segment (the one their
draft recorded) and, in the treatment arm, each variant they were sent (one
per channel). Every variant is compared with the control arm and with the
baseline arm, overall and within its segment; every segment's treatment arm
is compared with the segment's control and baseline. These comparisons form
one family, corrected together by Holm (default) or Benjamini-Hochberg
(`agent.lift.multiple_testing`): each keeps its raw `p_value` and gains
`p_value_adjusted` and `significant_adjusted`. The three arm-level comparisons
are the batch's primary question and are not part of the family.

Views: intent-to-treat (every user in the arm they were assigned) or, on
request, per-protocol (baseline and treatment users only if a draft of
theirs was approved and exported; control users all stay, as they have
nothing to approve). Per-protocol compares self-selected groups (reviewers
chose what went out) and is labelled so wherever it is printed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agent.lift.multiple_testing import CORRECTIONS, adjust
from agent.lift.stats import ALPHA, Arm, compare
from agent.store.outcomes import Outcome
from segments.experiment_arms import ARMS

VIEWS = {
    "itt": "intent-to-treat: every user counts in the arm they were assigned to",
    "per_protocol": (
        "per-protocol: baseline and treatment users only if a draft of theirs was approved "
        "and exported (control users all stay); the groups are self-selected by review, "
        "so read it beside the intent-to-treat result, not instead of it"
    ),
}


@dataclass
class BatchUser:
    """One user of a batch: arm, segment, the variants sent, whether a draft went out."""

    user_id: str
    arm: str
    segment: str | None = None
    variants: set[str] = field(default_factory=set)
    exported: bool = False


def batch_users(exposure: Iterable[Mapping[str, Any]]) -> dict[str, BatchUser]:
    """Fold a batch's drafts (one per user and channel) into one record per user."""
    users: dict[str, BatchUser] = {}
    for row in exposure:
        user = users.setdefault(row["user_id"], BatchUser(row["user_id"], row["arm"]))
        user.segment = user.segment or row.get("segment")
        if row["arm"] == "treatment" and row.get("variant"):
            user.variants.add(row["variant"])
        if row.get("status") == "approved" and row.get("exported_at") is not None:
            user.exported = True
    return users


def in_view(user: BatchUser, view: str) -> bool:
    """Whether a user counts in this view."""
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}")
    return view == "itt" or user.arm == "control" or user.exported


def totals(name: str, users: Iterable[str], outcomes: Mapping[str, Outcome]) -> Arm:
    """An Arm from user ids; users without an outcome count as not converted."""
    n = x = 0
    revenue = 0.0
    for u in users:
        n += 1
        o = outcomes.get(u)
        if o is not None:
            x += o.converted
            revenue += o.revenue
    return Arm(name, n, x, revenue)


def _group(arms: dict[str, Arm], label: str) -> dict[str, Any]:
    return {"name": label, "arms": {a: arms[a].to_dict() for a in arms}}


def breakdown(
    users: Mapping[str, BatchUser],
    outcomes: Mapping[str, Outcome],
    *,
    view: str = "itt",
    correction: str = "holm",
    alpha: float = ALPHA,
) -> dict[str, Any]:
    """Per-variant and per-segment groups with comparisons, corrected as one family."""
    if correction not in CORRECTIONS:
        raise ValueError(f"unknown correction {correction!r}")
    kept = [u for u in users.values() if in_view(u, view)]
    by_arm = {a: [u.user_id for u in kept if u.arm == a] for a in ARMS}
    control, baseline = (totals(a, by_arm[a], outcomes) for a in ("control", "baseline"))
    family: list[dict[str, Any]] = []

    def compared(treated: Arm, references: Iterable[Arm]) -> list[dict[str, Any]]:
        out = [compare(treated, ref, alpha) for ref in references if ref.users]
        family.extend(c for c in out if "p_value" in c)
        return out

    # one pass over the users: ids per variant, per segment and arm, per segment and variant
    by_variant: dict[str, list[str]] = {}
    by_segment: dict[str, dict[str, list[str]]] = {}
    by_segment_variant: dict[str, dict[str, list[str]]] = {}
    for u in kept:
        for v in u.variants:
            by_variant.setdefault(v, []).append(u.user_id)
        if u.segment is None:
            continue
        by_segment.setdefault(u.segment, {a: [] for a in ARMS})[u.arm].append(u.user_id)
        for v in u.variants:
            by_segment_variant.setdefault(u.segment, {}).setdefault(v, []).append(u.user_id)
    variants_out = []
    for variant, ids in sorted(by_variant.items()):
        arm = totals(variant, ids, outcomes)
        variants_out.append(
            {"variant": variant, **arm.to_dict(), "comparisons": compared(arm, [control, baseline])}
        )
    segments_out = []
    for segment, members in sorted(by_segment.items()):
        arms = {a: totals(a, members[a], outcomes) for a in ARMS}
        seg_refs = [arms["control"], arms["baseline"]]
        entry = _group(arms, segment)
        entry["comparisons"] = compared(arms["treatment"], seg_refs)
        entry["variants"] = []
        for variant, ids in sorted(by_segment_variant.get(segment, {}).items()):
            arm = totals(variant, ids, outcomes)
            entry["variants"].append(
                {"variant": variant, **arm.to_dict(), "comparisons": compared(arm, seg_refs)}
            )
        segments_out.append(entry)
    adjusted = adjust([c["p_value"] for c in family], correction) if family else []
    for c, p in zip(family, adjusted, strict=True):
        c["p_value_adjusted"] = p
        c["significant_adjusted"] = p < alpha
    return {
        "variants": variants_out,
        "segments": segments_out,
        "correction": {
            "method": correction,
            "description": CORRECTIONS[correction],
            "comparisons": len(family),
            "family": "every per-variant and per-segment comparison of this report "
            "(the three arm-level comparisons are the primary question and not adjusted)",
        },
    }
