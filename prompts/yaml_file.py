"""Reading YAML a user gives winback: the same clear errors for every such file.

Campaign files, settings files, incentive catalogs, baseline copy, column
mappings, eval suites, prompt headers, guard policies and prompt variables all
fail the same ways (missing, not UTF-8, bad syntax, not a mapping); each
failure names the file, what it is, the line, and the fix. Each package passes
its own error class (`error=`), so the reader stays at the bottom of the
import graph.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from prompts.errors import UserError


def parse_yaml_mapping(
    text: str,
    what: str,
    *,
    fix: str,
    kind: str = "a mapping",
    empty_ok: bool = True,
    error: type[UserError] = UserError,
    first_line: int = 1,
) -> dict[str, Any]:
    """The mapping in YAML `text`; `what` names it ("Campaign file x.yaml").

    `first_line` is the file line on which `text` starts (for a header inside
    a larger file), so the line in "is not valid YAML: ... (line N)" is the
    file's own.
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        reason = str(exc).splitlines()[0]
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + first_line})" if mark else ""
        raise error(f"{what} is not valid YAML: {reason}{line}", fix) from exc
    if data is None and empty_ok:
        return {}
    if not isinstance(data, dict):
        raise error(f"{what} must be {kind}", fix)
    return data


def read_yaml_mapping(
    path: Path,
    what: str,
    *,
    fix: str,
    missing_fix: str = "Check the path.",
    kind: str = "a mapping",
    empty_ok: bool = True,
    error: type[UserError] = UserError,
) -> dict[str, Any]:
    """The mapping in the YAML file at `path` (`{}` when empty and `empty_ok`).

    Raises `error` with "{what} {path} does not exist" (and `missing_fix`),
    "... is not valid YAML: <the parser's reason> (line N)" or "... must be {kind}"
    (both with `fix`).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{what} {path} does not exist", missing_fix) from None
    except IsADirectoryError:
        raise error(f"{what} {path} is a folder, not a file", missing_fix) from None
    except UnicodeDecodeError as exc:
        reason = str(exc).splitlines()[0]
        raise error(f"{what} {path} is not valid YAML: {reason}", fix) from exc
    return parse_yaml_mapping(
        text, f"{what} {path}", fix=fix, kind=kind, empty_ok=empty_ok, error=error
    )
