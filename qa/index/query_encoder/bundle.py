"""Query embeddings without torch: the bundle `qa index` exports (its layout, constants, metadata).

Importing sentence-transformers (and with it torch and transformers) takes seconds,
which would dominate a one-shot ``qa ask``.  So ``qa index`` exports the model once
(``ensure_query_encoder``), next to the index::

    <index_dir>/models/<model-slug>-<hash>/
        model.onnx        the transformer graph (token ids -> token embeddings)
        model.onnx.data   its weights, memory-mapped by onnxruntime
        bert.safetensors  the same weights for the numpy pass (plain BERT models only)
        tokenizer.json    the model's own fast tokenizer
        encoder.json      pooling modes, normalisation, max length, provenance

A query is tokenized with ``tokenizers``, run through the transformer, and pooled
and normalised in numpy exactly as the model's Pooling/Normalize modules say.  The
transformer runs in onnxruntime in a server (fastest per query), and in numpy in a
one-shot process such as `qa ask` (fastest start: no onnxruntime import or session).
sentence-transformers still embeds every document; before a bundle is installed both
paths are checked against it (cosine >= ``MIN_AGREEMENT``).

If there is no bundle, or it cannot be loaded, queries fall back to
sentence-transformers with a warning: slower to start, same vectors.
``QA_QUERY_ENCODER=sentence-transformers`` forces that path.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from qa.index.tokens import TokenEncoding

if TYPE_CHECKING:
    pass

log = logging.getLogger("qa.query_encoder")

EXPORT_FORMAT = 3  # bump when the bundle layout or the export changes
ENCODER_FILE = "encoder.json"
OPSET = 17
MIN_AGREEMENT = 0.999  # cosine against sentence-transformers, checked at export time
SUPPORTED_POOLING = ("cls", "max", "mean", "mean_sqrt_len_tokens")
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
PROBES = (
    "What is a heat pump?",
    "How many CPUs does the server have?",
    "hello",
    "Ünïcödé, punctuation — and “quotes” (mixed) 12.5% of 2017/18 budgets!",
    " ".join(["maintenance schedules for the regional water network"] * 60),  # > max length
)


class QueryEncoder(Protocol):
    """Turns texts into the same vectors the index's documents were embedded with."""

    kind: str

    def encode(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) float32, L2-normalised when the model normalises."""
        ...

    def encode_tokens(self, text: str) -> TokenEncoding:
        """One text's vector (as ``encode``) and its word pieces' unit vectors, from one pass."""
        ...


class ExportError(RuntimeError):
    """The model cannot be exported (unsupported modules) or its export disagrees."""


# --- where a bundle lives -------------------------------------------------------


def encoder_dir(index_dir: Path, model: str) -> Path:
    """The bundle folder for ``model`` under an index folder (keyed by the model name)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", model).strip("-.")[-48:] or "model"
    digest = hashlib.sha256(model.encode("utf-8")).hexdigest()[:12]
    return Path(index_dir) / "models" / f"{slug}-{digest}"


def source_fingerprint(model: str) -> str:
    """Identifies the model files an export was made from (names, sizes, mtimes)."""
    from qa.index.embedding import resolve_model_path

    path = Path(resolve_model_path(model))
    parts = [f"format={EXPORT_FORMAT}", f"opset={OPSET}", f"model={model}"]
    if path.is_dir():
        for f in sorted(p for p in path.rglob("*") if p.is_file() and ".git" not in p.parts):
            st = f.stat()
            parts.append(f"{f.relative_to(path).as_posix()}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def read_meta(folder: Path) -> dict | None:
    try:
        return json.loads((folder / ENCODER_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
