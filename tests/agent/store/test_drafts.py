"""Batches and drafts: idempotent chunked inserts, resume, control rows, speed, contacts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from agent.store import (
    existing_keys,
    finish_batch,
    get_batch,
    insert_drafts,
    list_drafts,
    recent_contacts,
    start_batch,
)
from agent.store.schema import contacts
from tests.agent.conftest import CONFIG, draft, standard_rows


def test_insert_is_idempotent_and_resumable(engine: Engine) -> None:
    start = start_batch(engine, "spring", "fp-1", config=CONFIG, prompts={"email_variants": 1})
    assert not start.resumed and start.batch_id.startswith("b-") and len(start.batch_id) == 10
    rows = standard_rows()
    assert insert_drafts(engine, start.batch_id, "spring", rows[:6], chunk_size=4) == 6
    # interrupted run, re-run: same fingerprint resumes the batch, only the rest is new
    again = start_batch(engine, "spring", "fp-1", config=CONFIG, prompts={"email_variants": 1})
    assert again.resumed and again.batch_id == start.batch_id
    assert len(existing_keys(engine, "spring")) == 6
    assert insert_drafts(engine, start.batch_id, "spring", rows, chunk_size=4) == 4
    assert insert_drafts(engine, start.batch_id, "spring", rows) == 0
    assert len(list_drafts(engine, batch_id=start.batch_id)) == 10
    finish_batch(engine, start.batch_id, usage={"calls": 3, "cost_usd": 0.0}, seconds=1.5)
    batch = get_batch(engine, start.batch_id)
    assert batch["status"] == "complete"
    assert batch["counts"]["by_arm"] == {"control": 2, "baseline": 2, "treatment": 6}
    assert batch["counts"]["by_status"] == {"control": 2, "pending": 8}
    assert batch["usage"] == {"calls": 3, "cost_usd": 0.0}
    assert batch["created_at"].tzinfo is not None


def test_control_rows_keep_no_message(engine: Engine) -> None:
    start = start_batch(engine, "spring", "fp", config=CONFIG, prompts={})
    insert_drafts(engine, start.batch_id, "spring", [draft(1, "control")])
    (row,) = list_drafts(engine, batch_id=start.batch_id)
    assert row["status"] == "control" and row["arm"] == "control"
    assert row["body"] is None and row["subject"] is None and row["address"] is None
    assert row["incentive"] is None and row["segment"] == "seg-1"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"arm": "holdout"}, "arm must be one of"),
        ({"channel": "fax"}, "channel must be one of"),
        ({"verdict": "ok"}, "verdict must be one of"),
        ({"body": ""}, "has no body"),
        ({"colour": "red"}, "unknown draft field"),
    ],
)
def test_bad_rows_are_refused_before_writing(engine: Engine, bad: dict, message: str) -> None:
    start = start_batch(engine, "spring", "fp", config=CONFIG, prompts={})
    with pytest.raises(ValueError, match=message):
        insert_drafts(engine, start.batch_id, "spring", [draft(1), draft(2, **bad)])
    assert list_drafts(engine, batch_id=start.batch_id) == []


def test_many_chunks_insert_once_and_a_rerun_inserts_nothing(engine: Engine) -> None:
    """Several chunks, then the same rows again (speed: scripts/bench_run.py, not asserted)."""
    start = start_batch(engine, "big", "fp", config=CONFIG, prompts={})
    rows = [draft(i, "control" if i % 10 == 0 else "treatment") for i in range(12_000)]
    assert insert_drafts(engine, start.batch_id, "big", rows) == 12_000
    assert insert_drafts(engine, start.batch_id, "big", rows) == 0


def test_recent_contacts(engine: Engine) -> None:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            contacts.insert(),
            [
                {
                    "user_id": "u1",
                    "channel": "email",
                    "contacted_at": now - timedelta(days=2),
                    "campaign": "c",
                    "batch_id": "b-1",
                    "draft_id": 1,
                },
                {
                    "user_id": "u2",
                    "channel": "sms",
                    "contacted_at": now - timedelta(days=30),
                    "campaign": "c",
                    "batch_id": "b-1",
                    "draft_id": 2,
                },
            ],
        )
    recent = list(recent_contacts(engine, now - timedelta(days=7)))
    assert [(u, c) for u, c, _ in recent] == [("u1", "email")]
    assert abs(recent[0][2] - (now - timedelta(days=2))) < timedelta(seconds=1)
    # a naive `since` is taken as UTC
    naive = (now - timedelta(days=60)).replace(tzinfo=None)
    assert len(list(recent_contacts(engine, naive))) == 2
