"""Benchmark: our cohort path against plain `pandas.read_csv` on a 1,000,000-row CSV.

Generates a deterministic 1M-row, 15-column cohort in a temp folder, then
measures, each in a fresh subprocess (so peak memory is per measurement):

- baseline: `pandas.read_csv(path)`;
- ours: `read_cohort` (load + validate) + activation rule + arm split.

Prints the median seconds over the repetitions, the ratio, and the peak RSS
(ru_maxrss of the measuring process, i.e. interpreter + libraries + data).

`--engines` measures whole processes instead (what a user waits for):
`python -c "pandas.read_csv(path)"` against `winback cohort check FILE --rule R
--json --engine arrow` (the default), `--engine duckdb` and `--engine pandas`,
wall seconds from start to exit and the child's peak RSS; each engine is
interleaved with its own reader runs (see `engines`).
`--parquet` does the same on the cohort written as Parquet: `pandas.read_parquet`
against `winback cohort check` (Arrow) and `--engine pandas`.

    .venv/bin/python scripts/bench_cohort.py [--rows 1000000] [--repeat 5] [--engines | --parquet]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

RULE = "churn_score > 0.7 and days_since_last_activity > 45 and lifetime_orders > 3"

BASELINE = """
import json, resource, sys, time
import pandas as pd
start = time.perf_counter()
frame = pd.read_csv(sys.argv[1])
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "rows": len(frame),
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

