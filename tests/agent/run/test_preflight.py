"""Preflight: every campaign problem found against the cohort in one report, before any LLM call.

The cohorts are real CSV files read by `read_cohort`; the CLI tests point the
model at a closed port, so a check that let a run through to the model would
fail with a connection error instead of the expected exit 2.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from agent.campaign import load_campaign
from agent.cli import app
from agent.demo.cohort import make_fitness_cohort
from agent.run.preflight import PreflightFailed, filled_columns, preflight
from agent.store.schema import batches
from segments.cohort_source import CohortSource
from segments.cohort_validation import read_cohort

runner = CliRunner()
CLOSED_PORT = {
    "WINBACK_PROVIDER": "openai",
    "WINBACK_BASE_URL": "http://127.0.0.1:9/v1",
    "WINBACK_API_KEY": "sk-test-not-a-real-key",
    "WINBACK_MAX_RETRIES": "0",
}


def records_cohort(tmp_path: Path, n: int = 40) -> Path:
    """A record-store cohort: names and e-mails, spend and orders, no fitness columns."""
    rows = [
        {
            "user_id": f"cdnow-{i:05d}",
            "first_name": ["Ann", "Bo", "Cy", "Di"][i % 4],
            "email": f"c{i}@example.com",
            "churn_score": 0.6 + (i % 4) / 10,
            "lifetime_orders": 2 + i % 5,
            "monetary": 20.0 + 3 * i,
            "tenure_days": 100 + 7 * i,
        }
        for i in range(n)
    ]
    path = tmp_path / "records.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def cohort_of(path: Path):
    return read_cohort(CohortSource(path=path))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


RECORDS_COPY = """
email:
  subject: "{{ first_name }}, new records are in"
  preheader: "Come and listen."
  body: "Hi {{ first_name }}, the shelves have changed since your last order. Unsubscribe any time."
  call_to_action: "Browse the shelves"
email_with_incentive:
  subject: "{{ first_name }}, a welcome back"
  preheader: "{{ incentive }} on your next order."
  body: "Hi {{ first_name }}, here is {{ incentive }} for your next record. Unsubscribe any time."
  call_to_action: "Use my offer"
