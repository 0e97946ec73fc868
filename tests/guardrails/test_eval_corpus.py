"""The labelled corpus: the targets of the issue, asserted (see scripts/eval_guardrails.py)."""

from __future__ import annotations

from guardrails.eval.evaluate import evaluate, load_corpus

CATEGORIES = {
    "health",
    "body",
    "pregnancy",
    "disability",
    "religion",
    "sexuality_gender",
    "ethnicity",
    "politics",
    "financial",
    "criminal",
    "age",
    "family",
    "surveillance",
    "shaming",
    "urgency",
    "pii",
    "channel",
    "offer",
    "template",
}


def test_corpus_size_and_coverage():
    rows = load_corpus()
    violations = [r for r in rows if r["expected"] == "block"]
    clean = [r for r in rows if r["expected"] == "pass"]
    assert len(violations) >= 150 and len(clean) >= 150
    assert {r["category"] for r in violations} == CATEGORIES
    for subset in (violations, clean):
        assert {r["channel"] for r in subset} == {"email", "sms", "push"}


def test_recall_and_false_block_targets(analyzer):
    report = evaluate()
    assert report["recall"] >= 0.98, report["misses"]
    assert report["false_block_rate"] <= 0.03, report["misses"]
    # Presidio alone is the baseline, not a target: it misses the creepy layer
    assert report["presidio_false_block_rate"] > 0.5
