"""End-to-end benchmark: a 100,000-user cohort through `winback run` into the queue.

Usage:  .venv/bin/python scripts/bench_run.py [--users 100000] [--repeats 3]

Each run is a separate `winback run --json` process on the demo campaign
(prompts/campaigns/fitness-comeback.yaml) with its own fresh SQLite queue;
wall time and peak memory (ru_maxrss of the process tree, via wait4) are
measured from outside. Phases:

1. a 1,000-user cohort, cold LLM cache: how many LLM calls a small cohort costs;
2. the large cohort, cold cache (the embedded model writes everything);
3. the large cohort again, N times, every LLM reply from the cache (the target:
   at most 60 s and 1.5 GB on this machine, and the same number of LLM calls
   as the 1,000-user cohort).

Per-stage throughput comes from the run's own stage timings (`timings`).
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

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from agent.demo.cohort import make_fitness_cohort  # noqa: E402

CAMPAIGN = REPO / "prompts" / "campaigns" / "fitness-comeback.yaml"


def timed_run(cohort: Path, db: Path, env: dict[str, str], home: Path) -> dict:
    """One `winback run` process: its summary, wall seconds and peak RSS (MB)."""
    args = [sys.executable, "-m", "agent.cli", "run", str(cohort), "--config", str(CAMPAIGN)]
    args += ["--db", f"sqlite:///{db}", "--json"]
    env = {**env, "WINBACK_HOME": str(home)}
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=err, cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"winback run failed: {err.read().decode()[-2000:]}")
        summary = json.loads(out.read())
    return {"summary": summary, "wall": wall, "peak_mb": usage.ru_maxrss / 1024}


def main() -> None:
    """Run the phases and print the report (markdown)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    opts = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="winback-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WINBACK_", "OPENAI_"))}
    small, large = work / "cohort_1k.csv", work / f"cohort_{opts.users}.csv"
    make_fitness_cohort(1000).to_csv(small, index=False)
    make_fitness_cohort(opts.users).to_csv(large, index=False)

    print(f"work dir {work}", file=sys.stderr)
    # separate homes: the large cohort's cold run must not reuse the small one's cache
    one_k = timed_run(small, work / "small.db", env, work / "home-1k")
    print(f"1k cold: {one_k['wall']:.1f} s {one_k['summary']['llm']}", file=sys.stderr)
    cold = timed_run(large, work / "cold.db", env, work / "home-large")
    print(f"{opts.users} cold: {cold['wall']:.1f} s {cold['summary']['llm']}", file=sys.stderr)
    cached = [
        timed_run(large, work / f"cached{i}.db", env, work / "home-large")
        for i in range(opts.repeats)
    ]
    walls = [c["wall"] for c in cached]
    peak = max(c["peak_mb"] for c in cached)
    mid_run = sorted(cached, key=lambda c: c["wall"])[len(cached) // 2]
    mid = mid_run["summary"]

    def calls(run: dict) -> str:
        llm = run["summary"]["llm"]
        return (
            f"{llm['calls']} calls, {llm['cached_calls']} cached, "
            f"{llm['input_tokens']:,} in / {llm['output_tokens']:,} out tokens"
        )

    msgs = mid["drafts"]["messages"]
    users = mid["users"]["eligible"]
    print(f"## End-to-end: {opts.users:,} users through `winback run` (demo campaign)\n")
    print("| run | wall | peak memory | LLM |")
    print("|---|---:|---:|---|")
    print(f"| 1,000 users, cold cache | {one_k['wall']:.1f} s | {one_k['peak_mb']:.0f} MB | "
          f"{calls(one_k)} |")  # fmt: skip
    print(f"| {opts.users:,} users, cold cache | {cold['wall']:.1f} s | {cold['peak_mb']:.0f} MB | "
          f"{calls(cold)} |")  # fmt: skip
    print(f"| {opts.users:,} users, cached (median of {len(walls)}) | "
          f"{statistics.median(walls):.1f} s | {peak:.0f} MB | {calls(mid_run)} |")  # fmt: skip
    print(f"\n{users:,} eligible users, {msgs:,} messages; per stage (median cached run):\n")
    print("| stage | seconds | per second |")
    print("|---|---:|---:|")
    per_user = {"features and clusters", "activation rule", "suppression", "experiment arms"}
    for stage, seconds in mid["timings"].items():
        n = users if stage in per_user else msgs
        unit = "users" if stage in per_user else "messages"
        rate = f"{n / seconds:,.0f} {unit}/s" if seconds > 0 and "LLM" not in stage else "—"
        print(f"| {stage} | {seconds:.2f} | {rate} |")


if __name__ == "__main__":
    main()
