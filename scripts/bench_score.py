"""Benchmark `winback score`: one million customers, ten million transactions, time and memory.

    .venv/bin/python scripts/bench_score.py [--customers 1000000] [--transactions 10000000]
        [--repeat 3] [--format csv|parquet]

Transactions are simulated from the BG/NBD story itself (Poisson purchases while
alive, drop-out after a purchase, lognormal amounts) over two years, written once
to a file, then scored `--repeat` times, each in a fresh process (`winback score`
through the CLI app, reading the file and writing the cohort), so memory is the
peak resident size of one scoring process. Prints each run (wall time, CPU time,
peak memory) and the medians; on a shared machine the CPU time is the steadier
figure. `--data FILE` keeps the simulated file for the next invocation.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

CHILD = """
import resource, sys, time
from typer.testing import CliRunner
from agent.cli import app
start = time.perf_counter()
result = CliRunner().invoke(app, sys.argv[1:])
elapsed = time.perf_counter() - start
assert result.exit_code == 0, result.output
usage = resource.getrusage(resource.RUSAGE_SELF)
print(f"{elapsed:.2f} {usage.ru_utime + usage.ru_stime:.2f} {usage.ru_maxrss / 1024:.0f}")
"""


def simulate(customers: int, transactions: int, seed: int = 7) -> pd.DataFrame:
    """About `transactions` purchases for `customers` customers, two years, BG/NBD-like."""
    rng = np.random.default_rng(seed)
    days = 730
    first = rng.integers(0, days // 2, customers)
    horizon = days - first
    per_customer = transactions / customers - 1  # repeat purchases wanted per customer
    lam = rng.gamma(1.0, 1.6 * per_customer / horizon.mean(), customers)  # purchases per day
    p_drop = rng.beta(1.0, 15.0, customers)
    possible = rng.poisson(lam * horizon)  # purchases a never-dying customer would make
    survive = rng.geometric(p_drop) - 1  # purchases before the one after which they leave
    repeats = np.minimum(possible, survive)
    # a customer who left made their purchases in the first part of the window only
    active = horizon * np.where(survive < possible, (repeats + 1) / (possible + 1), 1.0)
    total = customers + int(repeats.sum())
    user = np.repeat(np.arange(customers), 1 + repeats)
    offsets = rng.random(total) * np.repeat(active, 1 + repeats)
    starts = np.r_[0, np.cumsum(1 + repeats)[:-1]]
    offsets[starts] = 0  # each customer's first purchase is on their first day
    day = np.repeat(first, 1 + repeats) + offsets.astype(np.int64)
    amount = np.round(rng.lognormal(3.3, 0.6, total), 2)
    stamps = np.datetime64("2023-01-01") + day.astype("timedelta64[D]")
    return pd.DataFrame(
        {"user_id": np.char.add("c", user.astype(str)), "timestamp": stamps, "amount": amount}
    )


def main() -> None:
    """Simulate, write, score `--repeat` times, report the median."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--transactions", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
    parser.add_argument("--data", type=Path, help="simulated file to reuse (or create)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        path = args.data or folder / f"transactions.{args.format}"
        if path.exists():
            frame = pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)
        else:
            frame = simulate(args.customers, args.transactions)
        if path.exists():
            pass
        elif args.format == "csv":
            frame["timestamp"] = frame["timestamp"].dt.strftime("%Y-%m-%d")
            frame.to_csv(path, index=False)
        else:
            frame.to_parquet(path, index=False)
        rows, users = len(frame), frame["user_id"].nunique()
        del frame
        print(f"simulated {rows:,} transactions of {users:,} customers "
              f"({path.stat().st_size / 1e6:.0f} MB {args.format}) in "
              f"{time.perf_counter() - t0:.0f} s", flush=True)  # fmt: skip
        runs = []
        for i in range(args.repeat):
            out = folder / "scored.parquet"
            cmd = [sys.executable, "-c", CHILD, "score", str(path), "-o", str(out),
                   "--no-history", "--as-of", "2024-12-31"]  # fmt: skip
            line = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()
            seconds, cpu, peak_mb = float(line[-3]), float(line[-2]), float(line[-1])
            runs.append((seconds, peak_mb, cpu))
            print(f"run {i + 1}: {seconds:.1f} s wall, {cpu:.1f} s CPU, peak {peak_mb:,.0f} MB",
                  flush=True)  # fmt: skip
        print(
            json.dumps(
                {
                    "transactions": rows,
                    "customers": users,
                    "format": args.format,
                    "median_seconds": round(statistics.median(r[0] for r in runs), 1),
                    "median_peak_mb": round(statistics.median(r[1] for r in runs)),
                    "median_cpu_seconds": round(statistics.median(r[2] for r in runs), 1),
                }
            )
        )


if __name__ == "__main__":
    main()
