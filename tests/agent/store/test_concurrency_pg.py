"""Several reviewers at once on PostgreSQL: every draft decided exactly once.

Reviewer processes (multiprocessing, spawn) run a claim-next loop
(`SELECT ... FOR UPDATE SKIP LOCKED`, then a conditional UPDATE); other
processes race `winback queue approve` on the same draft ids. The audit log
and the drafts must agree that each draft was decided once, by one reviewer.
"""

from __future__ import annotations

import multiprocessing as mp
from collections import Counter

import pytest
from typer.testing import CliRunner

from agent.errors import WinbackError
from agent.store import decisions, insert_drafts, list_drafts, open_store, start_batch
from agent.store.audit import list_audit
from tests.agent.conftest import CONFIG, draft

pytestmark = pytest.mark.postgres
N_DRAFTS = 120


def claim_loop(url: str, reviewer: str) -> list[int]:
    """Claim and decide drafts until none are left; the ids this reviewer decided."""
    engine = open_store(url)
    decided = []
    while (d := decisions.claim_next(engine, reviewer)) is not None:
        if d["id"] % 5 == 0:
            decisions.reject(engine, d["id"], reviewer, "not on brand")
        else:
            decisions.approve(engine, d["id"], reviewer, override_reason="checked")
        decided.append(d["id"])
    engine.dispose()
    return decided


def race_cli(url: str, reviewer: str, ids: list[int]) -> list[int]:
    """Approve every id through the CLI; the ids this process won."""
    from agent.cli import app

    runner = CliRunner()
    won = []
    for draft_id in ids:
        res = runner.invoke(
            app, ["queue", "approve", str(draft_id), "--db", url, "--reviewer", reviewer]
        )
        if res.exit_code == 0:
            won.append(draft_id)
        else:
            assert res.exit_code == 2 and "already approved" in res.stderr, res.output
    return won


def race_direct(url: str, reviewer: str, ids: list[int]) -> list[int]:
    engine = open_store(url)
    won = []
    for draft_id in ids:
        try:
            decisions.approve(engine, draft_id, reviewer)
            won.append(draft_id)
        except WinbackError as exc:
            assert "already approved" in str(exc)
    engine.dispose()
    return won


def seeded(url: str) -> tuple[object, str, list[int]]:
    engine = open_store(url)
    batch_id = start_batch(engine, "race", "fp", config=CONFIG, prompts={}).batch_id
    insert_drafts(engine, batch_id, "race", [draft(i) for i in range(N_DRAFTS)])
    ids = [d["id"] for d in list_drafts(engine, batch_id=batch_id)]
    return engine, batch_id, ids


def test_claim_next_reviewers_decide_each_draft_once(pg_url: str) -> None:
    engine, _, ids = seeded(pg_url)
    with mp.get_context("spawn").Pool(4) as pool:
        results = pool.starmap(claim_loop, [(pg_url, f"reviewer-{n}") for n in range(4)])
    decided = [i for r in results for i in r]
    assert sorted(decided) == ids  # each exactly once, none left out
    assert sum(1 for r in results if r) >= 2  # the work really was shared
    audit = Counter(i for a in list_audit(engine) for i in a["draft_ids"])
    assert set(audit) == set(ids) and set(audit.values()) == {1}
    by_id = {d["id"]: d for d in list_drafts(engine)}
    owner = {i: f"reviewer-{n}" for n, r in enumerate(results) for i in r}
    assert all(by_id[i]["reviewer"] == owner[i] for i in ids)
    assert all(d["status"] in ("approved", "rejected") for d in by_id.values())
    engine.dispose()


def test_racing_approvals_win_once(pg_url: str) -> None:
    engine, _, ids = seeded(pg_url)
    ids = ids[:30]
    jobs = [(race_cli, (pg_url, "cli-a", ids)), (race_cli, (pg_url, "cli-b", ids[::-1]))]
    jobs += [(race_direct, (pg_url, f"api-{n}", ids)) for n in range(2)]
    with mp.get_context("spawn").Pool(4) as pool:
        pending = [pool.apply_async(fn, args) for fn, args in jobs]
        results = [p.get(timeout=120) for p in pending]
    won = Counter(i for r in results for i in r)
    assert set(won) == set(ids) and set(won.values()) == {1}
    audit = Counter(
        i for a in list_audit(engine) for i in a["draft_ids"] if a["action"] == "approve"
    )
    assert audit == won
    engine.dispose()
