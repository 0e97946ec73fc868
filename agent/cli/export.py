"""`winback export BATCH`: approved drafts to a file an ESP can import.

Thin wrapper over `agent.store.export.export_batch` (columns, presets, atomic
write and the control list are documented there, in
`agent.store.export_presets` and in the README).
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from agent.cli.display import echo_json
from agent.cli.options import DbOpt, JsonOpt, ReviewerOpt, open_queue


def export(
    batch_id: Annotated[str, typer.Argument(help="Batch id (b-xxxxxxxx).", show_default=False)],
    out: Annotated[
        Path,
        typer.Option("--out", help="File to write the approved drafts to.", show_default=False),
    ],
    fmt: Annotated[str, typer.Option("--format", help="csv | jsonl.")] = "csv",
    preset: Annotated[
        str,
        typer.Option(
            "--preset",
            help="Column names for an ESP import: generic | braze | klaviyo | mailchimp.",
        ),
    ] = "generic",
    channel: Annotated[
        str | None,
        typer.Option(
            "--channel",
            help="Export one channel's drafts only (klaviyo and mailchimp take one per file).",
            show_default=False,
        ),
    ] = None,
    link: Annotated[
        str | None,
        typer.Option(
            "--link",
            help="Landing page of the call to action (default: the campaign's `link`); "
            "UTM parameters are added.",
            show_default=False,
        ),
    ] = None,
    control_out: Annotated[
        Path | None,
        typer.Option(
            "--control-out", help="Also write the control (holdout) list here.", show_default=False
        ),
    ] = None,
    partial: Annotated[
        bool,
        typer.Option("--partial", help="Export what is approved even if drafts are still pending."),
    ] = False,
    include_exported: Annotated[
        bool,
        typer.Option(
            "--include-exported", help="Also write drafts exported before (not recorded twice)."
        ),
    ] = False,
    reviewer: ReviewerOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the approved drafts of a batch as CSV or JSONL, and the control list beside them."""
    from agent.errors import WinbackError
    from agent.store.export import export_batch
    from agent.store.export_presets import get_preset
    from prompts.channels import CHANNELS

    get_preset(preset)  # an unknown preset fails before the queue is opened
    if channel is not None and channel not in CHANNELS:
        raise WinbackError(f"Unknown channel {channel!r}", f"Use --channel {' | '.join(CHANNELS)}.")

    actor = reviewer or getpass.getuser()
    with open_queue(db) as engine:
        summary = export_batch(
            engine,
            batch_id,
            out,
            fmt=fmt.lower(),
            control_out=control_out,
            partial=partial,
            include_exported=include_exported,
            actor=actor,
            preset=preset,
            channel=channel,
            link=link,
        )
    if as_json:
        echo_json(summary)
        return
    typer.echo(
        f"Wrote {summary['rows']} approved draft(s) of {batch_id} to {summary['out']} "
        f"({summary['preset']} columns, mode {summary['file_mode']})."
    )
    if summary["rows"] and not summary["link"]:
        typer.echo("No landing page: the link column is empty (set `link:` or pass --link).")
    if summary["email_parts_not_separated"]:
        typer.echo(
            f"{summary['email_parts_not_separated']} e-mail(s) had no separable preheader and "
            "call to action (edited into fewer paragraphs): their whole text is in the body."
        )
    if summary["rows_over_mailchimp_field_limit"]:
        typer.echo(
            f"{summary['rows_over_mailchimp_field_limit']} row(s) have a field over Mailchimp's "
            "255-byte limit for text fields; Mailchimp clips them on import."
        )
    if summary["control_rows_without_segment"]:
        typer.echo(
            f"{summary['control_rows_without_segment']} control user(s) have no stored segment."
        )
    if summary["control_out"]:
        typer.echo(f"Wrote {summary['control_rows']} control user(s) to {summary['control_out']}.")
    if summary["pending_left"]:
        typer.echo(f"{summary['pending_left']} draft(s) are still pending review (partial export).")
    typer.echo(f"Next, after the campaign: winback lift {batch_id} OUTCOMES.csv")
