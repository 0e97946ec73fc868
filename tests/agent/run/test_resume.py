"""Kill `winback run` with SIGKILL at several points, re-run, and lose nothing.

Real processes, the real embedded model and a real SQLite queue: the first
runs are killed while the model is still writing (cold cache) and later ones
while rendering, checking and inserting; a final run finishes the batch. The
result must equal an uninterrupted run: same drafts, no duplicates.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, select

from agent.demo.cohort import make_fitness_cohort
from agent.store.schema import drafts

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


def rows(db_path):
    engine = create_engine(f"sqlite:///{db_path}")
    cols = [drafts.c.user_id, drafts.c.channel, drafts.c.arm, drafts.c.subject, drafts.c.body]
    with engine.connect() as conn:
        found = [tuple(r) for r in conn.execute(select(*cols, drafts.c.verdict))]
    engine.dispose()
    return found


@pytest.mark.embedded
def test_kill_9_at_several_points_then_resume(tmp_path):
    cohort = tmp_path / "cohort.csv"
    make_fitness_cohort(3000, seed=5).to_csv(cohort, index=False)
    campaign = tmp_path / "campaign.yaml"
    campaign.write_text(CAMPAIGN)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("WINBACK_", "OPENAI_"))},
        "WINBACK_HOME": str(tmp_path / "home"),
        "WINBACK_PROVIDER": "local",
        "WINBACK_LLM_RETRIES": "1",
    }
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

    got, want = rows(resumed_db), rows(reference_db)
    assert len(got) == len(set((r[0], r[1]) for r in got))  # no duplicate (user, channel)
    assert sorted(got) == sorted(want)
    assert summary["users"]["eligible"] > 0 and len(got) > 0
