"""`winback export BATCH`: approved drafts to a file an ESP can import.

Thin wrapper over `agent.store.export.export_batch` (columns, atomic write
and the control list are documented there and in the README).
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated

import typer

from agent.cli.options import DbOpt, JsonOpt, ReviewerOpt, open_queue


def export(
    batch_id: Annotated[str, typer.Argument(help="Batch id (b-xxxxxxxx).", show_default=False)],
    out: Annotated[
        Path,
        typer.Option("--out", help="File to write the approved drafts to.", show_default=False),
    ],
    fmt: Annotated[str, typer.Option("--format", help="csv | jsonl.")] = "csv",
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
    from agent.store.export import export_batch

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
        )
    if as_json:
        typer.echo(json.dumps(summary))
        return
    typer.echo(f"Wrote {summary['rows']} approved draft(s) of {batch_id} to {summary['out']}.")
    if summary["control_out"]:
        typer.echo(f"Wrote {summary['control_rows']} control user(s) to {summary['control_out']}.")
    if summary["pending_left"]:
        typer.echo(f"{summary['pending_left']} draft(s) are still pending review (partial export).")
    typer.echo(f"Next, after the campaign: winback lift {batch_id} OUTCOMES.csv")
