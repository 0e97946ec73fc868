"""Transactions (and engagement events) in, the four scores per customer out, as of one day.

The order matters for "nothing written on bad input": every file is read and
checked, every customer summarised and both models fitted before the caller
writes anything. The scores:

- `churn_score`: P(no purchase in the next `horizon_days`) from BG/NBD (the
  seeds' "likelihood of lapse in the next period"); with `churn="dead"` it is
  1 - P(alive) instead. Both are in the cohort (`p_alive` as a feature). The
  default is the lapse probability because BG/NBD counts a customer who never
  came back (x = 0) as certainly alive, so 1 - P(alive) is 0 for every one-time
  buyer, exactly the "trial-and-gone" group a win-back wants.
- `propensity`: P(at least one purchase in the next `horizon_days`), a 0-1
  probability as the cohort schema requires; the expected number of purchases
  over the same horizon is the `expected_purchases` feature.
- `clv`: Gamma-Gamma expected spend per purchase times BG/NBD expected
  purchases over `clv_horizon_days`, discounted (`lifetime_value`).
- `engagement_score`: `engagement.engagement_scores`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from segments.cohort_loaders import CohortSource
from segments.errors import SegmentsError
from segments.scoring import bg_nbd
from segments.scoring.engagement import EngagementSettings, engagement_scores
from segments.scoring.event_files import EventTable, day_to_date, parse_as_of, read_events
from segments.scoring.gamma_gamma import GammaGammaParams, expected_spend, fit_gamma_gamma
from segments.scoring.lifetime_value import lifetime_value
from segments.scoring.purchase_summary import PurchaseSummary, summarise_purchases
from segments.scoring.scored_cohort import COLUMN_ORDER

ChurnDefinition = Literal["no-purchase", "dead"]


@dataclass(frozen=True)
class ScoreOptions:
    """What to score and how (see `winback score --help`)."""

    transactions: CohortSource
    events: CohortSource | None = None
    as_of: str | None = None
    horizon_days: float = 30.0
    clv_horizon_days: float = 365.0
    discount_rate: float = 0.10
    churn: ChurnDefinition = "no-purchase"
    engagement: EngagementSettings = field(default_factory=EngagementSettings)
    date_format: str | None = None
    skip_new: bool = False
    keep_columns: tuple[str, ...] = ()


@dataclass
class Models:
    """The two fitted models."""

    purchases: bg_nbd.BgNbdParams
    spend: GammaGammaParams

    def as_dict(self) -> dict:
        """JSON-ready form (BG/NBD in weeks, as in the paper)."""
        return {
            "bg_nbd": {**self.purchases.as_dict(), "time_unit": "weeks"},
            "gamma_gamma": self.spend.as_dict(),
        }


@dataclass
class ScoredCohort:
    """The scored cohort frame plus what it was computed from."""

    frame: pd.DataFrame
    as_of: int
    models: Models
    transactions: int
    events: int
    skipped_new: int
    events_without_purchase: int

    def summary(self) -> dict:
        """JSON-ready description (no per-user data)."""
        return {
            "as_of": day_to_date(self.as_of),
            "customers": len(self.frame),
            "transactions": self.transactions,
            "engagement_events": self.events,
            "skipped_new_customers": self.skipped_new,
            "engaged_users_without_purchase": self.events_without_purchase,
            "models": self.models.as_dict(),
        }


def fit_models(summary: PurchaseSummary) -> Models:
    """Fit BG/NBD on (x, tx, T) and Gamma-Gamma on repeat buyers' mean spend."""
    purchases = bg_nbd.fit_bg_nbd(summary.x, summary.tx_weeks(), summary.T_weeks())
    spend = fit_gamma_gamma(summary.x, summary.repeat_mean)
    return Models(purchases, spend)


def read_inputs(options: ScoreOptions) -> tuple[EventTable, EventTable | None, int]:
    """Both files read and checked, and the as-of day (default: the last event's day)."""
    as_of = parse_as_of(options.as_of)
    transactions = read_events(
        options.transactions,
        as_of=as_of,
        date_format=options.date_format,
        keep_columns=options.keep_columns,
    )
    events = None
    if options.events is not None:
        events = read_events(
            options.events,
            what="engagement events",
            need_amount=False,
            as_of=as_of,
            date_format=options.date_format,
        )
    if as_of is None:
        as_of = int(transactions.day.max())
        if events is not None:
            as_of = max(as_of, int(events.day.max()))
    return transactions, events, as_of


