"""`qa index` into PostgreSQL: incremental, and atomic per run.

The pipeline up to the vectors is the local one (``qa.index.build``): the same
cleaning, de-duplication, chunking and per-document vector cache, so the rows hold
exactly the passages, sentences and vectors the local index would.  Then one
transaction deletes the rows of removed and changed documents, inserts the changed
ones (COPY, binary), renumbers document positions and writes the manifest with the
next generation number.  Readers see the previous generation until it commits.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict

import numpy as np

from qa.config import Settings
from qa.errors import IndexMismatchError
from qa.index.build import (
    PIPELINE_VERSION,
    DroppedDocument,
    IndexReport,
    _fill_vectors,
    _log_to_stderr,
    passage_duplicates,
    plan_documents,
    prepare_corpus,
)
from qa.index.embedding import Embedder
from qa.index.query_encoder import ensure_query_encoder
from qa.index.schema import FORMAT_VERSION, DocumentEntry, DocumentRecord, Manifest, SentenceRecord
from qa.index.store import IndexStore
from qa.index.tokens import FORMAT as TOKEN_FORMAT
from qa.index.tokens import SentenceTokens
from qa.ingest.readers import RawDocument
from qa.postgres import tables
from qa.postgres.connection import connect, database_url, redact
from qa.words import tokenize

DENSE_KIND = "pgvector-hnsw"


def build_pg_index(
    settings: Settings,
    *,
    documents: list[RawDocument] | None = None,
    progress: bool = False,
    rebuild: bool = False,
    with_sentences: bool = True,
    log: Callable[[str], None] | None = None,
    strict: bool = False,
) -> IndexReport:
    """Index ``settings.seeds_dir`` (or ``documents``) into the database at ``settings.database_url``."""
    started = time.perf_counter()
    say = log or (_log_to_stderr if progress else (lambda _m: None))
    url = database_url(settings)
    where = redact(url)
    conn = connect(url)  # first: a database that cannot be used fails before any work
    try:
        # One writer at a time; readers are never blocked (they read the last commit).
        conn.execute("SELECT pg_advisory_lock(%s)", (tables.WRITE_LOCK,))
        corpus = prepare_corpus(settings, documents, strict, say, log)
        cleaned, kept, dropped_docs = corpus.cleaned, corpus.kept, corpus.dropped
        skipped = [asdict(s) for s in corpus.skipped]
        layout = tables.schema_version(conn)
        meta = tables.read_meta(conn) if layout == tables.SCHEMA_VERSION else None
        reusable = not rebuild and meta is not None and _same_settings(meta.manifest, settings, with_sentences)
        hashes = {d.doc_id: d.sha256 for d in cleaned}
        if reusable and hashes == {k: v.sha256 for k, v in meta.manifest.documents.items()}:
            say("index is up to date; nothing to embed")
            ensure_query_encoder(settings.index_dir, settings.model, Embedder(settings.model), say)
            return IndexReport(
                index_dir=where, documents=len(cleaned), indexed_documents=len(kept),
                passages=meta.manifest.passages, embedded_passages=0, reused_passages=meta.manifest.passages,
                duplicates=[asdict(d) for d in dropped_docs], up_to_date=True, dense_index=DENSE_KIND,
                skipped=skipped, seconds=time.perf_counter() - started,
            )

        plans = plan_documents(settings, kept, with_sentences)
        skip = passage_duplicates(plans)
        kept_ords = {
            p.doc.doc_id: [i for i in range(len(p.chunks)) if f"{p.doc.doc_id}#{i}" not in skip] for p in plans
        }
        stored = _stored_documents(conn) if reusable else {}
        changed = [p for p in plans if stored.get(p.doc.doc_id) != (p.key, kept_ords[p.doc.doc_id])]
        say(f"{len(plans) - len(changed)} documents unchanged, {len(changed)} to write")

        store = IndexStore(settings.index_dir)
        embedder = Embedder(settings.model, settings.embed_batch_size)
        embedded = _fill_vectors(changed, store, embedder, rebuild, say)
        dim = _dim(plans, meta, embedder)
        manifest = _manifest(settings, plans, kept_ords, dropped_docs, cleaned, dim, with_sentences)
        say(f"writing {sum(len(kept_ords[p.doc.doc_id]) for p in changed)} passages to {where}")
        with conn.transaction():
            if layout != tables.SCHEMA_VERSION or tables.table_dim(conn) != dim:
                tables.drop_tables(conn)
                tables.create_tables(conn, dim)
            elif not reusable:
                conn.execute("DELETE FROM qa_documents")
            generation = (meta.generation if meta is not None else 0) + 1
            live = [p.doc.doc_id for p in plans]
            # Servers on the previous generation still search its passages: mark, delete later.
            conn.execute("DELETE FROM qa_passages WHERE removed IS NOT NULL AND removed < %s", (generation,))
            conn.execute(
                "UPDATE qa_passages SET removed = %s WHERE removed IS NULL AND "
                "(NOT (doc_id = ANY(%s)) OR doc_id = ANY(%s))",
                (generation, live, [p.doc.doc_id for p in changed]),
            )
            conn.execute("DELETE FROM qa_documents WHERE NOT (doc_id = ANY(%s)) OR doc_id = ANY(%s)",
                         (live, [p.doc.doc_id for p in changed]))
            _insert(conn, changed, kept_ords, manifest, generation)
            conn.execute(
                "UPDATE qa_documents d SET position = o.position "
                "FROM unnest(%s::text[], %s::int[]) AS o(doc_id, position) WHERE d.doc_id = o.doc_id",
                (live, list(range(len(live)))),
            )
            tables.write_meta(conn, generation, manifest)
        conn.execute("SELECT pg_advisory_unlock(%s)", (tables.WRITE_LOCK,))
    finally:
        conn.close()
    store.prune_cache({p.key for p in plans})
    ensure_query_encoder(settings.index_dir, settings.model, embedder, say)
    return IndexReport(
        index_dir=where, documents=len(cleaned), indexed_documents=len(kept),
        passages=manifest.passages, embedded_passages=embedded,
        reused_passages=sum(len(p.chunks) for p in plans) - embedded,
        duplicates=[asdict(d) for d in dropped_docs], dropped_passages=len(skip), skipped=skipped,
        dense_index=DENSE_KIND, seconds=time.perf_counter() - started,
    )


def _same_settings(prev: Manifest, settings: Settings, with_sentences: bool) -> bool:
    try:
        tables.check_compatible(prev, settings.model, settings.encoding, "")
    except IndexMismatchError:
        return False
    return (
        prev.chunk_tokens == settings.chunk_tokens
        and prev.chunk_overlap == settings.chunk_overlap
        and prev.pipeline_version == PIPELINE_VERSION
        and prev.sentence_vectors == with_sentences
        and prev.sentence_tokens == (TOKEN_FORMAT if with_sentences else "")
    )


def _stored_documents(conn) -> dict[str, tuple[str, list[int]]]:
    rows = conn.execute("SELECT doc_id, cache_key, kept FROM qa_documents").fetchall()
    return {doc_id: (key, list(kept)) for doc_id, key, kept in rows}


def _dim(plans, meta, embedder: Embedder) -> int:
    for p in plans:
        if p.chunk_vectors is not None:
            return int(p.chunk_vectors.shape[1])
    return meta.manifest.dim if meta is not None else embedder.dim


def _manifest(
    settings, plans, kept_ords, dup: list[DroppedDocument], cleaned, dim, with_sentences
) -> Manifest:
    duplicates_of: dict[str, list[str]] = {}
    for d in dup:
        duplicates_of.setdefault(d.kept, []).append(d.dropped)
    sources = {d.doc_id: d.source for d in cleaned}
    entries = {
        p.doc.doc_id: DocumentEntry(
            doc_id=p.doc.doc_id, source=p.doc.source, title=p.doc.title, sha256=p.doc.sha256,
            passages=len(kept_ords[p.doc.doc_id]),
            duplicates=[sources[x] for x in duplicates_of.get(p.doc.doc_id, [])],
        )
        for p in plans
    }
    for d in dup:
        src = next(c for c in cleaned if c.doc_id == d.dropped)
        entries[d.dropped] = DocumentEntry(
            doc_id=src.doc_id, source=src.source, title=src.title, sha256=src.sha256, duplicate_of=d.kept,
            dropped_reason=d.reason,
        )
    return Manifest(
        format_version=FORMAT_VERSION, model=settings.model, dim=int(dim), encoding=settings.encoding,
        chunk_tokens=settings.chunk_tokens, chunk_overlap=settings.chunk_overlap,
        built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        passages=sum(len(v) for v in kept_ords.values()), dense_index=DENSE_KIND, documents=entries,
        pipeline_version=PIPELINE_VERSION, sentence_vectors=with_sentences,
        sentence_tokens=TOKEN_FORMAT if with_sentences else "",
    )


def _insert(conn, plans, kept_ords, manifest: Manifest, generation: int) -> None:
    """COPY the documents, passages and sentences of ``plans`` (binary: vectors go as float4)."""
    with conn.cursor() as cur:
        with cur.copy(
            "COPY qa_documents (doc_id, position, source, title, text, segments, duplicates, cache_key, "
            "kept, sentence_vectors, token_bits, token_counts, offsets_in, page_starts) "
            "FROM STDIN WITH (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["text", "int4", "text", "text", "text", "jsonb", "jsonb", "text", "int4[]", "bytea",
                            "bytea", "int4[]", "text", "int4[]"])
            for p in plans:
                d = DocumentRecord.of(p.doc, manifest.documents[p.doc.doc_id].duplicates)
                copy.write_row((
                    d.doc_id, 0, d.source, d.title, d.text,
                    d.segment_rows(), list(d.duplicates),  # jsonb: psycopg encodes them
                    p.key, kept_ords[d.doc_id],
                    np.ascontiguousarray(p.sentence_vectors, dtype="<f2").tobytes(),
                    *(p.sentence_tokens or SentenceTokens.empty(manifest.dim)).to_bytes(),
                    d.offsets_in, list(d.page_starts),
                ))
        with cur.copy(
            f"COPY qa_sentences (ord, {', '.join(SentenceRecord.PG_COLUMNS)}) FROM STDIN WITH (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["int4", *SentenceRecord.PG_TYPES])
            for p in plans:
                for j, s in enumerate(p.sentences):
                    copy.write_row((j, *SentenceRecord.of(j, p.doc.doc_id, s).to_pg()))
        with cur.copy(
            "COPY qa_passages (doc_id, ord, added, section, start_offset, end_offset, text, sent_ords, "
            "lexemes, embedding) FROM STDIN WITH (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["text", "int4", "int8", "text", "int4", "int4", "text", "int4[]", "text", "vector"])
            for p in plans:
                sent_index = {(s.start, s.end): j for j, s in enumerate(p.sentences)}
                for i in kept_ords[p.doc.doc_id]:
                    c = p.chunks[i]
                    ords = [sent_index[(s.start, s.end)] for s in c.sentences] if p.sentences else []
                    copy.write_row((
                        p.doc.doc_id, i, generation, c.section, c.start, c.end, c.text, ords,
                        passage_lexemes(p.doc.title, c.text), np.asarray(p.chunk_vectors[i], dtype=np.float32),
                    ))


def passage_lexemes(title: str, text: str) -> str:
    """The terms BM25 indexes for a passage (title included), as stored in ``lexemes``."""
    return " ".join(tokenize(f"{title}\n{text}") or ["<empty>"])
