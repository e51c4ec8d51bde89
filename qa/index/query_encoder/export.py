"""Build time: export the query encoder next to the index, check it agrees, install it atomically."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from qa.index.embedding import Embedder

from qa.index.query_encoder.bundle import (
    _INPUTS,
    ENCODER_FILE,
    EXPORT_FORMAT,
    MIN_AGREEMENT,
    OPSET,
    PROBES,
    SUPPORTED_POOLING,
    ExportError,
    QueryEncoder,
    encoder_dir,
    log,
    read_meta,
    source_fingerprint,
)
from qa.index.query_encoder.numpy_bert import NumpyBertEncoder
from qa.index.query_encoder.onnx import OnnxQueryEncoder
from qa.index.query_encoder.safetensors import write_safetensors


def ensure_query_encoder(
    index_dir: Path, model: str, embedder: Embedder, say: Callable[[str], None] = lambda _m: None
) -> Path | None:
    """Export the query encoder for ``model`` unless an export of the same files exists.

    Never raises for an unexportable model: it warns and returns None (queries then
    use sentence-transformers).
    """
    folder = encoder_dir(index_dir, model)
    try:
        fingerprint = source_fingerprint(model)
    except Exception as exc:  # an unresolvable model name fails later, where it is embedded
        log.warning("cannot fingerprint model %r (%s); skipping the ONNX export", model, exc)
        return None
    meta = read_meta(folder)
    if meta and meta.get("format") == EXPORT_FORMAT and meta.get("source") == fingerprint:
        return folder
    started = time.perf_counter()
    say(f"exporting the query encoder to ONNX ({folder})")
    try:
        export_query_encoder(embedder, folder, model=model, fingerprint=fingerprint)
    except Exception as exc:
        msg = (
            f"ONNX export of {model!r} failed ({type(exc).__name__}: {exc}); queries will be "
            "embedded with sentence-transformers (slower start, same vectors)"
        )
        log.warning(msg)
        say(f"warning: {msg}")
        return None
    say(f"exported the query encoder in {time.perf_counter() - started:.1f}s")
    return folder


def export_query_encoder(embedder: Embedder, folder: Path, *, model: str, fingerprint: str) -> None:
    """Export ``embedder``'s transformer, verify it, and install it at ``folder`` atomically."""
    import warnings

    import torch

    st = embedder.model
    modules = list(st)
    names = [type(m).__name__ for m in modules]
    if names not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise ExportError(f"modules {names} are not Transformer + Pooling (+ Normalize)")
    if getattr(st, "default_prompt_name", None):
        raise ExportError("models with a default prompt are not supported")
    transformer, pooling = modules[0], modules[1]
    modes = pooling.pooling_mode
    modes = (modes,) if isinstance(modes, str) else tuple(modes)
    if not modes or set(modes) - set(SUPPORTED_POOLING):
        raise ExportError(f"pooling {modes} is not one of {SUPPORTED_POOLING}")
    tokenizer = st.tokenizer
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise ExportError("the model has no fast (tokenizers) tokenizer")
    input_names = [n for n in _INPUTS if n in tokenizer.model_input_names]
    if "input_ids" not in input_names or "attention_mask" not in input_names:
        raise ExportError(f"unexpected model inputs {tokenizer.model_input_names}")
    hf_model = transformer.auto_model.eval()

    class _Wrapper(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = hf_model

        def forward(self, *args):
            out = self.model(**dict(zip(input_names, args, strict=True)), return_dict=True)
            return out.last_hidden_state

    sample = tokenizer(["a short query", "a slightly longer sample sentence"], padding=True, return_tensors="pt")
    args = tuple(sample[n] for n in input_names)

    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".export-{folder.name}-", dir=folder.parent))
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Wrapper(), args, str(tmp / "model.onnx"), dynamo=False, opset_version=OPSET,
                input_names=input_names, output_names=["last_hidden_state"],
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*input_names, "last_hidden_state"]},
            )
        _weights_beside(tmp / "model.onnx")
        backend.save(str(tmp / "tokenizer.json"))
        meta = {
            "format": EXPORT_FORMAT,
            "model": model,
            "source": fingerprint,
            "dim": int(embedder.dim),
            "pooling": list(modes),
            "normalize": names[-1] == "Normalize",
            "max_seq_length": int(st.max_seq_length),
            "do_lower_case": bool(getattr(transformer, "do_lower_case", False)),
            "inputs": input_names,
            "opset": OPSET,
            "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "versions": _versions(),
        }
        (tmp / ENCODER_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
        agreement = check_agreement(OnnxQueryEncoder(tmp), embedder)
        if agreement < MIN_AGREEMENT:
            raise ExportError(f"ONNX and sentence-transformers vectors disagree (cosine {agreement:.5f})")
        meta["agreement"] = round(agreement, 6)
        meta["numpy_bert"] = _export_numpy_bert(hf_model, tmp, meta, embedder)
        (tmp / ENCODER_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
        _install(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _export_numpy_bert(hf_model, tmp: Path, meta: dict, embedder: Embedder) -> dict | None:
    """Weights for NumpyBertEncoder if the model is a plain BERT and the numpy pass agrees."""
    config = hf_model.config
    if not (
        type(hf_model).__name__ == "BertModel"
        and getattr(config, "model_type", None) == "bert"
        and getattr(config, "hidden_act", None) == "gelu"
        and getattr(config, "position_embedding_type", "absolute") == "absolute"
    ):
        return None
    weights = "bert.safetensors"
    try:
        tensors = {
            k: v.detach().float().cpu().numpy()
            for k, v in hf_model.state_dict().items()
            if k.startswith(("embeddings.", "encoder.")) and not k.endswith("position_ids")
        }
        write_safetensors(tmp / weights, tensors)
        cfg = {
            "weights": weights,
            "layers": int(config.num_hidden_layers),
            "heads": int(config.num_attention_heads),
            "layer_norm_eps": float(config.layer_norm_eps),
        }
        (tmp / ENCODER_FILE).write_text(json.dumps({**meta, "numpy_bert": cfg}), encoding="utf-8")
        agreement = check_agreement(NumpyBertEncoder(tmp), embedder)
        if agreement < MIN_AGREEMENT:
            raise ExportError(f"numpy and sentence-transformers vectors disagree (cosine {agreement:.5f})")
        return {**cfg, "agreement": round(agreement, 6)}
    except Exception as exc:  # optional: the ONNX graph serves every query then
        log.info("no numpy BERT encoder for this model (%s: %s)", type(exc).__name__, exc)
        (tmp / weights).unlink(missing_ok=True)
        return None


def _weights_beside(path: Path) -> None:
    """Move the weights out of the graph into ``<name>.data``: onnxruntime then maps them
    from disk instead of parsing and copying 90 MB (measured: session start 3x faster,
    about 80 MB less resident memory)."""
    import onnx

    model = onnx.load(str(path))
    onnx.save_model(
        model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
        location=f"{path.name}.data", size_threshold=1024,
    )


def check_agreement(encoder: QueryEncoder, embedder: Embedder, texts: tuple[str, ...] = PROBES) -> float:
    """Lowest cosine between ``encoder`` and sentence-transformers over ``texts``."""
    ours = np.vstack([encoder.encode([t]) for t in texts])  # one at a time, as queries are
    ref = embedder.encode(list(texts))
    ours = ours / np.linalg.norm(ours, axis=1, keepdims=True)
    ref = ref / np.linalg.norm(ref, axis=1, keepdims=True)
    return float(np.min(np.sum(ours * ref, axis=1)))


def _install(tmp: Path, folder: Path) -> None:
    """Swap ``tmp`` in as ``folder``: two renames, so a reader sees old, nothing, or new."""
    old = None
    if folder.exists():
        old = folder.with_name(f".old-{folder.name}-{os.getpid()}-{time.time_ns()}")
        os.replace(folder, old)
    os.replace(tmp, folder)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("torch", "transformers", "sentence-transformers", "onnxruntime", "tokenizers"):
        with contextlib.suppress(PackageNotFoundError):
            out[pkg] = version(pkg)
    return out
