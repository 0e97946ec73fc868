"""`winback lift`: the figures agree with statsmodels; bad outcome files are named precisely."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from agent.cli import app
from agent.lift.stats import (
    Arm,
    compare,
    diff_ci,
    minimum_detectable_effect,
    ratio_ci,
    two_proportion_ztest,
)
from agent.store import list_drafts
from agent.store.schema import outcomes
from segments.experiment_arms import sample_ratio_mismatch
from tests.agent.conftest import draft

runner = CliRunner()
COUNTS = [(120, 1000, 90, 1000), (45, 800, 30, 200), (7, 60, 3, 55), (500, 5000, 430, 4800)]


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), COUNTS)
def test_figures_match_statsmodels(x1: int, n1: int, x2: int, n2: int) -> None:
    sm = pytest.importorskip(
        "statsmodels.stats.proportion",
        reason="statsmodels not installed (pip install statsmodels; it is a dev extra)",
    )
    power = pytest.importorskip("statsmodels.stats.power")
    z, p = two_proportion_ztest(x1, n1, x2, n2)
    z_sm, p_sm = sm.proportions_ztest([x1, x2], [n1, n2])
    assert z == pytest.approx(z_sm, rel=1e-9) and p == pytest.approx(p_sm, rel=1e-9)
    lo, hi = diff_ci(x1, n1, x2, n2)
    lo_sm, hi_sm = sm.confint_proportions_2indep(x1, n1, x2, n2, method="wald", compare="diff")
    assert (lo, hi) == (pytest.approx(lo_sm, rel=1e-9), pytest.approx(hi_sm, rel=1e-9))
    rr = ratio_ci(x1, n1, x2, n2)
    rr_sm = sm.confint_proportions_2indep(x1, n1, x2, n2, method="log", compare="ratio")
    assert rr == (pytest.approx(rr_sm[0], rel=1e-9), pytest.approx(rr_sm[1], rel=1e-9))
    mde = minimum_detectable_effect(n1, n2, x2 / n2)
    h_sm = power.NormalIndPower().solve_power(nobs1=n1, ratio=n2 / n1, alpha=0.05, power=0.8)
    assert mde["cohen_h"] == pytest.approx(h_sm, rel=1e-4)  # statsmodels solver tolerance
    target = x2 / n2 + mde["absolute"]
    assert sm.proportion_effectsize(target, x2 / n2) == pytest.approx(h_sm, rel=1e-4)


def test_small_counts_use_fisher_and_say_underpowered() -> None:
    from scipy.stats import fisher_exact

    result = compare(Arm("treatment", 30, 3), Arm("control", 10, 0))
    assert result["test"] == "fisher_exact"
    assert result["p_value"] == pytest.approx(fisher_exact([[3, 27], [0, 10]]).pvalue)
    assert result["underpowered"] and result["relative_lift"] is None
    big = compare(Arm("treatment", 10000, 1500), Arm("control", 10000, 1000))
    assert big["test"] == "two_proportion_z" and big["significant"] and not big["underpowered"]
    assert big["incremental_conversions"] == pytest.approx(500)


def test_sample_ratio_mismatch() -> None:
    fractions = {"control": 0.1, "baseline": 0.1, "treatment": 0.8}
    assert not sample_ratio_mismatch({"control": 98, "baseline": 103, "treatment": 799}, fractions)[
        "mismatch"
    ]
    assert sample_ratio_mismatch({"control": 40, "baseline": 100, "treatment": 860}, fractions)[
        "mismatch"
    ]


def big_rows() -> list[dict]:
    """400 users: 40 control, 40 baseline, 320 treatment (deterministic)."""
    arms = ["control"] * 40 + ["baseline"] * 40 + ["treatment"] * 320
    return [draft(i, arm) for i, arm in enumerate(arms)]


def write_outcomes(path: Path, users: list[str], converted: callable) -> Path:
    lines = ["user_id,converted,revenue"]
    lines += [f"{u},{converted(i)},{12.5 if converted(i) else ''}" for i, u in enumerate(users)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_lift_report_through_cli(engine: Engine, db_url: str, seed, tmp_path: Path) -> None:
    batch_id = seed(big_rows())
    users = [d["user_id"] for d in list_drafts(engine, batch_id=batch_id)]
    arm_of = {d["user_id"]: d["arm"] for d in list_drafts(engine, batch_id=batch_id)}
    rate = {"control": 5, "baseline": 4, "treatment": 3}  # every 5th, 4th, 3rd converts
    outcomes = write_outcomes(
        tmp_path / "outcomes.csv", users, lambda i: int(i % rate[arm_of[users[i]]] == 0)
    )
    res = runner.invoke(app, ["lift", batch_id, str(outcomes), "--db", db_url, "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    arms = report["arms"]
    assert (arms["control"]["users"], arms["baseline"]["users"], arms["treatment"]["users"]) == (
        40,
        40,
        320,
    )
    t_vs_c = report["comparisons"][0]
    assert (t_vs_c["treated"], t_vs_c["reference"]) == ("treatment", "control")
    expected = arms["treatment"]["rate"] - arms["control"]["rate"]
    assert t_vs_c["absolute_lift"] == pytest.approx(expected)
    assert t_vs_c["incremental_revenue"] == pytest.approx(
        (arms["treatment"]["revenue_per_user"] - arms["control"]["revenue_per_user"]) * 320
    )
    assert (
        report["sample_ratio_mismatch"]["checked"]
        and not report["sample_ratio_mismatch"]["mismatch"]
    )
    text = runner.invoke(
        app, ["lift", batch_id, str(outcomes), "--db", db_url], env={"COLUMNS": "200"}
    )
    assert text.exit_code == 0, text.output
    assert "treatment vs control" in text.stdout and "Underpowered" in text.stdout
    assert "intent-to-treat" in text.stdout
    narrow = runner.invoke(
        app, ["lift", batch_id, str(outcomes), "--db", db_url], env={"COLUMNS": "80"}
    )
    tables = narrow.stdout.split("treatment vs control:")[0]
    assert "…" not in tables  # both tables fit an 80-column terminal, nothing cut off
    assert "vs control" in tables and "(95% CI)" in tables


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("user_id,revenue\nu00000,1\n", "missing column(s) converted (found: user_id, revenue)"),
        (
            "user_id,converted\nu00000,1\nu00000,0\n",
            "row 3, column user_id: 'u00000' appears again (first at row 2)",
        ),
        ("user_id,converted\nu00000,yes\n", "row 2, column converted: 'yes' is not 0 or 1"),
        (
            "user_id,converted,batch_id\nu00000,1,b-nope\n",
            "row 2, column batch_id: 'b-nope' is not a batch in the queue",
        ),
        (
            "user_id,converted,converted_at\nu00000,1,2001-01-01\n",
            "row 2, column converted_at: 2001-01-01 is before the batch was sent",
        ),
        (
            "user_id,converted,converted_at\nu00000,1,last tuesday\n",
            "row 2, column converted_at: 'last tuesday' is not an ISO-8601 date",
        ),
        ("user_id,converted\n,1\n", "row 2, column user_id: empty"),
        (
            "user_id,converted,revenue\nu00000,1,lots\n",
            "row 2, column revenue: 'lots' is not a number",
        ),
        ("user_id,converted\n", "has no rows"),
        (None, "Cannot read outcomes file"),
    ],
)
def test_bad_outcomes_files(
    engine: Engine, db_url: str, seed, tmp_path: Path, content: str | None, message: str
) -> None:
    batch_id = seed()
    path = tmp_path / "outcomes.csv"
    if content is not None:
        path.write_text(content)
    res = runner.invoke(app, ["lift", batch_id, str(path), "--db", db_url])
    assert res.exit_code == 2, res.output
    assert message in res.stderr and res.stdout == ""
    with engine.connect() as conn:  # nothing imported
        assert conn.execute(select(func.count()).select_from(outcomes)).scalar_one() == 0


def test_lift_unknown_batch(db_url: str, seed, tmp_path: Path) -> None:
    seed()
    path = tmp_path / "o.csv"
    path.write_text("user_id,converted\nu1,1\n")
    res = runner.invoke(app, ["lift", "b-nope", str(path), "--db", db_url])
    assert res.exit_code == 2 and "Batch 'b-nope' is not in the queue" in res.stderr
