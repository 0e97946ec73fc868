"""Reading a JSONL cohort: one JSON object per line, bad lines reported by line number."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import numpy as np
import pandas as pd

from segments.cohort_problems import ProblemLog
from segments.cohort_source import LoadedCohort, empty_cohort


def read_jsonl_file(path: Path, log: ProblemLog) -> LoadedCohort:
    """One JSON object per line; bad lines are reported by line number."""
    raw = Path(path).read_bytes()
    source = str(path)
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[3:]
    if not raw.strip():
        return empty_cohort(source, log, "the file is empty")
    records: list[dict] = []
    rows: list[int] = []
    dropped = 0
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        parsed = _line_problem(line)
        if isinstance(parsed, tuple):
            message, expected = parsed
            value = line.decode("utf-8", errors="replace")
            log.add(message, row=number, value=value, expected=expected)
            dropped += 1
            continue
        records.append(parsed)
        rows.append(number)
    frame = pd.DataFrame.from_records(records)
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].where(frame[col].notna(), np.nan)
    return LoadedCohort(
        frame, np.asarray(rows, dtype=np.int64), source, np.zeros(len(frame), bool), dropped
    )


def _line_problem(line: bytes) -> dict | tuple[str, str]:
    """The object on one line, or (what is wrong, what was expected)."""
    try:
        obj = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        return "the line contains bytes that are not valid UTF-8", "UTF-8 text"
    except json.JSONDecodeError as exc:
        return (
            f"the line is not valid JSON ({exc.msg} at character {exc.pos + 1})",
            "one JSON object per line",
        )
    if not isinstance(obj, dict):
        return (
            f"the line holds a JSON {type(obj).__name__}, not an object",
            'one JSON object per line, e.g. {"user_id": "u1", "churn_score": 0.8}',
        )
    return obj
