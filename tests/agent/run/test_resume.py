"""Kill `winback run` with SIGKILL at several points, re-run, and lose nothing.

Real processes, the real embedded model and a real SQLite queue: the first
runs are killed while the model is still writing (cold cache) and later ones
while rendering, checking and inserting; a final run finishes the batch. The
result must equal an uninterrupted run: same drafts, no duplicates.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from tests.agent.run_setup import drafts_rows, embedded_run_files

CAMPAIGN = """
name: resume-test
rule: churn_score > 0.5
channels: [email, push]
segments: 2
variants_per_segment: 1
max_revisions: 0
"""


def winback(args, env, **kw):
    return subprocess.Popen(
        [sys.executable, "-m", "agent.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


@pytest.mark.embedded
def test_kill_9_at_several_points_then_resume(tmp_path):
    cohort, campaign, env = embedded_run_files(
        tmp_path, 3000, CAMPAIGN, {"WINBACK_LLM_RETRIES": "1"}
    )
    base = ["run", str(cohort), "--config", str(campaign), "--json"]
    resumed_db = tmp_path / "resumed.db"
    killed_at = []
    for delay in (2.5, 6.0, 9.0, 12.0, 15.0):
        proc = winback([*base, "--db", f"sqlite:///{resumed_db}"], env)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed_at.append(delay)
        proc.communicate(timeout=60)
    assert len(killed_at) >= 3, f"the run finished too fast to be killed: {killed_at}"

    final = winback([*base, "--db", f"sqlite:///{resumed_db}"], env)
    out, err = final.communicate(timeout=1500)
    assert final.returncode == 0, err
    summary = json.loads(out)

    reference_db = tmp_path / "reference.db"
    ref = winback([*base, "--db", f"sqlite:///{reference_db}"], env)
    ref_out, err = ref.communicate(timeout=1500)
    assert ref.returncode == 0, err
    assert json.loads(ref_out)["llm"]["calls"] == 0  # every reply came from the cache

    got, want = drafts_rows(resumed_db), drafts_rows(reference_db)
    assert len(got) == len(set((r[0], r[1]) for r in got))  # no duplicate (user, channel)
    assert sorted(got) == sorted(want)
    assert summary["users"]["eligible"] > 0 and len(got) > 0
