"""`winback run` as a function: cohort -> rule -> suppression -> arms -> ... -> queue.

The cohort arrives validated (`segments.cohort_validation.read_cohort`); this
module applies the campaign to it and hands the stages their inputs: the LLM
plan (`plan_stage`), the per-user render into `Draft` records
(`render_stage`), the guardrails (`agent.drafts.check.check_drafts`) and the
queue (`store_stage`). It is safe to re-run: the batch is found again by campaign and
cohort fingerprint, the LLM replies come from the cache, and drafts are
inserted by their natural key (campaign, user, channel), so a run killed at
any point finishes on the next run with no duplicate and nothing lost.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Concatenate, ParamSpec

import pandas as pd
from sqlalchemy import update
from sqlalchemy.engine import Engine

from agent.campaign import Campaign
from agent.drafts.check import check_drafts, verdict_counts
from agent.drafts.personal_touch import personalize
from agent.drafts.record import CheckedDraft, Draft
from agent.llm.client import LLM
from agent.run.allocation_stage import (
    Allocation,
    allocate,
    past_results,
    store_allocation,
    winner_examples,
)
from agent.run.failed_batch import mark_failed
from agent.run.global_control_stage import hold_out_global_control, record_holdout
from agent.run.plan_stage import BatchPlan, plan_segments, plan_variants
from agent.run.preflight import PreflightFailed, preflight
from agent.run.progress import StageProgress
from agent.run.pushdown_stage import PushedCohort, check_arms, with_database_flags
from agent.run.quality_report import quality_summary
from agent.run.render_stage import render_drafts
from agent.run.rerun_check import earlier_batch, unchanged_summary
from agent.run.store_stage import store_drafts
from agent.settings import Settings
from agent.store.accounts import get_account, set_batch_runner
from agent.store.batches import finish_batch, start_batch
from agent.store.contacts import recent_contacts
from agent.store.engine import open_store_for
from agent.store.schema import batches
from guardrails.batch_check import BatchStats
from segments.activation_rules import evaluate_rule
from segments.cohort_validation import Cohort
from segments.experiment_arms import assign_arms
from segments.incentives import apply_eligibility, assign_incentives
from segments.scoring.staleness import score_age_days, stale_scores_warning
from segments.suppression import suppress

P = ParamSpec("P")


def cohort_fingerprint(frame: pd.DataFrame) -> str:
    """A stable fingerprint of the cohort's content, independent of row order."""
    hashed = pd.util.hash_pandas_object(frame.sort_values("user_id"), index=False)
    digest = hashlib.sha256(hashed.to_numpy().tobytes())
    digest.update(",".join(map(str, frame.columns)).encode())
    return digest.hexdigest()[:16]


def apply_budget(incentives: pd.DataFrame, value: pd.Series | None, budget: float | None) -> int:
    """Withdraw offers from the lowest-value users until the total cost fits; return how many."""
    if budget is None:
        return 0
    cost = incentives["cost"].fillna(0.0)
    if cost.sum() <= budget:
        return 0
    order = (value.reindex(incentives.index) if value is not None else cost * 0).fillna(0)
    withdrawn = 0
    for i in order.sort_values(kind="stable").index:
        if cost.sum() <= budget:
            break
        if cost.at[i] > 0:
            incentives.loc[i, ["offer_id", "incentive", "unit"]] = None
            incentives.loc[i, ["value", "cost"]] = [float("nan"), 0.0]
            cost.at[i] = 0.0
            withdrawn += 1
    return withdrawn


def _ends_failed_on_error(
    run: Callable[Concatenate[Cohort, Campaign, Settings, P], dict[str, Any]],
) -> Callable[Concatenate[Cohort, Campaign, Settings, P], dict[str, Any]]:
    """`run`, except that on an error the batch ends `failed` (resumable, see `failed_batch`)."""

    @functools.wraps(run)
    def wrapped(
        cohort: Cohort, campaign: Campaign, settings: Settings, /, *args: P.args, **kwargs: P.kwargs
    ) -> dict[str, Any]:
        try:
            return run(cohort, campaign, settings, *args, **kwargs)
        except PreflightFailed:
            raise  # stopped before anything was started or written
        except BaseException as exc:
            mark_failed(settings, campaign.name, cohort_fingerprint(cohort.frame), exc)
            raise

    return wrapped


