"""Which variants won in their segment, so the next batch's prompts can show them as examples.

A winner must beat two things, with evidence, in its own segment and channel:

1. the other variants: P(best among the segment's variants) >= 0.8 under
   the Beta posteriors of `thompson_allocation` (pooled, weak prior), and
2. the segment's reference (the baseline arm's human copy when the segment
   has baseline users, else its control arm): P(variant rate > reference
   rate) >= 0.95, with flat Beta(1, 1) priors for both;

and have at least `min_users` users. Few data make no winner, on purpose: a
lucky variant copied into every later prompt would be a compounding mistake.
Every variant gets a decision and a reason, so the run can say why a variant
is, or is not, an example. The caller provides the variant's template text
(`subject`, `body`), never a rendered per-user message, so no PII enters a prompt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from agent.lift.thompson_allocation import VariantHistory, probability_best

MIN_P_BEST = 0.8
MIN_P_BEATS_REFERENCE = 0.95
MIN_USERS = 30
DRAWS = 20_000


@dataclass(frozen=True)
class VariantResult:
    """A variant's outcome in one segment and channel, with its template text."""

    segment: str
    channel: str
    variant: str
    users: int
    conversions: int
    subject: str | None = None
    body: str | None = None


@dataclass(frozen=True)
class Reference:
    """The segment's comparison arm: its name ("baseline" or "control") and totals."""

    arm: str
    users: int
    conversions: int


@dataclass(frozen=True)
class WinnerDecision:
    """Whether a variant becomes an example, with the evidence and a reason."""

    segment: str
    channel: str
    variant: str
    winner: bool
    probability_best: float
    probability_beats_reference: float | None
    reason: str
    subject: str | None = None
    body: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return asdict(self)


def _p_beats(x: int, n: int, ref: Reference, rng: np.random.Generator) -> float:
    mine = rng.beta(1 + x, 1 + n - x, DRAWS)
    theirs = rng.beta(1 + ref.conversions, 1 + ref.users - ref.conversions, DRAWS)
    return float((mine > theirs).mean())


def pick_winners(
    results: Sequence[VariantResult],
    references: dict[str, Reference],
    *,
    min_users: int = MIN_USERS,
    seed: int = 0,
) -> list[WinnerDecision]:
    """A decision per variant (see module doc); `references` maps segment -> its reference arm."""
    rng = np.random.default_rng(seed)
    groups: dict[tuple[str, str], list[VariantResult]] = {}
    for r in results:
        groups.setdefault((r.segment, r.channel), []).append(r)
    out: list[WinnerDecision] = []
    for (segment, _channel), group in sorted(groups.items()):
        history = [VariantHistory(r.variant, r.users, r.conversions) for r in group]
        p_best = probability_best(history, draws=DRAWS, seed=int(rng.integers(2**32)))
        ref = references.get(segment)
        for r, pb in zip(group, p_best, strict=True):
            beats = None
            if r.users < min_users:
                reason = f"only {r.users} users (needs {min_users})"
            elif len(group) > 1 and pb < MIN_P_BEST:
                reason = f"P(best in segment) = {pb:.2f} < {MIN_P_BEST}"
            elif ref is None or ref.users == 0:
                reason = "no baseline or control users in this segment to beat"
            else:
                beats = _p_beats(r.conversions, r.users, ref, rng)
                if beats < MIN_P_BEATS_REFERENCE:
                    reason = f"P(beats {ref.arm}) = {beats:.2f} < {MIN_P_BEATS_REFERENCE}"
                else:
                    reason = (
                        f"won: {r.conversions}/{r.users} converted, P(best) = {pb:.2f}, "
                        f"P(beats {ref.arm}) = {beats:.2f}"
                    )
            won = reason.startswith("won")
            out.append(
                WinnerDecision(
                    segment, r.channel, r.variant, won, float(pb), beats, reason,
                    r.subject if won else None, r.body if won else None,
                )
            )  # fmt: skip
    return out


def winning_examples(decisions: Sequence[WinnerDecision]) -> dict[tuple[str, str], list[dict]]:
    """(segment, channel) -> the winners' template text, ready for a prompt's examples."""
    out: dict[tuple[str, str], list[dict]] = {}
    for d in decisions:
        if d.winner:
            out.setdefault((d.segment, d.channel), []).append(
                {"variant": d.variant, "subject": d.subject, "body": d.body}
            )
    return out
