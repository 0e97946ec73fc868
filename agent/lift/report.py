"""Reading an outcomes file and joining it to a batch's arms, for `winback lift`.

The file is a CSV with a header: `user_id`, `converted` (0 or 1) and an
optional `revenue` (a number, blank = 0). Every problem names the file, row
(line number, header = 1) and column; up to 5 are reported at once and nothing
is computed from a file with problems. Users of the batch that are missing from
the file are counted as not converted (intent-to-treat: every user assigned to
an arm stays in it, whether or not their draft was approved or sent) and
reported as `missing_users`.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from agent.errors import WinbackError
from agent.lift.stats import Arm, compare
from agent.store.batches import batch_arms, get_batch
from segments.experiment_arms import ARMS, sample_ratio_mismatch

MAX_PROBLEMS = 5


def read_outcomes(path: Path, arms: dict[str, str], batch_id: str) -> dict[str, tuple[int, float]]:
    """user_id -> (converted, revenue), or a WinbackError listing the bad rows."""
    path = Path(path)
    fix = "Fix the rows named (README: 'Review, export and lift' describes the file)."
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise WinbackError(
            f"Cannot read outcomes file {path}: {exc.strerror}", "Check the path."
        ) from exc
    with fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in ("user_id", "converted") if c not in header]
        if missing:
            raise WinbackError(
                f"Outcomes file {path}: missing column(s) {', '.join(missing)} "
                f"(found: {', '.join(header) or 'nothing'})",
                "The file needs a header with user_id, converted (0/1) and optionally revenue.",
            )
        reader.fieldnames = header
        has_revenue = "revenue" in header
        out: dict[str, tuple[int, float]] = {}
        first_row: dict[str, int] = {}
        problems: list[str] = []
        for line, row in enumerate(reader, start=2):
            user = (row.get("user_id") or "").strip()
            raw = (row.get("converted") or "").strip()
            if not user:
                problems.append(f"row {line}, column user_id: empty")
            elif user in first_row:
                problems.append(
                    f"row {line}, column user_id: {user!r} appears again "
                    f"(first at row {first_row[user]})"
                )
            elif user not in arms:
                problems.append(
                    f"row {line}, column user_id: {user!r} is not a user of batch {batch_id}"
                )
            if raw not in ("0", "1"):
                problems.append(f"row {line}, column converted: {raw!r} is not 0 or 1")
            revenue = 0.0
            if has_revenue and (row.get("revenue") or "").strip():
                try:
                    revenue = float(row["revenue"])
                    if not math.isfinite(revenue):
                        raise ValueError
                except ValueError:
                    problems.append(
                        f"row {line}, column revenue: {row['revenue']!r} is not a number"
                    )
            if len(problems) >= MAX_PROBLEMS:
                break
            if user and user not in first_row:
                first_row[user] = line
                if raw in ("0", "1"):
                    out[user] = (int(raw), revenue)
        if problems:
            raise WinbackError(f"Outcomes file {path}: " + "; ".join(problems[:MAX_PROBLEMS]), fix)
    if not out:
        raise WinbackError(
            f"Outcomes file {path} has no rows", "Add one row per user of the batch."
        )
    return out


def lift_report(engine: Engine, batch_id: str, outcomes_path: Path) -> dict[str, Any]:
    """Everything `winback lift` prints: arms, comparisons, SRM and power."""
    batch = get_batch(engine, batch_id)
    arms_of = batch_arms(engine, batch_id)
    if not arms_of:
        raise WinbackError(f"Batch {batch_id} has no users", "Run a batch first (`winback run`).")
    outcomes = read_outcomes(outcomes_path, arms_of, batch_id)
    totals = {a: [0, 0, 0.0] for a in ARMS}
    for user, arm in arms_of.items():
        converted, revenue = outcomes.get(user, (0, 0.0))
        totals[arm][0] += 1
        totals[arm][1] += converted
        totals[arm][2] += revenue
    arms = {a: Arm(a, t[0], t[1], t[2]) for a, t in totals.items()}
    fractions_cfg = (batch.get("config") or {}).get("arms") or {}
    srm: dict[str, Any]
    if {"control", "baseline"} <= set(fractions_cfg):
        control, baseline = float(fractions_cfg["control"]), float(fractions_cfg["baseline"])
        fractions = {"control": control, "baseline": baseline, "treatment": 1 - control - baseline}
        srm = sample_ratio_mismatch({a: arms[a].users for a in ARMS}, fractions)
    else:
        srm = {"checked": False, "note": "the batch's config snapshot has no arm fractions"}
    comparisons = [
        compare(arms["treatment"], arms["control"]),
        compare(arms["treatment"], arms["baseline"]),
        compare(arms["baseline"], arms["control"]),
    ]
    return {
        "batch_id": batch_id,
        "campaign": batch["campaign"],
        "outcomes_file": str(outcomes_path),
        "arms": {a: arms[a].to_dict() for a in ARMS},
        "comparisons": comparisons,
        "sample_ratio_mismatch": srm,
        "missing_users": len(set(arms_of) - set(outcomes)),
        "method": "intent-to-treat: every user counts in the arm they were assigned to",
    }
