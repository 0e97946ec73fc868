"""Simulated outcomes for the demo: who came back after the campaign.

Real outcomes come from your product's data weeks after the send. For the
demo, `simulate_outcomes` draws them deterministically with a base return
rate that depends on churn score, plus an uplift for messaged users (a larger
one for the arm given), so `winback lift` has something honest to measure:
the numbers are simulated, and the file says so in its name.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from agent.store.batches import batch_arms


def simulate_outcomes(
    arms: pd.DataFrame,
    churn: pd.Series,
    *,
    uplift: dict[str, float] | None = None,
    seed: int = 11,
) -> pd.DataFrame:
    """`user_id, converted, revenue` for users with an `arm` column (control/baseline/treatment)."""
    uplift = uplift or {"control": 0.0, "baseline": 0.04, "treatment": 0.08}
    rng = np.random.default_rng(seed)
    score = churn.reindex(arms["user_id"]).to_numpy(dtype=float)
    base = np.clip(0.35 - 0.3 * score, 0.02, 0.5)
    p = np.clip(base + arms["arm"].map(uplift).fillna(0).to_numpy(), 0, 1)
    converted = (rng.random(len(arms)) < p).astype(int)
    revenue = np.where(converted == 1, np.round(rng.gamma(3.0, 7.0, len(arms)), 2), 0.0)
    return pd.DataFrame(
        {"user_id": arms["user_id"].to_numpy(), "converted": converted, "revenue": revenue}
    )


def write_demo_outcomes(engine: Engine, batch_id: str, cohort: pd.DataFrame, path: Path) -> None:
    """Simulated conversions for every user of the batch, as a CSV for `winback lift`."""
    arms = pd.DataFrame(list(batch_arms(engine, batch_id).items()), columns=["user_id", "arm"])
    churn = cohort.set_index(cohort["user_id"].astype(str))["churn_score"]
    simulate_outcomes(arms, churn).to_csv(path, index=False)
