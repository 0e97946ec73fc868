"""Every `--json` is strict JSON: a strict parser reads stdout whole, on success and on error.

The command table below must name every command that has `--json` (a test
walks the CLI and fails on a command missing here). Commands that need a
model or a server (`demo`, `run`, `segments preview`, `llm check`, `serve`,
`prompts eval`, `score`) are run on a failing input here, so their JSON error
object is what is parsed; their success JSON goes through the same
`echo_json` and is parsed by their own cassette tests.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from agent.cli import app
from tests.agent.conftest import draft, standard_rows

runner = CliRunner()
REPO = Path(__file__).resolve().parents[3]


def strict_loads(text: str):
    """json.loads that rejects NaN, Infinity and -Infinity (as jq and JSON.parse do)."""

    def refuse(name: str):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def json_commands() -> set[str]:
    sys.path.insert(0, str(REPO / "scripts"))
    from cli_reference import command_paths

    root = typer.main.get_command(app)
    found = set()
    for path in command_paths():
        cmd = root
        for part in path:
            cmd = cmd.get_command(None, part)  # type: ignore[attr-defined]
        if any("--json" in getattr(p, "opts", ()) for p in cmd.params):
            found.add(" ".join(path))
    return found


@pytest.fixture
def world(tmp_path: Path, seed, db_url: str) -> dict[str, str]:
    """A queue with one batch whose drafts hold NaN, plus the files commands read."""
    rows = standard_rows()
    rows[4] = draft(4, personalization={"first_name": float("nan"), "values": {"x": "1"}})
    batch = seed(rows)
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_text(
        "user_id,retained,revenue\n" + "".join(f"u{i:05d},{i % 2},{i * 1.5}\n" for i in range(10))
    )
    messages = tmp_path / "messages.jsonl"
    messages.write_text('{"id": "1", "channel": "sms", "text": "Hi, come back. Reply STOP"}\n')
    variables = tmp_path / "vars.yaml"
    variables.write_text("{}\n")
    return {
        "batch": batch,
        "db": db_url,
        "tmp": str(tmp_path),
        "outcomes": str(outcomes),
        "messages": str(messages),
        "vars": str(variables),
    }


MISSING = "/nonexistent/cohort.csv"
# command -> argument lists (each run with --json); {name} is filled from `world`
CASES: dict[str, list[list[str]]] = {
    "queue batches": [["--db", "{db}"]],
    "queue list": [["--db", "{db}"], ["--db", "{db}", "--batch", "b-nope"]],
    "queue show": [["4", "--db", "{db}"], ["999", "--db", "{db}"]],
    "queue approve": [["--batch", "{batch}", "--all-passing", "--db", "{db}", "--reviewer", "al"]],
    "queue reject": [["10", "--reason", "no", "--db", "{db}", "--reviewer", "al"]],
    "queue audit": [["--db", "{db}"]],
    "export": [
        ["{batch}", "--out", "{tmp}/o.csv", "--partial", "--db", "{db}", "--reviewer", "al"],
        ["{batch}", "--out", "{tmp}/o2.csv", "--preset", "nope", "--db", "{db}"],
    ],
    "lift": [["{batch}", "--outcomes", "{outcomes}", "--db", "{db}"], ["b-nope", "--db", "{db}"]],
    "review": [["--db", "{db}", "--reviewer", "al"]],
    "users add": [["ann", "--role", "reviewer", "--password", "pw-123456789", "--db", "{db}"]],
    "users list": [["--db", "{db}"]],
    "users disable": [["nobody", "--db", "{db}"]],
    "users enable": [["nobody", "--db", "{db}"]],
    "users passwd": [["nobody", "--password", "pw-123456789", "--db", "{db}"]],
    "cohort check": [[str(REPO / "examples" / "cohort_small.csv")], [MISSING]],
    "cohort select": [["--sql", "sqlite:///{tmp}/none.db", "--table", "t", "--campaign", "x"]],
    "guard check": [["{messages}"]],
    "prompts list": [[]],
    "prompts show": [["email_variants"], ["no_such_prompt"]],
    "prompts render": [["email_variants", "--vars", "{vars}"]],
    "prompts eval": [["/nonexistent/suite.yaml"]],
    "init": [
        [
            "--brand",
            "A",
            "--vertical",
            "nope",
            "--channels",
            "email",
            "--cohort",
            MISSING,
            "--out",
            "{tmp}/c",
        ]
    ],
    "run": [[MISSING]],
    "segments preview": [[MISSING]],
    "demo": [["--rows", "0"]],
    "llm check": [["--provider", "nope"]],
    "serve": [["--port", "0", "--host", "256.1.1.1", "--db", "{db}"]],
    "score": [[MISSING]],
}


def test_every_json_command_is_in_the_table() -> None:
    assert json_commands() == set(CASES)


@pytest.mark.parametrize("command", sorted(CASES))
def test_json_output_is_strict(command: str, world: dict[str, str]) -> None:
    for args in CASES[command]:
        argv = [*command.split(), *(a.format(**world) for a in args), "--json"]
        res = runner.invoke(app, argv, input="q\n")
        assert res.stdout.strip(), (argv, res.exit_code, res.stderr)
        text = res.stdout
        if command == "guard check":  # JSON lines, one document per message
            docs = [strict_loads(line) for line in text.splitlines() if line.strip()]
        else:
            docs = [strict_loads(text)]
        if res.exit_code not in (0, 3):
            error = docs[-1]
            assert set(error) >= {"error", "fix", "exit_code"}, (argv, error)
            assert error["exit_code"] == res.exit_code, (argv, error, res.stderr)
        assert "NaN" not in text and "Infinity" not in text


def test_nan_in_the_store_is_null_in_json(world: dict[str, str]) -> None:
    res = runner.invoke(app, ["queue", "show", "5", "--db", world["db"], "--json"])
    assert res.exit_code == 0, res.output
    shown = strict_loads(res.stdout)
    assert shown["personalization"]["first_name"] is None
