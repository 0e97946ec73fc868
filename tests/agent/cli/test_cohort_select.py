"""`winback cohort select`: the selection runs in DuckDB; bad flags exit 2 and write nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from agent.cli import app
from agent.demo.cohort import make_fitness_cohort

runner = CliRunner()


@pytest.fixture
def warehouse(tmp_path: Path) -> str:
    url = f"duckdb:///{tmp_path / 'crm.duckdb'}"
    engine = sa.create_engine(url)
    make_fitness_cohort(300).to_sql("users", engine, index=False)
    pd.DataFrame({"user_id": ["u000001", "u000002"]}).to_sql("optouts", engine, index=False)
    engine.dispose()
    return url


def _select(url: str, *extra: str) -> list[str]:
    base = ["cohort", "select", "--sql", url, "--table", "users", "--campaign", "spring"]
    return [*base, *extra]


def test_select_writes_only_the_selected_rows(warehouse: str, tmp_path: Path) -> None:
    out = tmp_path / "selected.csv"
    args = _select(warehouse, "--rule", "churn_score > 0.6", "--suppression-table", "optouts",
                   "--output", str(out), "--json")  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    rows = pd.read_csv(out)
    assert summary["written"] == len(rows) == summary["kept"] < summary["rule_matched"] < 300
    assert (rows["churn_score"] > 0.6).all()
    assert not {"u000001", "u000002"} & set(rows["user_id"])
    assert set(rows["arm"]) <= {"control", "baseline", "treatment"}
    human = runner.invoke(app, _select(warehouse, "--rule", "churn_score > 0.6"))
    assert human.exit_code == 0 and "kept" in human.output


@pytest.mark.parametrize(
    ("extra", "url", "message"),
    [
        (["--rule", "churn > 0.6"], None, "Unknown column 'churn'"),
        (["--rule", "churn_score >"], None, "Syntax error"),
        (["--suppression-table", "nope"], None, "no table nope"),
        (["--channel", "fax"], None, "Unknown channel 'fax'"),
        (["--control", "0.9"], None, "not possible"),
        ([], "nodriver://x", "not a usable SQLAlchemy URL"),
        ([], "postgresql+psycopg://nobody@127.0.0.1:1/x", "could not be read"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    warehouse: str, tmp_path: Path, extra: list[str], url: str | None, message: str
) -> None:
    out = tmp_path / "selected.csv"
    result = runner.invoke(app, [*_select(url or warehouse, *extra), "--output", str(out)])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not out.exists() and not list(tmp_path.glob("*.partial"))


def test_a_missing_table_is_named(warehouse: str) -> None:
    result = runner.invoke(app, ["cohort", "select", "--sql", warehouse, "--table", "userz",
                                 "--campaign", "c"])  # fmt: skip
    assert result.exit_code == 2
    assert "There is no table userz" in result.output
