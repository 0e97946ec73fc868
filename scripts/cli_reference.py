"""Generate the README's CLI reference from `--help`, so it cannot drift.

    .venv/bin/python scripts/cli_reference.py          # rewrite the README section
    .venv/bin/python scripts/cli_reference.py --check  # exit 1 if it is out of date

The section sits between `<!-- cli-reference:start -->` and
`<!-- cli-reference:end -->`; `tests/agent/cli/test_reference.py` runs the check.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from agent.cli import app  # noqa: E402

README = REPO / "README.md"
START, END = "<!-- cli-reference:start -->", "<!-- cli-reference:end -->"


def command_paths() -> list[list[str]]:
    """Every command and sub-app, as argument lists, in help order."""
    root = typer.main.get_command(app)
    paths: list[list[str]] = [[]]

    def walk(group, prefix: list[str]) -> None:
        ctx = typer.Context(group)
        for name in group.list_commands(ctx):
            cmd = group.get_command(ctx, name)
            paths.append([*prefix, name])
            if hasattr(cmd, "list_commands"):
                walk(cmd, [*prefix, name])

    walk(root, [])
    return paths


def render() -> str:
    """The reference section as markdown."""
    runner = CliRunner()
    parts = [START, ""]
    for path in command_paths():
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "100", "NO_COLOR": "1"})
        text = "\n".join(line.rstrip() for line in result.output.strip("\n").splitlines())
        parts += [
            f"#### `{' '.join(['winback', *path])}`",
            "",
            "```",
            text,
            "```",
            "",
        ]
    parts.append(END)
    return "\n".join(parts)


def main() -> int:
    """Rewrite or check the README section."""
    readme = README.read_text(encoding="utf-8")
    if START not in readme or END not in readme:
        print(f"README.md has no {START} ... {END} section", file=sys.stderr)
        return 2
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    updated = head + render() + tail
    if "--check" in sys.argv:
        if updated != readme:
            print(
                "README CLI reference is out of date: run scripts/cli_reference.py", file=sys.stderr
            )
            return 1
        return 0
    README.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
