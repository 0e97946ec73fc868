"""The CLI error boundary: user errors are one line with a fix, bugs keep tracebacks."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from agent.cli import WinbackGroup, app
from agent.errors import RunFailed, WinbackError

runner = CliRunner()


def make_app(exc: BaseException) -> typer.Typer:
    test_app = typer.Typer(cls=WinbackGroup)

    @test_app.command()
    def boom() -> None:
        raise exc

    @test_app.command()
    def fine() -> None:
        typer.echo("fine")

    return test_app


@pytest.mark.parametrize(
    ("exc", "code", "line"),
    [
        (
            WinbackError("Cohort is empty", "Export it again."),
            2,
            "Error: Cohort is empty. Export it again.",
        ),
        (RunFailed("Model kept failing"), 1, "Error: Model kept failing"),
    ],
)
def test_user_errors_are_one_line(exc, code, line):
    result = runner.invoke(make_app(exc), ["boom"])
    assert result.exit_code == code
    assert result.stderr.strip() == line
    assert "Traceback" not in result.output


def test_unexpected_errors_reraise_under_pytest():
    result = runner.invoke(make_app(ZeroDivisionError("bug")), ["boom"])
    assert isinstance(result.exception, ZeroDivisionError)


def test_unexpected_errors_are_one_line_for_users(monkeypatch):
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    result = runner.invoke(make_app(ZeroDivisionError("bug")), ["boom"])
    assert result.exit_code == 1
    assert "unexpected failure (ZeroDivisionError: bug)" in result.stderr
    assert "--debug" in result.stderr


def test_usage_errors_exit_2():
    result = runner.invoke(app, ["llm", "check", "--no-such-flag"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["no-such-command"])
    assert result.exit_code == 2


def test_help_reads_well():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "Win back drifting customers" in result.output
    assert "llm" in result.output
    result = runner.invoke(app, ["llm", "--help"])
    assert "check" in result.output and "serve" in result.output
    result = runner.invoke(app, ["llm", "check", "--help"])
    assert "--provider" in result.output and "--json" in result.output


def test_version_and_console_script():
    out = subprocess.run(
        [sys.executable, "-m", "agent.cli", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("winback ")


def test_unknown_provider_is_exit_2_one_line():
    result = runner.invoke(app, ["llm", "check", "--provider", "azure"])
    assert result.exit_code == 2
    assert "provider='azure' (flag)" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_typer_exit_passes_through_with_its_code():
    result = runner.invoke(make_app(typer.Exit(3)), ["boom"])
    assert result.exit_code == 3
    assert "unexpected" not in result.output


@pytest.mark.parametrize(
    "args", [["llm", "check", "--bogus"], ["queue", "nope"], ["run", "--segments", "x"]]
)
def test_usage_errors_outside_pytest_are_exit_2(args, monkeypatch):
    """Typer vendors click: its usage errors must not look like crashes to users."""
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "unexpected failure" not in result.output


def test_a_closed_pipe_is_not_reported_as_a_crash():
    """`winback ... --help | head -30`: the reader goes away while the help is written."""
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    cmd = f"{shlex.quote(sys.executable)} -m agent.cli prompts eval --help | head -30"
    out = subprocess.run(cmd, shell=True, capture_output=True, text=True, env=env, timeout=60)
    assert out.stdout.count("\n") == 30
    assert "unexpected failure" not in out.stderr
