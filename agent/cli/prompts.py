"""`winback prompts ...`: list, show, render and evaluate the prompt library."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table
from rich.text import Text

from agent.cli.display import echo_json
from agent.cli.options import (
    FROM_FLAGS,
    JsonOpt,
    PolicyOpt,
    settings_options,
)
from prompts.yaml_file import read_yaml_mapping

if TYPE_CHECKING:
    from agent.llm.prompt_library import PromptLibrary
    from agent.settings import Settings

prompts_app = typer.Typer(
    help="The prompt library: list, show, render and evaluate versioned prompt templates.",
    no_args_is_help=True,
)
FolderOpt = Annotated[
    Path | None,
    typer.Option("--folder", help="Prompt folder (default: the shipped prompts/templates)."),
]
RefArg = Annotated[str, typer.Argument(help="NAME (latest version) or NAME@VERSION.")]


def _library(folder: Path | None) -> PromptLibrary:
    from agent.llm.prompt_library import PromptLibrary

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
        echo_json(rows, indent=2)
        return
    table = Table(Column("prompt", no_wrap=True), "inputs", "output", "description")
    for r in rows:
        cells = (r["ref"], ", ".join(r["inputs"]), r["output_schema"] or "text", r["description"])
        table.add_row(*map(Text, cells))
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
        echo_json(data, indent=2)
        return
    console = Console()
    console.print(
        f"[bold]{escape(p.ref)}[/bold]  {escape(p.description)}\n[dim]{escape(str(p.path))}[/dim]"
    )
    console.print(f"inputs: {escape(str(p.inputs))}  output: {escape(p.output_schema or 'text')}")
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
    variables = read_yaml_mapping(
        vars_file,
        "Variables file",
        fix=f"Write YAML or JSON giving the inputs {', '.join(prompt.inputs)}.",
        kind="a mapping of name: value",
        empty_ok=False,
    )
    messages = prompt.render(variables)
    if as_json:
        echo_json({"ref": prompt.ref, "messages": messages}, indent=2)
        return
    console = Console()
    for m in messages:
        console.rule(escape(m["role"]))
        console.print(m["content"], markup=False, highlight=False)


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _print_eval(doc: dict, console: Console) -> None:
    results = doc["results"]
    pair = len(results) == 2
    console.print(f"[bold]{escape(doc['suite'])}[/bold]  {escape(doc['description'])}".rstrip())
    table = Table("assertion", title="pass rate per assertion")
    for r in results:
        table.add_column(Text(r["prompt"]), justify="right")
    if pair:
        table.add_column("diff", justify="right")
    types = list(dict.fromkeys(t for r in results for t in r["by_assertion"]))
    rows = [(t, [r["by_assertion"].get(t, {}).get("pass_rate") for r in results]) for t in types]
    rows.append(("cases (overall)", [r["pass_rate"] for r in results]))
    for label, rates in rows:
        cells = [_rate(v) for v in rates]
        if pair:
            a, b = rates
            cells.append("-" if a is None or b is None else f"{(b - a) * 100:+.0f} pts")
        table.add_row(Text(label), *cells)
    console.print(table)
    cases = Table("case", title="cases (score; first failed assertion)")
    for r in results:
        cases.add_column(Text(r["prompt"]))
    for i, case in enumerate(results[0]["cases"]):
        cells = []
        for r in results:
            c = r["cases"][i]
            failed = next((a for a in c["assertions"] if not a["passed"]), None)
            mark = "[green]pass[/green]" if c["passed"] else "[red]FAIL[/red]"
            why = (
                f"\n[dim]{escape(failed['type'])}: {escape(failed['reason'][:90])}[/dim]"
                if failed
                else ""
            )
            cells.append(f"{mark} {c['score']:.2f}{why}")
        cases.add_row(Text(case["name"]), *cells)
    console.print(cases)
    for r in results:
        verdict = "[green]passes[/green]" if r["passed"] else "[red]misses[/red]"
        console.print(
            f"{escape(r['prompt'])}: {r['pass_rate']:.0%} of cases pass, {verdict} "
            f"the threshold {doc['threshold']:.0%}"
        )
    llm = doc["llm"]
    console.print(
        f"LLM ({escape(llm['provider'])}, {escape(llm['model'])}): {llm['calls']} calls, "
        f"{llm['cached_calls']} cached, {llm['input_tokens']} in / {llm['output_tokens']} out"
    )


@prompts_app.command("eval")
@settings_options("provider", "model", "base_url", "local_model", "no_cache", "config_file")
def eval_suite(
    suite: Annotated[
        Path, typer.Argument(help="Suite file, e.g. prompts/evals/push_variants.yaml.")
    ],
    prompt: Annotated[
        list[str] | None,
        typer.Option(
            "--prompt",
            help="NAME@VERSION to test instead of the suite's prompt; repeat to compare two.",
            show_default=False,
        ),
    ] = None,
    folder: FolderOpt = None,
    policy_file: PolicyOpt = None,
    settings: Settings = FROM_FLAGS,
    as_json: JsonOpt = False,
) -> None:
    """Run an evaluation suite on one or more prompt versions; exit 1 below its threshold."""
    from agent.evals.suite import load_suite, report, run_suite
    from agent.llm.client import LLM
    from guardrails.policy import load_policy

    loaded = load_suite(suite, prompt, _library(folder))
    policy = load_policy(policy_file)
    console = Console(stderr=True)
    with LLM(settings) as llm:

        def progress(ref: str, case: str) -> None:
            if not as_json:
                console.print(f"[dim]{escape(ref)}: {escape(case)} ...[/dim]")

        results = run_suite(loaded, llm, policy, on_case=progress)
        doc = report(loaded, results, llm)
    if as_json:
        echo_json(doc, indent=2)
    else:
        _print_eval(doc, Console())
    if not all(r.passed for r in results):
        raise typer.Exit(1)