@_ends_failed_on_error
def run_batch(
    cohort: Cohort,
    campaign: Campaign,
    settings: Settings,
    *,
    progress: StageProgress,
    extra_contacts: Iterable[tuple[str, str | None, Any]] = (),
    full_scan: bool = False,
    run_by: str | None = None,
    pushed: PushedCohort | None = None,
) -> dict[str, Any]:
    """Run one batch and return its summary (the `winback run --json` document).

    On an error the batch ends `failed` (resumable).
    """
    started = time.perf_counter()
    frame = cohort.frame
    # everything the user can get wrong, in one report, before the queue or the model
    checks = preflight(frame, campaign, cohort.report.source, note=progress.note)
    library, policy, catalog = checks.library, checks.policy, checks.catalog
    with progress.stage("activation rule"):
        active = frame  # no rule, or pushed down: the database applied it already
        if campaign.rule and pushed is None:
            active = frame[evaluate_rule(frame, campaign.rule).mask]
    engine = open_store_for(settings)
    if run_by is not None:
        get_account(engine, run_by)  # an unknown account: exit 2 before anything is written
    fingerprint = cohort_fingerprint(frame)
    # the policy as merged now: a reviewer's edit is re-checked against the same rules
    config = {**campaign.model_dump(), "guard_policy_snapshot": policy.raw}
    earlier = earlier_batch(engine, campaign.name, fingerprint)
    done = unchanged_summary(earlier, config, time.perf_counter() - started)
    if done is not None:
        return done  # a finished batch, same cohort and campaign: reported, not redone
    warnings = [] if campaign.max_score_age_days is None else [
        w for w in [stale_scores_warning(frame, date.today(), campaign.max_score_age_days)] if w
    ]  # fmt: skip
    for warning in warnings:
        progress.note(f"warning: {warning}")
    with progress.stage("suppression"):
        since = datetime.now(UTC) - timedelta(days=max(campaign.frequency_cap_days, 0))
        # the batch's own exports never count against it (a resume after an export)
        own = earlier["id"] if earlier else None
        contacts = [*recent_contacts(engine, since, exclude_batch=own), *extra_contacts]
        sup = suppress(
            active, campaign.channels, contacts=contacts, cap_days=campaign.frequency_cap_days
        )
        if pushed is not None:
            sup = with_database_flags(sup, pushed)
        eligible = active[sup.keep]
        # the period's global control group leaves before the arms: no draft, no control row
        eligible, holdout = hold_out_global_control(
            eligible, campaign.global_control, datetime.now(UTC).date()
        )
        channel_ok = {ch: sup.eligible.loc[eligible.index, ch] for ch in campaign.channels}
    with progress.stage("experiment arms"):
        split = assign_arms(
            eligible["user_id"],
            salt=campaign.name,
            control=campaign.arms.control,
            baseline=campaign.arms.baseline,
        )
        arms = split.arms.astype(str)
        if pushed is not None:
            check_arms(pushed, arms)

    batch = start_batch(
        engine,
        campaign.name,
        fingerprint,
        config=config,
        prompts={},
        model=None,
        provider=None,
    )
    record_holdout(engine, batch.batch_id, holdout)
    if run_by is not None and not (earlier or {}).get("run_by"):
        set_batch_runner(engine, batch.batch_id, run_by)  # four-eyes: the runner cannot approve
    # what earlier batches of this campaign learned: results per variant text, winners
    history = past_results(engine, campaign.name, batch.batch_id)
    allocation = Allocation(campaign.allocation.method, campaign.allocation.floor)
    plan = BatchPlan()
    segment_of: pd.Series | None = None  # segment name per eligible user, every arm
    drafts: list[Draft] = []
    checked: list[CheckedDraft] = []
    guard_stats = None
    withdrawn = ineligible = 0
    personal = {"users": 0, "failed": 0}
    with LLM(settings) as llm:
        if len(eligible):
            labels, plan = plan_segments(eligible, campaign, llm, library, progress)
            split = assign_arms(
                eligible["user_id"],
                salt=campaign.name,
                control=campaign.arms.control,
                baseline=campaign.arms.baseline,
                segments=labels,
            )
            treated = {
                ch: set(labels[(arms == "treatment") & channel_ok[ch]].unique())
                for ch in campaign.channels
            }
            examples = (
                winner_examples(plan, history, campaign, policy) if campaign.carry_winners else {}
            )
            plan_variants(plan, treated, campaign, llm, library, policy, progress, winners=examples)
            # winners carried in, then treatment users shared by Thompson sampling (or equally)
            allocation = allocate(plan, history, campaign, policy)
            store_allocation(engine, batch.batch_id, allocation)
            segment_of = labels.map(plan.segment_names())
            tiers = labels.map({s.cluster_id: s.incentive_tier for s in plan.segments})
            incentives = assign_incentives(catalog, tiers, plan.value)
            incentives.loc[arms == "control", ["offer_id", "incentive", "unit"]] = None
            incentives.loc[arms == "control", "cost"] = 0.0
            ineligible = apply_eligibility(incentives, eligible, catalog)
            withdrawn = apply_budget(incentives, plan.value, campaign.incentive_budget)
            drafts = render_drafts(
                eligible,
                arms,
                channel_ok,
                labels,
                plan,
                campaign,
                incentives,
                progress,
                shares=allocation.shares,
            )
            if campaign.personalize_top:
                with progress.stage("personal touch (LLM)"):
                    drafts, personal = personalize(
                        llm,
                        library.get(campaign.prompt_ref("personal_touch")),
                        drafts,
                        plan.features,
                        plan.value,
                        dict(zip(eligible["user_id"].astype(str), eligible.index, strict=True)),
                        {s.name: s.to_dict() for s in plan.segments},
                        top=campaign.personalize_top,
                        placeholders=campaign.placeholders,
                        brand_voice=campaign.brand_voice,
                    )
            guard_stats = BatchStats()
            with progress.stage("guardrails", total=len(drafts)) as task:
                checked = check_drafts(
                    drafts, catalog, policy, full_scan=full_scan, stats=guard_stats, llm=llm
                )
                task.advance(len(checked))
        new = store_drafts(
            engine,
            batch.batch_id,
            campaign,
            eligible,
            arms,
            channel_ok,
            checked,
            progress,
            segments=segment_of,
        )
        usage = llm.usage.summary()
        model, provider = llm.model, llm.provider

    prompts_used = sorted({p for d in drafts for p in d.prompts})
    if plan.segments:
        prompts_used.insert(0, library.get(campaign.prompt_ref("segment_synthesis")).ref)
    offers = [d.incentive for d in drafts if d.incentive]
    summary: dict[str, Any] = {
        "batch_id": batch.batch_id,
        "resumed": batch.resumed,
        "campaign": campaign.name,
        "users": {
            "cohort": int(cohort.report.rows),
            "invalid_skipped": int(cohort.report.invalid_rows),
            "activated": pushed.selection.matched if pushed else len(active),
            "suppressed": int(sup.removed) + (pushed.removed_in_database if pushed else 0),
            "global_control": len(holdout.user_ids),
            "eligible": len(eligible),
            "control": int((arms == "control").sum()),
            "baseline": int((arms == "baseline").sum()),
            "treatment": int((arms == "treatment").sum()),
        },
        "suppression": sup.as_dict(),
        "global_control": holdout.to_dict(),
        "arms": split.as_dict(),
        "verdicts": verdict_counts(checked),
        "drafts": {"messages": len(drafts), "new": new},
        "llm": {**usage, "model": model, "provider": provider},
        "segments": [
            {
                "name": s.name,
                "size": s.size,
                "source": s.source,
                "incentive_tier": s.incentive_tier,
                "message_angle": s.message_angle,
                "description": s.description,
            }
            for s in plan.segments
        ],
        "variants": {
            f"{plan_key[0]}:{plan_key[1]}": [v.to_dict() for v in vs]
            for plan_key, vs in plan.variants.items()
        },
        "allocation": allocation.to_dict(history),
        "clustering": plan.clustering,
        "incentives": {
            "offers": len(offers),
            "total_cost": round(sum(o["cost"] for o in offers), 2),
            "withdrawn_for_budget": withdrawn,
            "withdrawn_ineligible": ineligible,
        },
        "personalized": personal,
        "guard": guard_stats.__dict__ if guard_stats else None,
        "quality": quality_summary(plan, campaign, settings.llm_retries),
        "prompts": prompts_used,
        "timings": {k: round(v, 3) for k, v in progress.timings.items()},
        "seconds": round(time.perf_counter() - started, 2),
        "database": engine.url.render_as_string(hide_password=True),
    }
    summary["warnings"] = [*warnings, *holdout.warnings]
    summary["pushdown"] = pushed.summary() if pushed is not None else None
    summary["run_by"] = run_by or (earlier or {}).get("run_by")
    summary["scores_age_days"] = score_age_days(frame, date.today())
    finish_batch(
        engine,
        batch.batch_id,
        # the whole summary too: an unchanged re-run reports it instead of redoing the batch
        counts={
            **{k: summary[k] for k in ("users", "verdicts", "drafts", "incentives")},
            "summary": summary,
        },
        usage=summary["llm"],
        seconds=summary["seconds"],
    )
    _record_batch_meta(engine, batch.batch_id, prompts_used, model, provider)
    summary["sample"] = _samples(checked)
    return summary


def _record_batch_meta(
    engine: Engine, batch_id: str, prompts: list[str], model: str, provider: str
) -> None:
    """Which prompts (name@version) and model produced the batch."""
    with engine.begin() as conn:
        conn.execute(
            update(batches)
            .where(batches.c.id == batch_id)
            .values(prompts=prompts, model=model, provider=provider)
        )


def _samples(checked: list[CheckedDraft]) -> list[dict[str, Any]]:
    """One rendered treatment draft per segment and channel, for display."""
    seen: set[tuple[str, str]] = set()
    out = []
    for c in checked:
        d = c.draft
        key = (d.segment or "", d.channel)
        if d.arm != "treatment" or key in seen:
            continue
        seen.add(key)
        out.append(
            {
                "segment": d.segment,
                "channel": d.channel,
                "variant": d.variant,
                "subject": d.subject,
                "body": d.body,
                "verdict": c.verdict,
                "findings": c.findings,
            }
        )
    return out