"""


def records_campaign(tmp_path: Path, extra: str = "", copy: str = RECORDS_COPY) -> Path:
    write(tmp_path, "copy.yaml", copy)
    return write(
        tmp_path,
        "campaign.yaml",
        "name: records\nchannels: [email]\nplaceholders: [first_name, incentive]\n"
        "baseline_copy: copy.yaml\n" + extra,
    )


def test_fitness_defaults_on_a_record_store_cohort_are_every_problem_at_once(tmp_path):
    cohort = cohort_of(records_cohort(tmp_path))
    with pytest.raises(PreflightFailed) as caught:
        preflight(cohort.frame, load_campaign(None, {"channels": ["email", "sms"]}), "records.csv")
    texts = [p.text for p in caught.value.problems]
    joined = "\n".join(texts)
    # the allow-list, the channel's address column and the dead baseline arm, in one report
    assert "Campaign placeholder favorite_category cannot be filled" in joined
    assert "Campaign placeholder days_since_last_activity cannot be filled" in joined
    assert "Channel sms needs a phone column" in joined
    assert "entry email says {{ favorite_category }}" in joined
    assert "entry email_with_incentive says {{ favorite_category }}" in joined
    assert len(texts) >= 6
    assert caught.value.exit_code == 2
    assert caught.value.message.startswith(f"The campaign has {len(texts)} problems")
    assert "(1)" in caught.value.fix and f"({len(texts)})" in caught.value.fix


def test_a_campaign_fitted_to_the_cohort_passes(tmp_path):
    cohort = cohort_of(records_cohort(tmp_path))
    checks = preflight(cohort.frame, load_campaign(records_campaign(tmp_path)))
    assert checks.policy is not None and checks.catalog is not None and not checks.warnings


@pytest.mark.parametrize(
    ("extra", "copy", "expected"),
    [
        (
            "incentive_budget: 2\n",
            RECORDS_COPY,
            "has offers that cost more per redemption than the whole budget 2",
        ),
        (
            "",
            RECORDS_COPY.replace("{{ incentive }} on your next order.", "A treat.").replace(
                "here is {{ incentive }} for", "here is something for"
            ),
            "entry email_with_incentive never says {{ incentive }}",
        ),
        (
            "",
            RECORDS_COPY.split("email_with_incentive")[0],
            "entry email_with_incentive is missing",
        ),
        (
            "",
            RECORDS_COPY.replace("the shelves have changed", "{{ incentive }} waits"),
            "entry email says {{ incentive }}, but it goes to baseline users who get no offer",
        ),
        (
            "rule: churn_score > 0.5 and favourite_genre == 'jazz'\n",
            RECORDS_COPY,
            "favourite_genre",
        ),
    ],
)
def test_baseline_and_catalog_against_the_campaign(tmp_path, extra, copy, expected):
    cohort = cohort_of(records_cohort(tmp_path))
    campaign = load_campaign(records_campaign(tmp_path, extra, copy))
    with pytest.raises(PreflightFailed) as caught:
        preflight(cohort.frame, campaign)
    assert expected in caught.value.message, caught.value.message


def test_incentive_must_be_allowed_when_the_catalog_gives_offers(tmp_path):
    cohort = cohort_of(records_cohort(tmp_path))
    path = records_campaign(tmp_path).read_text().replace("[first_name, incentive]", "[first_name]")
    campaign = load_campaign(write(tmp_path, "c2.yaml", path))
    with pytest.raises(PreflightFailed) as caught:
        preflight(cohort.frame, campaign)
    assert "Campaign placeholders lack incentive" in caught.value.message


def test_an_offer_whose_eligibility_reads_a_missing_column_is_reported(tmp_path):
    cohort = cohort_of(records_cohort(tmp_path))
    shipped = Path("prompts/incentive_catalog.yaml").read_text()
    catalog = shipped.replace("    cost: ", "    eligibility: vinyl_buyer == 1\n    cost: ", 1)
    write(tmp_path, "catalog.yaml", catalog)
    campaign = load_campaign(records_campaign(tmp_path, "incentive_catalog: catalog.yaml\n"))
    with pytest.raises(PreflightFailed) as caught:
        preflight(cohort.frame, campaign)
    assert "is out of reach: its eligibility (vinyl_buyer == 1) reads vinyl_buyer" in (
        caught.value.message
    )


def test_a_partly_empty_baseline_placeholder_is_a_warning_with_its_share(tmp_path):
    frame = make_fitness_cohort(100, seed=4)
    frame.loc[frame.index[:30], "favorite_category"] = None
    path = tmp_path / "fit.csv"
    frame.to_csv(path, index=False)
    notes: list[str] = []
    checks = preflight(cohort_of(path).frame, load_campaign(None), note=notes.append)
    assert any("empty for 30% of the cohort" in w for w in checks.warnings)
    assert notes and notes[0].startswith("warning: ")


def test_filled_columns_ignore_blank_text():
    frame = pd.DataFrame({"a": ["x", None], "b": [" ", None], "c": [None, None], "d": [1, 2]})
    assert filled_columns(frame) == {"a", "d"}


def test_run_cli_reports_every_problem_exits_2_and_writes_nothing(tmp_path, isolated_env):
    path = records_cohort(tmp_path)
    res = runner.invoke(
        app, ["run", str(path), "--channels", "email,sms", "--json"], env=CLOSED_PORT
    )
    assert res.exit_code == 2, res.output
    import json

    error = json.loads(res.stdout)
    assert error["exit_code"] == 2 and "problems, found before any LLM call" in error["error"]
    assert "favorite_category" in error["error"] and "phone" in error["error"]
    assert not (isolated_env / "winback.db").exists()
    assert not (isolated_env / "llm-cache.sqlite").exists()


def test_segments_preview_runs_the_same_checks(tmp_path, isolated_env):
    path = records_cohort(tmp_path)
    res = runner.invoke(app, ["segments", "preview", str(path)], env=CLOSED_PORT)
    assert res.exit_code == 2, res.output
    assert "favorite_category" in res.stderr and "Traceback" not in res.output
    assert not (isolated_env / "llm-cache.sqlite").exists()


def test_a_batch_that_fails_after_it_started_ends_failed_and_a_rerun_resumes_it(
    tmp_path, isolated_env
):
    path = records_cohort(tmp_path, n=60)
    campaign = records_campaign(tmp_path)
    args = ["run", str(path), "--campaign-file", str(campaign)]
    first = runner.invoke(app, args, env=CLOSED_PORT)  # passes preflight, then no model
    assert first.exit_code == 2, first.output
    assert "Could not reach the model endpoint" in first.stderr
    engine = create_engine(f"sqlite:///{isolated_env / 'winback.db'}")
    with engine.connect() as conn:
        rows = conn.execute(select(batches.c.id, batches.c.status, batches.c.counts)).all()
    assert len(rows) == 1 and rows[0].status == "failed"
    assert "Could not reach the model endpoint" in rows[0].counts["error"]
    second = runner.invoke(app, args, env=CLOSED_PORT)
    assert second.exit_code == 2
    with engine.connect() as conn:
        again = conn.execute(select(batches.c.id, batches.c.status)).all()
    assert [(r.id, r.status) for r in again] == [(rows[0].id, "failed")]  # resumed, not a new one
    engine.dispose()
