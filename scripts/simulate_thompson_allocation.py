"""Thompson allocation against an equal split over 10 batches with known true rates.

    .venv/bin/python scripts/simulate_thompson_allocation.py [--runs 200] [--json]

Each scenario is a campaign whose variants have fixed true conversion rates
(unknown to the allocator). Batch after batch, 1,000 treatment users are split
by `agent.lift.thompson_allocation.thompson_shares` on every earlier batch's
results (10% floor per variant), or equally; conversions are drawn from the
true rates. Prints the mean cumulative conversions of both policies over 10
batches, how often the best variant got strictly the most users in batch 5,
and the ceiling (always sending the best variant).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.lift.simulations import thompson_vs_uniform

SCENARIOS = {
    "one clear winner": [0.04, 0.05, 0.06, 0.08],
    "close rates": [0.050, 0.055, 0.060, 0.065],
    "no difference": [0.05, 0.05, 0.05, 0.05],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--users", type=int, default=1000, help="Treatment users per batch.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="Print the results as JSON.")
    args = parser.parse_args()
    results = {
        name: thompson_vs_uniform(
            rates, batches=args.batches, users_per_batch=args.users, runs=args.runs, seed=args.seed
        )
        for name, rates in SCENARIOS.items()
    }
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(
        f"{args.batches} batches of {args.users} treatment users, {args.runs} runs each, "
        "10% floor per variant\n"
    )
    print(
        "| scenario (true rates) | Thompson: conversions | equal split: conversions | "
        "gain | always best | best variant has most users in batch 5 (Thompson) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        t, u = r["thompson"], r["uniform"]
        gain = t["mean_cumulative_conversions"] / u["mean_cumulative_conversions"] - 1
        rates = ", ".join(f"{x:.1%}" for x in r["true_rates"])
        print(
            f"| {name} ({rates}) | {t['mean_cumulative_conversions']:.0f} | "
            f"{u['mean_cumulative_conversions']:.0f} | {gain:+.1%} | "
            f"{r['expected_if_always_best']:.0f} | {t['best_gets_most_users_in_batch_5']:.0%} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