OURS = """
import json, resource, sys, time
from segments.activation_rules import evaluate_rule
from segments.cohort_loaders import CohortSource
from segments.cohort_validation import read_cohort
from segments.experiment_arms import assign_arms
start = time.perf_counter()
cohort = read_cohort(CohortSource(path=sys.argv[1]))
t_load = time.perf_counter() - start
active = cohort.frame[evaluate_rule(cohort.frame, sys.argv[2]).mask]
t_rule = time.perf_counter() - start - t_load
split = assign_arms(active["user_id"], salt="bench-campaign")
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "rows": len(cohort.frame), "active": len(active),
                  "load_validate": t_load, "rule": t_rule, "arms": elapsed - t_load - t_rule,
                  "counts": split.counts, "srm_p": split.srm_p_value,
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def make_cohort(path: Path, n: int, seed: int = 7) -> None:
    """A deterministic n-row, 15-column cohort CSV."""
    rng = np.random.default_rng(seed)
    names = np.array(["Maria", "James", "Aisha", "Chen", "Sofia", "Liam", "Priya", "Noah"])
    cats = np.array(["yoga", "HIIT", "running", "strength", "cycling", "pilates"])
    orders = rng.poisson(6, n)
    spend = np.round(orders * rng.uniform(8, 40, n), 2)
    first = names[rng.integers(0, len(names), n)].astype(object)
    first[rng.random(n) < 0.03] = None  # some blanks, as in real exports
    frame = pd.DataFrame(
        {
            "user_id": [f"u{i:08d}" for i in range(n)],
            "churn_score": np.round(rng.beta(4, 2, n), 4),
            "first_name": first,
            "email": [f"user{i}@example.com" for i in range(n)],
            "days_since_last_activity": rng.integers(10, 200, n),
            "lifetime_orders": orders,
            "total_spend": spend,
            "avg_order_value": np.round(spend / np.maximum(orders, 1), 2),
            "clv": np.round(spend * rng.uniform(1.1, 1.8, n), 2),
            "engagement_score": np.round(rng.random(n), 3),
            "favorite_category": cats[rng.integers(0, len(cats), n)],
            "tenure_days": rng.integers(14, 2000, n),
            "email_opt_in": rng.random(n) > 0.06,
            "push_opt_in": rng.random(n) > 0.3,
            "do_not_contact": rng.random(n) < 0.02,
        }
    )
    frame.to_csv(path, index=False)
    frame.to_parquet(path.with_suffix(".parquet"), index=False)


def run(code: str, *args: str) -> dict:
    """Run one measurement in a fresh interpreter; its JSON line."""
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


ROOT = Path(__file__).resolve().parent.parent
WHOLE = {
    "pandas.read_csv (whole process)": lambda p: [
        sys.executable, "-c", "import sys, pandas; pandas.read_csv(sys.argv[1])", p],
    "winback cohort check --engine arrow": lambda p: [
        str(ROOT / ".venv/bin/winback"), "cohort", "check", p, "--rule", RULE, "--json",
        "--engine", "arrow"],
    "winback cohort check --engine duckdb": lambda p: [
        str(ROOT / ".venv/bin/winback"), "cohort", "check", p, "--rule", RULE, "--json",
        "--engine", "duckdb"],
    "winback cohort check --engine pandas": lambda p: [
        str(ROOT / ".venv/bin/winback"), "cohort", "check", p, "--rule", RULE, "--json",
        "--engine", "pandas"],
}  # fmt: skip
PARQUET = {
    "pandas.read_parquet (whole process)": lambda p: [
        sys.executable, "-c", "import sys, pandas; pandas.read_parquet(sys.argv[1])", p],
    "winback cohort check (Arrow)": lambda p: [
        str(ROOT / ".venv/bin/winback"), "cohort", "check", p, "--rule", RULE, "--json"],
    "winback cohort check --engine pandas": lambda p: [
        str(ROOT / ".venv/bin/winback"), "cohort", "check", p, "--rule", RULE, "--json",
        "--engine", "pandas"],
}  # fmt: skip

TIMED = """
import resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
"""


def whole_process(argv: list[str]) -> tuple[float, float]:
    """Wall seconds from start to exit of `argv`, and its peak RSS in MB."""
    out = subprocess.run([sys.executable, "-c", TIMED, *argv], check=True, capture_output=True,
                         text=True, cwd=ROOT)  # fmt: skip
    seconds, rss = out.stdout.split()
    return float(seconds), float(rss)


def engines(path: Path, repeat: int, commands: dict = WHOLE) -> None:
    """Whole processes: the pandas reader (the first command) against each other command,
    each pair in its own interleaved loop (reader, command, command, reader, ...: the order
    alternates, because the run after a reader's, which frees 400 MB, came out slower). In one
    loop over all four, the DuckDB run (600 MB, two threads) slowed whichever run came next,
    so each ratio is taken against the reader runs that alternated with it."""
    names = list(commands)
    base_name, others = names[0], names[1:]
    print(f"rule: {RULE}")
    print(
        f"| whole process ({repeat} runs, interleaved in pairs) | median s | reader's median "
        "in the pair | x reader | peak RSS | runs (s) |"
    )
    print("|---|---|---|---|---|---|")
    for name in others:
        runs: dict[str, list[tuple[float, float]]] = {base_name: [], name: []}
        for i in range(repeat):  # the order alternates: the run after a reader's is slower
            for key in list(runs)[:: 1 if i % 2 == 0 else -1]:
                runs[key].append(whole_process(commands[key](str(path))))
        base = statistics.median(s for s, _ in runs[base_name])
        med = statistics.median(s for s, _ in runs[name])
        rss = max(r for _, r in runs[name])
        all_runs = ", ".join(f"{s:.2f}" for s, _ in runs[name])
        ratio = med / base
        print(f"| {name} | {med:.2f} | {base:.2f} | {ratio:.2f}x | {rss:.0f} MB | {all_runs} |")
    base_rss = max(r for _, r in runs[base_name])
    print(f"\n{base_name}: peak RSS {base_rss:.0f} MB")


def main() -> None:
    """Generate, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--engines", action="store_true", help="whole processes per engine")
    parser.add_argument(
        "--parquet", action="store_true", help="whole processes on the same cohort as Parquet"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="winback-bench-") as tmp:
        path = Path(tmp) / "cohort.csv"
        start = time.perf_counter()
        make_cohort(path, args.rows)
        os.sync()  # the files' write-back must not land inside the timed runs
        size = path.stat().st_size / 1e6
        print(f"generated {args.rows:,} rows x 15 columns, {size:.0f} MB "
              f"in {time.perf_counter() - start:.1f} s")  # fmt: skip
        if args.engines:
            engines(path, args.repeat)
            return
        if args.parquet:
            engines(path.with_suffix(".parquet"), args.repeat, PARQUET)
            return
        base, ours = [], []
        for _ in range(args.repeat):  # interleaved, so machine load hits both alike
            base.append(run(BASELINE, str(path)))
            ours.append(run(OURS, str(path), RULE))
    b = statistics.median(r["seconds"] for r in base)
    o = statistics.median(r["seconds"] for r in ours)
    parts = {k: statistics.median(r[k] for r in ours) for k in ("load_validate", "rule", "arms")}
    print(f"rule: {RULE}")
    print(f"active users: {ours[0]['active']:,}; arms: {ours[0]['counts']}; "
          f"SRM p = {ours[0]['srm_p']:.3f}")  # fmt: skip
    print(f"| measurement ({args.repeat} runs, median) | seconds | peak RSS |")
    print("|---|---|---|")
    print(f"| pandas.read_csv | {b:.3f} | {max(r['maxrss_mb'] for r in base):.0f} MB |")
    print(
        f"| winback load + validate + rule + arms | {o:.3f} | "
        f"{max(r['maxrss_mb'] for r in ours):.0f} MB |"
    )
    print(f"| of which load + validate | {parts['load_validate']:.3f} | |")
    print(f"| of which rule | {parts['rule']:.3f} | |")
    print(f"| of which arms (sha256 per active user) | {parts['arms']:.3f} | |")
    print(f"ratio winback / pandas.read_csv: {o / b:.2f}x")
    print("all runs (s): pandas " + ", ".join(f"{r['seconds']:.3f}" for r in base))
    print("all runs (s): winback " + ", ".join(f"{r['seconds']:.3f}" for r in ours))


if __name__ == "__main__":
    main()
