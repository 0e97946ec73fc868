"""The `winback` command line: one typer sub-app per noun, the logic elsewhere.

This module only wires sub-apps together and owns the error boundary:
a `UserError` (any package's) becomes one line on stderr ("Error: what. How to fix it.")
with its exit code (2 for bad input, 1 for a failed run). Any other exception
is a bug: it is re-raised with its traceback under `--debug`, `WINBACK_DEBUG=1`
or pytest, and otherwise reported in one line that points at `--debug`.

Under `--json` (when the invoked command has a `--json` option and it was
given) a failure is also written to stdout as one JSON object,
`{"error", "fix", "exit_code"}`, so a script reading stdout always gets JSON;
the human line still goes to stderr.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Annotated

import typer
import typer.main
from typer.core import TyperGroup

if TYPE_CHECKING:
    import click

from agent import __version__
from agent.child_processes import StopRequested, install_stop_handlers, raise_if_stop_requested
from prompts.errors import UserError

# Every command, in help order: its module and the typer app or function in it. A command's
# module is imported when the command is invoked (or a help page lists it), so
# `winback cohort check` loads agent.cli.cohort and none of the other fourteen.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("agent.cli.demo", "demo"),
    "init": ("agent.cli.init", "init"),
    "run": ("agent.cli.run", "run"),
    "score": ("agent.cli.score", "score"),
    "review": ("agent.cli.review", "review"),
    "export": ("agent.cli.export", "export"),
    "lift": ("agent.cli.lift", "lift"),
    "serve": ("agent.cli.serve", "serve"),
    "cohort": ("agent.cli.cohort", "cohort_app"),
    "guard": ("agent.cli.guard", "guard_app"),
    "llm": ("agent.cli.llm", "llm_app"),
    "prompts": ("agent.cli.prompts", "prompts_app"),
    "queue": ("agent.cli.queue", "queue_app"),
    "segments": ("agent.cli.segments", "segments_app"),
    "users": ("agent.cli.users", "users_app"),
}


def _debug_enabled(ctx: typer.Context | None) -> bool:
    if os.environ.get("WINBACK_DEBUG") or "PYTEST_CURRENT_TEST" in os.environ:
        return True
    return bool(ctx and ctx.obj and ctx.obj.get("debug"))


def _is_cli_framework_exception(exc: BaseException) -> bool:
    """Click's and typer's own exceptions (typer 0.27 and later vendor click as typer._click)."""
    module = type(exc).__module__
    return module.startswith(("click", "typer"))


def _json_requested(group: TyperGroup, ctx: typer.Context) -> bool:
    """Whether the command about to run has a `--json` option and it was given."""
    args = [*getattr(ctx, "_protected_args", []), *ctx.args]
    command: object = group
    rest = args
    while rest and hasattr(command, "get_command"):
        sub = command.get_command(ctx, rest[0])  # type: ignore[attr-defined]
        if sub is None:
            break
        command, rest = sub, rest[1:]
    if "--json" not in rest:
        return False
    return any("--json" in getattr(p, "opts", ()) for p in getattr(command, "params", ()))


def _echo_json_error(message: str, fix: str | None, exit_code: int) -> None:
    """A failure as one JSON object on stdout (under `--json`)."""
    from agent.cli.display import echo_json

    echo_json({"error": message, "fix": fix, "exit_code": exit_code})


def _load_command(name: str) -> click.Command:
    """The click command of one entry of `COMMANDS`: a sub-app's group, or one command."""
    module, attr = COMMANDS[name]
    target = getattr(importlib.import_module(module), attr)
    holder = typer.Typer(add_completion=False)
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=name)  # a group even when the sub-app has one command
    else:
        holder.command(name)(target)
        holder.callback()(lambda: None)  # two levels, so that `name` is looked up below
    return typer.main.get_command(holder).commands[name]  # type: ignore[attr-defined]


class WinbackGroup(TyperGroup):
    """Root group: loads each command on first use; turns user errors into one clean line
    and an exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:  # type: ignore[override]
        return [*COMMANDS, *(n for n in super().list_commands(ctx) if n not in COMMANDS)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:  # type: ignore[override]
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in COMMANDS:
            command = _load_command(cmd_name)
            self.add_command(command, cmd_name)
        return command

    def invoke(self, ctx: typer.Context):  # type: ignore[override]
        json_mode = _json_requested(self, ctx)
        try:
            result = super().invoke(ctx)
            raise_if_stop_requested()  # a stop whose raise a finalizer swallowed
            return result
        except UserError as exc:
            if json_mode:
                _echo_json_error(exc.message, exc.fix, exc.exit_code)
            typer.secho(f"Error: {exc}", err=True, fg="red")
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            typer.secho("Interrupted.", err=True, fg="yellow")
            raise typer.Exit(130) from None
        except StopRequested as exc:  # SIGTERM/SIGHUP: children already stopped (issue 19)
            typer.secho(f"Stopped by {exc.signal_name}.", err=True, fg="yellow")
            raise
        except BrokenPipeError:
            raise  # the reader went away (`winback ... | head`): click exits 1 quietly
        except Exception as exc:
            if _is_cli_framework_exception(exc):
                if json_mode and hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
                    fix = "See the command's --help."
                    _echo_json_error(exc.format_message(), fix, exc.exit_code)
                raise  # usage errors and exits: typer prints them and sets the exit code
            if _debug_enabled(ctx):
                raise
            if json_mode:
                _echo_json_error(
                    f"unexpected failure ({exc.__class__.__name__}: {exc})",
                    "Re-run with --debug for the traceback and report it.",
                    1,
                )
            typer.secho(
                f"Error: unexpected failure ({exc.__class__.__name__}: {exc}). "
                "Re-run with --debug for the traceback and report it.",
                err=True,
                fg="red",
            )
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=WinbackGroup,
    name="winback",
    help=(
        "Win back drifting customers: find behavioural micro-segments with an LLM, "
        "write guarded, personalized drafts, queue them for human approval, and "
        "prove the lift against a held-out control group."
    ),
    epilog="New here? Run `winback demo`. Docs: README.md.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"winback {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show full tracebacks for unexpected errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Win back drifting customers with guarded, human-approved LLM copy."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def main() -> None:
    """Console-script entry point; SIGTERM/SIGHUP stop what winback started, then exit."""
    install_stop_handlers()
    app(prog_name="winback")
