"""The BERT transformer in numpy over the exported safetensors weights (one-shot `qa ask`: no onnxruntime to start)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qa.index.blas import one_blas_thread

if TYPE_CHECKING:
    pass

from qa.index.query_encoder.bundle import (
    ExportError,
)
from qa.index.query_encoder.onnx import _TokenizedEncoder
from qa.index.query_encoder.safetensors import read_safetensors


class NumpyBertEncoder(_TokenizedEncoder):
    """The same BERT forward pass in numpy, from memory-mapped weights.

    For a one-shot `qa ask` this is the fastest start there is (no onnxruntime import
    or session: ~150 ms less on two cores).  Only plain BERT encoders qualify
    (all-MiniLM-L6-v2 is one); the export checks it agrees with sentence-transformers
    like the ONNX graph, and records it in encoder.json only if it does.
    """

    kind = "numpy-bert"

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        cfg = self.meta.get("numpy_bert")
        if not cfg:
            raise ExportError("this export has no numpy weights (not a plain BERT model)")
        self.layers = int(cfg["layers"])
        self.heads = int(cfg["heads"])
        self.eps = np.float32(cfg["layer_norm_eps"])
        self.w = read_safetensors(self.folder / cfg["weights"])

    def _token_embeddings(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        # Small matrices: BLAS threads only fight (on a busy 2-core machine, 10-20x slower).
        with one_blas_thread():
            return self._forward(feeds)

    def _forward(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        w, ids = self.w, feeds["input_ids"]
        batch, width = ids.shape
        h = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:width][None]
            + w["embeddings.token_type_embeddings.weight"][feeds["token_type_ids"]]
        )
        h = _layer_norm(h, w, "embeddings.LayerNorm", self.eps)
        heads, size = self.heads, h.shape[-1] // self.heads
        mask_bias = ((1.0 - feeds["attention_mask"].astype(np.float32)) * np.float32(-1e9))[:, None, None, :]
        scale = np.float32(1.0 / np.sqrt(size))
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def split(x: np.ndarray) -> np.ndarray:
                return x.reshape(batch, width, heads, size).transpose(0, 2, 1, 3)

            q = split(_linear(h, w, p + "attention.self.query"))
            k = split(_linear(h, w, p + "attention.self.key"))
            v = split(_linear(h, w, p + "attention.self.value"))
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + mask_bias
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, width, heads * size)
            h = _layer_norm(_linear(context, w, p + "attention.output.dense") + h, w, p + "attention.output.LayerNorm", self.eps)
            inner = _gelu(_linear(h, w, p + "intermediate.dense"))
            h = _layer_norm(_linear(inner, w, p + "output.dense") + h, w, p + "output.LayerNorm", self.eps)
        return h


def _linear(x: np.ndarray, w: dict[str, np.ndarray], name: str) -> np.ndarray:
    return x @ w[name + ".weight"].T + w[name + ".bias"]


def _layer_norm(x: np.ndarray, w: dict[str, np.ndarray], name: str, eps: np.float32) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = np.square(x - mean).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w[name + ".weight"] + w[name + ".bias"]


def _gelu(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU; erf by Abramowitz & Stegun 7.1.26 (error < 1.5e-7)."""
    z = np.abs(x) * np.float32(1 / np.sqrt(2))
    t = 1 / (1 + np.float32(0.3275911) * z)
    poly = t * (np.float32(0.254829592) + t * (np.float32(-0.284496736) + t * (
        np.float32(1.421413741) + t * (np.float32(-1.453152027) + t * np.float32(1.061405429)))))
    erf = np.sign(x) * (1 - poly * np.exp(-z * z))
    return np.float32(0.5) * x * (1 + erf)
