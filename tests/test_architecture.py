"""The import direction that ARCHITECTURE.md promises, checked on every module.

`prompts` is the floor (the shared contract: `UserError`, the channel list, the
YAML reader); `guardrails` and `segments` stand on it; `agent` stands on all
three. A lower package that imports a higher one fails here, naming the file.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# package -> the winback packages it may import (besides itself)
ALLOWED = {
    "prompts": set(),
    "guardrails": {"prompts"},
    "segments": {"prompts"},
    "agent": {"prompts", "guardrails", "segments"},
}
MAX_MODULES_DIRECTLY_IN_AGENT = 10


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(ALLOWED)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_no_import_runs_upward(package: str) -> None:
    upward = {
        str(path.relative_to(REPO)): sorted(found)
        for path in sorted((REPO / package).rglob("*.py"))
        if (found := _imported_packages(path) - ALLOWED[package] - {package})
    }
    assert upward == {}, f"{package} may import only {sorted(ALLOWED[package])}: {upward}"


def test_agent_is_organised_in_subpackages() -> None:
    flat = sorted(p.name for p in (REPO / "agent").glob("*.py"))
    assert len(flat) <= MAX_MODULES_DIRECTLY_IN_AGENT, flat
