"""Time `winback demo` as a newcomer runs it: cold (a fresh data folder) and warm (re-run).

    .venv/bin/python scripts/bench_demo.py --runs 3

Each cold run uses a new WINBACK_HOME (no cached replies: the embedded server
starts and every LLM call is made); each warm run re-runs the demo in the
folder of the cold run before it (replies cached). Whole processes, wall time,
medians; the LLM calls and verdicts come from the demo's own `--json`. Run it
alone: the embedded model is CPU-bound and anything else on the cores slows it.
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

WINBACK = Path(sys.executable).with_name("winback")


def one_run(home: Path) -> dict:
    """One `winback demo --json` in `home`: wall seconds, LLM calls, verdicts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WINBACK_", "OPENAI_"))}
    env["WINBACK_HOME"] = str(home)
    started = time.perf_counter()
    done = subprocess.run(
        [str(WINBACK), "demo", "--json"], env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"winback demo failed ({done.returncode}): {done.stdout}{done.stderr}")
    doc = json.loads(done.stdout)
    quality = doc.get("quality") or {}
    return {
        "wall_s": round(wall, 1),
        "llm_calls": doc["llm"]["calls"],
        "cached_calls": doc["llm"]["cached_calls"],
        "call_bound": quality.get("llm_call_bound"),
        "verdicts": doc["verdicts"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cold, warm = [], []
    with tempfile.TemporaryDirectory(prefix="winback-bench-demo-") as tmp:
        for i in range(args.runs):
            home = Path(tmp) / f"home{i}"
            cold.append(one_run(home))
            warm.append(one_run(home))
            print(f"run {i + 1}: cold {cold[-1]}, warm {warm[-1]}", flush=True)
    print(
        json.dumps(
            {
                "cold_median_s": statistics.median(r["wall_s"] for r in cold),
                "warm_median_s": statistics.median(r["wall_s"] for r in warm),
                "cold": cold,
                "warm": warm,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
