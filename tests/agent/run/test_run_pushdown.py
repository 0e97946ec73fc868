"""`winback run --sql URL --table T --pushdown` against the local PostgreSQL server.

The demo cohort is stored in a table (in user_id order); the same campaign is
run with and without `--pushdown`, each into its own queue, and must give the
same batch: the same users in the same arms and segments, the same drafts.
LLM replies are recorded; the second run's come from the cache.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from agent.cli import app
from agent.demo.cohort import make_fitness_cohort
from agent.store.schema import drafts

runner = CliRunner()

CAMPAIGN = """
name: pushdown-test
rule: churn_score > 0.5 and days_since_last_activity >= 10
channels: [push]
segments: 2
variants_per_segment: 1
max_revisions: 0
"""


def queue_rows(url: str) -> list[tuple]:
    engine = create_engine(url)
    names = ("user_id", "arm", "segment", "variant", "channel", "subject", "body")
    cols = [drafts.c[c] for c in names]
    with engine.connect() as conn:
        rows = sorted(tuple(r) for r in conn.execute(select(*cols)))
    engine.dispose()
    return rows


@pytest.mark.postgres
@pytest.mark.vcr
def test_pushdown_gives_the_same_batch(pg_url, tmp_path, llm_cli_env):
    env = {**llm_cli_env, "WINBACK_LLM_RETRIES": "1", "WINBACK_GUARD_JUDGE": "off"}
    source = create_engine(pg_url)
    make_fitness_cohort(160, seed=3).sort_values("user_id").to_sql("cohort", source, index=False)
    source.dispose()
    campaign = tmp_path / "campaign.yaml"
    campaign.write_text(CAMPAIGN)
    out = {}
    for name, flags in (("pulled", []), ("pushed", ["--pushdown"])):
        db = f"sqlite:///{tmp_path / name}.db"
        args = ["run", "--sql", pg_url, "--table", "cohort", "--config", str(campaign)]
        result = runner.invoke(app, [*args, *flags, "--db", db, "--json"], env=env)
        assert result.exit_code == 0, result.output
        out[name] = (json.loads(result.stdout), queue_rows(db))
    (pulled, pulled_rows), (pushed, pushed_rows) = out["pulled"], out["pushed"]
    assert pushed["pushdown"]["rows"] == 160 == pulled["users"]["cohort"]
    assert pushed["pushdown"]["pulled_rows"] == pulled["users"]["eligible"] < 160
    assert pulled["pushdown"] is None
    assert pushed["users"] == pulled["users"]
    assert pushed["segments"] == pulled["segments"]
    assert pushed_rows == pulled_rows and len(pushed_rows) == pulled["users"]["eligible"]
    assert pushed["llm"]["calls"] == 0  # the same prompts: every reply from the cache


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "{cohort}", "--pushdown"], "--pushdown needs --sql URL and --table T"),
        (["run", "--sql", "sqlite://", "--query", "select 1", "--pushdown"], "--pushdown needs"),
        (["run", "--sql", "{sqlite}", "--table", "nope", "--pushdown"], "nope"),
        (["run", "--sql", "{sqlite}", "--table", "cohort", "--pushdown", "--rule", "x > 1"], "x"),
    ],
)
def test_bad_pushdown_input_is_exit_2_and_queues_nothing(args, message, tmp_path, isolated_env):
    cohort = tmp_path / "cohort.csv"
    frame = make_fitness_cohort(30, seed=1)
    frame.to_csv(cohort, index=False)
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    engine = create_engine(url)
    frame.to_sql("cohort", engine, index=False)
    engine.dispose()
    args = [a.format(cohort=cohort, sqlite=url) for a in args]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert not (isolated_env / "winback.db").exists()
