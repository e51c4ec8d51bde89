"""The PostgreSQL tables (DDL), and the manifest stored beside them (records: qa/index/schema.py).

One row of ``qa_meta`` holds the manifest (model, dimension, encoding, chunking,
format: the same ``Manifest`` as the local index's manifest.json) and a generation number that every re-index increments.

Passages are never updated in place: a re-index marks a changed document's rows
``removed`` by the new generation and inserts new ones (new ids) in one transaction.
Retrieval filters on the generation the engine loaded (``added <= g`` and not yet
``removed``), so a server that loaded the previous generation keeps searching exactly
its passages until it has reloaded; rows removed two generations ago are deleted, as
the local store keeps the previous generation folder and prunes older ones.

Lexical search runs on the app's own tokens (``qa.retrieve.lexical.tokenize``: acronym-aware,
Snowball-stemmed), stored space-separated in ``lexemes`` and indexed as a
``tsvector`` with the 'simple' configuration, so PostgreSQL matches the same terms
as BM25 does; only the ranking function differs (``ts_rank``: no IDF).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from qa.errors import IndexMismatchError, IndexMissingError
from qa.index.schema import Manifest

# HNSW graph parameters: pgvector's defaults (m=16, ef_construction=64); see bench/RESULTS.md.
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 64
# Serialises `qa index` runs on one database (pg_advisory_lock key).
WRITE_LOCK = 0x71615F696E646578  # "qa_index"

TABLES = ("qa_sentences", "qa_passages", "qa_documents", "qa_meta")
# Bump when the tables change; `qa index` then rebuilds them, and loading an older
# layout says to rebuild (kept as the comment on qa_meta).
SCHEMA_VERSION = 6  # 6: sentences.heading; 5: word pieces as sign bits; 4: documents' sentence word-piece vectors; 3: documents.offsets_in and page_starts, sentences.code


def create_tables(conn, dim: int) -> None:
    """Create the tables for vectors of ``dim`` dimensions (inside the caller's transaction)."""
    conn.execute(
        """
        CREATE TABLE qa_meta (
            id int PRIMARY KEY CHECK (id = 1),
            generation bigint NOT NULL,
            manifest jsonb NOT NULL
        )"""
    )
    conn.execute(f"COMMENT ON TABLE qa_meta IS 'qa schema {SCHEMA_VERSION}'")
    conn.execute(
        """
        CREATE TABLE qa_documents (
            doc_id text PRIMARY KEY,
            position int NOT NULL,          -- corpus order: passage and sentence ids follow it
            source text NOT NULL,
            title text NOT NULL,
            text text NOT NULL,             -- the source file's text; offsets index into it
            segments jsonb NOT NULL,
            duplicates jsonb NOT NULL,
            cache_key text NOT NULL,        -- content hash + settings: equal means rows unchanged
            kept int[] NOT NULL,            -- chunk numbers kept after passage de-duplication
            sentence_vectors bytea NOT NULL, -- float16 little-endian, (sentences, dim)
            token_bits bytea NOT NULL,      -- the sentences' word pieces, sign bits (pieces, dim / 8)
            token_counts int[] NOT NULL,    -- word pieces per sentence (qa/index/tokens.py)
            offsets_in text NOT NULL,       -- "file" or "extracted": what the offsets index
            page_starts int[] NOT NULL      -- PDF: offset where each page's text starts
        )"""
    )
    conn.execute(
        f"""
        CREATE TABLE qa_passages (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            doc_id text NOT NULL,           -- no foreign key: rows outlive their document by a generation
            ord int NOT NULL,
            added bigint NOT NULL,          -- generation that wrote the row
            removed bigint,                 -- generation that replaced or deleted it (NULL: live)
            section text NOT NULL,
            start_offset int NOT NULL,
            end_offset int NOT NULL,
            text text NOT NULL,
            sent_ords int[] NOT NULL,       -- the document's sentence numbers in this passage
            lexemes text NOT NULL,          -- qa.retrieve.lexical.tokenize(title + text), space-separated
            tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', lexemes)) STORED,
            embedding vector({int(dim)}) NOT NULL
        )"""
    )
    conn.execute(
        """
        CREATE TABLE qa_sentences (
            doc_id text NOT NULL REFERENCES qa_documents ON DELETE CASCADE,
            ord int NOT NULL,
            section text NOT NULL,
            text text NOT NULL,
            start_offset int NOT NULL,
            end_offset int NOT NULL,
            author text,
            byline boolean NOT NULL,
            list_item boolean NOT NULL,
            code boolean NOT NULL,          -- a code block: searchable, never quoted as prose
            heading boolean NOT NULL,       -- a declared heading: context for what follows, never an answer
            PRIMARY KEY (doc_id, ord)
        )"""
    )
    conn.execute("CREATE INDEX qa_passages_doc ON qa_passages (doc_id)")
    conn.execute("CREATE INDEX qa_passages_removed ON qa_passages (removed) WHERE removed IS NOT NULL")
    conn.execute("CREATE INDEX qa_passages_tsv ON qa_passages USING gin (tsv)")
    create_vector_index(conn)


def create_vector_index(conn) -> None:
    conn.execute(
        "CREATE INDEX IF NOT EXISTS qa_passages_hnsw ON qa_passages USING hnsw (embedding vector_ip_ops) "
        f"WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION})"
    )


def drop_tables(conn) -> None:
    conn.execute(f"DROP TABLE IF EXISTS {', '.join(TABLES)} CASCADE")


def table_dim(conn) -> int | None:
    """The dimension of the stored vectors, or None when there are no tables."""
    row = conn.execute(
        "SELECT atttypmod FROM pg_attribute WHERE attrelid = to_regclass('qa_passages') "
        "AND attname = 'embedding'"
    ).fetchone()
    return int(row[0]) if row else None


def schema_version(conn) -> int | None:
    """The layout version of the tables (None: no tables, 1: before it was recorded)."""
    row = conn.execute("SELECT obj_description(to_regclass('qa_meta'), 'pg_class'), to_regclass('qa_meta')").fetchone()
    if row[1] is None:
        return None
    comment = row[0] or ""
    return int(comment.rsplit(" ", 1)[-1]) if comment.startswith("qa schema ") else 1


@dataclass(frozen=True)
class Meta:
    generation: int
    manifest: Manifest


def read_meta(conn) -> Meta | None:
    if conn.execute("SELECT to_regclass('qa_meta')").fetchone()[0] is None:
        return None
    row = conn.execute("SELECT generation, manifest FROM qa_meta WHERE id = 1").fetchone()
    if row is None:
        return None
    return Meta(int(row[0]), Manifest.from_dict(row[1]))


def write_meta(conn, generation: int, manifest: Manifest) -> None:
    conn.execute(
        "INSERT INTO qa_meta (id, generation, manifest) VALUES (1, %s, %s::jsonb) "
        "ON CONFLICT (id) DO UPDATE SET generation = EXCLUDED.generation, manifest = EXCLUDED.manifest",
        (generation, json.dumps(manifest.to_dict())),
    )


def require_meta(conn, where: str) -> Meta:
    version = schema_version(conn)
    if version is not None and version != SCHEMA_VERSION:
        raise IndexMismatchError(
            f"the index in the database at {where} has table layout {version}, this version of qa "
            f"reads {SCHEMA_VERSION}. Rebuild it with `qa index --rebuild`."
        )
    meta = read_meta(conn)
    if meta is None:
        raise IndexMissingError(
            f"no index found in the database at {where}. Build it with `QA_BACKEND=postgres qa index`."
        )
    return meta


def check_compatible(manifest: Manifest, model: str, encoding: str, where: str) -> None:
    """The local index's checks (Manifest.check_compatible), worded for a database."""
    manifest.check_compatible(model, encoding, f"the index in the database at {where}")
