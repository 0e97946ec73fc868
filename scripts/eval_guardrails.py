"""Measure guards on a corpus split: this guard, the previous word-list guard, Presidio alone.

    .venv/bin/python scripts/eval_guardrails.py [--split test] [--old-guard REV] [--misses 20]

Every guard is run through the `winback guard check --json` contract
(`guardrails.jsonl_check.check_jsonl`) in a fresh interpreter whose
`guardrails` package comes from a source tree: this checkout, and with
`--old-guard REV` the guardrails of git revision REV (extracted with
`git archive` into a temporary folder), so the previous guard is measured
exactly as it was. "Presidio alone" is Presidio's own analyzer (same spaCy
model, none of our recognizers, no allow-list): a message is blocked when it
reports any entity with score >= 0.4 ("any entity") or a format entity
(e-mail, phone, card, IBAN, SSN, IP, passport, licence, bank, crypto).

Prints the per-language and per-category tables (Markdown) and the first
`--misses` misses and false blocks of this guard. Report the test split;
tune on dev. `--json` prints the raw reports instead.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from guardrails.eval.evaluate import (  # noqa: E402 (after the sys.path line)
    category_table,
    language_table,
    load_split,
    miss_lines,
    score,
)

RUN_GUARD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from guardrails.jsonl_check import check_jsonl
from guardrails.policy import default_policy
lines = open(sys.argv[2], 'rb').read().splitlines()
start = time.perf_counter()
out = list(check_jsonl(lines, default_policy()))
took = time.perf_counter() - start
print(json.dumps({"seconds": took, "verdicts": out}))
"""
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
    "UK_NHS",
    "UK_NINO",
}


def _messages_file(rows: list[dict], folder: Path) -> Path:
    path = folder / "messages.jsonl"
    keep = ("id", "channel", "subject", "title", "text", "recipient", "values", "incentive")
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps({k: row[k] for k in keep if k in row}, ensure_ascii=False) + "\n")
    return path


def run_guard(code_root: Path, messages: Path) -> tuple[list[dict], float]:
    """Verdict dicts from the guard whose source tree is `code_root`, and its seconds."""
    env = {**os.environ, "PYTHONPATH": str(code_root)}
    proc = subprocess.run(
        [sys.executable, "-c", RUN_GUARD, str(code_root), str(messages)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=code_root,
    )
    if proc.returncode:
        sys.exit(f"guard in {code_root} failed:\n{proc.stderr[-2000:]}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    return data["verdicts"], data["seconds"]


def presidio_alone(rows: list[dict], formats_only: bool) -> list[dict]:
    """Verdicts of Presidio's own analyzer (see module doc)."""
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    from guardrails.pii_engine import DEFAULT_SPACY_MODEL, nlp_configuration
    from guardrails.recognizers.offline_email import OfflineEmailRecognizer

    nlp = NlpEngineProvider(nlp_configuration=nlp_configuration(DEFAULT_SPACY_MODEL))
    analyzer = AnalyzerEngine(nlp_engine=nlp.create_engine(), supported_languages=["en"])
    # the same e-mail patterns; Presidio's own tries to download the public suffix list
    analyzer.registry.remove_recognizer("EmailRecognizer")
    analyzer.registry.add_recognizer(OfflineEmailRecognizer())
    out = []
    for row in rows:
        text = " \n".join(t for t in (row.get("subject") or row.get("title"), row["text"]) if t)
        found = [
            r
            for r in analyzer.analyze(text=text, language="en")
            if r.score >= 0.4 and (not formats_only or r.entity_type in FORMAT_PII)
        ]
        findings = [{"code": r.entity_type, "category": "pii", "severity": "block"} for r in found]
        out.append({"id": row["id"], "verdict": "block" if found else "pass", "findings": findings})
    return out


def main() -> None:
    """Run the guards on one split and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test", choices=["train", "dev", "test"])
    parser.add_argument("--corpus", default=None, help="a labelled JSONL file instead of a split")
    parser.add_argument("--old-guard", default=None, help="git revision of the previous guard")
    parser.add_argument("--no-presidio", action="store_true", help="skip Presidio alone")
    parser.add_argument("--misses", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = load_split(args.split, args.corpus)
    reports, seconds = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        messages = _messages_file(rows, Path(tmp))
        verdicts, seconds["this guard"] = run_guard(ROOT, messages)
        reports["this guard"] = score(rows, verdicts)
        if args.old_guard:
            old = Path(tmp) / "old"
            old.mkdir()
            archive = subprocess.run(
                ["git", "archive", args.old_guard, "guardrails", "prompts"],
                cwd=ROOT,
                capture_output=True,
                check=True,
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
            old_verdicts, seconds["word lists"] = run_guard(old, messages)
            reports[f"word lists ({args.old_guard[:7]})"] = score(rows, old_verdicts)
    if not args.no_presidio:
        reports["Presidio alone, any entity"] = score(rows, presidio_alone(rows, False))
        reports["Presidio alone, format PII"] = score(rows, presidio_alone(rows, True))
    if args.json:
        print(json.dumps({k: {**r, "misses": len(r["misses"])} for k, r in reports.items()}))
        return
    print(f"split: {args.corpus or args.split}, {len(rows)} messages\n")
    print(language_table(reports) + "\n")
    print(category_table(reports) + "\n")
    for name, s in seconds.items():
        print(f"{name}: {s:.1f} s for {len(rows)} messages ({s / len(rows) * 1000:.0f} ms each)")
    if args.misses:
        print(f"\nfirst {args.misses} misses and false blocks of this guard:")
        print("\n".join(miss_lines(reports["this guard"], args.misses)))


if __name__ == "__main__":
    main()
