"""`winback prompts ...`: list, show and render the prompt library."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.table import Table

from agent.cli_options import JsonOpt
from agent.errors import WinbackError
from agent.prompt_library import PromptLibrary

prompts_app = typer.Typer(
    help="The prompt library: list, show and render versioned prompt templates.",
    no_args_is_help=True,
)
FolderOpt = Annotated[
    Path | None,
    typer.Option("--folder", help="Prompt folder (default: the shipped prompts/templates)."),
]
RefArg = Annotated[str, typer.Argument(help="NAME (latest version) or NAME@VERSION.")]


def _library(folder: Path | None) -> PromptLibrary:
    return PromptLibrary(folder) if folder else PromptLibrary()


@prompts_app.command("list")
def list_prompts(folder: FolderOpt = None, as_json: JsonOpt = False) -> None:
    """Every prompt and version, with its description and output schema."""
    rows = [
        {
            "name": p.name,
            "version": p.version,
            "ref": p.ref,
            "description": p.description,
            "output_schema": p.output_schema,
            "inputs": p.inputs,
            "path": str(p.path),
        }
        for p in _library(folder).all()
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("inputs", "output", "description")
    table.columns.insert(0, Table().add_column("prompt", no_wrap=True).columns[0])
    for r in rows:
        table.add_row(
            r["ref"], ", ".join(r["inputs"]), r["output_schema"] or "text", r["description"]
        )
    Console().print(table)


@prompts_app.command("show")
def show(ref: RefArg, folder: FolderOpt = None, as_json: JsonOpt = False) -> None:
    """A prompt's metadata and template body."""
    p = _library(folder).get(ref)
    data = {
        "ref": p.ref,
        "description": p.description,
        "inputs": p.inputs,
        "output_schema": p.output_schema,
        "temperature": p.temperature,
        "max_tokens": p.max_tokens,
        "path": str(p.path),
        "body": p.body,
    }
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    console = Console()
    console.print(f"[bold]{p.ref}[/bold]  {p.description}\n[dim]{p.path}[/dim]")
    console.print(f"inputs: {p.inputs}  output: {p.output_schema or 'text'}")
    console.print(f"temperature: {p.temperature}  max_tokens: {p.max_tokens}\n")
    console.print(p.body, markup=False, highlight=False)


@prompts_app.command("render")
def render(
    ref: RefArg,
    vars_file: Annotated[
        Path, typer.Option("--vars", help="YAML or JSON file with the prompt's input variables.")
    ],
    folder: FolderOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Render a prompt with variables from a file, exactly as the model would see it."""
    prompt = _library(folder).get(ref)
    try:
        variables = yaml.safe_load(vars_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WinbackError(
            f"Variables file {vars_file} does not exist", "Check the path."
        ) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise WinbackError(
            f"Variables file {vars_file} is not valid YAML/JSON ({exc.__class__.__name__})",
            "Fix its syntax.",
        ) from exc
    if not isinstance(variables, dict):
        raise WinbackError(
            f"Variables file {vars_file} must be a mapping of name: value",
            f"Give the inputs {', '.join(prompt.inputs)}.",
        )
    messages = prompt.render(variables)
    if as_json:
        typer.echo(json.dumps({"ref": prompt.ref, "messages": messages}, indent=2))
        return
    console = Console()
    for m in messages:
        console.rule(m["role"])
        console.print(m["content"], markup=False, highlight=False)
