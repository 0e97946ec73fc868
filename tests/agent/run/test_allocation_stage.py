"""The allocation stage on a real queue: history from earlier batches, winners, shares.

Earlier batches are written through the store API exactly as a run writes
them (config snapshot with `allocation.variants`, drafts, imported outcomes);
the plan of the new batch is built by hand (the LLM stages are covered by the
cassette tests), so every number here is known in advance.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.campaign import GlobalControlSettings, load_campaign
from agent.demo.cohort import make_fitness_cohort
from agent.run.allocation_stage import (
    CarriedVariant,
    allocate,
    content_id,
    past_results,
    store_allocation,
    variant_allocation,
    winner_examples,
)
from agent.run.global_control_stage import hold_out_global_control
from agent.run.plan_stage import BatchPlan
from agent.run.progress import StageProgress
from agent.run.render_stage import render_drafts
from agent.run.segment_plans import Segment
from agent.run.store_stage import control_rows
from agent.run.variant_writer import Variant
from agent.store import insert_drafts, start_batch
from agent.store.outcomes import Outcome, import_outcomes
from guardrails.policy import load_policy
from segments.experiment_arms import assign_arms
from segments.incentives import assign_incentives, load_incentive_catalog

WINNER = {"title": "Your mat misses you", "body": "{{ first_name }}, one class today?"}
LOSER = {"title": "Come back", "body": "{{ first_name }}, we have new classes for you."}
NEW = {"title": "A fresh week", "body": "{{ first_name }}, start again with one short class."}


def segment(cid: int, name: str) -> Segment:
    return Segment(cid, 100, name, "d", [], [], "warm", "come back", "none", "r", "llm")


def variant(cid: int, index: int, fields: dict[str, str]) -> Variant:
    return Variant(cid, "push", index, dict(fields), "push_variants@2", "pass")


def seed_batch(engine, campaign: str, fingerprint: str, rates: dict[str, tuple[int, int]]):
    """A finished earlier batch: variants keyed c0-push-v<n>, drafts, outcomes."""
    texts = {"c0-push-v1": WINNER, "c0-push-v2": LOSER}
    meta = {
        key: {"variant": key, "id": content_id("push", f), "fields": f, "prompt": "push_variants@2"}
        for key, f in texts.items()
    }
    batch = start_batch(
        engine, campaign, fingerprint, config={"variant_allocation": {"variants": meta}}, prompts={}
    )
    rows, outcomes, n = [], [], 0
    for who, (users, converted) in rates.items():
        arm = who if who in ("control", "baseline") else "treatment"
        for i in range(users):
            uid = f"{fingerprint}-{who}-{i}"
            row = {"user_id": uid, "arm": arm, "channel": "push", "segment": "Lapsed"}
            if arm != "control":
                row.update(body="hi", verdict="pass", findings=[])
            if arm == "treatment":
                row["variant"] = who
            rows.append(row)
            outcomes.append(Outcome(uid, i < converted))
            n += 1
    insert_drafts(engine, batch.batch_id, campaign, rows)
    import_outcomes(engine, batch.batch_id, outcomes, "test")
    return batch.batch_id


RATES = {
    "c0-push-v1": (200, 60),  # 30%: the winner
    "c0-push-v2": (200, 10),  # 5%
    "baseline": (100, 5),
    "control": (100, 4),
}


def test_history_winners_carry_over_and_thompson_shares(engine):
    camp = load_campaign(None, {"name": "loop", "channels": ["push"]})
    first = seed_batch(engine, "loop", "fp1", RATES)
    current = start_batch(engine, "loop", "fp2", config={}, prompts={}).batch_id
    history = past_results(engine, "loop", current)
    assert history.batches == [first]
    assert history.results[content_id("push", WINNER)].users == 200
    assert history.results[content_id("push", WINNER)].conversions == 60
    [winner] = history.winners
    assert winner.id == content_id("push", WINNER) and winner.fields == WINNER
    assert winner.decision.reason.startswith("won")
    plan = BatchPlan(segments=[segment(0, "Lapsed"), segment(1, "Other")])
    plan.variants = {(0, "push"): [variant(0, 1, NEW), variant(0, 2, LOSER)]}
    plan.variants[(1, "push")] = [variant(1, 1, NEW)]
    # the winner leads the few-shot examples of its own segment only
    assert winner_examples(plan, history, camp, load_policy(None)) == {("lapsed", "push"): [WINNER]}

    alloc = allocate(plan, history, camp, load_policy(None))
    carried = [v for v in plan.variants[(0, "push")] if isinstance(v, CarriedVariant)]
    assert [v.key for v in carried] == [content_id("push", WINNER)]
    assert carried[0].key.startswith("w-") and len(carried[0].key) == 10
    assert carried[0].provenance()["carried_from"] == first
    shares = alloc.shares[(0, "push")]
    assert abs(sum(shares.values()) - 1) < 1e-9
    assert shares[carried[0].key] > 0.6  # 60/200 before: nearly certainly best
    assert shares["c0-push-v2"] < 0.15  # 10/200 before: kept at the floor
    assert 0.1 <= shares["c0-push-v1"] < shares[carried[0].key]  # new: floor + its chance
    reasons = {v["variant"]: v["reason"] for v in alloc.variants if v["segment"] == "Lapsed"}
    assert "60/200 converted" in reasons[carried[0].key]
    assert "no past results" in reasons["c0-push-v1"]
    # a segment none of whose variants was sent before is split equally, and says so
    assert alloc.shares[(1, "push")] == {"c1-push-v1": 1.0}
    other = next(v for v in alloc.variants if v["segment"] == "Other")
    assert "none of these variants" in other["reason"]

    store_allocation(engine, current, alloc)
    stored = variant_allocation(engine, current, carried[0].key)
    assert stored["reason"] == reasons[carried[0].key] and stored["carried"] is True
    personal = variant_allocation(engine, current, "c0-push-v2+personal")
    assert personal["share"] == shares["c0-push-v2"]
    # the next batch's history counts the stored texts of this one, not keys
    assert past_results(engine, "loop", None).batches == [first]  # no outcomes for `current` yet


def test_equal_method_and_no_history(engine):
    camp = load_campaign(None, {"name": "eq", "allocation": {"method": "equal"}})
    seed_batch(engine, "eq", "fp1", RATES)
    plan = BatchPlan(segments=[segment(0, "Lapsed")])
    plan.variants = {(0, "push"): [variant(0, 1, NEW), variant(0, 2, LOSER)]}
    alloc = allocate(plan, past_results(engine, "eq", None), camp, load_policy(None))
    assert set(alloc.shares[(0, "push")].values()) == {1 / 3}  # the winner carried in, equal
    assert all(v["reason"] == "equal split: the campaign asks for it" for v in alloc.variants)
    # another campaign's batches are not this campaign's history
    other = past_results(engine, "someone-else", None)
    assert other.batches == [] and other.winners == []


def test_a_winner_blocked_by_todays_policy_is_not_carried(engine):
    camp = load_campaign(
        None, {"name": "loop", "channels": ["push"], "placeholders": ["incentive"]}
    )
    seed_batch(engine, "loop", "fp1", RATES)
    history = past_results(engine, "loop", None)
    plan = BatchPlan(segments=[segment(0, "Lapsed")])
    plan.variants = {(0, "push"): [variant(0, 1, NEW)]}
    alloc = allocate(plan, history, camp, load_policy(None))
    [report] = alloc.carried
    assert report["carried"] is False and "first_name" in report["why"]
    assert winner_examples(plan, history, camp, load_policy(None)) == {}  # nor an example
    assert [v.key for v in plan.variants[(0, "push")]] == ["c0-push-v1"]


COHORT = make_fitness_cohort(400, seed=11)
CATALOG = load_incentive_catalog(None)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    converted=st.lists(st.integers(0, 200), min_size=2, max_size=2),
    control_converted=st.integers(0, 100),
    share=st.sampled_from([0.0, 0.05, 0.15]),
    method=st.sampled_from(["thompson", "equal"]),
)
def test_no_control_or_global_control_user_ever_gets_a_draft(
    engine, converted, control_converted, share, method
):
    """Whatever the history: the run's stages give drafts to baseline and treatment users only."""
    name = f"prop-{share}-{method}"
    camp = load_campaign(
        None, {"name": name, "channels": ["push"], "allocation": {"method": method}}
    )
    rates = {
        "c0-push-v1": (200, converted[0]),
        "c0-push-v2": (200, converted[1]),
        "control": (100, control_converted),
    }
    # each example adds one more earlier batch: the history only grows
    earlier = len(past_results(engine, name, None).batches)
    seed_batch(engine, name, f"fp-{earlier}", rates)
    history = past_results(engine, name, None)

    eligible, holdout = hold_out_global_control(
        COHORT, GlobalControlSettings(share=share), date(2025, 1, 15)
    )
    arms = assign_arms(eligible["user_id"], salt=name, control=0.2, baseline=0.2).arms.astype(str)
    labels = pd.Series(0, index=eligible.index, dtype="int64")
    plan = BatchPlan(segments=[segment(0, "Lapsed")])
    plan.variants = {(0, "push"): [variant(0, 1, NEW), variant(0, 2, LOSER)]}
    alloc = allocate(plan, history, camp, load_policy(None))
    channel_ok = {"push": pd.Series(True, index=eligible.index)}
    incentives = assign_incentives(CATALOG, labels.map({0: "none"}), None)
    drafts = render_drafts(
        eligible, arms, channel_ok, labels, plan, camp, incentives, StageProgress(enabled=False),
        shares=alloc.shares,
    )  # fmt: skip
    by_user = {d.user_id: d for d in drafts}
    arm_of = dict(zip(eligible["user_id"].astype(str), arms, strict=True))
    held = set(holdout.user_ids)
    assert not held & set(by_user)
    assert not held & set(arm_of)
    assert all(arm_of[u] != "control" for u in by_user)
    assert {u for u, a in arm_of.items() if a != "control"} == set(by_user)
    keys = set(alloc.shares[(0, "push")])
    assert all((d.variant in keys) == (d.arm == "treatment") for d in drafts)
    rows = control_rows(eligible, arms, channel_ok, ["push"])
    assert {r["user_id"] for r in rows} == {u for u, a in arm_of.items() if a == "control"}
    # the shares decide the counts among treatment users exactly (largest remainder)
    treated = [d for d in drafts if d.arm == "treatment"]
    counts = pd.Series([d.variant for d in treated]).value_counts()
    for key, s in alloc.shares[(0, "push")].items():
        assert abs(counts.get(key, 0) - s * len(treated)) < 1
