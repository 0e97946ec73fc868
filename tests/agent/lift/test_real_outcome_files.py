"""Lift on real-world outcome files: unknown users, partial coverage, revenue intervals.

Batches are seeded through the store API on SQLite and PostgreSQL; the files
are CSVs like a CRM export; every `--json` is parsed strictly (no NaN).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from agent.cli import app
from agent.lift.revenue_interval import incremental_revenue_interval
from agent.store.schema import outcomes
from tests.agent.lift.test_outcomes_import import rows, write

runner = CliRunner()


def strict(text: str) -> dict:
    def refuse(token: str) -> None:
        raise ValueError(f"non-JSON constant {token}")

    return json.loads(text, parse_constant=refuse)


def stored(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(outcomes)).scalar_one()


def lift(db_url: str, *args: str):
    return runner.invoke(app, ["lift", *args, "--db", db_url])


def test_a_file_for_another_batch_is_refused_even_with_ignore_unknown(
    engine: Engine, db_url: str, seed, tmp_path: Path
) -> None:
    batch = seed(rows())
    other = write(tmp_path / "other.csv", [f"x{i},1,5" for i in range(50)])
    for extra in ([], ["--ignore-unknown"]):
        res = lift(db_url, batch, str(other), *extra, "--json")
        assert res.exit_code == 2
        error = strict(res.stdout)
        assert f"none of its 50 user(s) is in batch {batch}" in error["error"]
        assert "Check the batch id" in error["fix"] and error["exit_code"] == 2
    assert stored(engine) == 0


def test_a_crm_export_of_everyone_needs_ignore_unknown_and_reports_the_count(
    engine: Engine, db_url: str, seed, tmp_path: Path
) -> None:
    batch = seed(rows())
    lines = [f"u{i:05d},{int(i % 5 == 0)},{10.0 * (i % 5 == 0)}" for i in range(300)]
    lines += [f"crm-{i}" + ",0," for i in range(1000)]
    everyone = write(tmp_path / "crm.csv", lines)
    refused = lift(db_url, batch, str(everyone))
    assert refused.exit_code == 2 and "1000 of 1300 row(s)" in refused.stderr
    assert stored(engine) == 0
    ok = lift(db_url, batch, str(everyone), "--ignore-unknown", "--json")
    assert ok.exit_code == 0, ok.output
    report = strict(ok.stdout)
    assert report["users_not_in_batch"] == 1000 and stored(engine) == 300
    assert report["missing"] == {"users": 0, "share": 0.0, "threshold": 0.2, "exceeded": False}


def test_too_many_missing_users_is_a_loud_warning_and_exit_3(
    engine: Engine, db_url: str, seed, tmp_path: Path
) -> None:
    batch = seed(rows())
    partial = write(tmp_path / "part.csv", [f"u{i:05d},1,3" for i in range(0, 300, 4)])  # 25%
    res = lift(db_url, batch, str(partial))
    assert res.exit_code == 3, res.output
    assert "225 of the batch's users (75%) have no outcome" in res.stderr
    assert "By segment" in res.stdout  # the report is still printed
    assert stored(engine) == 75  # a valid file is imported; later files complete it
    res = lift(db_url, batch, "--json")
    assert res.exit_code == 3
    missing = strict(res.stdout)["missing"]
    assert missing == {"users": 225, "share": 0.75, "threshold": 0.2, "exceeded": True}
    assert lift(db_url, batch, "--max-missing", "0.8", "--json").exit_code == 0
    bad = lift(db_url, batch, "--max-missing", "1.5")
    assert bad.exit_code == 2 and "is not a share" in bad.stderr


def test_revenue_intervals_on_arms_and_segments_are_seeded(
    engine: Engine, db_url: str, seed, tmp_path: Path
) -> None:
    batch = seed(rows())
    lines = [
        f"u{i:05d},{int(i % 3 == 0)},{(20.0 + i % 7) * (i % 3 == 0) * (1 + (i >= 120))}"
        for i in range(300)
    ]
    path = write(tmp_path / "o.csv", lines)
    first = strict(lift(db_url, batch, str(path), "--json").stdout)
    again = strict(lift(db_url, batch, "--json").stdout)
    other = strict(lift(db_url, batch, "--json", "--seed", "7").stdout)
    trios = zip(first["comparisons"], again["comparisons"], other["comparisons"], strict=True)
    for c, c2, c3 in trios:
        lo, hi = c["incremental_revenue_ci"]
        assert lo <= c["incremental_revenue"] <= hi
        assert c2["incremental_revenue_ci"] == [lo, hi]  # same seed, same interval
        assert c3["incremental_revenue_ci"] != [lo, hi]
        assert c["revenue_interval"]["resamples"] == 2000
    segment_comparisons = [c for s in first["segments"] for c in s["comparisons"]]
    assert segment_comparisons and all("incremental_revenue_ci" in c for c in segment_comparisons)
    text = lift(db_url, batch)
    assert "incr. revenue" in text.stdout and "percentile bootstrap (seed 20)" in text.stdout


def naive_bootstrap(t: np.ndarray, r: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    tm = t[rng.integers(0, len(t), size=(resamples, len(t)))].mean(axis=1)
    rm = r[rng.integers(0, len(r), size=(resamples, len(r)))].mean(axis=1)
    return len(t) * (tm - rm)


def test_the_converters_only_bootstrap_matches_resampling_every_user() -> None:
    rng = np.random.default_rng(1)
    t = np.where(rng.random(400) < 0.12, rng.lognormal(3, 1, 400), 0.0)
    r = np.where(rng.random(300) < 0.08, rng.lognormal(3, 1, 300), 0.0)
    fast = incremental_revenue_interval(t[t > 0], len(t), r[r > 0], len(r), resamples=20000)
    slow = np.quantile(naive_bootstrap(t, r, 20000, 2), [0.025, 0.975])
    width = slow[1] - slow[0]
    assert abs(fast["incremental_revenue_ci"][0] - slow[0]) < 0.03 * width
    assert abs(fast["incremental_revenue_ci"][1] - slow[1]) < 0.03 * width


def test_the_interval_covers_the_true_incremental_revenue_about_95_percent() -> None:
    rng = np.random.default_rng(3)
    n, p_t, p_r, mu = 1500, 0.10, 0.07, 3.0
    true = n * (p_t - p_r) * np.exp(mu + 0.5)  # lognormal(mu, 1) mean
    covered = 0
    runs = 300
    for k in range(runs):
        t = np.where(rng.random(n) < p_t, rng.lognormal(mu, 1, n), 0.0)
        r = np.where(rng.random(n) < p_r, rng.lognormal(mu, 1, n), 0.0)
        ci = incremental_revenue_interval(t[t > 0], n, r[r > 0], n, resamples=1000, seed=k)
        lo, hi = ci["incremental_revenue_ci"]
        covered += lo <= true <= hi
    assert 0.91 <= covered / runs <= 0.98, covered / runs


@pytest.mark.parametrize("empty", ["treated", "reference"])
def test_no_interval_for_an_empty_arm(empty: str) -> None:
    args = ([1.0], 0, [2.0], 10) if empty == "treated" else ([1.0], 10, [2.0], 0)
    assert incremental_revenue_interval(*args) is None
