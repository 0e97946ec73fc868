"""The dry run's estimate and the progress display: counts from the data, speed from history.

The cohort is real (`read_cohort` on a CSV), clustering and arms run for
real; the model is pointed at a closed port, so a dry run that called it
would fail. The speed history is replies stored in the response cache the
way the client stores them (tokens and seconds).
"""

from __future__ import annotations

import json
import sys

import pytest
from typer.testing import CliRunner

from agent.campaign import load_campaign
from agent.cli import app
from agent.demo.cohort import make_fitness_cohort
from agent.llm.cache import ResponseCache
from agent.llm.local_server import BUNDLED_MODEL_ALIAS
from agent.llm.usage import UsageMeter
from agent.run.estimate import EXPECTED_SEGMENT_ASKS, estimate_calls, estimate_run, workload
from agent.run.progress import LLMCalls, StageProgress, eta_text
from agent.settings import load_settings
from segments.cohort_source import CohortSource
from segments.cohort_validation import read_cohort
from tests.agent.run_setup import cohort_and_campaign

runner = CliRunner()
CAMPAIGN = "name: est\nchannels: [email, push]\nsegments: 2\nmax_revisions: 1\n"
ENV = {
    "WINBACK_PROVIDER": "openai",
    "WINBACK_BASE_URL": "http://127.0.0.1:9/v1",
    "WINBACK_API_KEY": "sk-test-not-a-real-key",
    "WINBACK_MODEL": BUNDLED_MODEL_ALIAS,
    "WINBACK_MAX_RETRIES": "0",
}


@pytest.fixture
def files(tmp_path):
    return cohort_and_campaign(tmp_path, 150, CAMPAIGN)


def store_history(home, n: int = 6) -> None:
    """Replies as the client stores them: variants and segment plans, with their seconds."""
    cache = ResponseCache(home / "llm-cache.sqlite")
    for i in range(n):
        tokens_in, tokens_out = 300 + 100 * i, 80 + 10 * i
        cache.put(
            f"k{i}",
            BUNDLED_MODEL_ALIAS,
            {
                "text": "",
                "tool_args": {"variants": []} if i else {"segments": []},
                "raw": "",
                "input_tokens": tokens_in,
                "output_tokens": tokens_out,
                "seconds": tokens_in * 0.002 + tokens_out * 0.05,
            },
        )
    cache.close()


def test_calls_are_bounded_by_the_campaigns_limits(files):
    cohort_path, campaign_path = files
    campaign = load_campaign(campaign_path)
    settings = load_settings({"llm_retries": 1})
    work = workload(read_cohort(CohortSource(path=cohort_path)), campaign, settings)
    assert work.segments == 2 and work.jobs == {"email": 2, "push": 2}
    calls = estimate_calls(work, campaign, settings, "local")
    # 1 synthesis + 4 jobs; each job at most (1 + 1 revision) x (1 + 1 re-ask) = 4 asks
    assert calls["min"] == 5 and calls["max"] == 2 + 4 * 4
    assert calls["min"] <= calls["expected"] <= calls["max"]


def test_speed_and_tokens_come_from_the_stored_replies(files, isolated_env):
    store_history(isolated_env)
    cohort_path, campaign_path = files
    settings = load_settings({"provider": "local"})
    est = estimate_run(
        read_cohort(CohortSource(path=cohort_path)), load_campaign(campaign_path), settings
    )
    assert est.speed.output_tokens_per_second == pytest.approx(20.0)
    assert est.speed.samples == 6 and "stored replies" in est.speed.source
    per_job = est.calls["expected_asks_per_job"]
    synth = EXPECTED_SEGMENT_ASKS["local"]  # the bundled model's plans are re-asked
    variant_out = sum(80 + 10 * i for i in range(1, 6)) / 5
    assert est.tokens["output"] == int(synth * 80 + 4 * per_job * variant_out)
    assert est.seconds == pytest.approx(
        synth * (300 * 0.002 + 80 * 0.05)
        + 4 * per_job * (sum(300 + 100 * i for i in range(1, 6)) / 5 * 0.002 + variant_out * 0.05)
    )


def test_dry_run_cli_prints_the_estimate_and_writes_no_batch(files, isolated_env):
    store_history(isolated_env)
    cohort, campaign = files
    res = runner.invoke(
        app, ["run", str(cohort), "--campaign-file", str(campaign), "--dry-run", "--json"], env=ENV
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout, parse_constant=lambda c: pytest.fail(f"non-JSON {c}"))
    assert doc["dry_run"] is True and doc["queued"] == 0
    assert doc["estimate"]["segments"] == 2 and doc["estimate"]["calls"]["min"] == 5
    assert doc["summary"].startswith("Expected: ")
    assert not (isolated_env / "winback.db").exists()
    text = runner.invoke(
        app, ["run", str(cohort), "--campaign-file", str(campaign), "--dry-run"], env=ENV
    )
    assert text.exit_code == 0 and "nothing was queued" in text.stdout


def test_dry_run_runs_the_preflight_checks(files, isolated_env):
    cohort, campaign = files
    campaign.write_text(CAMPAIGN.replace("[email, push]", "[email, sms]"))
    frame = make_fitness_cohort(30, seed=1).drop(columns=["phone"], errors="ignore")
    frame.to_csv(cohort, index=False)
    res = runner.invoke(
        app, ["run", str(cohort), "--campaign-file", str(campaign), "--dry-run"], env=ENV
    )
    assert res.exit_code == 2 and "Channel sms needs a phone column" in res.stderr
    assert not (isolated_env / "winback.db").exists()


def test_eta_from_the_measured_time_per_call():
    calls = LLMCalls(expected=5, seconds_per_call=10.0)
    assert calls.remaining_seconds() == 50.0  # nothing measured: the estimate's time per call
    calls.add({"cached": False, "seconds": 30.0})
    calls.add({"cached": True, "seconds": 0.0})
    assert calls.remaining_seconds() == 90.0 and calls.text() == (
        "LLM calls 2/5 (1 cached), ETA 1 min 30 s"
    )
    for _ in range(5):
        calls.add({"cached": False, "seconds": 1.0})
    assert calls.total == 7 and eta_text(calls.remaining_seconds()) == "ETA 0 s"


def test_one_line_per_stage_on_stderr_when_not_a_terminal(capsys):
    meter = UsageMeter()
    with StageProgress(enabled=True) as progress:
        progress.expect_llm_calls(3, 2.0)
        with progress.stage("segments (LLM)"):
            meter.add(
                provider="local",
                model="m",
                input_tokens=5,
                output_tokens=5,
                cached=False,
                seconds=40.0,
            )
        with progress.stage("render"):
            pass
        progress.note("a note")
    err = capsys.readouterr().err.splitlines()
    assert not sys.stderr.isatty()
    assert err[0] == "winback: LLM call took 40 s; LLM calls 1/3, ETA 1 min 20 s"
    assert err[1].startswith("winback: segments (LLM) ") and err[1].endswith(
        "LLM calls 1/3, ETA 1 min 20 s"
    )
    assert err[2].startswith("winback: render ") and err[3] == "winback: a note"
    # outside the progress context the meter notifies no one
    meter.add(provider="local", model="m", input_tokens=1, output_tokens=1, cached=True, seconds=0)
    assert capsys.readouterr().err == ""
