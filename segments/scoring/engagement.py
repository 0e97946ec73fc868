"""The engagement score: a documented 0-1 composite of recent activity.

Activity is every engagement event (opens, sessions, visits, ...) and every
purchase day, each with a weight (1 unless `--event-weight KIND=W` says
otherwise; purchases weigh `purchase_weight`). Two parts, averaged:

- recency   = 2^(-days since the last activity / half_life): 1 today, 0.5 one
              half-life ago;
- intensity = 1 - 2^(-A / saturation), where A is the weighted activity with each
              event decayed by 2^(-its age / half_life): `saturation` fresh events
              give 0.5, twice as many 0.75.

engagement = 0.5 * recency + 0.5 * intensity. With the defaults (half-life 14
days, saturation 3), a customer active daily is near 1, one last seen a month
ago with a handful of events is near 0.15, one silent for three months is near
0. The score is absolute, not a rank within the population: it moves when
behaviour moves, which is what drift monitoring needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class EngagementSettings:
    """The composite's knobs (see the module docstring)."""

    half_life_days: float = 14.0
    saturation: float = 3.0
    purchase_weight: float = 1.0
    event_weights: dict[str, float] = field(default_factory=dict)


def engagement_scores(
    users: pd.Index,
    as_of: int,
    purchase_user: np.ndarray,
    purchase_day: np.ndarray,
    event_user: pd.Series | None = None,
    event_day: np.ndarray | None = None,
    event_kind: pd.Series | None = None,
    settings: EngagementSettings | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per customer: the engagement score and the last active day (purchases and events).

    `purchase_user` holds positions into `users` (one per purchase day); events carry
    user ids and are matched to `users` (events of unknown users are ignored).
    """
    s = settings or EngagementSettings()
    n = len(users)
    idx = [np.asarray(purchase_user, dtype=np.int64)]
    days = [np.asarray(purchase_day, dtype=np.int64)]
    weights = [np.full(len(purchase_day), s.purchase_weight)]
    if event_user is not None and event_day is not None and len(event_day):
        pos = users.get_indexer(event_user)
        known = pos >= 0
        w = np.ones(len(event_day))
        if event_kind is not None and s.event_weights:
            w = event_kind.map(s.event_weights).fillna(1.0).to_numpy(dtype=np.float64)
        idx.append(pos[known])
        days.append(np.asarray(event_day)[known])
        weights.append(w[known])
    user = np.concatenate(idx)
    day = np.concatenate(days)
    weight = np.concatenate(weights)
    age = np.maximum(as_of - day, 0)
    decayed = weight * np.exp2(-age / s.half_life_days)
    activity = np.bincount(user, weights=decayed, minlength=n)
    last = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last, user, day)
    recency = np.exp2(-np.maximum(as_of - last, 0) / s.half_life_days)
    intensity = 1 - np.exp2(-activity / s.saturation)
    return np.clip(0.5 * recency + 0.5 * intensity, 0.0, 1.0), last
