"""Two batches of one campaign through the CLI: the loop issue 16 asks for, on a real queue.

Batch 1 holds out the period's global control group, records who ran it
(`--as`), stores control users with their segment, and splits its variants
equally (no history). Its outcomes (a known winner) go in through `winback
lift`, which compares the arms with the global control. Batch 2 (the same
behaviour, new users) reads that history: the winner leads the variant
prompt's examples, is carried in under its stable `w-` id, gets the largest
Thompson share, and `queue show` says why. Re-running batch 1 unchanged after
an export redoes nothing; resuming it after a failure keeps its own exported
users (the frequency cap never applies to a batch's own exports).

LLM replies are recorded (one cassette, shared by the SQLite and PostgreSQL
runs: the prompts do not depend on the queue's database).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlalchemy import create_engine, select, update
from typer.testing import CliRunner

from agent.cli import app
from agent.demo.cohort import make_fitness_cohort
from agent.store import open_store
from agent.store.accounts import add_account
from agent.store.schema import batches, contacts, drafts, global_holdouts

runner = CliRunner()

CAMPAIGN = """
name: loop-test
rule: churn_score > 0.4
channels: [push]
segments: 1
variants_per_segment: 2
max_revisions: 0
arms: {control: 0.2, baseline: 0.2}
global_control: {share: 0.05, period: quarter}
frequency_cap_days: 30
"""


@pytest.fixture
def default_cassette_name(request) -> str:
    """One cassette for both databases."""
    return request.node.originalname


def invoke(args: list[str], env: dict[str, str]) -> dict:
    result = runner.invoke(app, [*args, "--json"], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.vcr
def test_two_batches_learn_from_each_other(db_url, tmp_path, llm_cli_env):
    env = {**llm_cli_env, "WINBACK_LLM_RETRIES": "1", "WINBACK_GUARD_JUDGE": "off"}
    first_cohort = make_fitness_cohort(700, seed=7).sort_values("user_id")
    cohort_a = tmp_path / "a.csv"
    first_cohort.to_csv(cohort_a, index=False)
    campaign = tmp_path / "campaign.yaml"
    campaign.write_text(CAMPAIGN)
    engine = open_store(db_url)
    add_account(engine, "alice", "marketer", "a-long-enough-password")
    run = ["run", "--config", str(campaign), "--db", db_url]

    bad = runner.invoke(app, [*run, str(cohort_a), "--as", "mallory"], env=env)
    assert bad.exit_code == 2 and "No account named 'mallory'" in bad.stderr

    # batch 1: global control out before the arms, runner recorded, equal split
    one = invoke([*run, str(cohort_a), "--as", "alice"], env)
    b1, users = one["batch_id"], one["users"]
    held = users["global_control"]
    assert held == one["global_control"]["held_out"] > 0
    assert one["global_control"]["warnings"]  # far fewer than 1,000 users: said so
    assert users["eligible"] == users["activated"] - users["suppressed"] - held
    assert one["run_by"] == "alice"
    reasons = {v["reason"] for v in one["allocation"]["variants"]}
    assert reasons == {"equal split: no outcomes imported yet"}
    with engine.connect() as conn:
        held_ids = set(conn.execute(select(global_holdouts.c.user_id)).scalars())
        rows = conn.execute(select(drafts).where(drafts.c.batch_id == b1)).mappings().all()
        run_by = conn.execute(select(batches.c.run_by).where(batches.c.id == b1)).scalar_one()
    assert len(held_ids) == held and run_by == "alice"
    assert not held_ids & {r["user_id"] for r in rows}  # held out: no draft, no control row
    control = [r for r in rows if r["arm"] == "control"]
    assert control and all(r["segment"] for r in control)  # the control list has its segment
    assert all(r["body"] is None for r in control)

    # outcomes: the first variant converts, nothing else does
    treated = [r for r in rows if r["arm"] == "treatment"]
    keys = sorted({r["variant"] for r in treated})  # the variants the gates let through
    assert keys
    converted = {r["user_id"] for r in treated if r["variant"] == keys[0]}
    everyone = sorted({r["user_id"] for r in rows} | held_ids)
    outcomes = tmp_path / "outcomes.csv"
    pd.DataFrame(
        {"user_id": everyone, "converted": [int(u in converted) for u in everyone]}
    ).to_csv(outcomes, index=False)
    lift = invoke(["lift", b1, str(outcomes), "--db", db_url], env)
    assert lift["global_control"]["users"] == held
    assert lift["global_control"]["conversions"] == 0
    assert {c["treated"] for c in lift["global_control"]["comparisons"]} >= {"treatment"}

    # batch 2: same behaviour, new users; the winner is an example, carried in, favoured
    second = first_cohort.assign(user_id="n-" + first_cohort["user_id"].astype(str))
    cohort_b = tmp_path / "b.csv"
    second.to_csv(cohort_b, index=False)
    two = invoke([*run, str(cohort_b)], env)
    alloc = two["allocation"]
    assert alloc["history_batches"] == [b1]
    [decision] = [d for d in alloc["winner_decisions"] if d["winner"]]
    assert decision["batch_id"] == b1 and decision["reason"].startswith("won")
    [report] = alloc["carried_winners"]
    assert report["id"] == decision["variant"] and report["id"].startswith("w-")
    shares = {v["variant"]: v for v in alloc["variants"]}
    if report["carried"]:
        # a winner today's checks allow: sent again under its id, with the largest share
        winner = shares[report["id"]]
        assert winner["carried"] and winner["share"] == max(v["share"] for v in shares.values())
        assert f"{winner['conversions']}/{winner['users']} converted" in winner["reason"]
        assert winner["conversions"] == len(converted)
        shown_variant = report["id"]
    elif report["why"] == "the model wrote the same copy":
        # the same text is the same variant: it keeps its history under its batch-2 key
        [same] = [v for v in shares.values() if v["id"] == report["id"]]
        assert same["conversions"] == len(converted) and not same["carried"]
        assert f"{len(converted)}/{same['users']} converted" in same["reason"]
        shown_variant = same["variant"]
    else:
        # a winner today's guardrails block (the model's batch-1 copy was blocked, and sent to
        # review as blocked): neither carried nor an example, and nothing else has history
        assert report["why"] == "blocked by today's guardrails"
        assert report["id"] not in shares
        assert all("none of these variants" in v["reason"] for v in shares.values())
        shown_variant = next(iter(shares))
    with engine.connect() as conn:
        shown_draft = conn.execute(
            select(drafts.c.id, drafts.c.arm)
            .where(drafts.c.batch_id == two["batch_id"], drafts.c.variant == shown_variant)
            .limit(1)
        ).first()
        config = conn.execute(
            select(batches.c.config).where(batches.c.id == two["batch_id"])
        ).scalar_one()
    assert shown_draft.arm == "treatment"
    stored = config["variant_allocation"]["variants"][shown_variant]
    assert stored["reason"] == shares[shown_variant]["reason"]
    shown = runner.invoke(app, ["queue", "show", str(shown_draft.id), "--db", db_url], env=env)
    assert shown.exit_code == 0, shown.output
    flat = " ".join(shown.stdout.split())
    assert shown_variant in flat and "of the segment's treatment users" in flat

    # batch 1 again: approved and exported, then re-run unchanged -> nothing moves
    approve = ["queue", "approve", "--batch", b1, "--all-passing", "--reviewer", "bob"]
    ok = runner.invoke(app, [*approve, "--db", db_url], env=env)
    assert ok.exit_code == 0, ok.output
    out = str(tmp_path / "x.csv")
    export = runner.invoke(app, ["export", b1, "--out", out, "--partial", "--db", db_url], env=env)
    assert export.exit_code == 0, export.output
    with engine.connect() as conn:
        exported = conn.execute(select(contacts.c.user_id).where(contacts.c.batch_id == b1)).all()
    assert exported
    again = invoke([*run, str(cohort_a)], env)
    assert again["unchanged"] is True and again["batch_id"] == b1
    assert again["llm"]["calls"] == 0 and again["segments"] == one["segments"]
    # a failed batch resumes: its own exports do not suppress its own users
    with engine.begin() as conn:
        conn.execute(update(batches).where(batches.c.id == b1).values(status="failed"))
    resumed = invoke([*run, str(cohort_a)], env)
    assert resumed["batch_id"] == b1 and not resumed.get("unchanged")
    assert resumed["users"] == one["users"] and resumed["drafts"]["new"] == 0
    assert [s["size"] for s in resumed["segments"]] == [s["size"] for s in one["segments"]]
    assert resumed["llm"]["calls"] == 0  # every reply from the cache
    engine.dispose()
    create_engine(db_url).dispose()
