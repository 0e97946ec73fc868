"""Set-up shared by the tests that run `winback run` (in process, or as real processes).

`cohort_and_campaign` writes a synthetic fitness cohort and a campaign file;
`embedded_run_files` adds the environment of a run on the embedded model as a
real process (no inherited WINBACK_/OPENAI_ settings, its own home, the local
provider); `drafts_rows` reads what a run queued, to compare an interrupted run
with an uninterrupted one.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, select

from agent.demo.cohort import make_fitness_cohort
from agent.store.schema import drafts


def cohort_and_campaign(
    tmp_path: Path, users: int, campaign: str, seed: int = 5
) -> tuple[Path, Path]:
    """(cohort.csv of `users` fitness users, campaign.yaml holding `campaign`) in `tmp_path`."""
    cohort = tmp_path / "cohort.csv"
    make_fitness_cohort(users, seed=seed).to_csv(cohort, index=False)
    campaign_file = tmp_path / "campaign.yaml"
    campaign_file.write_text(campaign)
    return cohort, campaign_file


def embedded_run_files(
    tmp_path: Path, users: int, campaign: str, env: dict[str, str]
) -> tuple[Path, Path, dict[str, str]]:
    """(cohort file, campaign file, environment with `env` added) for `winback run`."""
    cohort, campaign_file = cohort_and_campaign(tmp_path, users, campaign)
    run_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("WINBACK_", "OPENAI_"))},
        "WINBACK_HOME": str(tmp_path / "home"),
        "WINBACK_PROVIDER": "local",
        **env,
    }
    return cohort, campaign_file, run_env


def drafts_rows(db: Path) -> list[tuple]:
    """(user, channel, arm, subject, body, verdict) of every draft in the SQLite queue `db`."""
    engine = create_engine(f"sqlite:///{db}")
    cols = [drafts.c.user_id, drafts.c.channel, drafts.c.arm, drafts.c.subject, drafts.c.body]
    with engine.connect() as conn:
        found = [tuple(r) for r in conn.execute(select(*cols, drafts.c.verdict))]
    engine.dispose()
    return found
