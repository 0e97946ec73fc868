"""The queue stage: checked drafts and the control holdout into the store, idempotently.

Checked drafts are written through `CheckedDraft.to_row` (the one
record-to-table mapping)
and `agent.store.drafts.insert_drafts` (chunked, `ON CONFLICT DO NOTHING` on
campaign, user and channel), so a re-run after an interruption inserts only
what is missing. Control users are recorded as bare (user, arm, segment,
channel) rows: the holdout the lift is measured against, never a message. The
segment is the cluster the user fell in (clusters cover every arm), so the
export's control list and the per-segment lift can use it.
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
    frame: pd.DataFrame,
    arms: pd.Series,
    channel_ok: dict[str, pd.Series],
    channels: list[str],
    segments: pd.Series | None = None,
) -> list[dict[str, Any]]:
    """One holdout row per control user and channel they could have been messaged on.

    `segments` (segment name per row of `frame`) labels each row with the user's segment.
    """
    rows = []
    for channel in channels:
        idx = frame.index[(arms == "control") & channel_ok[channel]]
        names = segments.reindex(idx) if segments is not None else pd.Series(None, index=idx)
        rows += [
            {
                "user_id": str(u),
                "arm": "control",
                "channel": channel,
                "segment": None if pd.isna(seg) else str(seg),
            }
            for u, seg in zip(frame.loc[idx, "user_id"], names, strict=True)
        ]
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
    segments: pd.Series | None = None,
) -> int:
    """Insert checked drafts and control records idempotently; return how many were new."""
    rows = [c.to_row() for c in checked]
    rows += control_rows(frame, arms, channel_ok, campaign.channels, segments)
    with progress.stage("queue", total=len(rows)) as task:
        return insert_drafts(engine, batch_id, campaign.name, rows, on_chunk=task.advance)
