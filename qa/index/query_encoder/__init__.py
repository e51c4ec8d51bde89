"""Query embeddings without torch: which encoder embeds a question (``load_query_encoder``).

The bundle `qa index` exports and its layout: bundle.py; ONNX and pooling: onnx.py;
the numpy BERT: numpy_bert.py; weights: safetensors.py; the export: export.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qa.index.query_encoder.bundle import (
    ENCODER_FILE,
    EXPORT_FORMAT,
    MIN_AGREEMENT,
    ExportError,
    QueryEncoder,
    encoder_dir,
    log,
    read_meta,
)
from qa.index.query_encoder.export import (
    check_agreement,
    ensure_query_encoder,
    export_query_encoder,
)
from qa.index.query_encoder.numpy_bert import NumpyBertEncoder
from qa.index.query_encoder.onnx import OnnxQueryEncoder, pool
from qa.index.query_encoder.safetensors import read_safetensors, write_safetensors
from qa.index.tokens import TokenEncoding, unit_rows

if TYPE_CHECKING:
    from qa.index.embedding import Embedder

__all__ = [
    "ENCODER_FILE", "EXPORT_FORMAT", "MIN_AGREEMENT", "ExportError", "NumpyBertEncoder", "OnnxQueryEncoder",
    "QueryEncoder", "SentenceTransformerQueryEncoder", "check_agreement", "encoder_dir", "ensure_query_encoder",
    "export_query_encoder", "load_query_encoder", "pool", "read_meta", "read_safetensors", "write_safetensors",
]


class SentenceTransformerQueryEncoder:
    """The fallback: the document embedder itself (imports torch; seconds to start)."""

    kind = "sentence-transformers"

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.embedder.encode(texts)

    def encode_tokens(self, text: str) -> TokenEncoding:
        tok = self.embedder.model.tokenizer
        vectors, pieces = self.embedder.encode_with_tokens([text])
        enc = tok(text, add_special_tokens=True, return_offsets_mapping=True, return_special_tokens_mask=True,
                  truncation=True, max_length=self.embedder.max_tokens)
        offsets = tuple(tuple(o) for o, s in zip(enc["offset_mapping"], enc["special_tokens_mask"], strict=True)
                        if not s)
        return TokenEncoding(vectors[0], unit_rows(pieces[0]), offsets[: len(pieces[0])], text)


def load_query_encoder(
    index_dir: Path, model: str, embedder: Embedder, backend: str = "auto", one_shot: bool = False,
    threads: int = 1,
) -> QueryEncoder:
    """The ONNX encoder exported for ``model`` under ``index_dir``, else the fallback (warned).

    ``backend`` (Settings.query_encoder, ``QA_QUERY_ENCODER``): "auto" or "sentence-transformers";
    ``threads``: onnxruntime's intra-op threads (Settings.onnx_threads).
    ``one_shot``: the process will encode a query or two (`qa ask`), so start fast rather
    than encode fast.
    """
    backend = (backend or "auto").strip().lower()
    if backend in ("sentence-transformers", "sentence_transformers", "torch"):
        return SentenceTransformerQueryEncoder(embedder)
    folder = encoder_dir(index_dir, model)
    if not (folder / ENCODER_FILE).is_file():
        log.warning(
            "no ONNX query encoder in %s; embedding queries with sentence-transformers (slower "
            "start, same vectors). `qa index` exports it.", folder,
        )
        return SentenceTransformerQueryEncoder(embedder)
    if one_shot and (read_meta(folder) or {}).get("numpy_bert"):
        try:
            return NumpyBertEncoder(folder)
        except Exception as exc:  # damaged weights: the ONNX graph still works
            log.warning("cannot load the numpy query encoder in %s (%s: %s); trying ONNX", folder, type(exc).__name__, exc)
    try:
        return OnnxQueryEncoder(folder, threads=threads, prepack=not one_shot)
    except Exception as exc:  # onnxruntime missing or broken, damaged bundle: all mean "fall back"
        log.warning(
            "cannot load the ONNX query encoder in %s (%s: %s); embedding queries with "
            "sentence-transformers instead. Re-export with `qa index --rebuild`.",
            folder, type(exc).__name__, exc,
        )
        return SentenceTransformerQueryEncoder(embedder)
