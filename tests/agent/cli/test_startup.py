"""`winback --help` stays fast: the CLI imports no heavy library until a command runs.

Heavy libraries (pandas, scipy, openai, langchain, presidio, sqlalchemy, ...)
are imported inside the command functions that use them, so importing
`agent.cli` and printing any `--help` costs only typer, rich and the light
project modules.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]

HEAVY = (
    "pandas",
    "numpy",
    "scipy",
    "sklearn",
    "openai",
    "langchain_core",
    "langchain_openai",
    "presidio_analyzer",
    "spacy",
    "sqlalchemy",
    "pyarrow",
    "statsmodels",
)


def _heavy_loaded(code: str) -> list[str]:
    """Run `code` in a fresh interpreter; the heavy modules it left in sys.modules."""
    probe = f"{code}\nimport sys\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=False
    )
    assert result.returncode == 0, result.stderr
    return eval(result.stdout.strip().splitlines()[-1])  # a printed list of str


def test_importing_the_cli_imports_no_heavy_library():
    assert _heavy_loaded("import agent.cli") == []


def test_every_help_page_imports_no_heavy_library():
    code = f"""
import sys
sys.path.insert(0, {str(REPO / "scripts")!r})
from cli_reference import command_paths
from typer.testing import CliRunner
from agent.cli import app
for path in command_paths():
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, (path, result.output)
"""
    assert _heavy_loaded(code) == []


def test_defaults_copied_into_the_cli_match_their_source():
    """Two option defaults are repeated in the CLI so their help needs no heavy import."""
    from agent.cli.cohort import MAX_ERRORS_DEFAULT
    from agent.cli.review import LEASE_SECONDS
    from agent.store.decisions import LEASE_SECONDS as QUEUE_LEASE_SECONDS
    from segments.cohort_problems import DEFAULT_CAP

    assert MAX_ERRORS_DEFAULT == DEFAULT_CAP
    assert LEASE_SECONDS == QUEUE_LEASE_SECONDS


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_command_loads_only_its_own_module(tmp_path, kind):
    """`winback cohort check` imports agent.cli.cohort, no other command module, and for a
    clean CSV or Parquet file (the Arrow engine) not pandas either; under --json no rich."""
    path = tmp_path / f"cohort.{kind}"
    if kind == "csv":
        path.write_text("user_id,churn_score\nu1,0.5\nu2,0.9\n")
    else:  # written through pandas, so the file carries pandas' metadata
        import pandas as pd

        pd.DataFrame({"user_id": ["u1", "u2"], "churn_score": [0.5, 0.9]}).to_parquet(path)
    code = f"""
import sys
from agent.cli import COMMANDS, main
sys.argv = ["winback", "cohort", "check", {str(path)!r}, "--json"]
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
modules = {{m for m, _ in COMMANDS.values()}}
print(sorted(m for m in modules if m in sys.modules), file=sys.stderr)
print("rich" in sys.modules)
"""
    result = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint(sorted(m for m in "
         f"{HEAVY!r} if m in sys.modules))"],
        capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "['agent.cli.cohort']"
    heavy = eval(result.stdout.strip().splitlines()[-1])
    assert "pandas" not in heavy and "sqlalchemy" not in heavy and "pyarrow" in heavy
    assert result.stdout.strip().splitlines()[-2] == "False"  # rich draws tables: no --json
