"""Renamed flags: the new name is documented, the old one still works."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.demo.cohort import make_fitness_cohort


@pytest.mark.parametrize("flag", ["--campaign-file", "--config"])
def test_campaign_file_flag_and_its_old_name(flag: str, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("WINBACK_HOME", str(tmp_path / "home"))
    cohort = tmp_path / "cohort.csv"
    make_fitness_cohort(20).to_csv(cohort, index=False)
    result = CliRunner().invoke(app, ["run", str(cohort), flag, str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "Campaign file" in result.output and "nope.yaml does not exist" in result.output
    assert "--campaign-file" in result.output  # the fix names the current flag


def test_help_shows_the_new_name_and_the_deprecation() -> None:
    result = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "200"})
    assert "--campaign-file" in result.output
    assert "deprecated" in result.output
