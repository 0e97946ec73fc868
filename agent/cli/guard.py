"""`winback guard`: check messages against the guardrails (logic in `guardrails/`).

`winback guard check [FILE|-] [--json] [--policy FILE]` reads JSONL messages
and prints one verdict per message: as JSON lines with `--json` (the CLI
contract), else as a table with the flagged spans highlighted. A bad line is
reported (a JSON line with `error`, or on stderr in table mode), the others
are still checked, and the exit code is 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from agent.cli.display import highlighted, json_text, verdict_text
from agent.cli.options import PolicyOpt
from agent.errors import WinbackError

guard_app = typer.Typer(
    help="Check messages for PII, creepy personalization and channel/offer policy.",
    no_args_is_help=True,
)


def _row(result: dict[str, Any], messages: dict[str, dict[str, Any]]) -> tuple[Any, ...]:
    source = messages.get(result["id"], {})
    shown = Text()
    for name in ("subject", "title", "text"):
        value = source.get(name)
        if value is None and name == "title":
            value = source.get("subject") if source.get("channel") == "push" else None
        if not value or (name == "subject" and source.get("channel") == "push"):
            continue
        if name != "text":
            shown.append(f"{name}: ", style="dim")
        shown.append(highlighted(value, result["findings"], name))
        shown.append("\n")
    reasons = Text("\n".join(f"{f['severity']}: {f['message']}" for f in result["findings"]) or "-")
    verdict = verdict_text(result["verdict"])
    return Text(result["id"]), verdict, shown, reasons


@guard_app.command("check")
def check(
    file: Annotated[
        str, typer.Argument(help="JSONL file of messages, one per line; '-' reads stdin.")
    ] = "-",
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON verdict per line (the CLI contract).")
    ] = False,
    policy: PolicyOpt = None,
    spacy_model: Annotated[
        str | None,
        typer.Option("--spacy-model", help="Installed spaCy model package for Presidio."),
    ] = None,
) -> None:
    """Check JSONL messages: pass | warn | block, with the findings."""
    from guardrails.jsonl_check import check_jsonl
    from guardrails.pii_engine import get_analyzer
    from guardrails.policy import load_policy

    loaded = load_policy(policy)
    get_analyzer(spacy_model)  # fail fast on a missing model, before reading input
    if file == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise WinbackError(f"Cannot read {file} ({exc.strerror})", "Check the path.") from None
    lines = data.splitlines()
    errors = 0
    console = Console(soft_wrap=False)
    table = Table(show_lines=True)
    for column in ("id", "verdict", "message (flagged spans highlighted)", "findings"):
        table.add_column(column, overflow="fold")
    sources: dict[str, dict[str, Any]] = {}
    if not as_json:
        for raw in lines:
            try:
                obj = json.loads(raw)
                if isinstance(obj, dict) and "id" in obj:
                    sources[str(obj["id"])] = obj
            except (ValueError, UnicodeDecodeError):
                pass
    for result in check_jsonl(lines, loaded, spacy_model):
        if "error" in result:
            errors += 1
        if as_json:
            typer.echo(json_text(result))
        elif "error" in result:
            typer.secho(f"line {result['line']}: {result['error']}", err=True, fg="red")
        else:
            table.add_row(*_row(result, sources))
    if not as_json and table.row_count:
        console.print(table)
    if errors:
        # not a UserError: under --json the output stays one JSON line per message (the contract)
        total = len([ln for ln in lines if ln.strip()])
        typer.secho(
            f"Error: {errors} of {total} lines could not be checked. "
            "Fix the lines reported above; the other lines were checked.",
            err=True,
            fg="red",
        )
        raise typer.Exit(2)
