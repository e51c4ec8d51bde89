"""The exported encoders' shared front and back (tokenizer, pooling), and the ONNX one (servers)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    pass

from qa.index.query_encoder.bundle import (
    _INPUTS,
    ENCODER_FILE,
    EXPORT_FORMAT,
    ExportError,
    read_meta,
)
from qa.index.tokens import TokenEncoding, unit_rows


class _TokenizedEncoder:
    """Shared by the exported encoders: the bundle's tokenizer, then pooling in numpy."""

    kind = "?"

    def __init__(self, folder: Path) -> None:
        folder = Path(folder)
        meta = read_meta(folder)
        if meta is None or meta.get("format") != EXPORT_FORMAT:
            raise ExportError(f"{folder / ENCODER_FILE} is missing or has an old format")
        from tokenizers import Tokenizer

        self.folder = folder
        self.meta = meta
        self.dim = int(meta["dim"])
        self.pooling = tuple(meta["pooling"])
        self.normalize = bool(meta["normalize"])
        self.lowercase = bool(meta.get("do_lower_case", False))
        tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tok.no_padding()
        tok.enable_truncation(int(meta["max_seq_length"]))
        self.tokenizer = tok

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.lowercase:
            texts = [t.lower() for t in texts]
        encs = self.tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encs)
        feeds = {name: np.zeros((len(encs), width), dtype=np.int64) for name in _INPUTS}
        for row, e in enumerate(encs):
            n = len(e.ids)
            feeds["input_ids"][row, :n] = e.ids
            feeds["attention_mask"][row, :n] = e.attention_mask
            feeds["token_type_ids"][row, :n] = e.type_ids
        return pool(self._token_embeddings(feeds), feeds["attention_mask"], self.pooling, self.normalize)

    def encode_tokens(self, text: str) -> TokenEncoding:
        enc = self.tokenizer.encode(text.lower() if self.lowercase else text)
        feeds = {
            "input_ids": np.array([enc.ids], dtype=np.int64),
            "attention_mask": np.array([enc.attention_mask], dtype=np.int64),
            "token_type_ids": np.array([enc.type_ids], dtype=np.int64),
        }
        hidden = self._token_embeddings(feeds)
        vector = pool(hidden, feeds["attention_mask"], self.pooling, self.normalize)[0]
        keep = [i for i, special in enumerate(enc.special_tokens_mask) if not special]
        return TokenEncoding(vector, unit_rows(hidden[0, keep]), tuple(tuple(enc.offsets[i]) for i in keep), text)

    def _token_embeddings(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        raise NotImplementedError


class OnnxQueryEncoder(_TokenizedEncoder):
    """onnxruntime + tokenizers + numpy pooling; imports neither torch nor transformers."""

    kind = "onnx"

    def __init__(self, folder: Path, threads: int = 1, prepack: bool = True) -> None:
        super().__init__(folder)
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        opts.intra_op_num_threads = threads  # Settings.onnx_threads (QA_ONNX_THREADS); 0: onnxruntime picks
        opts.inter_op_num_threads = 1
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if not prepack:  # starts ~80 ms sooner, encodes ~2x slower: for one-shot processes
            opts.add_session_config_entry("session.disable_prepacking", "1")
        self.session = ort.InferenceSession(
            str(self.folder / "model.onnx"), opts, providers=["CPUExecutionProvider"]
        )
        self.input_names = [i.name for i in self.session.get_inputs()]

    def _token_embeddings(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run(None, {k: feeds[k] for k in self.input_names})[0]


def pool(hidden: np.ndarray, mask: np.ndarray, modes: tuple[str, ...], normalize: bool) -> np.ndarray:
    """sentence-transformers' Pooling (+ Normalize) over (batch, tokens, dim) token embeddings."""
    hidden = hidden.astype(np.float32, copy=False)
    m = mask.astype(np.float32)[:, :, None]
    counts = np.clip(m.sum(axis=1), 1e-9, None)
    parts = []
    for mode in modes:
        if mode == "cls":
            parts.append(hidden[:, 0])
        elif mode == "max":
            parts.append(np.where(m > 0, hidden, np.float32(-1e9)).max(axis=1))
        elif mode == "mean":
            parts.append((hidden * m).sum(axis=1) / counts)
        elif mode == "mean_sqrt_len_tokens":
            parts.append((hidden * m).sum(axis=1) / np.sqrt(counts))
        else:
            raise ExportError(f"pooling mode {mode!r} is not supported")
    out = np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]
    if normalize:
        out = out / np.clip(np.linalg.norm(out, axis=1, keepdims=True), 1e-12, None)
    return np.ascontiguousarray(out, dtype=np.float32)
