"""How many LLM calls and tokens a run will make, and how long that takes on this model.

`winback run --dry-run` prints this instead of running; every real run prints
it first and feeds the expected call count to the progress display
(`agent.run.progress`), which turns it into calls done / total and an ETA.

The count is exact where the data decides it and a stated expectation where
the model does:
- the rule, suppression, arms, features and clusters run for real (no LLM
  involved), so the number of segments and of (segment, channel) variant jobs
  with treatment users is the one the run will have;
- segment synthesis is 1 call (up to 1 + llm_retries re-asks); each variant
  job is at least 1 call and at most (1 + max_revisions) x (1 + llm_retries);
  the *expected* asks per job (`EXPECTED_ASKS_PER_JOB`) were measured on the
  models named there (README: 'Estimates and progress'); `--personalize-top N`
  adds N calls.

Speed is measured, not assumed: each reply the client stores in the response
cache keeps its token counts and the seconds it took (`agent.llm.client`),
and `measure_speed` fits seconds = input tokens x a + output tokens x b over
this model's stored replies (a least-squares fit, both rates >= 0). Without
enough history a probe (one short call, cached like any other) measures the
model now; tokens per call come from the same history, else from the typical
sizes recorded in the test cassettes (`TYPICAL_TOKENS`). Cached replies make a
re-run cheaper than the estimate: it is an upper bound then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from agent.campaign import Campaign
from agent.llm.usage import MIN_HISTORY, Speed, fit_speed, stored_replies
from agent.settings import Settings

# (input, output) tokens per call by kind: means over the recorded cassettes (embedded
# model, 82 replies, re-recorded after the reply schemas bounded each call's list)
TYPICAL_TOKENS: dict[str, tuple[int, int]] = {
    "segments": (1400, 70),
    "email": (550, 135),
    "sms": (260, 130),
    "push": (300, 100),
    "personal": (340, 30),
}
# asks per (segment, channel) job and for the segment plans, measured (README
# 'Estimates and progress'): the embedded SmolLM2-135M's plans always fail their
# checks (1 + llm_retries asks) and a third of its variant replies are re-asked;
# a capable model rarely re-asks. "local" is the bundled model however it is served.
EXPECTED_ASKS_PER_JOB: dict[str, float] = {"local": 1.7, "openai": 1.3}
EXPECTED_SEGMENT_ASKS: dict[str, float] = {"local": 3.0, "openai": 1.0}
PROBE = [
    {"role": "system", "content": "You are a helpful assistant. Answer in one short sentence."},
    {"role": "user", "content": "Say in one sentence why a record shop is a nice place."},
]


def reply_kind(reply: dict[str, Any]) -> str:
    """`segments`, `variants` or `text`, from the shape of a stored reply."""
    args = reply.get("tool_args") or {}
    return "segments" if "segments" in args else "variants" if "variants" in args else "text"


def measure_speed(settings: Settings, llm: Any = None) -> tuple[Speed | None, list[dict]]:
    """The model's speed from the cache, else from a probe through `llm` (if given)."""
    from agent.llm.endpoint import choose_endpoint

    model = choose_endpoint(settings).model
    history = stored_replies(settings.cache_path, model) if settings.cache else []
    records = [(r["input_tokens"], r["output_tokens"], r["seconds"]) for r in history]
    if len(records) >= MIN_HISTORY:
        return fit_speed(records, f"{len(records)} stored replies of {model}"), history
    if llm is None:
        return fit_speed(records, f"{len(records)} stored replies of {model}"), history
    reply = llm.complete(PROBE, max_tokens=64, temperature=0.0)
    if not reply.cached:  # a cached probe is already in the history
        records.append((reply.input_tokens, reply.output_tokens, reply.seconds))
    return fit_speed(records, f"{len(records)} timed calls of {model} incl. a probe"), history


@dataclass
class Workload:
    """What the data decides: users, segments and the variant jobs of a run."""

    users: dict[str, int]
    segments: int
    jobs: dict[str, int]  # channel -> (segment, channel) pairs with treatment users
    personal: int = 0


