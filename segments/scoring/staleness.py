"""How old a cohort's scores are: for `winback run` to warn before acting on stale scores.

`winback score` writes the date its scores describe into every row
(`scores_as_of`). Scores decay as behaviour moves ("model decay ... retrain on a
schedule"), so a run on a cohort scored long ago should say so. Cohorts from
elsewhere have no such column and get no warning.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

AS_OF_COLUMN = "scores_as_of"
DEFAULT_MAX_AGE_DAYS = 7


def score_age_days(frame: pd.DataFrame, today: date) -> int | None:
    """Days between the oldest `scores_as_of` in the cohort and `today`; None without it."""
    if AS_OF_COLUMN not in frame.columns or frame.empty:
        return None
    stamps = pd.to_datetime(frame[AS_OF_COLUMN], errors="coerce").dropna()
    if stamps.empty:
        return None
    return (today - stamps.min().date()).days


def stale_scores_warning(
    frame: pd.DataFrame, today: date, max_age_days: int = DEFAULT_MAX_AGE_DAYS
) -> str | None:
    """A one-line warning when the cohort's scores are older than `max_age_days`."""
    age = score_age_days(frame, today)
    if age is None or age <= max_age_days:
        return None
    return (
        f"The cohort's scores are {age} days old (scored as of "
        f"{(pd.Timestamp(today) - pd.Timedelta(days=age)).date()}; the limit is {max_age_days} "
        "days). Re-run `winback score` on fresh events before acting on them."
    )
