"""One row per customer from a transaction log: what the models need (x, tx, T, mean spend).

Purchases are counted in days, as in the BG/NBD paper: several transactions on
one day are one purchase whose value is their sum. For each customer:

- `purchase_days`  days with a purchase (x + 1), reported as `lifetime_orders`;
- `x`              repeat purchase days (after the first);
- `tx`, `T`        the last purchase and the as-of date, in days after the first;
- `repeat_mean`    the mean value of the repeat purchase days (the first left out,
                   as the Gamma-Gamma paper does), 0 when x = 0;
- `total_spend`    every amount added up.

The work is a few sorted-array passes (no per-customer Python): one `np.unique`
of a (customer, day) key, then `reduceat` over customer boundaries, so ten
million transactions summarise in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from segments.errors import SegmentsError
from segments.scoring.event_files import EventTable, day_to_date


@dataclass
class PurchaseSummary:
    """Per-customer purchase history as of one day (arrays aligned with `user_id`)."""

    user_id: pd.Index
    as_of: int
    first_day: np.ndarray
    last_day: np.ndarray
    purchase_days: np.ndarray
    total_spend: np.ndarray
    repeat_mean: np.ndarray

    def __len__(self) -> int:
        return len(self.user_id)

    @property
    def x(self) -> np.ndarray:
        """Repeat purchase days."""
        return (self.purchase_days - 1).astype(np.float64)

    def tx_weeks(self) -> np.ndarray:
        """Time of the last purchase after the first, in weeks (the models' unit)."""
        return (self.last_day - self.first_day) / 7.0

    def T_weeks(self) -> np.ndarray:
        """Time from the first purchase to the as-of date, in weeks."""
        return (self.as_of - self.first_day) / 7.0


def summarise_purchases(
    events: EventTable, as_of: int, *, skip_new: bool = False
) -> tuple[PurchaseSummary, int]:
    """The per-customer summary and how many customers first bought on the as-of day.

    A customer whose first purchase is on the as-of day has been observed for no
    time at all: the model can say nothing about them. That is an error naming the
    row, unless `skip_new`, when they are left out and counted.
    """
    if events.amount is None:
        raise ValueError("transactions need amounts")
    codes, users = pd.factorize(events.user_id)
    day = events.day
    span = np.int64(int(day.max()) - int(day.min()) + 1)
    key = codes.astype(np.int64) * span + (day - day.min())
    unique_key, inverse = np.unique(key, return_inverse=True)
    day_spend = np.bincount(inverse, weights=events.amount, minlength=len(unique_key))
    user_of_key = unique_key // span
    day_of_key = unique_key % span + day.min()
    starts = np.flatnonzero(np.r_[True, user_of_key[1:] != user_of_key[:-1]])
    ends = np.r_[starts[1:], len(unique_key)]
    user_codes = user_of_key[starts]
    first_day = day_of_key[starts]
    last_day = day_of_key[ends - 1]
    purchase_days = (ends - starts).astype(np.int64)
    total = np.add.reduceat(day_spend, starts)
    first_spend = day_spend[starts]
    repeats = purchase_days - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        repeat_mean = np.where(repeats > 0, (total - first_spend) / np.maximum(repeats, 1), 0.0)
    new = first_day >= as_of
    skipped = int(new.sum())
    if skipped and not skip_new:
        code = int(user_codes[np.flatnonzero(new)[0]])
        row = int(events.rows[np.flatnonzero(codes == code)[0]])
        raise SegmentsError(
            f"The transactions in {events.source} cannot be scored: row {row}, column "
            f"timestamp: user '{users[code]}' first bought on the as-of date "
            f"{day_to_date(as_of)}, so there is no history to score "
            f"({skipped} customer{'s' if skipped > 1 else ''} in all)",
            "Pass a later --as-of, or --skip-new to leave such customers out of the cohort.",
        )
    keep = ~new
    summary = PurchaseSummary(
        user_id=pd.Index(np.asarray(users, dtype=object)[user_codes[keep]], name="user_id"),
        as_of=as_of,
        first_day=first_day[keep],
        last_day=last_day[keep],
        purchase_days=purchase_days[keep],
        total_spend=total[keep],
        repeat_mean=repeat_mean[keep],
    )
    if len(summary) == 0:
        raise SegmentsError(
            f"No customer in {events.source} bought before the as-of date {day_to_date(as_of)}",
            "Pass a later --as-of.",
        )
    return summary, skipped


def holdout_purchases(events: EventTable, users: pd.Index, start: int, end: int) -> np.ndarray:
    """Purchase days per customer in (start, end] (0 for customers without one)."""
    window = (events.day > start) & (events.day <= end)
    frame = pd.DataFrame({"u": events.user_id[window].to_numpy(), "d": events.day[window]})
    counts = frame.drop_duplicates().groupby("u").size()
    return counts.reindex(users, fill_value=0).to_numpy(dtype=np.float64)
