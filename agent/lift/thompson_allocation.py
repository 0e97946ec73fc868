"""Which share of the treatment arm each variant gets next: Thompson sampling with a floor.

Equal shares waste users on variants that have already lost. Thompson
sampling (as in Braze's Intelligent Selection) gives each variant the
probability, under its posterior, that it is the best one: every variant's
conversion rate gets a Beta posterior from past batches, `draws` joint samples
are taken, and a variant's probability of being best is the share of draws it
wins.

The prior is shared and weak: Beta(m * p0, m * (1 - p0)) with p0 the pooled
rate of all variants' history ((conversions + 1) / (users + 2)) and m =
`prior_users` (20). A flat Beta(1, 1) prior would be wrong here: conversion
rates are a few percent, and a new variant with a flat prior (mean 50%) would
look best and take most users. With the pooled prior a new variant is
"probably average, could be anything near it", so it is tried, not crowned. A floor keeps every
variant in play (share = floor + (1 - K * floor) * P(best)), so a new variant
with no history, or an unlucky one, is still tried; when K * floor >= 1 the
split is simply equal.

Scope, by design: only the treatment arm is divided. Arms are decided first
by `segments.experiment_arms` (and the global control before them, by
`segments.global_control`); `assign_variants_by_share` gives a variant to
treatment users only and returns None for everyone else, whatever the
history says. Sampling uses a seeded generator, so a re-run of the same
batch gives the same shares.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from segments.experiment_arms import arm_hash

DEFAULT_FLOOR = 0.10
DEFAULT_DRAWS = 20_000
PRIOR_USERS = 20.0


@dataclass(frozen=True)
class VariantHistory:
    """A variant's results in earlier batches (users sent it, users who converted)."""

    variant: str
    users: int = 0
    conversions: int = 0


@dataclass(frozen=True)
class VariantShare:
    """A variant's share of the next batch's treatment users, and why."""

    variant: str
    share: float
    probability_best: float
    users: int
    conversions: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return asdict(self)


def _check(history: Sequence[VariantHistory], floor: float) -> None:
    if not history:
        raise ValueError("no variants to allocate")
    names = [h.variant for h in history]
    if len(set(names)) != len(names):
        raise ValueError(f"variants appear twice: {sorted(n for n in names if names.count(n) > 1)}")
    for h in history:
        if h.users < 0 or not 0 <= h.conversions <= h.users:
            raise ValueError(f"variant {h.variant}: need 0 <= conversions <= users")
    if not 0 <= floor <= 1:
        raise ValueError("floor must be between 0 and 1")


def probability_best(
    history: Sequence[VariantHistory],
    *,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    prior_users: float = PRIOR_USERS,
) -> np.ndarray:
    """P(variant has the highest rate) under independent Beta posteriors (pooled prior)."""
    rng = np.random.default_rng(seed)
    pooled = (sum(h.conversions for h in history) + 1) / (sum(h.users for h in history) + 2)
    a = np.array([prior_users * pooled + h.conversions for h in history], dtype=float)
    b = np.array(
        [prior_users * (1 - pooled) + h.users - h.conversions for h in history], dtype=float
    )
    samples = rng.beta(a, b, size=(draws, len(history)))
    wins = np.bincount(samples.argmax(axis=1), minlength=len(history))
    return wins / draws


def thompson_shares(
    history: Sequence[VariantHistory],
    *,
    floor: float = DEFAULT_FLOOR,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
) -> list[VariantShare]:
    """Each variant's share of treatment users and a sentence on why (see module doc)."""
    _check(history, floor)
    k = len(history)
    floor = min(floor, 1 / k)
    p_best = probability_best(history, draws=draws, seed=seed)
    out = []
    for h, p in zip(history, p_best, strict=True):
        share = floor + (1 - k * floor) * float(p)
        if h.users == 0:
            past = "no past results"
        else:
            past = f"{h.conversions}/{h.users} converted ({h.conversions / h.users:.1%}) before"
        if k * floor >= 1 - 1e-12:
            why = (
                f"equal split: the {floor:.0%} floor for {k} variants leaves nothing to learn with"
            )
        elif h.users == 0:
            why = f"new, so it gets the {floor:.0%} floor plus its chance of being best"
        elif share - floor < 0.005:
            why = f"probably not the best (P = {p:.2f}), kept at the {floor:.0%} floor"
        else:
            why = f"P(best) = {p:.2f}, on top of the {floor:.0%} floor"
        out.append(
            VariantShare(h.variant, share, float(p), h.users, h.conversions, f"{past}; {why}")
        )
    return out


def uniform_shares(variants: Sequence[str]) -> list[VariantShare]:
    """Equal shares (the allocation without history), in the same shape."""
    k = len(variants)
    return [
        VariantShare(v, 1 / k, 1 / k, 0, 0, "equal split: no outcomes imported yet")
        for v in variants
    ]


def share_counts(n: int, shares: Sequence[float]) -> list[int]:
    """Split n users by shares exactly (largest remainder): counts sum to n."""
    total = sum(shares)
    exact = [n * s / total for s in shares]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(shares)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[: n - sum(counts)]:
        counts[i] += 1
    return counts


def assign_variants_by_share(
    users: Iterable[tuple[object, str]],
    shares: Mapping[str, float],
    *,
    salt: str,
    excluded: Iterable[object] = (),
) -> dict[str, str | None]:
    """user_id -> variant for treatment users, None for every other user.

    `users` are (user_id, arm) pairs; `excluded` (e.g. the global control) never
    gets a variant either. Treatment users are ordered by sha256(salt, user_id)
    and given consecutive blocks sized by largest remainder, so the counts
    match the shares exactly and the assignment does not depend on row order.
    """
    pairs = [(str(u), arm) for u, arm in users]
    skip = {str(u) for u in excluded}
    out: dict[str, str | None] = {u: None for u, _ in pairs}
    treated = sorted({u for u, arm in pairs if arm == "treatment" and u not in skip})
    names = [v for v, s in shares.items() if s > 0]
    if not treated or not names:
        return out
    counts = share_counts(len(treated), [shares[v] for v in names])
    keys = arm_hash(treated, salt)
    order = [treated[i] for i in np.argsort(keys, kind="stable")]
    start = 0
    for name, count in zip(names, counts, strict=True):
        for user in order[start : start + count]:
            out[user] = name
        start += count
    return out
