"""Reading transactions and engagement events; refusing malformed ones before anything is written.

Both files are read by the cohort loaders (`segments.cohort_loaders`: CSV in any
common dialect, Parquet, JSONL, or a SQL table or query through a SQLAlchemy URL,
with the same YAML column mapping), so the row numbers in problems are the ones
a person sees in the file. Transactions need `user_id`, `timestamp` and `amount`;
engagement events (opens, sessions, visits) need `user_id` and `timestamp`, and
may carry an `event` column naming their kind.

Every row is checked with vectorized masks: a blank user, a timestamp that does
not parse, an amount that is not a number or is negative, an event after the
as-of date. Any problem refuses the file with the row, column and value named
(`EventsInvalid`, exit code 2): scores computed from silently dropped rows would
look right and be wrong. Time is kept as whole days (UTC dates), as in the
BG/NBD paper, where several purchases on one day are one purchase.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from segments.cohort_loaders import CohortSource, load_cohort
from segments.cohort_problems import CohortProblem, ProblemLog
from segments.errors import SegmentsError

EPOCH = np.datetime64("1970-01-01", "D")
TIMESTAMP_EXPECTED = "an ISO 8601 date or timestamp, e.g. 2024-05-01 or 2024-05-01T09:30:00Z"
# names other exports use for our event columns: suggested in errors, never applied silently
EVENT_ALIASES = {
    "timestamp": ["date", "time", "datetime", "order_date", "created_at", "event_time", "ts"],
    "amount": ["value", "price", "revenue", "total", "dollar_value", "order_value", "spend"],
    "user_id": ["customer_id", "customer", "id", "userid", "user"],
}


class EventsInvalid(SegmentsError):
    """A transactions or events file with problems; carries them so the CLI can list them."""

    def __init__(self, what: str, source: str, problems: list[CohortProblem], total: int) -> None:
        self.source = source
        self.problems = problems
        self.total = total
        shown = _describe(problems[0]) if problems else "no rows"
        more = ""
        if total > 1:
            others = sorted({p.row for p in problems[1:6] if p.row})
            rows = f", e.g. row {', '.join(map(str, others))}" if others else ""
            more = f" ({total - 1} more problem{'s' if total > 2 else ''}{rows})"
        super().__init__(
            f"The {what} in {source} cannot be scored: {shown}{more}",
            "Fix those rows (or map the columns with --mapping); nothing was written.",
        )


def _describe(p: CohortProblem) -> str:
    where = ", ".join(
        part for part in (f"row {p.row}" if p.row else "", f"column {p.column}" if p.column else "")
        if part
    )  # fmt: skip
    expected = f" (expected {p.expected})" if p.expected else ""
    return f"{where + ': ' if where else ''}{p.message}{expected}"


@dataclass
class EventTable:
    """Validated events: one entry per row, time as days since 1970-01-01."""

    source: str
    user_id: pd.Series
    day: np.ndarray
    rows: np.ndarray
    amount: np.ndarray | None = None
    kind: pd.Series | None = None
    extra: pd.DataFrame | None = None

    def __len__(self) -> int:
        return len(self.day)

    def subset(self, mask: np.ndarray) -> EventTable:
        """The events where `mask` is true (e.g. the calibration period)."""
        return EventTable(
            self.source,
            self.user_id[mask].reset_index(drop=True),
            self.day[mask],
            self.rows[mask],
            None if self.amount is None else self.amount[mask],
            None if self.kind is None else self.kind[mask].reset_index(drop=True),
            None if self.extra is None else self.extra[mask].reset_index(drop=True),
        )


def parse_as_of(text: str | date | None) -> int | None:
    """An as-of date (YYYY-MM-DD) as days since 1970-01-01; None stays None."""
    if text is None:
        return None
    try:
        day = pd.Timestamp(text)
    except (ValueError, TypeError):
        raise SegmentsError(
            f"--as-of {text!r} is not a date", "Give the scoring date as YYYY-MM-DD."
        ) from None
    return int((np.datetime64(day.date(), "D") - EPOCH).astype(np.int64))


def day_to_date(day: int) -> str:
    """Days since 1970-01-01 as YYYY-MM-DD."""
    return str(EPOCH + np.timedelta64(int(day), "D"))


def parse_timestamps(values: pd.Series, date_format: str | None = None) -> np.ndarray:
    """Whole UTC days since 1970-01-01 per value; a sentinel below -10**9 where unparseable."""
    bad_day = np.int64(-(10**12))
    if pd.api.types.is_numeric_dtype(values.dtype) and date_format is None:
        text = values.astype("Int64").astype(str)
        parsed = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
    elif date_format is not None:
        parsed = pd.to_datetime(values.astype(str), format=date_format, errors="coerce", utc=True)
    else:
        parsed = pd.to_datetime(values, format="ISO8601", errors="coerce", utc=True)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(None)
    days = parsed.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    out = (days - EPOCH).astype(np.int64)
    out[pd.isna(parsed).to_numpy()] = bad_day
    return out


def _missing_columns(
    loaded_columns: list[str], required: list[str], log: ProblemLog, what: str
) -> None:
    present = set(loaded_columns)
    for name in required:
        if name in present:
            continue
        near = [c for c in loaded_columns if c.lower() in EVENT_ALIASES.get(name, [])]
        hint = f"; map '{near[0]}' to it with a --mapping line `{near[0]}: {name}`" if near else ""
        log.add(
            f"the {what} have no '{name}' column{hint}",
            column=name,
            expected=f"a '{name}' column (columns found: {', '.join(loaded_columns) or 'none'})",
        )


def read_events(
    source: CohortSource,
    *,
    what: str = "transactions",
    need_amount: bool = True,
    as_of: int | None = None,
    date_format: str | None = None,
    keep_columns: tuple[str, ...] = (),
) -> EventTable:
    """Load and check transactions (or engagement events); raises `EventsInvalid` on any problem."""
    log = ProblemLog(source.label)
    loaded = load_cohort(source, log)
    frame = loaded.frame
    required = ["user_id", "timestamp"] + (["amount"] if need_amount else [])
    if not loaded.file_error and len(frame.columns):
        _missing_columns([str(c) for c in frame.columns], [*required, *keep_columns], log, what)
    if loaded.file_error or log.total or len(frame) == 0:
        if len(frame) == 0 and not log.total:
            log.add("the file has a header line but no rows", expected="at least one event")
        raise EventsInvalid(what, loaded.source, log.problems, log.total)
    rows = loaded.rows
    codes, uniques = pd.factorize(frame["user_id"], use_na_sentinel=True)
    blank_unique = np.asarray([not str(u).strip() for u in uniques] + [True], dtype=bool)
    blank = blank_unique[np.where(codes < 0, len(uniques), codes)]  # NA codes are -1
    log.add_mask(
        blank, rows, frame["user_id"], "user_id", "a non-blank user id", "the user id is blank"
    )
    day = parse_timestamps(frame["timestamp"], date_format)
    bad_time = day < -(10**9)
    expected_time = f"a date in the format {date_format}" if date_format else TIMESTAMP_EXPECTED
    log.add_mask(
        bad_time,
        rows,
        frame["timestamp"],
        "timestamp",
        expected_time,
        "'{value}' is not a date or timestamp",
    )
    amount = None
    if need_amount:
        raw = frame["amount"]
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        not_number = ~np.isfinite(values)
        log.add_mask(not_number, rows, raw, "amount", "a number >= 0", "'{value}' is not a number")
        negative = ~not_number & (values < 0)
        log.add_mask(
            negative,
            rows,
            raw,
            "amount",
            "an amount >= 0 (net refunds into their order, or leave them out)",
            "the amount {value} is negative",
        )
        amount = values
    if as_of is not None:
        late = ~bad_time & (day > as_of)
        if late.all() and len(day):
            log.add(
                f"every event is after the as-of date {day_to_date(as_of)} (the first is on "
                f"{day_to_date(int(day[~bad_time].min()))})",
                column="timestamp",
                expected="an --as-of date on or after the data's first day",
            )
        else:
            log.add_mask(
                late,
                rows,
                frame["timestamp"],
                "timestamp",
                f"a date on or before the as-of date {day_to_date(as_of)} (pass a later --as-of)",
                "the event '{value}' is after the as-of date",
            )
    if log.total:
        raise EventsInvalid(what, loaded.source, log.problems, log.total)
    user_id = frame["user_id"].astype(str).str.strip() if len(frame) else frame["user_id"]
    kind = frame["event"].astype(str) if "event" in frame.columns else None
    extra = frame[list(keep_columns)] if keep_columns else None
    return EventTable(loaded.source, user_id, day, rows, amount, kind, extra)
