"""`winback lift`: import outcomes, join them to a batch's arms, and say what worked.

A run of `lift_report` optionally imports an outcomes file first (checked row
by row by `agent.lift.outcomes_file`, then written idempotently by
`agent.store.outcomes`), then reports from every outcome stored for the batch,
so it can be run again each day as later conversions arrive. Users of the
batch without a stored outcome count as not converted and are reported as
`missing_users`.

What it reports, beside each other:
- `arms` and `comparisons`: the arm-level result (fixed-horizon, `agent.lift.stats`),
  each comparison also carrying an always-valid `sequential` interval and
  p-value (`agent.lift.sequential`), safe to look at every day;
- `variants`, `segments`, `correction`: per-variant and per-segment lift with a
  multiple-comparison correction (`agent.lift.breakdown`);
- `global_control`: the arms against the users this batch held out for the
  period's global control group (`segments.global_control`), when it held any;
- `sample_ratio_mismatch` on the assigned (intent-to-treat) arm sizes, and
  `outcomes_import` with the import's counts and the users not in the batch
  (refused unless `ignore_unknown`, then skipped and counted:
  `agent.lift.outcomes_file`);
- `incremental_revenue_ci` on every arm-level and per-segment comparison: a
  seeded percentile bootstrap (`agent.lift.revenue_interval`);
- `missing`: batch users with no stored outcome (counted as not converted),
  their share, and whether it exceeds `max_missing` (default 20%): then the
  CLI warns loudly and exits 3 after printing the report, because a file that
  covers only part of the batch biases every figure above it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from agent.errors import WinbackError
from agent.lift.breakdown import VIEWS, batch_users, breakdown, in_view, totals
from agent.lift.outcomes_file import read_outcomes_file
from agent.lift.revenue_interval import SEED, incremental_revenue_interval, revenues
from agent.lift.sequential import sequential_compare
from agent.lift.stats import Arm, compare
from agent.store.batch_exposure import batch_exposure
from agent.store.batches import get_batch
from agent.store.global_holdouts import global_holdout_users
from agent.store.outcomes import Outcome, import_outcomes, load_outcomes
from segments.experiment_arms import ARMS, sample_ratio_mismatch
from segments.global_control import global_control_warnings

MAX_MISSING = 0.20  # share of batch users without an outcome above which lift exits 3


def _batch_exists(engine: Engine, batch_id: str) -> bool:
    try:
        get_batch(engine, batch_id)
    except WinbackError:
        return False
    return True


def _with_sequential(treated: Arm, reference: Arm) -> dict[str, Any]:
    out = compare(treated, reference)
    out["sequential"] = sequential_compare(treated, reference)
    return out


def _srm(config: dict[str, Any], assigned: dict[str, int]) -> dict[str, Any]:
    fractions_cfg = config.get("arms") or {}
    if not {"control", "baseline"} <= set(fractions_cfg):
        return {"checked": False, "note": "the batch's config snapshot has no arm fractions"}
    control, baseline = float(fractions_cfg["control"]), float(fractions_cfg["baseline"])
    fractions = {"control": control, "baseline": baseline, "treatment": 1 - control - baseline}
    return sample_ratio_mismatch(assigned, fractions)


def _global_control(
    holdouts: dict[str, str], arms: dict[str, Arm], outcomes: dict[str, Outcome], config: dict
) -> dict[str, Any] | None:
    if not holdouts:
        return None
    group = totals("global_control", holdouts, outcomes)
    share = float((config.get("global_control") or {}).get("share") or 0) or None
    return {
        **group.to_dict(),
        "periods": sorted(set(holdouts.values())),
        "comparisons": [_with_sequential(arms[a], group) for a in ("treatment", "baseline")]
        + [_with_sequential(arms["control"], group)],
        "note": "control vs global_control shows what other campaigns did for this "
        "campaign's control users",
        "warnings": global_control_warnings(group.users, share or 1.0),
    }


def lift_report(
    engine: Engine,
    batch_id: str,
    outcomes_path: Path | None = None,
    *,
    view: str = "itt",
    correction: str = "holm",
    ignore_unknown: bool = False,
    max_missing: float = MAX_MISSING,
    seed: int = SEED,
) -> dict[str, Any]:
    """Import `outcomes_path` if given, then everything `winback lift` prints (module doc)."""
    if view not in VIEWS:
        raise WinbackError(f"Unknown view {view!r}", f"Use one of: {', '.join(VIEWS)}.")
    if not 0 <= max_missing <= 1:
        raise WinbackError(
            f"--max-missing {max_missing:g} is not a share", "Give it between 0 and 1 (e.g. 0.2)."
        )
    batch = get_batch(engine, batch_id)
    users = batch_users(batch_exposure(engine, batch_id))
    if not users:
        raise WinbackError(f"Batch {batch_id} has no users", "Run a batch first (`winback run`).")
    holdouts = global_holdout_users(engine, batch_id)
    imported: dict[str, Any] | None = None
    if outcomes_path is not None:
        checked = read_outcomes_file(
            outcomes_path,
            batch_id=batch_id,
            batch_users=set(users) | set(holdouts),
            sent_at=batch["created_at"],
            batch_exists=lambda other: _batch_exists(engine, other),
            ignore_unknown=ignore_unknown,
        )
        counts = import_outcomes(engine, batch_id, checked.outcomes, str(outcomes_path))
        imported = {**checked.summary(), **counts}
    outcomes = load_outcomes(engine, batch_id)
    if not outcomes:
        raise WinbackError(
            f"No outcomes imported for batch {batch_id}",
            f"Give an outcomes file: winback lift {batch_id} OUTCOMES.csv",
        )
    kept = [u for u in users.values() if in_view(u, view)]
    arms = {a: totals(a, [u.user_id for u in kept if u.arm == a], outcomes) for a in ARMS}
    assigned = {a: sum(1 for u in users.values() if u.arm == a) for a in ARMS}
    config = batch.get("config") or {}
    ids = {a: [u.user_id for u in kept if u.arm == a] for a in ARMS}
    missing = len(set(users) - set(outcomes))
    report = {
        "batch_id": batch_id,
        "campaign": batch["campaign"],
        "outcomes_file": str(outcomes_path) if outcomes_path is not None else None,
        "arms": {a: arms[a].to_dict() for a in ARMS},
        "comparisons": [
            _with_sequential(arms["treatment"], arms["control"]),
            _with_sequential(arms["treatment"], arms["baseline"]),
            _with_sequential(arms["baseline"], arms["control"]),
        ],
        "sample_ratio_mismatch": _srm(config, assigned),
        "missing_users": len(set(users) - set(outcomes)),
        "method": VIEWS[view],
        "view": view,
        "outcomes_import": imported,
        "users_not_in_batch": imported["users_not_in_batch"] if imported else 0,
        "outcomes_stored": len(outcomes),
        **breakdown(users, outcomes, view=view, correction=correction),
        "global_control": _global_control(holdouts, arms, outcomes, config),
        "missing": {
            "users": missing,
            "share": missing / len(users),
            "threshold": max_missing,
            "exceeded": missing / len(users) > max_missing,
        },
    }
    for c in report["comparisons"]:
        c.update(_revenue_interval(ids[c["treated"]], ids[c["reference"]], outcomes, seed) or {})
    by_segment: dict[str, dict[str, list[str]]] = {}
    for u in kept:
        if u.segment is not None:
            by_segment.setdefault(u.segment, {a: [] for a in ARMS})[u.arm].append(u.user_id)
    for entry in report["segments"]:
        members = by_segment.get(entry["name"], {})
        for c in entry["comparisons"]:
            treated, reference = members.get(c["treated"], []), members.get(c["reference"], [])
            c.update(_revenue_interval(treated, reference, outcomes, seed) or {})
    return report


def _revenue_interval(
    treated: list[str], reference: list[str], outcomes: dict[str, Outcome], seed: int
) -> dict[str, Any] | None:
    return incremental_revenue_interval(
        revenues(treated, outcomes),
        len(treated),
        revenues(reference, outcomes),
        len(reference),
        seed=seed,
    )
