"""`winback run`: one batch, from a cohort to drafts waiting for review."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
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
from agent.errors import WinbackError
from agent.run.progress import StageProgress

if TYPE_CHECKING:
    from agent.settings import Settings
    from segments.cohort_source import CohortSource

CohortArg = Annotated[
    Path | None,
    typer.Argument(
        help="Cohort file: .csv, .parquet or .jsonl (or use --sql).", show_default=False
    ),
]


def cohort_source(file: Path | None, flags: CohortFlags) -> CohortSource:
    """Where the cohort comes from, with a clear error for impossible combinations."""
    sql, table, query = flags.sql, flags.table, flags.query
    if file is not None and sql is not None:
        raise WinbackError("Give either a cohort FILE or --sql, not both", "Drop one of them.")
    if sql is not None:
        if (table is None) == (query is None):
            raise WinbackError(
                "--sql needs exactly one of --table or --query", "Add --table T or --query Q."
            )
        return flags.source(None)
    if file is None:
        raise WinbackError(
            "No cohort given", "Pass a cohort file (winback run cohort.csv) or --sql URL --table T."
        )
    return CohortFlags(mapping=flags.mapping).source(file)


@settings_options()
@campaign_options()
@cohort_options()
def run(
    file: CohortArg = None,
    campaign_flags: CampaignFlags = FROM_FLAGS,
    cohort_flags: CohortFlags = FROM_FLAGS,
    pushdown: Annotated[
        bool,
        typer.Option(
            "--pushdown",
            help="With --sql and --table: run the rule, suppression and arms in the database "
            "and pull only the selected rows.",
        ),
    ] = False,
    skip_invalid: SkipInvalidOpt = False,
    suppression_file: Annotated[
        Path | None,
        typer.Option("--suppression-file", help="CSV/JSONL of user_id[,channel][,contacted_at]."),
    ] = None,
    personalize_top: Annotated[
        int | None,
        typer.Option(
            "--personalize-top",
            help="One extra LLM call each for the N highest-value treatment users (features only).",
        ),
    ] = None,
    full_scan: Annotated[
        bool, typer.Option("--full-scan", help="Scan every message in full (slow, ~100/s).")
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Check everything and print the expected LLM calls, tokens and time "
            "(measured speed); no batch, nothing queued.",
        ),
    ] = False,
    run_as: Annotated[
        str | None,
        typer.Option(
            "--as",
            envvar="WINBACK_ACCOUNT",
            help="The web app account running this batch (four-eyes: it cannot approve it).",
        ),
    ] = None,
    settings: Settings = FROM_FLAGS,
    as_json: JsonOpt = False,
) -> None:
    """Turn a scored at-risk cohort into a batch of drafts waiting for review.

    cohort -> rule -> suppression -> arms -> segments (LLM) -> variants (LLM) ->
    per-user render -> guardrails -> queue. Re-running the same command resumes the
    batch: cached LLM replies, no duplicate drafts.
    """
    from agent.run.batch import run_batch
    from segments.cohort_validation import read_cohort
    from segments.suppression import read_contact_file

    camp = campaign_flags.load(personalize_top=personalize_top)
    source = cohort_source(file, cohort_flags)
    if pushdown and (source.sql_url is None or source.table is None):
        raise WinbackError(
            "--pushdown needs --sql URL and --table T",
            "Name the table the selection should run in, or drop --pushdown.",
        )
    contacts = read_contact_file(suppression_file) if suppression_file else []
    pushed = None
    if pushdown:
        from agent.run.pushdown_stage import select_pushed

        pushed = select_pushed(source, camp)
        cohort = pushed.cohort
    else:
        cohort = read_cohort(source, skip_invalid=skip_invalid)
    if dry_run:
        from agent.run.estimate import dry_run as dry_run_report

        report = dry_run_report(cohort, camp, settings)
        if as_json:
            echo_json(report)
        else:
            print_dry_run(report, Console())
        return
    with StageProgress(enabled=not as_json) as progress:
        from agent.run.estimate import announce

        announce(progress, cohort, camp, settings)
        summary = run_batch(
            cohort,
            camp,
            settings,
            progress=progress,
            extra_contacts=contacts,
            full_scan=full_scan,
            run_by=run_as,
            pushed=pushed,
        )
    if as_json:
        echo_json(summary)
        return
    print_summary(summary, Console())


def print_summary(summary: dict[str, Any], console: Console) -> None:
    """The human-readable run summary."""
    users = summary["users"]
    gc = summary.get("global_control") or {}
    console.print(
        f"[bold]Batch {escape(summary['batch_id'])}[/bold] ({escape(summary['campaign'])})"
        + (" [dim]resumed[/dim]" if summary["resumed"] else "")
        + f" in {summary['seconds']} s"
    )
    if summary.get("unchanged"):
        console.print(f"[dim]{escape(summary['note'])}[/dim]")
    if users["invalid_skipped"]:
        console.print(f"[yellow]skipped {users['invalid_skipped']} invalid row(s)[/yellow]")
    console.print(
        f"users: {users['cohort']} in cohort, {users['activated']} match the rule, "
        f"{users['suppressed']} suppressed, "
        + (
            f"{users['global_control']} held out (global control {gc['period']}), "
            if users.get("global_control")
            else ""
        )
        + f"{users['eligible']} eligible -> "
        f"control {users['control']}, baseline {users['baseline']}, "
        f"treatment {users['treatment']}"
    )
    for warning in summary.get("warnings", []):
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    table = Table("segment", "users", "plan", "incentive", "angle")
    for s in summary["segments"]:
        source = "LLM" if s["source"] == "llm" else "[yellow]fallback[/yellow]"
        table.add_row(
            Text(s["name"]),
            str(s["size"]),
            source,
            Text(s["incentive_tier"]),
            Text(s["message_angle"]),
        )
    if summary["segments"]:
        console.print(table)
    v, llm = summary["verdicts"], summary["llm"]
    console.print(
        f"drafts: {summary['drafts']['messages']} ({summary['drafts']['new']} new) — "
        f"[green]{v['pass']} pass[/green], [yellow]{v['warn']} warn[/yellow], "
        f"[red]{v['block']} block[/red]"
    )
    if summary.get("guard"):
        layers, judged = summary["guard"]["layers"], summary["guard"].get("judge_calls", 0)
        note = f", judge read {judged} new templates" if "judge" in layers else ", judge off"
        console.print(f"guardrails: {', '.join(layers)}{note}")
    cost = llm["cost_usd"]
    console.print(
        f"LLM ({escape(llm['provider'])}, {escape(llm['model'])}): {llm['calls']} calls, "
        f"{llm['cached_calls']} cached, {llm['input_tokens']} in / {llm['output_tokens']} out"
        + ("" if cost is None else f", est. ${cost:.4f}")
    )
    console.print(f"queue: {escape(summary['database'])}")
    batch_id = escape(summary["batch_id"])
    console.print(
        f"next: [bold]winback review --batch {batch_id}[/bold], or "
        f"winback queue list --batch {batch_id}"
    )


def print_dry_run(report: dict[str, Any], console: Console) -> None:
    """The dry run: checks passed, warnings, and the estimate in one sentence."""
    est = report["estimate"]
    users = est["users"]
    console.print(
        f"[bold]Dry run[/bold] ({escape(report['campaign'])}): every check passed "
        f"({len(report['checks'])} checks); nothing was queued."
    )
    for warning in report["warnings"]:
        console.print(f"[yellow]warning: {escape(warning)}[/yellow]")
    console.print(
        f"users: {users['cohort']} in cohort, {users['activated']} match the rule, "
        f"{users['eligible']} eligible, {users.get('treatment', 0)} treatment"
    )
    console.print(Text(report["summary"]))
