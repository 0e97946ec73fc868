"""Reading a YAML file a user gives winback: the same clear errors for every such file.

Campaign files, settings files, incentive catalogs, baseline copy and prompt
variables all fail the same ways (missing, not UTF-8, bad syntax, not a
mapping); each failure names the file, what it is, and the fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from prompts.errors import UserError


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
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{what} {path} does not exist", missing_fix) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        reason = str(exc).splitlines()[0]
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark else ""
        raise error(f"{what} {path} is not valid YAML: {reason}{line}", fix) from exc
    if data is None and empty_ok:
        return {}
    if not isinstance(data, dict):
        raise error(f"{what} {path} must be {kind}", fix)
    return data
