"""`winback demo`: the seeds' fitness-app scenario, end to end, for real.

It generates the cohort (500 users who have not logged a workout in 10+
days), runs the real pipeline on the configured model (the embedded one by
default, offline), shows the segments, a sample draft per segment and channel
with its guardrail verdict, the arms and the queue, writes a simulated
outcomes file for `winback lift`, and prints the commands to try next.
Nothing is canned: re-running it resumes the same batch from the cache.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from agent.cli.display import echo_json
from agent.cli.options import (
    FROM_FLAGS,
    JsonOpt,
    settings_options,
)
from agent.errors import WinbackError
from agent.run.progress import StageProgress
from prompts import PROMPTS_DIR

if TYPE_CHECKING:
    from agent.settings import Settings

DEMO_CAMPAIGN = PROMPTS_DIR / "campaigns" / "fitness-comeback.yaml"
# the one line that moves the demo from the embedded 135M model to a capable one
CAPABLE_MODEL_LINE = "export OPENAI_API_KEY=sk-...   # or WINBACK_BASE_URL=... WINBACK_MODEL=..."


@settings_options()
def demo(
    users: Annotated[int, typer.Option("--users", help="Cohort size to generate.")] = 500,
    settings: Settings = FROM_FLAGS,
    as_json: JsonOpt = False,
) -> None:
    """Run the seeds' scenario: a fitness app's users who stopped working out.

    Offline on the embedded model unless another model is configured. Takes a
    few minutes the first time, seconds when re-run (cached LLM replies).
    """
    from agent.campaign import load_campaign
    from agent.demo.cohort import make_fitness_cohort
    from agent.demo.model_budget import demo_budget
    from agent.demo.outcomes import write_demo_outcomes
    from agent.run.batch import run_batch
    from agent.store.engine import open_store_for
    from segments.cohort_loaders import CohortSource
    from segments.cohort_validation import read_cohort

    if not 1 <= users <= 1_000_000:
        raise WinbackError(f"--users {users} is out of range", "Use 1 to 1,000,000 users.")
    folder = settings.home_path / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    cohort_path = folder / f"fitness_cohort_{users}.csv"
    make_fitness_cohort(users).to_csv(cohort_path, index=False)
    name = {"name": f"fitness-comeback-{users}"}
    overrides, budget_note = demo_budget(settings, load_campaign(DEMO_CAMPAIGN, name))
    campaign = load_campaign(DEMO_CAMPAIGN, {**name, **overrides})
    cohort = read_cohort(CohortSource(path=cohort_path))
    console = Console(stderr=as_json)
    if not as_json:
        console.print(
            Panel.fit(
                f"A fitness app flagged [bold]{users}[/bold] members who have not logged a "
                "workout in 10+ days.\nwinback will segment them, write and check win-back "
                "copy, and queue it for review,\nholding out a control group to prove the lift.",
                title="winback demo",
            )
        )
        console.print(
            f"cohort: {escape(str(cohort_path))}\ncampaign: {escape(str(DEMO_CAMPAIGN))}\n"
        )
    with StageProgress(enabled=not as_json) as progress:
        summary = run_batch(cohort, campaign, settings, progress=progress)
    outcomes_path = folder / f"outcomes_simulated_{summary['batch_id']}.csv"
    engine = open_store_for(settings)
    try:
        write_demo_outcomes(engine, summary["batch_id"], cohort.frame, outcomes_path)
    finally:
        engine.dispose()
    summary.update(cohort_file=str(cohort_path), outcomes_file=str(outcomes_path))
    summary["model_budget"] = {**overrides, "note": budget_note}
    summary["next"] = next_commands(summary, cohort_path, outcomes_path)
    if as_json:
        echo_json(summary)
        return
    show(summary, console)


def next_commands(summary: dict, cohort_path: Path, outcomes_path: Path) -> list[str]:
    """What to try after the demo."""
    b = summary["batch_id"]
    return [
        f"winback review --batch {b} --reviewer you",
        f"winback queue approve --batch {b} --all-passing --reviewer you",
        f"winback export {b} --out approved.csv --control-out control.csv --partial --reviewer you",
        f"winback lift {b} {outcomes_path}",
        f"winback run {cohort_path} --campaign-file {DEMO_CAMPAIGN} --channels email,sms",
    ]


def show(summary: dict, console: Console) -> None:
    """The demo's report: segments, one draft per segment and channel, arms, next steps."""
    users = summary["users"]
    table = Table(title="Micro-segments", title_justify="left")
    for col in ("segment", "users", "incentive", "angle", "plan by"):
        table.add_column(col)
    for s in summary["segments"]:
        by = "LLM" if s["source"] == "llm" else "[yellow]rules (LLM plan invalid)[/yellow]"
        table.add_row(
            Text(s["name"]), str(s["size"]), Text(s["incentive_tier"]), Text(s["message_angle"]), by
        )
    console.print(table)
    from agent.demo.best_copy import show_best_variants  # it imports agent.cli.display

    show_best_variants(summary, console)
    v, llm = summary["verdicts"], summary["llm"]
    console.print(
        f"arms: control {users['control']} (held out, never messaged), "
        f"baseline {users['baseline']} (human copy), treatment {users['treatment']} (AI copy); "
        f"{users['suppressed']} suppressed (opt-outs, do-not-contact)"
    )
    console.print(
        f"drafts: {summary['drafts']['messages']} — [green]{v['pass']} pass[/green], "
        f"[yellow]{v['warn']} warn[/yellow], [red]{v['block']} block[/red] (blocked drafts "
        "need a reviewer's override or rejection)"
    )
    quality = summary.get("quality") or {}
    console.print(
        f"LLM: {escape(llm['model'])} ({escape(llm['provider'])}), {llm['calls']} calls "
        f"(at most {quality.get('llm_call_bound', '?')}), {llm['cached_calls']} cached"
    )
    budget_note = (summary.get("model_budget") or {}).get("note")
    if budget_note:
        console.print(escape(budget_note))
    if llm["provider"] == "local":
        console.print(
            "For copy a brand would send, switch to a capable model (README: 'Use another "
            f"model'):\n  [bold]{escape(CAPABLE_MODEL_LINE)}[/bold]",
            highlight=False,
        )
    console.print(f"queue: {escape(summary['database'])}  ·  {summary['seconds']} s\n")
    console.print("[bold]Next, try:[/bold]")
    for cmd in summary["next"]:
        console.print(f"  {escape(cmd)}", highlight=False)
