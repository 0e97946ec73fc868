"""The README's CLI reference is generated from --help and must not drift."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def test_readme_cli_reference_is_current():
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "cli_reference.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_every_command_has_help_text():
    sys.path.insert(0, str(REPO / "scripts"))
    from cli_reference import command_paths
    from typer.testing import CliRunner

    from agent.cli import app

    for path in command_paths():
        result = CliRunner().invoke(app, [*path, "--help"])
        assert result.exit_code == 0, path
        assert "Usage:" in result.output
