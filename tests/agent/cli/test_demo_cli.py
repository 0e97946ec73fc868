"""`winback demo` through the CLI with recorded replies, then its next commands."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agent.cli import app

runner = CliRunner()
RUN_KEYS = {"batch_id", "users", "verdicts", "drafts", "llm", "segments", "seconds"}


@pytest.mark.vcr
def test_demo_then_approve_export_lift(llm_cli_env, tmp_path):
    result = runner.invoke(app, ["demo", "--users", "80", "--json"], env=llm_cli_env)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) >= RUN_KEYS
    assert out["users"]["cohort"] == 80 and out["segments"]
    assert out["users"]["control"] > 0
    assert any("winback lift" in cmd for cmd in out["next"])
    batch = out["batch_id"]

    approved = runner.invoke(
        app, ["queue", "approve", "--batch", batch, "--all-passing", "--reviewer", "tester"]
    )
    assert approved.exit_code == 0, approved.output
    send, control = tmp_path / "send.csv", tmp_path / "control.csv"
    exported = runner.invoke(
        app,
        [
            *("export", batch, "--out", str(send), "--control-out", str(control)),
            *("--partial", "--reviewer", "tester"),
        ],
    )
    assert exported.exit_code == 0, exported.output
    sent = send.read_text().splitlines()[1:]
    held = {line.split(",")[0] for line in control.read_text().splitlines()[1:]}
    assert held and not ({line.split(",")[0] for line in sent} & held)  # control never sent
    lift = runner.invoke(app, ["lift", batch, out["outcomes_file"], "--json"])
    assert lift.exit_code == 0, lift.output
    assert "control" in lift.stdout


def test_demo_rejects_bad_user_count():
    result = runner.invoke(app, ["demo", "--users", "0"])
    assert result.exit_code == 2
    assert "--users 0 is out of range" in result.stderr