def workload(cohort: Any, campaign: Campaign, settings: Settings) -> Workload:
    """Rule, suppression, arms and clusters as the run computes them, without any LLM call."""
    import pandas as pd

    from segments.activation_rules import evaluate_rule
    from segments.clustering import cluster_users
    from segments.experiment_arms import assign_arms
    from segments.features import compute_features
    from segments.suppression import suppress

    frame = cohort.frame
    active = frame[evaluate_rule(frame, campaign.rule).mask] if campaign.rule else frame
    sup = suppress(
        active,
        campaign.channels,
        contacts=_recent_contacts(settings, campaign.frequency_cap_days),
        cap_days=campaign.frequency_cap_days,
    )
    eligible = active[sup.keep]
    users = {"cohort": len(frame), "activated": len(active), "eligible": len(eligible)}
    if not len(eligible):
        return Workload(users, 0, dict.fromkeys(campaign.channels, 0))
    arms = assign_arms(
        eligible["user_id"],
        salt=campaign.name,
        control=campaign.arms.control,
        baseline=campaign.arms.baseline,
    ).arms.astype(str)
    features = compute_features(eligible)
    labels = pd.Series(
        cluster_users(features.matrix, n_segments=campaign.segments).labels, index=eligible.index
    )
    treated = arms == "treatment"
    users["treatment"] = int(treated.sum())
    jobs = {}
    for channel in campaign.channels:
        ok = sup.eligible.loc[eligible.index, channel]
        jobs[channel] = int(labels[treated & ok].nunique())
    personal = min(campaign.personalize_top, users["treatment"])
    return Workload(users, int(labels.nunique()), jobs, personal)


def _recent_contacts(settings: Settings, cap_days: int) -> list:
    """The queue's recent contacts (the frequency cap), without creating a queue."""
    url = settings.resolved_database_url
    if url.startswith("sqlite:///") and not _sqlite_file(url):
        return []
    from agent.store.contacts import recent_contacts
    from agent.store.engine import open_store_for

    engine = open_store_for(settings)
    try:
        return list(recent_contacts(engine, datetime.now(UTC) - timedelta(days=max(cap_days, 0))))
    finally:
        engine.dispose()


def _sqlite_file(url: str) -> bool:
    from pathlib import Path

    return Path(url.removeprefix("sqlite:///")).is_file()


