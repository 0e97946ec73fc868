"""The global control stage: the period's held-out users leave the batch before the arms.

`segments.global_control` decides membership (a hash of the period label and
the user id, the same for every campaign); this stage applies it to the users
a batch could message (after the rule and the suppression, so the group is
comparable with the arms), takes them out before the experiment arms, and
records them for the lift (`agent.store.global_holdouts`, idempotent, so a
resumed run adds nothing). A held-out user gets no draft, no control row and
no export: the campaign never saw them, except in the lift's comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from agent.campaign import GlobalControlSettings
from agent.store.global_holdouts import record_global_holdouts
from segments.global_control import global_control_mask, global_control_warnings, period_label


@dataclass
class GlobalHoldout:
    """Who of the eligible users the period's global control keeps out, and the warnings."""

    share: float
    period: str
    user_ids: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    recorded: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The run's JSON `global_control` entry."""
        return {
            "share": self.share,
            "period": self.period,
            "held_out": len(self.user_ids),
            "recorded_new": self.recorded,
            "warnings": self.warnings,
        }


def hold_out_global_control(
    eligible: pd.DataFrame, setting: GlobalControlSettings, today: date
) -> tuple[pd.DataFrame, GlobalHoldout]:
    """The eligible users minus the period's global control group, and who was held out."""
    period = period_label(today, setting.period)
    mask = global_control_mask(eligible["user_id"].astype(str), setting.share, period)
    held = eligible.loc[mask, "user_id"].astype(str).tolist()
    holdout = GlobalHoldout(
        share=setting.share,
        period=period,
        user_ids=held,
        warnings=global_control_warnings(len(held), setting.share),
    )
    return eligible.loc[~mask], holdout


def record_holdout(engine: Engine, batch_id: str, holdout: GlobalHoldout) -> None:
    """Store the held-out users against the batch (a re-run records nothing twice)."""
    if holdout.user_ids:
        holdout.recorded = record_global_holdouts(
            engine, batch_id, holdout.user_ids, period=holdout.period, share=holdout.share
        )
