"""`winback cohort check --engine arrow|duckdb|pandas`: the same output; a bad value exits 2."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from agent.cli import app
from agent.cli.cohort import ENGINE_DEFAULT, ENGINES
from segments.cohort_check import DEFAULT_ENGINE
from segments.cohort_check import ENGINES as SEGMENT_ENGINES

runner = CliRunner()
BODY = "user_id,churn_score,lifetime_orders,note\nu1,0.9,4,a\nu2,0.75,5,b\nu3,0.2,1,c\n"


def _check(*args: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["cohort", "check", *args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_every_engine_prints_the_same_report(tmp_path):
    path = tmp_path / "cohort.csv"
    path.write_text(BODY)
    rule = ["--rule", "churn_score > 0.5"]
    pandas = _check(str(path), "--engine", "pandas", *rule)
    assert pandas[0] == 0 and pandas[1]["rule"]["selected"] == 2
    for engine in ("arrow", "duckdb"):
        assert _check(str(path), "--engine", engine, *rule) == pandas, engine
    assert _check(str(path), *rule) == pandas  # the default engine


def test_malformed_file_is_named_by_row_with_either_engine(tmp_path):
    path = tmp_path / "cohort.csv"
    path.write_text(BODY + "u4,high,2,d\n")
    code, report = _check(str(path), "--engine", "pandas")
    assert code == 2
    assert (report["errors"][0]["row"], report["errors"][0]["column"]) == (5, "churn_score")
    for engine in ("arrow", "duckdb"):
        assert _check(str(path), "--engine", engine) == (code, report), engine


def test_unknown_engine_exits_2(tmp_path):
    path = tmp_path / "cohort.csv"
    path.write_text(BODY)
    result = runner.invoke(app, ["cohort", "check", str(path), "--engine", "polars"])
    assert result.exit_code == 2
    assert "--engine must be one of arrow, duckdb, pandas" in result.output


def test_cli_defaults_match_segments():
    assert ENGINES == SEGMENT_ENGINES and ENGINE_DEFAULT == DEFAULT_ENGINE
