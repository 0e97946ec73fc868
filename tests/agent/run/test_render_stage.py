"""The render stage: a treatment user whose offer was withdrawn still gets a message."""

from __future__ import annotations

import pandas as pd

from agent.campaign import load_campaign
from agent.demo.cohort import make_fitness_cohort
from agent.run.plan_stage import BatchPlan
from agent.run.progress import StageProgress
from agent.run.render_stage import render_drafts
from agent.run.segment_plans import Segment
from agent.run.variant_writer import Variant
from segments.experiment_arms import assign_arms
from segments.incentives import assign_incentives, load_incentive_catalog

WITH_OFFER = {
    "title": "A gift for you",
    "body": "{{ first_name }}, enjoy {{ incentive }} in class.",
}


def test_a_treatment_user_without_an_offer_gets_the_brands_no_offer_copy() -> None:
    cohort = make_fitness_cohort(300, seed=5)
    camp = load_campaign(None, {"name": "no-offer", "channels": ["push"]})
    assert "incentive" in camp.placeholders
    arms = assign_arms(cohort["user_id"], salt="no-offer", control=0.1, baseline=0.1).arms
    arms = arms.astype(str)
    labels = pd.Series(0, index=cohort.index, dtype="int64")
    seg = Segment(0, 300, "Lapsed", "d", [], [], "warm", "come back", "medium", "r", "llm")
    plan = BatchPlan(segments=[seg])
    plan.variants = {
        (0, "push"): [Variant(0, "push", 1, dict(WITH_OFFER), "push_variants@2", "pass")]
    }
    incentives = assign_incentives(load_incentive_catalog(None), labels.map({0: "medium"}), None)
    withdrawn = cohort.index[::3]  # as the budget or an eligibility rule would
    incentives.loc[withdrawn, ["offer_id", "incentive", "unit"]] = None
    ok = {"push": pd.Series(True, index=cohort.index)}
    drafts = render_drafts(
        cohort, arms, ok, labels, plan, camp, incentives, StageProgress(enabled=False)
    )
    treated = [d for d in drafts if d.arm == "treatment"]
    assert treated and all(d.unrendered is None for d in treated)
    without = {str(u) for u in cohort.loc[withdrawn, "user_id"]}
    for d in treated:
        if d.user_id in without:
            assert d.incentive is None and d.variant != "c0-push-v1"
            assert "{{" not in d.body
        else:
            assert d.variant == "c0-push-v1" and d.incentive["text"] in d.body
    assert any(d.user_id in without for d in treated)