@dataclass
class RunEstimate:
    """Expected (and bounding) LLM calls, tokens and seconds for one run."""

    work: Workload
    calls: dict[str, float]
    tokens: dict[str, int]
    seconds: float | None
    speed: Speed | None
    model: str
    provider: str
    assumptions: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The `--dry-run --json` document's `estimate`."""
        return {
            "users": self.work.users,
            "segments": self.work.segments,
            "variant_jobs": self.work.jobs,
            "calls": self.calls,
            "tokens": self.tokens,
            "seconds": None if self.seconds is None else round(self.seconds, 1),
            "speed": self.speed.to_dict() if self.speed else None,
            "model": self.model,
            "provider": self.provider,
            "assumptions": self.assumptions,
        }

    def line(self) -> str:
        """One sentence for people."""
        c = self.calls
        time = (
            f"about {_duration(self.seconds)} at {self.speed.output_tokens_per_second:.3g} "
            f"tokens/s ({self.speed.source})"
            if self.seconds is not None and self.speed
            else "time unknown (no measured speed yet)"
        )
        return (
            f"Expected: {c['expected']:.0f} LLM calls (at least {c['min']:.0f}, at most "
            f"{c['max']:.0f}) for {self.work.segments} segment(s) and "
            f"{sum(self.work.jobs.values())} variant job(s), about "
            f"{self.tokens['input']:,} input + {self.tokens['output']:,} output tokens, {time}."
        )


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def typical_tokens(history: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    """Tokens per call by kind: the stored replies' means where there are some, else typical."""
    sizes = {k: (float(i), float(o)) for k, (i, o) in TYPICAL_TOKENS.items()}
    by_kind: dict[str, list[tuple[int, int]]] = {}
    for r in history:
        by_kind.setdefault(reply_kind(r), []).append((r["input_tokens"], r["output_tokens"]))
    if by_kind.get("segments"):
        rows = np.array(by_kind["segments"], dtype=float)
        sizes["segments"] = (float(rows[:, 0].mean()), float(rows[:, 1].mean()))
    if by_kind.get("variants"):
        rows = np.array(by_kind["variants"], dtype=float)
        for channel in ("email", "sms", "push"):
            sizes[channel] = (float(rows[:, 0].mean()), float(rows[:, 1].mean()))
    return sizes


def segment_asks(provider: str, settings: Settings) -> float:
    """Expected asks for the segment plans: as measured, within the re-ask limit."""
    return min(EXPECTED_SEGMENT_ASKS.get(provider, 1.0), 1 + settings.llm_retries)


def estimate_calls(
    work: Workload, campaign: Campaign, settings: Settings, provider: str
) -> dict[str, float]:
    """min / expected / max LLM calls (module doc)."""
    per_ask = 1 + settings.llm_retries
    max_per_job = (1 + campaign.max_revisions) * per_ask
    expected_per_job = min(EXPECTED_ASKS_PER_JOB.get(provider, 1.3), max_per_job)
    jobs = sum(work.jobs.values())
    synth = 1 if work.segments else 0
    expected_synth = synth * segment_asks(provider, settings)
    return {
        "min": synth + jobs + work.personal,
        "expected": round(expected_synth + jobs * expected_per_job + work.personal, 1),
        "max": synth * per_ask + jobs * max_per_job + work.personal * per_ask,
        "expected_asks_per_job": expected_per_job,
    }


def estimate_run(
    cohort: Any, campaign: Campaign, settings: Settings, *, probe: bool = False
) -> RunEstimate:
    """The estimate for running `campaign` on `cohort` (module doc); `probe` may call the model."""
    from agent.llm.client import LLM
    from agent.llm.endpoint import choose_endpoint
    from agent.llm.local_server import runs_bundled_model

    choice = choose_endpoint(settings)
    bundled = runs_bundled_model(choice.provider, choice.model)
    kind = "local" if bundled else choice.provider
    work = workload(cohort, campaign, settings)
    calls = estimate_calls(work, campaign, settings, kind)
    if probe:
        with LLM(settings) as llm:
            speed, history = measure_speed(settings, llm)
    else:
        speed, history = measure_speed(settings)
    sizes = typical_tokens(history)
    per_job = calls["expected_asks_per_job"]
    synth_asks = segment_asks(kind, settings)
    parts = [(synth_asks if work.segments else 0.0, sizes["segments"])]
    parts += [(n * per_job, sizes[ch]) for ch, n in work.jobs.items()]
    parts += [(float(work.personal), sizes["personal"])]
    tokens_in = sum(n * s[0] for n, s in parts)
    tokens_out = sum(n * s[1] for n, s in parts)
    seconds = sum(n * speed.seconds(*s) for n, s in parts) if speed else None
    assumptions = [
        f"{per_job:g} asks per (segment, channel) job and {synth_asks:g} for the segment plans, "
        f"as measured for {'the bundled' if bundled else choice.provider} model",
        "token sizes per call from "
        + (
            f"{sum(reply_kind(r) != 'text' for r in history)} stored replies"
            if any(reply_kind(r) != "text" for r in history)
            else "the recorded test cassettes"
        ),
        "cached replies (a re-run) cost no call: the estimate is then an upper bound",
    ]
    return RunEstimate(
        work,
        calls,
        {"input": int(tokens_in), "output": int(tokens_out)},
        seconds,
        speed,
        choice.model,
        choice.provider,
        assumptions,
    )


def dry_run(cohort: Any, campaign: Campaign, settings: Settings) -> dict[str, Any]:
    """`winback run --dry-run`: every preflight check, then the estimate; nothing is queued.

    The model is probed only when the cache holds too little history to
    measure its speed (the probe's reply is cached like any other).
    """
    from agent.run.preflight import preflight

    checks = preflight(cohort.frame, campaign, cohort.report.source)
    estimate = estimate_run(cohort, campaign, settings, probe=True)
    return {
        "dry_run": True,
        "campaign": campaign.name,
        "checks": checks.checks,
        "warnings": checks.warnings,
        "estimate": estimate.to_dict(),
        "summary": estimate.line(),
        "queued": 0,
    }


def announce(progress: Any, cohort: Any, campaign: Campaign, settings: Settings) -> None:
    """Print the estimate at the start of a run and hand its call count to the progress display.

    Never probes and never fails the run: a problem here is left for the
    preflight checks of `run_batch` to report with the others.
    """
    from prompts.errors import UserError

    try:
        estimate = estimate_run(cohort, campaign, settings)
    except UserError:
        return
    progress.note(estimate.line())
    expected = estimate.calls["expected"]
    per_call = estimate.seconds / expected if estimate.seconds and expected else None
    progress.expect_llm_calls(expected, per_call)
