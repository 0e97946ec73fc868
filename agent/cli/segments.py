"""`winback segments preview`: the segments and one sample message each, nothing queued.

The same stages as `winback run` up to the variants (rule, suppression,
clusters, segment plans, variants), then one rendered sample per segment and
channel, checked in full by the guardrails. Nothing is written to the queue;
LLM replies are cached, so a `winback run` afterwards reuses them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from agent.cli.options import (
    BaseUrlOpt,
    ConfigFileOpt,
    JsonOpt,
    LocalModelOpt,
    ModelOpt,
    NoCacheOpt,
    ProviderOpt,
    resolve_settings,
)
from agent.cli.run import CampaignFileOpt, CohortArg, cohort_source, parse_channels
from agent.run.progress import StageProgress

segments_app = typer.Typer(
    help="Preview the micro-segments the model finds in a cohort, before a run.",
    no_args_is_help=True,
)


def sample_for(channel: str, fields: dict[str, str], placeholders: list[str], row: dict) -> dict:
    """One variant rendered for one (PII-free sample) user."""
    from agent.drafts.check import SAMPLE_VALUES, compose
    from agent.drafts.template import compile_template

    subject, body = compose(channel, fields)
    values = {k: row.get(k) or SAMPLE_VALUES.get(k, k) for k in placeholders}
    render = lambda t: compile_template(t, placeholders).render(values)  # noqa: E731
    return {"subject": render(subject) if subject else None, "body": render(body)}


@segments_app.command("preview")
def preview(
    file: CohortArg = None,
    config: CampaignFileOpt = None,
    rule: Annotated[str | None, typer.Option("--rule", help="Activation rule.")] = None,
    channels: Annotated[
        str | None, typer.Option("--channels", help="Comma-separated: email,sms,push.")
    ] = None,
    segments: Annotated[
        int | None, typer.Option("--segments", help="Fix the number of segments.")
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="YAML mapping of source columns to ours.")
    ] = None,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Continue with the valid rows of a bad cohort.")
    ] = False,
    provider: ProviderOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    local_model: LocalModelOpt = None,
    no_cache: NoCacheOpt = False,
    config_file: ConfigFileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Segments (name, size, traits, angle, incentive tier) and a checked sample per channel."""
    from agent.campaign import load_campaign
    from agent.llm.client import LLM
    from agent.llm.prompt_library import PromptLibrary
    from agent.run.stages import plan_segments, plan_variants
    from guardrails.check_message import check_message
    from guardrails.message import Message
    from guardrails.policy import load_policy
    from segments.activation_rules import evaluate_rule
    from segments.cohort_validation import read_cohort
    from segments.suppression import suppress

    settings = resolve_settings(
        provider=provider,
        model=model,
        base_url=base_url,
        local_model=local_model,
        no_cache=no_cache,
        config_file=config_file,
    )
    camp = load_campaign(
        config, {"rule": rule, "channels": parse_channels(channels), "segments": segments}
    )
    cohort = read_cohort(cohort_source(file, None, None, None, mapping), skip_invalid=skip_invalid)
    library = PromptLibrary()
    policy = load_policy(Path(camp.guard_policy) if camp.guard_policy else None)
    frame = cohort.frame
    active = frame[evaluate_rule(frame, camp.rule).mask] if camp.rule else frame
    sup = suppress(active, camp.channels, cap_days=camp.frequency_cap_days)
    eligible = active[sup.keep]
    result: dict[str, Any] = {"users": {"cohort": len(frame), "eligible": len(eligible)}}
    with StageProgress(enabled=not as_json) as progress, LLM(settings) as llm:
        if len(eligible):
            labels, plan = plan_segments(eligible, camp, llm, library, progress)
            every = {ch: set(labels.unique()) for ch in camp.channels}
            plan_variants(plan, every, camp, llm, library, policy, progress)
        else:
            labels, plan = None, None
        result["llm"] = llm.usage.summary()
    result["segments"] = [s.to_dict() for s in plan.segments] if plan else []
    result["samples"] = []
    for seg in plan.segments if plan else []:
        members = eligible[labels == seg.cluster_id]
        row = members.iloc[0].to_dict() if len(members) else {}
        for channel in camp.channels:
            variants = plan.variants.get((seg.cluster_id, channel), [])
            usable = [v for v in variants if v.verdict != "block"] or variants
            if not usable:
                continue
            v = usable[0]
            try:
                text = sample_for(channel, v.fields, camp.placeholders, row)
            except Exception as exc:  # an invalid template: show why instead of a sample
                text = {"subject": None, "body": f"(not renderable: {exc})"}
            verdict = check_message(
                Message(
                    id=v.key,
                    channel=channel,
                    text=text["body"],
                    subject=text["subject"],
                    recipient={"first_name": row.get("first_name")},
                ),
                policy,
            )
            findings = [f.to_dict() for f in verdict.findings] + [
                f for f in v.findings if f["code"] == "invalid_llm_output"
            ]
            result["samples"].append(
                {
                    "segment": seg.name,
                    "channel": channel,
                    "variant": v.key,
                    **text,
                    "verdict": "block"
                    if any(f["severity"] == "block" for f in findings)
                    else verdict.verdict,
                    "findings": findings,
                }
            )
    if as_json:
        typer.echo(json.dumps(result, default=str))
        return
    show(result, Console())


def show(result: dict[str, Any], console: Console) -> None:
    """Segments table and sample panels."""
    table = Table("segment", "users", "traits", "angle", "incentive", "plan by")
    for s in result["segments"]:
        table.add_row(
            Text(s["name"]),
            str(s["size"]),
            Text("; ".join(s["defining_traits"][:3])),
            Text(s["message_angle"]),
            Text(s["incentive_tier"]),
            "LLM" if s["source"] == "llm" else "[yellow]rules[/yellow]",
        )
    console.print(table)
    for sample in result["samples"]:
        head = f"{sample['subject']}\n\n" if sample["subject"] else ""
        notes = "\n".join(f"- {f['message']}" for f in sample["findings"])
        console.print(
            Panel(
                Text(head + sample["body"] + (f"\n\n{notes}" if notes else "")),
                title=Text(f"{sample['segment']} · {sample['channel']}"),
                subtitle=sample["verdict"],
            )
        )
    llm = result["llm"]
    console.print(f"LLM: {llm['calls']} calls, {llm['cached_calls']} cached. Nothing was queued.")
