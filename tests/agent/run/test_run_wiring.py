"""`winback run` wiring that needs no model: a rule that selects nobody makes no LLM call.

Stale scores, who ran the batch (`--as`), the global control setting as bad
input, and an unchanged re-run, on SQLite and PostgreSQL queues.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from agent.cli import app
from agent.demo.cohort import make_fitness_cohort
from agent.store import open_store
from agent.store.accounts import add_account
from agent.store.schema import batches

runner = CliRunner()
NOBODY = "churn_score > 1.5"  # valid, selects no one: the run never reaches the model


@pytest.fixture
def cohort(tmp_path):
    path = tmp_path / "cohort.csv"
    frame = make_fitness_cohort(40, seed=2)
    frame["scores_as_of"] = "2024-01-01"
    frame.to_csv(path, index=False)
    return path


def run(args, db_url, env=None):
    return runner.invoke(
        app, ["run", *args, "--rule", NOBODY, "--campaign", "wiring", "--db", db_url, "--json"],
        env=env,
    )  # fmt: skip


def test_stale_scores_warn_and_the_runner_is_recorded(cohort, db_url, tmp_path):
    engine = open_store(db_url)
    add_account(engine, "alice", "marketer", "a-long-enough-password")
    result = run([str(cohort)], db_url, env={"WINBACK_ACCOUNT": "alice"})
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["scores_age_days"] > 300
    assert any("scores are" in w and "winback score" in w for w in out["warnings"])
    assert out["run_by"] == "alice" and out["llm"]["calls"] == 0
    with engine.connect() as conn:
        assert conn.execute(select(batches.c.run_by)).scalar_one() == "alice"
    # the same run again: finished and unchanged, so reported, not redone
    again = json.loads(run([str(cohort)], db_url).stdout)
    assert again["unchanged"] is True and again["batch_id"] == out["batch_id"]
    # a campaign that allows old scores says nothing
    camp = tmp_path / "c.yaml"
    camp.write_text("name: wiring-2\nmax_score_age_days: 100000\n")
    quiet = runner.invoke(
        app, ["run", str(cohort), "--config", str(camp), "--rule", NOBODY, "--db", db_url, "--json"]
    )
    assert quiet.exit_code == 0, quiet.output
    assert json.loads(quiet.stdout)["warnings"] == []
    engine.dispose()


def test_unknown_account_is_exit_2_and_starts_no_batch(cohort, db_url):
    result = run([str(cohort), "--as", "nobody-here"], db_url)
    assert result.exit_code == 2
    assert "No account named 'nobody-here'" in result.stderr
    engine = open_store(db_url)
    with engine.connect() as conn:
        assert conn.execute(select(batches.c.id)).all() == []
    engine.dispose()


@pytest.mark.parametrize(
    ("yaml", "message"),
    [
        ("global_control: {share: 0.3}", "outside 1%-15%"),
        ("global_control: {period: fortnight}", "global_control.period"),
        ("allocation: {method: greedy}", "allocation.method"),
        ("allocation: {floor: 2}", "allocation.floor"),
        ("max_score_age_days: -1", "max_score_age_days"),
        ("carry_winners: maybe", "carry_winners"),
    ],
)
def test_bad_learning_settings_are_exit_2(yaml, message, cohort, tmp_path, isolated_env):
    camp = tmp_path / "c.yaml"
    camp.write_text(f"name: bad\n{yaml}\n")
    result = runner.invoke(app, ["run", str(cohort), "--config", str(camp)])
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert not (isolated_env / "winback.db").exists()
