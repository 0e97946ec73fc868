"""`winback llm ...`: check the active model, serve the embedded one."""

from __future__ import annotations

import signal
import time
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from agent.cli.display import echo_json
from agent.cli.options import (
    BaseUrlOpt,
    ConfigFileOpt,
    JsonOpt,
    LocalModelOpt,
    ModelOpt,
    ProviderOpt,
    resolve_settings,
)
from agent.errors import WinbackError
from prompts.errors import UserError

if TYPE_CHECKING:
    from agent.llm.client import LLM

llm_app = typer.Typer(
    help="Check which model winback uses, or serve the embedded one for other tools.",
    no_args_is_help=True,
)

CHECK_PROMPT = [
    ("system", "You are a friendly assistant for a fitness app."),
    ("user", "In one short sentence, welcome back a member who has not worked out lately."),
]


def round_trip(llm: LLM) -> dict:
    """One real, uncached request; what came back and how fast."""
    started = time.monotonic()
    reply = llm.complete(CHECK_PROMPT, max_tokens=48, use_cache=False)
    elapsed = time.monotonic() - started
    return {
        "ok": bool(reply.text.strip()),
        "reply": reply.text.strip(),
        "latency_s": round(reply.seconds, 3),
        "total_s": round(elapsed, 3),
        "input_tokens": reply.input_tokens,
        "output_tokens": reply.output_tokens,
        "tokens_per_s": round(reply.output_tokens / reply.seconds, 1) if reply.seconds else None,
    }


@llm_app.command("check")
def check(
    provider: ProviderOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    local_model: LocalModelOpt = None,
    config_file: ConfigFileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the active provider, endpoint and model, and make one real round trip.

    Exit code 0 when the model answered, 2 when it could not be reached or configured.
    """
    from agent.llm.client import LLM

    result: dict = {"ok": False}
    try:
        settings = resolve_settings(
            provider=provider,
            model=model,
            base_url=base_url,
            local_model=local_model,
            config_file=config_file,
        )
        with LLM(settings, cache=False) as llm:
            result.update(provider=llm.provider, model=llm.model, reason=llm.choice.reason)
            result.update(round_trip(llm))
            result["base_url"] = llm.base_url
            if llm.server is not None:
                result["server_start_s"] = round(llm.server.startup_seconds or 0.0, 2)
                result["model_path"] = str(llm.server.model_path)
    except UserError as exc:
        if as_json:  # one document: the check's fields and the error object of `--json`
            echo_json({**result, "error": exc.message, "fix": exc.fix, "exit_code": exc.exit_code})
            typer.secho(f"Error: {exc}", err=True, fg="red")
            raise typer.Exit(exc.exit_code) from None
        raise
    if as_json:
        echo_json(result)
        return
    table = Table(show_header=False, box=None)
    table.add_row(
        "provider", f"{escape(result['provider'])}  [dim]({escape(result['reason'])})[/dim]"
    )
    table.add_row("endpoint", Text(result["base_url"]))
    table.add_row("model", Text(result["model"]))
    if "server_start_s" in result:
        table.add_row("server start", f"{result['server_start_s']} s")
    table.add_row("latency", f"{result['latency_s']} s")
    table.add_row(
        "tokens",
        f"{result['input_tokens']} in, {result['output_tokens']} out "
        f"({result['tokens_per_s']} tokens/s)",
    )
    table.add_row("reply", Text(result["reply"]) if result["reply"] else "[red](empty)[/red]")
    console = Console()
    console.print(table)
    console.print(
        "[green]ok[/green]: the model answered." if result["ok"] else "[red]empty reply[/red]"
    )


DEFAULT_STOP_GRACE = 10.0
MAX_STOP_GRACE = 600.0


@llm_app.command("serve")
def serve(
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1 to listen on.")] = 8080,
    grace: Annotated[
        float,
        typer.Option(
            "--grace",
            help="When stopped, seconds (0-600) the server gets to finish requests in flight "
            "before it is killed.",
        ),
    ] = DEFAULT_STOP_GRACE,
    local_model: LocalModelOpt = None,
    model: ModelOpt = None,
    config_file: ConfigFileOpt = None,
) -> None:
    """Serve the embedded model on 127.0.0.1 in the foreground (Ctrl-C stops it).

    Other tools, or winback in another terminal, can then use it as an
    OpenAI-compatible endpoint: WINBACK_BASE_URL=http://127.0.0.1:PORT/v1

    Ctrl-C, SIGTERM or SIGHUP stop it gracefully: the server gets SIGTERM and
    --grace seconds to finish the requests in flight, then SIGKILL; a second
    signal kills it at once. Exit code 130 (Ctrl-C), 143 (SIGTERM), 129 (SIGHUP).
    """
    from agent.child_processes import install_stop_handlers
    from agent.llm.endpoint import local_server_for

    if not 1 <= port <= 65535:
        raise WinbackError(f"Port {port} is out of range", "Use a port between 1 and 65535.")
    if not 0 <= grace <= MAX_STOP_GRACE:
        raise WinbackError(
            f"--grace {grace:g} is out of range", f"Use 0 to {MAX_STOP_GRACE:g} seconds."
        )
    settings = resolve_settings(local_model=local_model, model=model, config_file=config_file)
    server = local_server_for(settings, port=port, stop_grace=grace)
    server.preflight()  # bad model or busy port: exit 2 before touching signal handlers
    # Started on purpose, so Ctrl-C stops it even when this process was started with SIGINT
    # ignored (as background jobs of a non-interactive shell are).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    install_stop_handlers()
    with server:
        typer.echo(
            f"Serving {server.model_path.name} as '{server.alias}' at {server.base_url} "
            f"(started in {server.startup_seconds:.1f} s; log: {server.log_path})"
        )
        typer.echo(
            f"Use it with: export WINBACK_BASE_URL={server.base_url}   Ctrl-C stops it "
            f"(grace {grace:g} s)."
        )
        assert server.proc is not None
        code = server.proc.wait()
        raise WinbackError(
            f"The embedded model server stopped unexpectedly (exit code {code})",
            f"See {server.log_path}.",
        )
