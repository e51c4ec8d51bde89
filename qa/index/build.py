"""Build the index: load → clean → de-duplicate → chunk → embed → FAISS + BM25.

Incremental: vectors are cached per document under a key made of the file's
content hash and every setting that changes them, so an unchanged corpus embeds
nothing and a changed file re-embeds only itself.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from qa.config import Settings
from qa.errors import IndexCorruptError, IndexMismatchError, IndexMissingError, InvalidDocumentError
from qa.index.embedding import Embedder, WordPieceCounter, model_max_tokens
from qa.index.query_encoder import ensure_query_encoder
from qa.index.schema import (
    FORMAT_VERSION,
    DocumentEntry,
    DocumentRecord,
    Manifest,
    PassageRecord,
    SentenceRecord,
)
from qa.index.store import IndexStore, write_jsonl
from qa.index.tokens import FORMAT as TOKEN_FORMAT
from qa.index.tokens import SentenceTokens
from qa.ingest.boilerplate import repeated_lines
from qa.ingest.chunk import Chunk, Chunker, embedding_text
from qa.ingest.clean import CleanDocument, Sentence, clean_document
from qa.ingest.corpus import SkippedFile, read_corpus
from qa.ingest.dedup import find_duplicates
from qa.ingest.readers import RawDocument
from qa.progress import EmbedProgress
from qa.retrieve.dense import build_dense, dense_kind, save_dense
from qa.retrieve.lexical import LexicalIndex

# Bump when cleaning or chunking changes output, so cached vectors are not reused.
PIPELINE_VERSION = 14  # 14: in plain text, a line with lines indented deeper under it is one list item (a man page option and its description), "--x" and "-5" are no bullets, a plain-text table keeps its one-cell group labels as header rows; 13: plain-text tables laid out with spaces read as rows (cells joined by " | ", wrapped cells joined, the header row a heading), a short line in capitals is a heading; 12: "ext." "tel." "incl." end no sentence; 11: a one- or two-word "sentence" stays with the next, an HTML <caption> is a label, a PDF running header ending "Page N of M" is dropped, a plain-text numbered section heading ("3.2 Fees") is a heading; 10: an HTML <dt> is a label (a heading that starts no section); 9: an HTML table row is one line, cells joined by ' | ', its header row a heading; 8: a list item of up to 30 words is one sentence; 7: Markdown and HTML headings marked (never answers), HTML headings start sections; 6: a footnote number after an upper-case word's full stop ends the sentence; 5: no footnote digits dropped, sentences cut at skipped page footers, Markdown parsed, wordless lines dropped; 4: run-on list sentences split at semicolons; 3: split sentences keep their author
DOC_DUPLICATE_THRESHOLD = 0.8  # share of a document's 5-gram shingles found in another
PASSAGE_DUPLICATE_THRESHOLD = 0.9


@dataclass
class IndexReport:
    index_dir: str
    documents: int
    indexed_documents: int
    passages: int
    embedded_passages: int
    reused_passages: int
    duplicates: list[dict[str, str | float]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)  # unreadable files: source, reason
    dropped_passages: int = 0
    up_to_date: bool = False
    dense_index: str = "flat"
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class DroppedDocument:
    """A document left out of the index, and why (listed by `qa index` and in the manifest)."""

    dropped: str  # doc_id
    kept: str  # doc_id of the copy indexed instead
    containment: float
    dropped_source: str
    kept_source: str
    reason: str


def _dropped_documents(dup, cleaned: list[CleanDocument]) -> list[DroppedDocument]:
    sources = {d.doc_id: d.source for d in cleaned}
    return [
        DroppedDocument(
            dropped=d.dropped, kept=d.kept, containment=d.containment,
            dropped_source=sources[d.dropped], kept_source=sources[d.kept],
            reason=f"near-duplicate of {sources[d.kept]}: {d.containment:.0%} of its word 5-grams are in it",
        )
        for d in dup
    ]


@dataclass
class _DocPlan:
    doc: CleanDocument
    chunks: list[Chunk]
    sentences: list[Sentence]
    key: str
    chunk_vectors: np.ndarray | None = None
    sentence_vectors: np.ndarray | None = None
    sentence_tokens: SentenceTokens | None = None


def _cache_key(settings: Settings, doc: CleanDocument, with_sentences: bool) -> str:
    parts = [
        FORMAT_VERSION, PIPELINE_VERSION, settings.model, settings.encoding,
        settings.chunk_tokens, settings.chunk_overlap, with_sentences, doc.doc_id, doc.sha256,
        *doc.learned_boilerplate,
    ]
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32]


def _log_to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build_index(
    settings: Settings,
    *,
    documents: list[RawDocument] | None = None,
    progress: bool = False,
    rebuild: bool = False,
    with_sentences: bool = True,
    log: Callable[[str], None] | None = None,
    strict: bool = False,
) -> IndexReport:
    """Index ``settings.seeds_dir`` (or ``documents``) into ``settings.index_dir``
    (or, with ``QA_BACKEND=postgres``, into the database).

    Unreadable files are skipped with one line each (always shown); ``strict`` makes
    any of them fatal, leaving the index unchanged.
    """
    if settings.backend == "postgres":
        from qa.postgres.writer import build_pg_index

        return build_pg_index(settings, documents=documents, progress=progress, rebuild=rebuild,
                              with_sentences=with_sentences, log=log, strict=strict)
    started = time.perf_counter()
    say = log or (_log_to_stderr if progress else (lambda _m: None))
    store = IndexStore(settings.index_dir)
    corpus = prepare_corpus(settings, documents, strict, say, log)
    cleaned, kept, dropped_docs, skipped = corpus.cleaned, corpus.kept, corpus.dropped, corpus.skipped

    previous = _previous_manifest(store)
    if not rebuild and previous is not None and _unchanged(previous, settings, cleaned, with_sentences):
        say("index is up to date; nothing to embed")
        # Indexes built before the ONNX query encoder existed get it here (once).
        ensure_query_encoder(settings.index_dir, settings.model, Embedder(settings.model), say)
        return IndexReport(
            index_dir=str(settings.index_dir), documents=len(cleaned), indexed_documents=len(kept),
            passages=previous.passages, embedded_passages=0, reused_passages=previous.passages,
            duplicates=[asdict(d) for d in dropped_docs], up_to_date=True, dense_index=previous.dense_index,
            skipped=[asdict(s) for s in skipped], seconds=time.perf_counter() - started,
        )

    plans = plan_documents(settings, kept, with_sentences)
    embedder = Embedder(settings.model, settings.embed_batch_size)
    embedded = _fill_vectors(plans, store, embedder, rebuild, say)
    skip = passage_duplicates(plans)

    say("writing index")
    with store.new_generation() as gen:
        manifest = _write_generation(gen, settings, plans, skip, dropped_docs, cleaned, with_sentences, say)
    store.prune_cache({p.key for p in plans})
    # The torch-free query path (qa/index/query_encoder/); a failed export only warns.
    ensure_query_encoder(settings.index_dir, settings.model, embedder, say)
    return IndexReport(
        index_dir=str(settings.index_dir), documents=len(cleaned), indexed_documents=len(kept),
        passages=manifest.passages, embedded_passages=embedded,
        reused_passages=sum(len(p.chunks) for p in plans) - embedded,
        duplicates=[asdict(d) for d in dropped_docs], dropped_passages=len(skip),
        skipped=[asdict(s) for s in skipped],
        dense_index=manifest.dense_index, seconds=time.perf_counter() - started,
    )


@dataclass
class PreparedCorpus:
    """The corpus read, cleaned and de-duplicated: where every index writer starts."""

    cleaned: list[CleanDocument]
    kept: list[CleanDocument]  # cleaned, less the near-duplicates
    dropped: list[DroppedDocument]
    skipped: list[SkippedFile]  # unreadable files


def prepare_corpus(
    settings: Settings, documents: list[RawDocument] | None, strict: bool,
    say: Callable[[str], None], log: Callable[[str], None] | None = None,
) -> PreparedCorpus:
    """Read ``settings.seeds_dir`` (unless ``documents`` are given), clean and de-duplicate."""
    skipped: list[SkippedFile] = []
    if documents is None:
        corpus = read_corpus(settings.seeds_dir, log or _log_to_stderr)
        raw, skipped = corpus.documents, corpus.skipped
    else:
        raw = documents
    say(f"cleaning {len(raw)} documents")
    boilerplate = repeated_lines(raw)
    # A document the cleaner cannot handle is a bug to report, but it must not cost the user
    # the rest of the corpus: it is skipped like an unreadable file (--strict stops on both).
    cleaned, failed = _clean_each(raw, boilerplate)
    skipped = skipped + failed
    if documents is None or failed:
        _check_skipped(skipped, cleaned, settings.seeds_dir, strict, log or _log_to_stderr)
    dup = find_duplicates({d.doc_id: d.body_text() for d in cleaned}, DOC_DUPLICATE_THRESHOLD)
    dropped = {d.dropped for d in dup}
    dropped_docs = _dropped_documents(dup, cleaned)
    for d in dropped_docs:
        say(f"skipping {d.dropped_source}: {d.reason}")
    return PreparedCorpus(cleaned, [d for d in cleaned if d.doc_id not in dropped], dropped_docs, skipped)


def _clean_each(raw: list[RawDocument], boilerplate) -> tuple[list[CleanDocument], list[SkippedFile]]:
    cleaned, failed = [], []
    for doc in raw:
        try:
            cleaned.append(clean_document(doc, boilerplate))
        except Exception as exc:  # noqa: BLE001 - any failure of one document skips that document only
            failed.append(SkippedFile(doc.source, (
                f"{doc.source}: cleaning failed ({type(exc).__name__}: {exc}); this is a bug in qa, please "
                "report it with the file. The other documents are indexed"
            )))
    return cleaned, failed


def plan_documents(settings: Settings, docs: list[CleanDocument], with_sentences: bool) -> list[_DocPlan]:
    """Chunk each document and key its vectors in the cache."""
    counter = WordPieceCounter(settings.model)
    chunker = Chunker(
        settings.encoding, settings.chunk_tokens, settings.chunk_overlap,
        counter.count, model_max_tokens(settings.model), counter.starts,
    )
    plans = []
    for doc in docs:
        chunks = chunker.chunk(doc)
        sentences = _unique_sentences(chunks) if with_sentences else []
        plans.append(_DocPlan(doc, chunks, sentences, _cache_key(settings, doc, with_sentences)))
    return plans


def passage_duplicates(plans: list[_DocPlan]) -> set[str]:
    """Keys ("doc_id#chunk") of passages repeated from another document (quotes, syndication)."""
    keys = {f"{p.doc.doc_id}#{i}": (p, i) for p in plans for i in range(len(p.chunks))}
    pdup = find_duplicates(
        {k: p.chunks[i].text for k, (p, i) in keys.items()},
        PASSAGE_DUPLICATE_THRESHOLD,
        group={k: p.doc.doc_id for k, (p, i) in keys.items()},
    )
    return {d.dropped for d in pdup}


def _check_skipped(skipped, raw, folder, strict: bool, warn: Callable[[str], None]) -> None:
    if strict and skipped:
        raise InvalidDocumentError(
            f"cannot index (--strict): {len(skipped)} file(s) cannot be read; the index was left unchanged:\n  "
            + "\n  ".join(s.reason for s in skipped)
        )
    for s in skipped:
        warn(str(s))
    if skipped:
        warn(f"{len(skipped)} file(s) skipped, {len(raw)} read; fix them and re-run, or pass --strict to stop on them")
    if not raw:
        raise InvalidDocumentError(
            f"no readable documents in {folder}: all {len(skipped)} file(s) were skipped (see above)"
        )


def _previous_manifest(store: IndexStore) -> Manifest | None:
    try:
        return store.read_manifest()
    except (IndexMissingError, IndexCorruptError):
        return None


def _unchanged(prev: Manifest, settings: Settings, docs: list[CleanDocument], with_sentences: bool) -> bool:
    try:
        IndexStore(settings.index_dir).check_compatible(prev, settings.model, settings.encoding)
    except IndexMismatchError:
        return False
    same_settings = (
        prev.chunk_tokens == settings.chunk_tokens
        and prev.chunk_overlap == settings.chunk_overlap
        and prev.pipeline_version == PIPELINE_VERSION
        and prev.sentence_vectors == with_sentences
        and prev.sentence_tokens == (TOKEN_FORMAT if with_sentences else "")
        # a changed QA_EXACT_SEARCH_MAX (or approximate index type) rebuilds the dense index
        and prev.dense_index == dense_kind(prev.passages, settings.exact_search_max)
    )
    hashes = {d.doc_id: d.sha256 for d in docs}
    return same_settings and hashes == {k: v.sha256 for k, v in prev.documents.items()}


def _unique_sentences(chunks: list[Chunk]) -> list[Sentence]:
    seen: dict[tuple[int, int], Sentence] = {}
    for chunk in chunks:
        for s in chunk.sentences:
            seen.setdefault((s.start, s.end), s)
    return sorted(seen.values(), key=lambda s: s.start)


# Documents are embedded in groups of about this many texts (passages and sentences), and
# each document's vectors are saved to the cache as soon as its group is done: a killed
# or failed build loses at most one group, and the next run embeds only the rest.
CHECKPOINT_TEXTS = 128


def _fill_vectors(plans, store, embedder, rebuild, say) -> int:
    todo = []
    for plan in plans:
        cached = None if rebuild else store.load_cached(plan.key)
        if (
            cached is not None
            and cached["chunks"].shape[0] == len(plan.chunks)
            and cached["sentences"].shape[0] == len(plan.sentences)
            # entries from before word-piece vectors were kept are embedded again
            and (not plan.sentences or "token_bits" in cached)
        ):
            plan.chunk_vectors = cached["chunks"]
            plan.sentence_vectors = cached["sentences"]
            if plan.sentences:
                plan.sentence_tokens = SentenceTokens(
                    cached["token_bits"], cached["token_counts"], plan.chunk_vectors.shape[1])
        else:
            todo.append(plan)
    if not todo:
        return 0
    n_passages = sum(len(p.chunks) for p in todo)
    n_sentences = sum(len(p.sentences) for p in todo)
    say(f"embedding {n_passages} passages and {n_sentences} sentences from {len(todo)} documents")
    meter = EmbedProgress(say, len(todo), n_passages, n_passages + n_sentences)
    group: list[_DocPlan] = []
    size = 0
    for i, plan in enumerate(todo):
        group.append(plan)
        size += len(plan.chunks) + len(plan.sentences)
        if size >= CHECKPOINT_TEXTS or i == len(todo) - 1:
            _embed_group(group, store, embedder)
            meter.advance(len(group), sum(len(p.chunks) for p in group), size)
            group, size = [], 0
    return n_passages


def _embed_group(group: list[_DocPlan], store: IndexStore, embedder: Embedder) -> None:
    """Embed a few documents in one call (full model batches), then checkpoint each one."""
    texts = [embedding_text(p.doc.title, c) for p in group for c in p.chunks]
    sents = [s.text for p in group for s in p.sentences]
    chunk_vecs = embedder.encode(texts)
    sent_vecs, pieces = embedder.encode_with_tokens(sents)  # one pass: sentence vectors and word pieces
    sent_vecs = sent_vecs.astype(np.float16)
    dim = chunk_vecs.shape[1]
    ci = si = 0
    for plan in group:
        plan.chunk_vectors = chunk_vecs[ci : ci + len(plan.chunks)]
        plan.sentence_vectors = sent_vecs[si : si + len(plan.sentences)]
        arrays = {"chunks": plan.chunk_vectors, "sentences": plan.sentence_vectors}
        if plan.sentences:
            plan.sentence_tokens = tok = SentenceTokens.quantize(pieces[si : si + len(plan.sentences)], dim)
            arrays |= {"token_bits": tok.bits, "token_counts": tok.counts}
        ci += len(plan.chunks)
        si += len(plan.sentences)
        store.save_cached(plan.key, **arrays)


def _write_generation(gen: Path, settings, plans, skip, dup, cleaned, with_sentences, say) -> Manifest:
    passages: list[PassageRecord] = []
    sentences: list[SentenceRecord] = []
    vec_parts, sent_parts = [], []
    token_parts: list[SentenceTokens] = []
    duplicates_of: dict[str, list[str]] = {}
    for d in dup:
        duplicates_of.setdefault(d.kept, []).append(d.dropped)
    entries: dict[str, DocumentEntry] = {}
    sources = {d.doc_id: d.source for d in cleaned}
    for plan in plans:
        doc = plan.doc
        sent_base = len(sentences)
        sent_index = {(s.start, s.end): sent_base + j for j, s in enumerate(plan.sentences)}
        sentences.extend(SentenceRecord.of(sent_base + j, doc.doc_id, s) for j, s in enumerate(plan.sentences))
        sent_parts.append(plan.sentence_vectors)
        if plan.sentence_tokens is not None:
            token_parts.append(plan.sentence_tokens)
        kept_rows = []
        for i, chunk in enumerate(plan.chunks):
            if f"{doc.doc_id}#{i}" in skip:
                continue
            kept_rows.append(i)
            sent_ids = [sent_index[(s.start, s.end)] for s in chunk.sentences] if with_sentences else []
            passages.append(PassageRecord.of(len(passages), doc.doc_id, chunk, sent_ids))
        vec_parts.append(plan.chunk_vectors[kept_rows])
        entries[doc.doc_id] = DocumentEntry(
            doc_id=doc.doc_id, source=doc.source, title=doc.title, sha256=doc.sha256,
            passages=len(kept_rows), duplicates=[sources[x] for x in duplicates_of.get(doc.doc_id, [])],
        )
    for d in dup:
        src = next(c for c in cleaned if c.doc_id == d.dropped)
        entries[d.dropped] = DocumentEntry(
            doc_id=src.doc_id, source=src.source, title=src.title, sha256=src.sha256, duplicate_of=d.kept,
            dropped_reason=d.reason,
        )
    dim = plans[0].chunk_vectors.shape[1] if plans else 0
    vectors = np.concatenate(vec_parts) if vec_parts else np.zeros((0, dim), np.float32)
    sent_vectors = np.concatenate(sent_parts) if sent_parts else np.zeros((0, dim), np.float16)

    write_jsonl(gen / "documents.jsonl", (
        DocumentRecord.of(p.doc, entries[p.doc.doc_id].duplicates).to_row() for p in plans
    ))
    write_jsonl(gen / "chunks.jsonl", (r.to_row() for r in passages))
    write_jsonl(gen / "sentences.jsonl", (r.to_row() for r in sentences))
    np.save(gen / "vectors.npy", vectors)
    np.save(gen / "sentence_vectors.npy", sent_vectors)
    SentenceTokens.concat(token_parts, int(dim)).save(gen)
    say(f"building dense index over {len(passages)} passages")
    dense, kind = build_dense(vectors, settings.exact_search_max)
    save_dense(dense, gen / "dense.faiss")
    say("building BM25 index")
    titles = {p.doc.doc_id: p.doc.title for p in plans}
    LexicalIndex.build([f"{titles[r.doc_id]}\n{r.text}" for r in passages]).save(gen / "bm25")
    manifest = Manifest(
        format_version=FORMAT_VERSION, model=settings.model, dim=int(dim), encoding=settings.encoding,
        chunk_tokens=settings.chunk_tokens, chunk_overlap=settings.chunk_overlap,
        built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), passages=len(passages),
        dense_index=kind, documents=entries, pipeline_version=PIPELINE_VERSION,
        sentence_vectors=with_sentences, sentence_tokens=TOKEN_FORMAT if with_sentences else "",
    )
    (gen / "manifest.json").write_text(json.dumps(manifest.to_dict(), indent=2), encoding="utf-8")
    return manifest
