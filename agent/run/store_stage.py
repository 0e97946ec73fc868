"""The queue stage: checked drafts and the control holdout into the store, idempotently.

Checked drafts are written through `CheckedDraft.to_row` (the one
record-to-table mapping)
and `agent.store.drafts.insert_drafts` (chunked, `ON CONFLICT DO NOTHING` on
campaign, user and channel), so a re-run after an interruption inserts only
what is missing. Control users are recorded as bare (user, arm, channel)
rows: the holdout the lift is measured against, never a message.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from agent.campaign import Campaign
from agent.drafts.record import CheckedDraft
from agent.run.progress import StageProgress
from agent.store.drafts import insert_drafts


def control_rows(
    frame: pd.DataFrame, arms: pd.Series, channel_ok: dict[str, pd.Series], channels: list[str]
) -> list[dict[str, Any]]:
    """One holdout row per control user and channel they could have been messaged on."""
    rows = []
    for channel in channels:
        control = frame.loc[(arms == "control") & channel_ok[channel], "user_id"]
        rows += [{"user_id": str(u), "arm": "control", "channel": channel} for u in control]
    return rows


def store_drafts(
    engine: Engine,
    batch_id: str,
    campaign: Campaign,
    frame: pd.DataFrame,
    arms: pd.Series,
    channel_ok: dict[str, pd.Series],
    checked: list[CheckedDraft],
    progress: StageProgress,
) -> int:
    """Insert checked drafts and control records idempotently; return how many were new."""
    rows = [c.to_row() for c in checked]
    rows += control_rows(frame, arms, channel_ok, campaign.channels)
    with progress.stage("queue", total=len(rows)) as task:
        return insert_drafts(engine, batch_id, campaign.name, rows, on_chunk=task.advance)
