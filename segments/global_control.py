"""Where the global control group is decided: users no campaign messages for a period.

A campaign's own control arm measures that campaign. A global control group
(Braze's Global Control Group) measures all of them together: a share of all
users, the same for every campaign, that receives nothing while the period
lasts, so the total effect of messaging is measurable and over-messaging
shows up.

Membership is a hash threshold, like the arms (`segments.experiment_arms`):
u = first 8 bytes of sha256(salt + 0x1f + user_id) / 2**64, and a user is in
the global control when u < share. The salt is `winback-global-control:` plus
the period label (`2025-Q1` for a quarter, `2025-03` for a month, `2025` for a
year), not a campaign name: every campaign of the period holds out the same
users, the group is independent of every campaign's arms (other salt), and
it is redrawn when the period turns, so no user is held out forever.

Limits, as Braze documents them: a share from 1% to 15%, and at least 1,000
users in the group for its lift to be readable. A share of 0 turns it off.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np

from segments.errors import SegmentsError
from segments.experiment_arms import arm_hash

MIN_SHARE = 0.01
MAX_SHARE = 0.15
MIN_USERS = 1000
PERIODS = ("quarter", "month", "year")
SALT_PREFIX = "winback-global-control"


def check_global_control_share(share: float) -> None:
    """Refuse a share outside 0 (off) or 1%-15%."""
    if share != 0 and not MIN_SHARE <= share <= MAX_SHARE:
        raise SegmentsError(
            f"Global control share {share} is outside {MIN_SHARE:.0%}-{MAX_SHARE:.0%}",
            f"Use 0 (no global control) or a share from {MIN_SHARE} to {MAX_SHARE}.",
        )


def period_label(day: date, period: str = "quarter") -> str:
    """The label of the period holding `day`: `2025-Q1`, `2025-03` or `2025`."""
    if period == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if period == "month":
        return f"{day.year}-{day.month:02d}"
    if period == "year":
        return str(day.year)
    raise SegmentsError(
        f"Unknown global control period {period!r}", f"Use one of: {', '.join(PERIODS)}."
    )


def global_control_mask(user_ids: Iterable[object], share: float, period: str) -> np.ndarray:
    """True per user in the global control of `period` (a label from `period_label`)."""
    check_global_control_share(share)
    users = list(user_ids)
    if share == 0:
        return np.zeros(len(users), dtype=bool)
    return arm_hash(users, f"{SALT_PREFIX}:{period}") < share


def in_global_control(user_id: object, share: float, period: str) -> bool:
    """Whether one user is in the global control of `period`."""
    return bool(global_control_mask([user_id], share, period)[0])


def global_control_warnings(held_out: int, share: float) -> list[str]:
    """Plain-words warnings on a group too small to read (Braze: at least 1,000 users)."""
    if share and held_out < MIN_USERS:
        return [
            f"the global control holds {held_out} users (fewer than {MIN_USERS:,}): "
            "its lift will be too noisy to read; a larger audience or share helps"
        ]
    return []
