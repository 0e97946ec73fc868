"""Variant-level decisions on SQLite and PostgreSQL: one statement for all users,
one winner when two reviewers race, nothing decided twice."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from agent.errors import WinbackError
from agent.store.audit import list_audit
from agent.store.schema import drafts, variant_decisions
from agent.store.variant_decisions import (
    FourEyesRefused,
    VariantAlreadyDecided,
    decide_variant,
    request_changes,
)
from tests.agent.conftest import draft


def rows(n: int, variant: str = "v1", verdict: str = "pass") -> list[dict]:
    return [draft(i, variant=variant, verdict=verdict) for i in range(n)]


def test_approve_variant_updates_every_pending_draft(engine, seed) -> None:
    batch_id = seed([*rows(12), draft(100, variant="v2")])
    result = decide_variant(engine, batch_id, "v1", "ana", "approved")
    assert len(result.draft_ids) == 12
    with engine.connect() as conn:
        counts = dict(
            conn.execute(
                select(drafts.c.variant, func.count())
                .where(drafts.c.status == "approved")
                .group_by(drafts.c.variant)
            ).all()
        )
    assert counts == {"v1": 12}
    audit = list_audit(engine, batch_id=batch_id)
    assert [e["action"] for e in audit] == ["approve_variant"]
    assert sorted(audit[0]["draft_ids"]) == result.draft_ids


def test_second_decision_is_refused_with_who_and_when(engine, seed) -> None:
    batch_id = seed(rows(4))
    decide_variant(engine, batch_id, "v1", "ana", "approved")
    with pytest.raises(VariantAlreadyDecided, match=r"already approved by ana at \d{4}-"):
        decide_variant(engine, batch_id, "v1", "bob", "rejected", reason="off brand")
    with pytest.raises(VariantAlreadyDecided):
        request_changes(engine, batch_id, "v1", "bob", "shorter please")


def test_blocked_variant_needs_admin_and_reason_and_nothing_is_half_written(engine, seed) -> None:
    batch_id = seed([*rows(3), draft(50, variant="v1", verdict="block")])
    with pytest.raises(WinbackError, match="blocked by the guardrails"):
        decide_variant(engine, batch_id, "v1", "ana", "approved", override_reason="fine")
    with pytest.raises(WinbackError, match="blocked"):
        decide_variant(engine, batch_id, "v1", "root", "approved", is_admin=True)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(variant_decisions)).scalar_one() == 0
        assert (
            conn.execute(select(func.count()).where(drafts.c.status != "pending")).scalar_one() == 0
        )
    done = decide_variant(
        engine, batch_id, "v1", "root", "approved", override_reason="legal ok", is_admin=True
    )
    assert done.override and len(done.draft_ids) == 4


def test_four_eyes_refuses_the_runner(engine, seed) -> None:
    from agent.store.accounts import set_batch_runner

    batch_id = seed(rows(3))
    set_batch_runner(engine, batch_id, "ana")
    with pytest.raises(FourEyesRefused, match="you ran batch"):
        decide_variant(engine, batch_id, "v1", "ana", "approved")
    # rejecting your own batch's variant is allowed
    assert decide_variant(engine, batch_id, "v1", "ana", "rejected", reason="off brand").draft_ids


def test_unknown_variant_and_reject_without_reason(engine, seed) -> None:
    batch_id = seed(rows(2))
    with pytest.raises(WinbackError, match="no pending drafts"):
        decide_variant(engine, batch_id, "nope", "ana", "approved")
    with pytest.raises(WinbackError, match="reason is required"):
        decide_variant(engine, batch_id, "v1", "ana", "rejected", reason="  ")
    with pytest.raises(WinbackError, match="not in the queue"):
        decide_variant(engine, "b-00000000", "v1", "ana", "approved")


@pytest.mark.postgres
def test_two_reviewers_race_on_postgresql_one_wins(pg_url) -> None:
    from agent.store import insert_drafts, open_store, start_batch

    engine = open_store(pg_url)
    try:
        batch_id = start_batch(engine, "race", "fp", config={}, prompts={}).batch_id
        insert_drafts(engine, batch_id, "race", rows(2000))
        barrier = threading.Barrier(2)
        outcomes: dict[str, object] = {}

        def reviewer(name: str, decision: str) -> None:
            barrier.wait()
            try:
                outcomes[name] = decide_variant(
                    engine, batch_id, "v1", name, decision, reason="off brand"
                )
            except VariantAlreadyDecided as exc:
                outcomes[name] = exc

        threads = [
            threading.Thread(target=reviewer, args=a)
            for a in (("ana", "approved"), ("bob", "rejected"))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        winners = [n for n, o in outcomes.items() if not isinstance(o, Exception)]
        losers = [o for o in outcomes.values() if isinstance(o, VariantAlreadyDecided)]
        assert len(winners) == 1 and len(losers) == 1
        winner = winners[0]
        assert f"by {winner} at" in str(losers[0])
        with engine.connect() as conn:
            by_status = dict(
                conn.execute(
                    select(drafts.c.status, func.count())
                    .where(drafts.c.batch_id == batch_id)
                    .group_by(drafts.c.status)
                ).all()
            )
            decided_by = set(
                conn.execute(
                    select(drafts.c.reviewer).where(drafts.c.batch_id == batch_id)
                ).scalars()
            )
        assert by_status == {"approved" if winner == "ana" else "rejected": 2000}
        assert decided_by == {winner}
        audit = [e for e in list_audit(engine, batch_id=batch_id)]
        assert len(audit) == 1 and audit[0]["actor"] == winner
    finally:
        engine.dispose()
