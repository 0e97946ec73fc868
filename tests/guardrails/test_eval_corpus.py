"""The labelled corpus: size, split hygiene, languages, verticals, channels, and the scorer.

Quality on the test split is measured by `scripts/eval_guardrails.py` (it
embeds a few thousand sentences, minutes on shared cores) and reported in the
README; here the corpus and the scoring logic are checked.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from guardrails.eval.evaluate import CORPUS_DIR, CREEPY, load_split, score

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import build_guardrails_corpus

SPLITS = ("train", "dev", "test")


def test_corpus_size_languages_verticals_channels():
    rows = {s: load_split(s) for s in SPLITS}
    total = sum(len(r) for r in rows.values())
    assert total >= 3000
    langs = Counter(r["lang"] for split in rows.values() for r in split)
    assert sum(n for lang, n in langs.items() if lang != "en") / total >= 0.10
    assert {"es", "fr", "de"} <= set(langs)
    verticals = {r["vertical"] for split in rows.values() for r in split}
    assert {"fitness", "retail", "media", "food", "finance"} <= verticals
    for split in rows.values():
        assert {r["channel"] for r in split} == {"email", "sms", "push"}
    test_categories = {r["category"] for r in rows["test"]}
    assert set(CREEPY) | {"pii", "clean"} <= test_categories


def test_split_is_fixed_and_disjoint():
    rows = {s: load_split(s) for s in SPLITS}
    cores = {s: {r["core"] for r in rows[s] if r["core"]} for s in SPLITS}
    assert not cores["test"] & (cores["train"] | cores["dev"])
    assert not cores["train"] & cores["dev"]
    ids = [r["id"] for split in rows.values() for r in split]
    assert len(ids) == len(set(ids))


def test_committed_corpus_is_what_the_builder_writes():
    built = build_guardrails_corpus.build()
    for split in SPLITS:
        on_disk = (CORPUS_DIR / f"{split}.jsonl").read_text("utf-8").splitlines()
        assert [json.loads(line) for line in on_disk] == built[split]


def test_score_counts_blocks_not_warnings():
    rows = [
        {"id": "a", "category": "health", "expected": "block", "lang": "en", "text": "x"},
        {"id": "b", "category": "health", "expected": "block", "lang": "de", "text": "x"},
        {"id": "c", "category": "pii", "expected": "block", "lang": "en", "text": "x"},
        {"id": "d", "category": "clean", "expected": "pass", "lang": "en", "text": "x"},
    ]
    block = {"code": "creepy_health", "category": "health", "severity": "block"}
    warn = {**block, "severity": "warn"}
    pii = {"code": "pii_email", "category": "pii", "severity": "block"}
    verdicts = [
        {"id": "a", "verdict": "block", "findings": [block]},
        {"id": "b", "verdict": "warn", "findings": [warn]},
        {"id": "c", "verdict": "block", "findings": [block]},  # blocked, but not for PII
        {"id": "d", "verdict": "block", "findings": [pii]},
    ]
    report = score(rows, verdicts)
    assert report["creepy_recall"] == 0.5
    assert report["pii_recall"] == 0.0
    assert report["false_block_rate"] == 1.0 and report["pii_false_block_rate"] == 1.0
    assert report["cells"]["creepy:de"] == {"n": 1, "caught": 0, "flagged": 1}
    assert report["creepy_flagged"] == 1.0  # the warned violation is shown to the reviewer


def test_score_counts_clean_warnings_apart_from_blocks():
    rows = [
        {"id": "a", "category": "clean", "expected": "pass", "lang": "en", "text": "x"},
        {"id": "b", "category": "clean", "expected": "pass", "lang": "en", "text": "x"},
        {"id": "c", "category": "clean", "expected": "pass", "lang": "fr", "text": "x"},
    ]
    warn = {"code": "semantic_health", "category": "health", "severity": "warn"}
    verdicts = [
        {"id": "a", "verdict": "warn", "findings": [warn]},
        {"id": "b", "verdict": "pass", "findings": []},
        {"id": "c", "verdict": "pass", "findings": []},
    ]
    report = score(rows, verdicts)
    assert report["false_block_rate"] == 0.0
    assert report["clean_warned"] == 1 / 3
    assert report["cells"]["clean:en"]["warned"] == 1 and report["cells"]["clean:fr"]["warned"] == 0
