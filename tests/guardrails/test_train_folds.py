"""The training script's folds: leave-writers-out keeps every source file in one fold."""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import train_guardrails
from train_guardrails import message_folds, writer_folds


def _rows(sizes: dict[str, int]) -> list[dict]:
    return [{"id": f"{s}-{i}", "source": s} for s, n in sizes.items() for i in range(n)]


@pytest.mark.parametrize(
    "sizes",
    [
        {"a.txt": 10, "b.txt": 10, "c.txt": 10, "d.txt": 10, "e.txt": 10},
        {"big.txt": 50, "m1.txt": 20, "m2.txt": 20, "s1.txt": 5, "s2.txt": 5, "s3.txt": 5},
        {f"f{i}.txt": 3 + i for i in range(23)},
    ],
)
def test_writer_folds_hold_out_whole_files_in_balanced_folds(sizes):
    rows = _rows(sizes)
    fold_of = writer_folds(rows)
    folds_of_source = defaultdict(set)
    for row, fold in zip(rows, fold_of, strict=True):
        folds_of_source[row["source"]].add(int(fold))
    assert all(len(f) == 1 for f in folds_of_source.values())  # a file never spans two folds
    used = sorted({int(f) for f in fold_of})
    assert used == list(range(min(5, len(sizes))))
    loads = [int((fold_of == f).sum()) for f in used]
    assert max(loads) - min(loads) <= max(sizes.values())  # greedy: within one file of even
    assert (writer_folds(list(reversed(rows)))[::-1] == fold_of).all()  # order does not matter


def test_message_folds_split_a_file_across_folds():
    rows = _rows({"one.txt": 200})
    assert len(set(message_folds(rows).tolist())) == 5
    assert len(set(writer_folds(rows).tolist())) == 1


def test_every_corpus_row_names_its_source_file():
    corpus = train_guardrails.load("train") + train_guardrails.load("dev")
    sources = {r["source"] for r in corpus}
    assert all(r["source"] for r in corpus)
    assert {"corpus.jsonl", "holdout.jsonl"} <= sources
    assert len(sources) >= 20  # enough writers for five folds of whole files


def test_threshold_walk_passes_violations_another_head_already_blocks():
    """The any head's next violation is already blocked by its category head: the walk must
    step past it to the next one it alone would add, within the clean budget."""
    heads = train_guardrails.HEADS
    a, health = heads.index("any"), heads.index("health")
    clean = [{"category": "clean", "expected": "pass"} for _ in range(100)]
    creepy = [{"category": "health", "expected": "block"} for _ in range(2)]
    rows = clean + creepy
    scores = np.zeros((len(rows), len(heads)))
    scores[:97, a] = np.linspace(0, 0.7, 97)
    scores[97:100, a] = [0.95, 0.96, 0.97]
    scores[100, [a, health]] = [0.93, 0.995]  # blocked by the health head from the start
    scores[101, a] = 0.90  # only the any head can reach it
    limits = train_guardrails.thresholds(scores, rows, budget=0.03, warn_budget=0.08)
    assert limits["any"]["block"] <= 0.90
    blocked = (scores >= np.array([limits[h]["block"] for h in heads])).any(axis=1)
    assert blocked[100] and blocked[101] and blocked[:100].sum() <= 3


def test_threshold_walk_counts_the_confirmed_rule_blocks_in_its_budget():
    """Rows a confirmed rule block already stops spend the clean budget: the heads may add
    only what is left of it, and a violation the rules stop is not a head's gain."""
    heads = train_guardrails.HEADS
    a = heads.index("any")
    clean = [{"category": "clean", "expected": "pass"} for _ in range(100)]
    creepy = [{"category": "health", "expected": "block"} for _ in range(4)]
    rows = clean + creepy
    scores = np.zeros((len(rows), len(heads)))
    scores[:100, a] = np.linspace(0, 0.9, 100)
    scores[100:, a] = [0.99, 0.95, 0.80, 0.75]
    rules = np.zeros(len(rows), bool)
    rules[[0, 1, 102]] = True  # two clean rows, one violation
    base = train_guardrails.confirmed(scores, rules, 0.5)
    assert base.tolist() == [i == 102 for i in range(len(rows))]  # clean scores are below 0.5
    rules[[98, 99]] = True  # two clean rows the meaning check scores high: confirmed
    base = train_guardrails.confirmed(scores, rules, 0.5)
    limits = train_guardrails.thresholds(scores, rows, budget=0.04, warn_budget=0.08, base=base)
    blocked = base | (scores >= np.array([limits[h]["block"] for h in heads])).any(axis=1)
    assert blocked[:100].sum() <= 4  # the base's 2 clean rows and at most 2 more
    assert blocked[100] and blocked[102]
