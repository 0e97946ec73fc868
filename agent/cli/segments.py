"""`winback segments preview`: the segments and one sample message each, nothing queued.

This module parses and prints; the preview itself is `agent.run.preview`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from agent.cli.display import echo_json
from agent.cli.options import (
    FROM_FLAGS,
    CampaignFlags,
    CohortFlags,
    JsonOpt,
    SkipInvalidOpt,
    campaign_options,
    cohort_options,
    settings_options,
)
from agent.cli.run import CohortArg, cohort_source
from agent.run.progress import StageProgress

if TYPE_CHECKING:
    from agent.settings import Settings

segments_app = typer.Typer(
    help="Preview the micro-segments the model finds in a cohort, before a run.",
    no_args_is_help=True,
)


@segments_app.command("preview")
@settings_options("provider", "model", "base_url", "local_model", "no_cache", "config_file")
@campaign_options("config", "rule", "channels", "segments")
@cohort_options("mapping")
def preview(
    file: CohortArg = None,
    campaign_flags: CampaignFlags = FROM_FLAGS,
    cohort_flags: CohortFlags = FROM_FLAGS,
    skip_invalid: SkipInvalidOpt = False,
    settings: Settings = FROM_FLAGS,
    as_json: JsonOpt = False,
) -> None:
    """Segments (name, size, traits, angle, incentive tier) and a checked sample per channel."""
    from agent.run.preview import preview_segments
    from segments.cohort_validation import read_cohort

    camp = campaign_flags.load()
    cohort = read_cohort(cohort_source(file, cohort_flags), skip_invalid=skip_invalid)
    with StageProgress(enabled=not as_json) as progress:
        result = preview_segments(cohort, camp, settings, progress=progress)
    if as_json:
        echo_json(result)
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
