"""Problems found in a cohort, and the error that refuses a malformed one.

Every problem names the file, the row, the column, the offending value and
what was expected. Row numbers are what a person sees: for CSV the line in
the file (the header is line 1, so the first user is row 2, as in a
spreadsheet), for JSONL the line, for Parquet and SQL the 1-based record.
File-level problems (empty file, missing column) have no row.

`ProblemLog` collects problems from vectorized checks: each check passes a
boolean mask, the log counts every hit but keeps the details of at most
`cap` problems (the earliest rows), so a file with a million bad rows still
gives a short, useful report with the true total.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from segments.errors import SegmentsError

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_CAP = 100


@dataclass(frozen=True)
class CohortProblem:
    """One thing wrong with a cohort: where, what value, what was expected."""

    source: str
    row: int | None
    column: str | None
    value: str | None
    expected: str
    message: str

    def as_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)

    def __str__(self) -> str:
        where = self.source
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


def show_value(value: object, limit: int = 60) -> str:
    """A value as a short printable string for messages."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def explain_problems(problems: list[CohortProblem]) -> list[str]:
    """One readable line per problem (for logs and the CLI)."""
    lines = []
    for p in problems:
        shown = p.value not in (None, "") and p.value not in p.message
        value = f" (value: {p.value!r})" if shown else ""
        expected = f"; expected {p.expected}" if p.expected else ""
        lines.append(f"{p}{value}{expected}")
    return lines


class ProblemLog:
    """Collects problems, keeping details for the first `cap` (by row) and counting all."""

    def __init__(self, source: str, cap: int = DEFAULT_CAP) -> None:
        self.source = source
        self.cap = cap
        self.total = 0
        self._items: list[CohortProblem] = []

    def add(
        self,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
        expected: str = "",
    ) -> None:
        """Record one problem."""
        self.total += 1
        self._items.append(
            CohortProblem(self.source, row, column, show_value(value), expected, message)
        )

    def add_mask(
        self,
        mask: np.ndarray,
        rows: np.ndarray,
        values: pd.Series,
        column: str,
        expected: str,
        message: str,
    ) -> None:
        """Record a vectorized check: `mask` marks bad rows; `message` may use {value}."""
        hits = np.flatnonzero(mask)
        if hits.size == 0:
            return
        self.total += int(hits.size)
        for pos in hits[: self.cap]:
            value = show_value(values.iloc[pos])
            self._items.append(
                CohortProblem(
                    self.source,
                    int(rows[pos]),
                    column,
                    value,
                    expected,
                    message.format(value=value),
                )
            )

    @property
    def problems(self) -> list[CohortProblem]:
        """The kept problems: file-level first, then by row, at most `cap`."""
        ordered = sorted(self._items, key=lambda p: (p.row is not None, p.row or 0))
        return ordered[: self.cap]

    @property
    def truncated(self) -> bool:
        """True when more problems were found than are listed."""
        return self.total > len(self.problems)


class CohortInvalid(SegmentsError):
    """A cohort with problems; carries them so the CLI can list each one."""

    def __init__(self, source: str, problems: list[CohortProblem], total: int) -> None:
        self.source = source
        self.problems = problems
        self.total = total
        first = str(problems[0]) if problems else source
        more = f" (and {total - 1} more)" if total > 1 else ""
        super().__init__(
            f"The cohort {source} is malformed: {first}{more}",
            "Run `winback cohort check` on it to see every problem, fix the file (or map its "
            "columns with --mapping), or pass --skip-invalid to continue with the valid rows only.",
        )
