"""Reading an outcomes file: every row checked before anything is imported.

The file is a CSV with a header: `user_id`, `converted` (0 or 1), and
optionally `revenue` (a number, blank = 0), `converted_at` (ISO-8601 date or
date-time, UTC when no offset is given; it may not be before the batch was
created, which is the earliest its messages could go out) and `batch_id`
(when present, every row must name the batch being imported). Each problem names the file, the row
(line number, header = 1) and the column; up to 5 are reported at once, and a
file with any problem imports nothing.

Rows for users who are not in the batch (neither in its arms nor in its
global-control holdout): a CRM export often covers every customer, so
`ignore_unknown=True` (`winback lift --ignore-unknown`) skips them and reports
how many; without it they are an error that gives their total, a few
examples and the flag, and nothing is imported. A file in which *no* row is a
user of the batch is always an error (the outcomes of another batch, or the
wrong id column), with or without the flag.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from agent.errors import WinbackError
from agent.store.outcomes import Outcome

MAX_PROBLEMS = 5
REQUIRED = ("user_id", "converted")
FIX = "Fix the rows named (README: 'Review, export and lift' describes the file)."


@dataclass
class OutcomesFile:
    """A checked file: outcomes of the batch's users, and the ids that are not in it."""

    path: Path
    outcomes: list[Outcome]
    not_in_batch: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        """Counts for the report: rows read and users not in the batch (with a few examples)."""
        return {
            "file": str(self.path),
            "rows": len(self.outcomes) + len(self.not_in_batch),
            "users_not_in_batch": len(self.not_in_batch),
            "examples_not_in_batch": self.not_in_batch[:5],
        }


def _parse_time(raw: str) -> datetime:
    value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def read_outcomes_file(
    path: Path,
    *,
    batch_id: str,
    batch_users: Collection[str],
    sent_at: datetime,
    batch_exists: Callable[[str], bool],
    ignore_unknown: bool = False,
) -> OutcomesFile:
    """Check every row (see module doc); WinbackError naming up to 5 bad rows."""
    path = Path(path)
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise WinbackError(
            f"Cannot read outcomes file {path}: {exc.strerror}", "Check the path."
        ) from exc
    with fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise WinbackError(
                f"Outcomes file {path}: missing column(s) {', '.join(missing)} "
                f"(found: {', '.join(header) or 'nothing'})",
                "The file needs a header with user_id, converted (0/1) and optionally "
                "revenue, converted_at, batch_id.",
            )
        reader.fieldnames = header
        out = OutcomesFile(path, [])
        first_row: dict[str, int] = {}
        problems: list[str] = []
        for line, row in enumerate(reader, start=2):
            found = _check_row(row, line, first_row, batch_id, sent_at, batch_exists)
            problems += found[0]
            if len(problems) >= MAX_PROBLEMS:
                break
            outcome = found[1]
            if outcome is None:
                continue
            first_row[outcome.user_id] = line
            if outcome.user_id in batch_users:
                out.outcomes.append(outcome)
            else:
                out.not_in_batch.append(outcome.user_id)
        if problems:
            raise WinbackError(f"Outcomes file {path}: " + "; ".join(problems[:MAX_PROBLEMS]), FIX)
    if not first_row:
        raise WinbackError(
            f"Outcomes file {path} has no rows", "Add one row per user of the batch."
        )
    unknown = len(out.not_in_batch)
    examples = ", ".join(map(repr, out.not_in_batch[:MAX_PROBLEMS]))
    if not out.outcomes:
        raise WinbackError(
            f"Outcomes file {path}: none of its {unknown} user(s) is in batch {batch_id} "
            f"(e.g. {examples})",
            "Check the batch id (winback queue batches lists them) and that user_id holds the "
            "same ids as the cohort the batch was run on.",
        )
    if unknown and not ignore_unknown:
        raise WinbackError(
            f"Outcomes file {path}: {unknown} of {len(first_row)} row(s) are for users not in "
            f"batch {batch_id} (e.g. {examples}); nothing was imported",
            "Pass --ignore-unknown to import only the batch's users (a CRM export often covers "
            "every customer), or give the file of this batch.",
        )
    return out


def _check_row(
    row: dict[str, str | None],
    line: int,
    first_row: dict[str, int],
    batch_id: str,
    sent_at: datetime,
    batch_exists: Callable[[str], bool],
) -> tuple[list[str], Outcome | None]:
    """The problems of one row, and its outcome when it has none."""
    problems: list[str] = []

    def cell(name: str) -> str:
        return (row.get(name) or "").strip()

    user, raw = cell("user_id"), cell("converted")
    if not user:
        problems.append(f"row {line}, column user_id: empty")
    elif user in first_row:
        problems.append(
            f"row {line}, column user_id: {user!r} appears again (first at row {first_row[user]})"
        )
    row_batch = cell("batch_id")
    if row_batch and row_batch != batch_id:
        if batch_exists(row_batch):
            problems.append(
                f"row {line}, column batch_id: {row_batch!r} is another batch, not {batch_id} "
                f"(import it with `winback lift {row_batch} FILE`)"
            )
        else:
            problems.append(
                f"row {line}, column batch_id: {row_batch!r} is not a batch in the queue"
            )
    if raw not in ("0", "1"):
        problems.append(f"row {line}, column converted: {raw!r} is not 0 or 1")
    revenue = 0.0
    if cell("revenue"):
        try:
            revenue = float(cell("revenue"))
            if not math.isfinite(revenue):
                raise ValueError
        except ValueError:
            problems.append(f"row {line}, column revenue: {row['revenue']!r} is not a number")
    converted_at = None
    if cell("converted_at"):
        try:
            converted_at = _parse_time(cell("converted_at"))
        except ValueError:
            problems.append(
                f"row {line}, column converted_at: {cell('converted_at')!r} is not an "
                "ISO-8601 date or date-time"
            )
        else:
            # a bare date counts as the whole day: a same-day conversion is after the send
            day_only = len(cell("converted_at")) == 10
            if (converted_at.date() < sent_at.date()) if day_only else (converted_at < sent_at):
                problems.append(
                    f"row {line}, column converted_at: {cell('converted_at')} is before the "
                    f"batch was sent ({sent_at.isoformat(timespec='seconds')})"
                )
    if problems or not user:
        return problems, None
    return [], Outcome(user, raw == "1", revenue, converted_at)