def score_summary(
    summary: PurchaseSummary,
    models: Models,
    options: ScoreOptions,
    transactions: EventTable,
    events: EventTable | None,
) -> pd.DataFrame:
    """The cohort frame for summarised customers under fitted models."""
    x, tx, T = summary.x, summary.tx_weeks(), summary.T_weeks()
    horizon = options.horizon_days / 7.0
    p = models.purchases
    alive = bg_nbd.probability_alive(p, x, tx, T)
    quiet = bg_nbd.probability_no_purchase(p, horizon, x, tx, T)
    expected = bg_nbd.expected_purchases(p, horizon, x, tx, T)
    spend = expected_spend(models.spend, x, summary.repeat_mean)
    clv = lifetime_value(
        p,
        spend,
        x,
        tx,
        T,
        horizon_days=options.clv_horizon_days,
        annual_discount_rate=options.discount_rate,
    )
    in_window = transactions.day <= summary.as_of
    pos = summary.user_id.get_indexer(transactions.user_id[in_window])
    known = pos >= 0
    ev_user = ev_day = ev_kind = None
    if events is not None:
        mask = events.day <= summary.as_of
        ev_user, ev_day = events.user_id[mask], events.day[mask]
        ev_kind = None if events.kind is None else events.kind[mask]
    engagement, last_active = engagement_scores(
        summary.user_id,
        summary.as_of,
        pos[known],
        transactions.day[in_window][known],
        ev_user,
        ev_day,
        ev_kind,
        options.engagement,
    )
    churn = (1 - alive) if options.churn == "dead" else quiet
    orders = summary.purchase_days
    frame = pd.DataFrame(
        {
            "user_id": summary.user_id.to_numpy(dtype=object),
            "churn_score": np.round(churn, 6),
            "propensity": np.round(1 - quiet, 6),
            "clv": np.round(np.maximum(clv, 0), 2),
            "engagement_score": np.round(engagement, 6),
            "days_since_last_activity": (summary.as_of - last_active).astype(np.int64),
            "lifetime_orders": orders,
            "total_spend": np.round(summary.total_spend, 2),
            "avg_order_value": np.round(summary.total_spend / np.maximum(orders, 1), 2),
            "tenure_days": (summary.as_of - summary.first_day).astype(np.int64),
            "p_alive": np.round(alive, 6),
            "expected_purchases": np.round(expected, 6),
            "expected_spend": np.round(spend, 2),
            "scores_as_of": day_to_date(summary.as_of),
        }
    )[COLUMN_ORDER]
    if transactions.extra is not None:
        latest = _latest_values(transactions, summary)
        for col in latest.columns:
            if col not in frame.columns:
                frame[col] = latest[col].to_numpy()
    return frame


def _latest_values(transactions: EventTable, summary: PurchaseSummary) -> pd.DataFrame:
    """Each kept column's value on the customer's latest transaction (e.g. region, plan)."""
    extra = transactions.extra
    assert extra is not None
    order = np.argsort(transactions.day, kind="stable")
    frame = extra.iloc[order].assign(_user=transactions.user_id.to_numpy()[order])
    latest = frame.groupby("_user", sort=False).last()
    return latest.reindex(summary.user_id)


def score_events(options: ScoreOptions) -> ScoredCohort:
    """Read, check, summarise, fit and score; `SegmentsError` on bad input (nothing written)."""
    if options.horizon_days <= 0 or options.clv_horizon_days <= 0:
        raise SegmentsError(
            "The scoring horizons must be positive numbers of days",
            "Pass e.g. --horizon-days 30 --clv-horizon-days 365.",
        )
    transactions, events, as_of = read_inputs(options)
    summary, skipped = summarise_purchases(transactions, as_of, skip_new=options.skip_new)
    models = fit_models(summary)
    frame = score_summary(summary, models, options, transactions, events)
    without_purchase = 0
    if events is not None:
        without_purchase = int(pd.Index(events.user_id.unique()).difference(summary.user_id).size)
    return ScoredCohort(
        frame=frame,
        as_of=as_of,
        models=models,
        transactions=len(transactions),
        events=0 if events is None else len(events),
        skipped_new=skipped,
        events_without_purchase=without_purchase,
    )
