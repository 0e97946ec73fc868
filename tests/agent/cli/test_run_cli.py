"""`winback run` end to end through the CLI, with recorded LLM replies.

The cassette holds the embedded model's replies for a small fitness cohort;
everything else (cohort, rule, suppression, arms, clusters, render,
guardrails, queue) runs for real on SQLite.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from agent.cli import app
from agent.store.schema import batches, drafts
from tests.agent.run_setup import cohort_and_campaign

runner = CliRunner()

CAMPAIGN = """
name: run-test
rule: churn_score > 0.5 and days_since_last_activity >= 10
channels: [push]
segments: 2
variants_per_segment: 1
max_revisions: 0
"""


@pytest.fixture
def llm_env(llm_cli_env):
    # the LLM judge is 'auto' = on for a non-local endpoint; a 135M model cannot judge
    return {**llm_cli_env, "WINBACK_LLM_RETRIES": "1", "WINBACK_GUARD_JUDGE": "off"}


@pytest.fixture
def cohort_files(tmp_path):
    return cohort_and_campaign(tmp_path, 120, CAMPAIGN, seed=3)


REQUIRED = {"batch_id", "users", "verdicts", "drafts", "llm", "segments", "seconds"}


@pytest.mark.vcr
def test_run_then_rerun_is_idempotent_and_cached(cohort_files, llm_env, isolated_env):
    cohort, campaign = cohort_files
    first = runner.invoke(
        app, ["run", str(cohort), "--config", str(campaign), "--json"], env=llm_env
    )
    assert first.exit_code == 0, first.output
    out = json.loads(first.stdout)
    assert set(out) >= REQUIRED
    users = out["users"]
    assert users["cohort"] == 120
    assert users["control"] + users["baseline"] + users["treatment"] == users["eligible"]
    assert users["eligible"] == users["activated"] - users["suppressed"]
    assert {s["name"] for s in out["segments"]} and sum(s["size"] for s in out["segments"]) == (
        users["eligible"]
    )
    assert sum(out["verdicts"].values()) == out["drafts"]["messages"]
    assert out["llm"]["calls"] >= 2 and out["llm"]["cached_calls"] == 0
    # at most 1 + segments x channels x (1 + revisions), each with its bounded re-asks
    assert out["llm"]["calls"] <= (1 + 2 * 1 * 1) * 2

    engine = create_engine(f"sqlite:///{isolated_env / 'winback.db'}")
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(drafts)).scalar_one()
        control_bodies = conn.execute(
            select(func.count()).where(drafts.c.arm == "control", drafts.c.body.is_not(None))
        ).scalar_one()
        prompts = {r[0] for r in conn.execute(select(drafts.c.prompt).distinct())}
        personal = conn.execute(select(drafts.c.arm, drafts.c.body, drafts.c.personalization)).all()
        policy_snapshot = conn.execute(select(batches.c.config)).scalar_one()[
            "guard_policy_snapshot"
        ]
    assert total == users["eligible"]  # one channel: one row per eligible user
    # what the guardrails allowed is kept, so a reviewer's edit is judged the same way
    for arm, body, p in personal:
        assert (p is None) == (arm == "control")
        if p and p["first_name"] and p["first_name"] in (body or ""):
            break
    else:
        raise AssertionError("no draft kept the first name it was written with")
    assert policy_snapshot["channels"]["sms"]["max_segments"] >= 1
    assert control_bodies == 0
    assert "push_variants@2" in prompts

    again = runner.invoke(
        app, ["run", str(cohort), "--config", str(campaign), "--json"], env=llm_env
    )
    assert again.exit_code == 0, again.output
    rerun = json.loads(again.stdout)
    assert rerun["batch_id"] == out["batch_id"] and rerun["resumed"] is True
    assert rerun["drafts"]["new"] == 0
    # a finished batch, unchanged, is reported and not redone: not even a cached call
    assert rerun["unchanged"] is True and "nothing was redone" in rerun["note"]
    assert rerun["llm"]["calls"] == 0 and rerun["llm"]["cached_calls"] == 0
    assert rerun["segments"] == out["segments"] and rerun["users"] == out["users"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run"], "No cohort given"),
        (["run", "nope.csv"], "nope.csv"),
        (["run", "{cohort}", "--channels", "fax"], "Unknown channel(s) in --channels: fax"),
        (["run", "{cohort}", "--rule", "churn_scor > 0.5"], "churn_scor"),
        (["run", "{cohort}", "--rule", "churn_score >"], "churn_score >"),
        (
            ["run", "{cohort}", "--config", "missing.yaml"],
            "Campaign file missing.yaml does not exist",
        ),
        (
            ["run", "--sql", "sqlite://"],
            "--sql needs exactly one of --table or --query",
        ),
        (["run", "{bad}"], "is malformed"),
    ],
)
def test_bad_input_is_exit_2_and_writes_nothing(
    args, message, cohort_files, tmp_path, isolated_env
):
    cohort, _ = cohort_files
    bad = tmp_path / "bad.csv"
    bad.write_text("user_id,churn_score\nu1,0.9\nu1,1.7\n")
    args = [a.format(cohort=cohort, bad=bad) for a in args]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert not (isolated_env / "winback.db").exists()


def test_bad_campaign_key_is_named(cohort_files, tmp_path):
    cohort, _ = cohort_files
    camp = tmp_path / "c.yaml"
    camp.write_text("name: x\narms: {control: 0.6, baseline: 0.5}\nchanels: [sms]\n")
    result = runner.invoke(app, ["run", str(cohort), "--config", str(camp)])
    assert result.exit_code == 2
    assert "arms.baseline" in result.stderr and "chanels" in result.stderr


@pytest.mark.vcr
def test_segments_preview_queues_nothing(cohort_files, llm_env, isolated_env):
    cohort, campaign = cohort_files
    result = runner.invoke(
        app, ["segments", "preview", str(cohort), "--config", str(campaign), "--json"], env=llm_env
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert len(out["segments"]) == 2
    assert {s["cluster_id"] for s in out["segments"]} == {0, 1}
    for sample in out["samples"]:
        assert sample["channel"] == "push" and sample["verdict"] in ("pass", "warn", "block")
        if sample["body"].startswith("(not renderable"):
            assert sample["verdict"] == "block"
        else:
            assert "{{" not in sample["body"]
    assert out["llm"]["calls"] >= 2
    assert not (isolated_env / "winback.db").exists()


def test_segments_preview_bad_input(tmp_path):
    result = runner.invoke(app, ["segments", "preview", str(tmp_path / "none.csv")])
    assert result.exit_code == 2
    assert "none.csv" in result.stderr


@pytest.mark.vcr
def test_personalize_top_adds_one_call_per_user(cohort_files, llm_env, isolated_env):
    cohort, campaign = cohort_files
    args = ["run", str(cohort), "--config", str(campaign), "--personalize-top", "2", "--json"]
    result = runner.invoke(app, args, env=llm_env)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    personal = out["personalized"]
    assert personal["users"] + personal["failed"] == 2
    engine = create_engine(f"sqlite:///{isolated_env / 'winback.db'}")
    with engine.connect() as conn:
        rows = conn.execute(
            select(drafts.c.arm, drafts.c.variant, drafts.c.prompt).where(
                drafts.c.variant.like("%+personal")
            )
        ).all()
    assert len(rows) == personal["users"]  # one channel: one draft per personalized user
    assert all(r.arm == "treatment" and "personal_touch@1" in r.prompt for r in rows)
    if personal["users"]:
        assert "personal_touch@1" in out["prompts"]
