"""Evaluate the guardrails on the labelled corpus: recall per category, false blocks.

    .venv/bin/python scripts/eval_guardrails.py [--corpus guardrails/eval/corpus.jsonl]

Prints one table: for each violation category, how many messages the
guardrails block and how many Presidio alone (any PII entity it reports,
default analyzer settings, ours included) would have caught; then the
false-block rate on clean copy for both. The same numbers are asserted in
tests/guardrails/test_eval_corpus.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from guardrails.eval.evaluate import evaluate, format_table


def main() -> None:
    """Run the evaluation and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=None, help="JSONL corpus (default: the shipped one)")
    parser.add_argument("--misses", action="store_true", help="also list every miss")
    args = parser.parse_args()
    report = evaluate(args.corpus)
    print(format_table(report))
    if args.misses:
        for row in report["misses"]:
            print(row)


if __name__ == "__main__":
    main()
