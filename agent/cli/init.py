"""`winback init`: a campaign folder for your brand, vertical, channels and cohort.

Parses flags, asks for what is missing (typer prompts, on a terminal or any
input), prints the result. The work is `agent.starters.campaign_folder`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agent.cli.display import echo_json
from agent.cli.options import ChannelsOpt, JsonOpt, MappingOpt


def _ask(value: str | None, question: str, default: str | None = None, err: bool = False) -> str:
    """`value`, or the answer to a prompt (on stderr if `err`); no answer is a usage error."""
    from agent.errors import WinbackError

    if value is not None:
        return value
    try:
        return str(typer.prompt(question, default=default, err=err))
    except typer.Abort:
        raise WinbackError(
            f"No answer for {question.split(' (')[0].lower()!r}",
            "Pass every choice as a flag (--brand, --vertical, --channels, --cohort, --out) "
            "when there is no terminal to ask on.",
        ) from None


def init(
    brand: Annotated[
        str | None,
        typer.Option("--brand", help="Brand name, used in the copy.", show_default=False),
    ] = None,
    vertical: Annotated[
        str | None,
        typer.Option(
            "--vertical",
            help="Starter set: fitness | retail | subscription-media | food-delivery.",
            show_default=False,
        ),
    ] = None,
    channels: ChannelsOpt = None,
    cohort: Annotated[
        Path | None,
        typer.Option(
            "--cohort", help="Cohort file (CSV, Parquet, JSONL) to fit.", show_default=False
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Campaign folder to write (default: campaigns/<brand>-winback).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the campaign files of an existing folder.")
    ] = False,
    budget: Annotated[
        float | None,
        typer.Option(
            "--budget", help="Total incentive budget (catalog currency).", show_default=False
        ),
    ] = None,
    link: Annotated[
        str | None,
        typer.Option(
            "--link", help="Landing page of the call to action (https://...).", show_default=False
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="Campaign name, also the salt of the arms (default: <brand>-winback).",
            show_default=False,
        ),
    ] = None,
    catalog: Annotated[
        Path | None,
        typer.Option(
            "--catalog",
            help="Your incentive catalog instead of the starter's.",
            show_default=False,
        ),
    ] = None,
    mapping: MappingOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a campaign folder (campaign, baseline copy, incentive catalog) fitted to a cohort."""
    from agent.starters.campaign_folder import InitRequest, campaign_slug, init_campaign
    from agent.starters.starter_sets import verticals

    err = as_json  # under --json the questions go to stderr, stdout holds only the JSON
    brand = _ask(brand, "Brand name", err=err)
    vertical = _ask(vertical, f"Vertical ({' | '.join(verticals())})", "retail", err)
    channels = _ask(channels, "Channels (comma-separated: email, sms, push)", "email", err)
    cohort = Path(_ask(None if cohort is None else str(cohort), "Cohort file", err=err))
    default_out = f"campaigns/{name or campaign_slug(brand) or 'winback'}"
    out = Path(_ask(None if out is None else str(out), "Campaign folder", default_out, err))
    summary = init_campaign(
        InitRequest(
            brand=brand,
            vertical=vertical.strip().lower(),
            channels=tuple(c.strip().lower() for c in channels.split(",") if c.strip()),
            cohort=cohort,
            out=out,
            force=force,
            budget=budget,
            link=link,
            name=name,
            catalog=catalog,
            mapping=mapping,
        )
    )
    if as_json:
        echo_json(summary)
        return
    typer.echo(f"Wrote campaign {summary['campaign']} to {summary['folder']}/:")
    for path in summary["files"]:
        typer.echo(f"  {path}")
    typer.echo(f"Placeholders: {', '.join(summary['placeholders'])}")
    if summary["placeholders_unavailable"]:
        typer.echo(
            f"Not in this cohort, left out: {', '.join(summary['placeholders_unavailable'])}"
        )
    typer.echo(f"Rule: {summary['rule'] or '(none: every user is eligible)'}")
    for clause in summary["rule_clauses_dropped"]:
        typer.echo(f"  left out (column missing): {clause}")
    for note in summary["catalog_notes"]:
        typer.echo(f"Catalog: {note}")
    if summary["budget_covers_offers"] is not None:
        typer.echo(
            f"Budget {summary['budget']:g} pays for at most {summary['budget_covers_offers']} "
            "redeemed offers at the cheapest paid offer; the run withdraws offers beyond it."
        )
    typer.echo(f"Next: {summary['next']}")
