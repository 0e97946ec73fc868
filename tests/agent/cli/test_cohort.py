"""`winback cohort check` through the real CLI app: good file, each malformed kind, --json."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.demo.cohort import make_fitness_cohort

runner = CliRunner()

MALFORMED = [
    ("duplicate id", "user_id,churn_score\nu1,0.5\nu1,0.6\n", 3, "user_id", "duplicate user_id"),
    ("blank id", "user_id,churn_score\n,0.5\n", 2, "user_id", "blank"),
    ("non-numeric score", "user_id,churn_score\nu1,x\n", 2, "churn_score", "'x' is not a number"),
    ("score out of range", "user_id,churn_score\nu1,7\n", 2, "churn_score", "out of range"),
    ("NaN score", "user_id,churn_score\nu1,nan\n", 2, "churn_score", "'nan' is not a number"),
    (
        "negative count",
        "user_id,churn_score,tenure_days\nu1,0.5,-9\n",
        2,
        "tenure_days",
        "out of range",
    ),
    ("ragged row", "user_id,churn_score\nu1,0.5,9\n", 2, None, "the row has 3 fields"),
    ("undecodable", b"user_id,churn_score,first_name\nu1,0.5,Ren\xe9\n", 2, "first_name", "UTF-8"),
    (
        "missing column",
        "user_id,risk\nu1,0.5\n",
        None,
        "churn_score",
        "required column 'churn_score'",
    ),
    ("empty file", "", None, None, "the file is empty"),
]


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "fitness.csv"
    make_fitness_cohort(200).to_csv(path, index=False)
    return path


def test_good_file_passes(good):
    result = runner.invoke(app, ["cohort", "check", str(good)])
    assert result.exit_code == 0, result.output
    assert "The cohort is valid." in result.output
    assert "favorite_category" in result.output  # column coverage table


def test_good_file_json_and_rule(good):
    result = runner.invoke(
        app, ["cohort", "check", str(good), "--json", "--rule", "churn_score > 0.7"]
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["rows"] == data["valid_rows"] == 200
    assert data["invalid_rows"] == 0 and data["errors"] == []
    assert 0 < data["rule"]["selected"] < 200
    assert data["score"]["count"] == 200


@pytest.mark.parametrize(
    ("name", "body", "row", "column", "fragment"), MALFORMED, ids=[m[0] for m in MALFORMED]
)
def test_each_malformed_kind_exits_2(tmp_path, name, body, row, column, fragment):
    path = tmp_path / "cohort.csv"
    path.write_bytes(body if isinstance(body, bytes) else body.encode())
    human = runner.invoke(app, ["cohort", "check", str(path)])
    assert human.exit_code == 2
    assert fragment in " ".join(human.output.split())
    as_json = runner.invoke(app, ["cohort", "check", str(path), "--json"])
    assert as_json.exit_code == 2
    data = json.loads(as_json.stdout)
    assert data["errors"][0]["row"] == row
    assert data["errors"][0]["column"] == column
    assert fragment in data["errors"][0]["message"]
    assert data["invalid_rows"] == data["rows"] - data["valid_rows"]


def test_sql_source_through_the_cli(tmp_path):
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'c.db'}"
    engine = sa.create_engine(url)
    make_fitness_cohort(30).to_sql("at_risk", engine, index=False)
    engine.dispose()
    result = runner.invoke(app, ["cohort", "check", "--sql", url, "--table", "at_risk", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["valid_rows"] == 30


def test_bad_rule_and_missing_file_exit_2(good, tmp_path):
    bad_rule = runner.invoke(app, ["cohort", "check", str(good), "--rule", "last_order_days > 4"])
    assert bad_rule.exit_code == 2
    assert "Unknown column 'last_order_days'" in bad_rule.output
    assert "^^^^^^^^^^^^^^^" in bad_rule.output
    missing = runner.invoke(app, ["cohort", "check", str(tmp_path / "none.csv")])
    assert missing.exit_code == 2
    assert "does not exist" in missing.output
    neither = runner.invoke(app, ["cohort", "check"])
    assert neither.exit_code == 2


def test_table_shows_square_brackets_literally(tmp_path):
    """File paths and column names are data: `[b]` and `[/b]` are not rich markup."""
    folder = tmp_path / "exports[b]"
    folder.mkdir()
    path = folder / "c.csv"
    path.write_text("user_id,churn_score,notes[/b]\nu1,0.5,x\nu2,0.9,y\n")
    result = runner.invoke(app, ["cohort", "check", str(path)], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    assert "notes[/b]" in result.stdout
    title = "".join(line.strip() for line in result.stdout.split("┌")[0].splitlines())
    assert title == f"Cohort{path}"  # folded to the table's width, brackets kept
