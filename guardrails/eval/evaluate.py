"""Score the guardrails on `corpus.jsonl`: recall per category, false-block rate.

Each corpus line is a guard-check message plus `expected` (`block` for a
violation, `pass` for clean copy) and `category`. A violation counts as
caught when the verdict is `block`; clean copy counts as a false block when
the verdict is `block` (a `warn` still reaches the reviewer and is not a
false block). "Presidio alone" is the same analyzer flagging a message when
it reports any entity with score >= 0.4, which is what you get without the
allow-list and the creepy-factor rules.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from guardrails.check_message import check_messages
from guardrails.message import parse_message
from guardrails.pii_engine import analyze_texts

CORPUS = Path(__file__).with_name("corpus.jsonl")
# Presidio's format-PII entities: what Presidio alone is for, without names and places
FORMAT_PII = {
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "US_SSN",
    "IBAN_CODE",
    "IP_ADDRESS",
    "US_BANK_NUMBER",
    "US_PASSPORT",
    "US_DRIVER_LICENSE",
    "CRYPTO",
    "STREET_ADDRESS",
}


def load_corpus(path: str | Path | None = None) -> list[dict[str, Any]]:
    """The labelled rows of the corpus."""
    lines = Path(path or CORPUS).read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def evaluate(path: str | Path | None = None) -> dict[str, Any]:
    """Per-category recall and clean false-block rate, ours and Presidio's alone."""
    rows = load_corpus(path)
    messages = [parse_message(r, r["id"]) for r in rows]
    verdicts = check_messages(messages)
    texts = [" \n".join(t for _, t in m.fields()) for m in messages]
    raw = analyze_texts(texts)
    presidio = [any(r.score >= 0.4 for r in res) for res in raw]
    formats = [any(r.score >= 0.4 and r.entity_type in FORMAT_PII for r in res) for res in raw]
    per: dict[str, dict[str, int]] = defaultdict(
        lambda: {"n": 0, "ours": 0, "presidio": 0, "format": 0}
    )
    misses = []
    for row, verdict, p, fmt in zip(rows, verdicts, presidio, formats, strict=True):
        cat = row["category"] if row["expected"] == "block" else "clean"
        per[cat]["n"] += 1
        per[cat]["ours"] += verdict.verdict == "block"
        per[cat]["presidio"] += p
        per[cat]["format"] += fmt
        if (verdict.verdict == "block") != (row["expected"] == "block"):
            misses.append(
                (
                    row["id"],
                    row["category"],
                    verdict.verdict,
                    row["text"][:90],
                    [f.code for f in verdict.findings],
                )
            )
    violations = [c for c in per if c != "clean"]
    total = sum(per[c]["n"] for c in violations)
    return {
        "per_category": dict(per),
        "violations": total,
        "recall": sum(per[c]["ours"] for c in violations) / total,
        "presidio_recall": sum(per[c]["presidio"] for c in violations) / total,
        "format_recall": sum(per[c]["format"] for c in violations) / total,
        "clean": per["clean"]["n"],
        "false_block_rate": per["clean"]["ours"] / per["clean"]["n"],
        "presidio_false_block_rate": per["clean"]["presidio"] / per["clean"]["n"],
        "format_false_block_rate": per["clean"]["format"] / per["clean"]["n"],
        "misses": misses,
    }


def format_table(report: dict[str, Any]) -> str:
    """A Markdown table of the report."""
    lines = [
        "| category | messages | guardrails | Presidio alone, any entity "
        "| Presidio alone, format PII only |",
        "|---|---:|---:|---:|---:|",
    ]
    per = report["per_category"]
    for cat in sorted(c for c in per if c != "clean"):
        d = per[cat]
        lines.append(
            f"| {cat} | {d['n']} | {d['ours'] / d['n']:.0%} | {d['presidio'] / d['n']:.0%} "
            f"| {d['format'] / d['n']:.0%} |"
        )
    lines.append(
        f"| **all violations** | {report['violations']} | **{report['recall']:.1%}** | "
        f"{report['presidio_recall']:.1%} | {report['format_recall']:.1%} |"
    )
    c = per["clean"]
    lines.append(
        f"| **clean: false blocks** | {report['clean']} | **{report['false_block_rate']:.1%}** "
        f"({c['ours']}) | {report['presidio_false_block_rate']:.1%} ({c['presidio']}) "
        f"| {report['format_false_block_rate']:.1%} ({c['format']}) |"
    )
    return "\n".join(lines)
