"""The engine on PostgreSQL: retrieval in the database, everything else as the local engine.

At load, one consistent snapshot (REPEATABLE READ) of the documents, passages and
sentences is read into the same in-memory records ``qa.engine.Engine`` builds from
an index folder (the answerer needs sentence vectors, IDF and postings for every
question), and the BM25 index is rebuilt from the stored tokens.  Passage vectors
stay in the database: dense search and exact re-scoring run there (``PgRetriever``),
on the rows of the generation loaded here until the server reloads.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path

import numpy as np

from qa.config import Settings
from qa.engine import Engine
from qa.errors import IndexCorruptError
from qa.index.schema import DocumentRecord, PassageRecord, SentenceRecord
from qa.index.tokens import SentenceTokens
from qa.postgres import tables
from qa.postgres.connection import connect, database_url, redact
from qa.postgres.retriever import PgRetriever
from qa.retrieve.bm25s_lean import bm25s
from qa.retrieve.fusion import SentenceVectors
from qa.retrieve.lexical import LexicalIndex


class PgEngine(Engine):
    def __init__(self, settings: Settings, url: str) -> None:  # Engine.__init__ reads files; this reads tables
        self._set_up_query_path(settings)
        self.url = url
        self.where = redact(url)
        import psycopg

        conn = connect(url)
        try:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")  # one snapshot for all tables
            meta = tables.require_meta(conn, self.where)
            tables.check_compatible(meta.manifest, settings.model, settings.encoding, self.where)
            self._load(conn, meta)
            conn.execute("COMMIT")
        except psycopg.Error as exc:
            raise IndexCorruptError(
                f"the index in the database at {self.where} cannot be read ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0]}). Rebuild it with `qa index --rebuild`."
            ) from exc
        finally:
            conn.close()
        self.meta = meta
        self.manifest = meta.manifest
        self.generation = Path(f"pg-generation-{meta.generation}")
        self.retriever = PgRetriever(
            url, self.where, self._ids, meta.generation, self.lexical, settings.dense_weight,
            SentenceVectors(self.sentence_vectors, [p.sent_ids for p in self.passages])
            if len(self.sentence_vectors) else None,
            settings.sentence_weight, rank=settings.pg_lexical_rank, depth=settings.retrieval_depth,
        )

    def _load(self, conn, meta: tables.Meta) -> None:
        dim = meta.manifest.dim
        self.documents, sent_parts, sent_base, token_parts = {}, [], {}, []
        total = 0
        for (doc_id, source, title, text, segments, duplicates, vecs, bits, counts, offsets_in,
             page_starts) in conn.execute(
            "SELECT doc_id, source, title, text, segments, duplicates, sentence_vectors, token_bits, "
            "token_counts, offsets_in, page_starts FROM qa_documents ORDER BY position"
        ):
            self.documents[doc_id] = DocumentRecord.from_row({
                "doc_id": doc_id, "source": source, "title": title, "text": text,
                "segments": _json(segments), "duplicates": _json(duplicates),
                "offsets_in": offsets_in, "page_starts": page_starts,
            })
            part = np.frombuffer(vecs, dtype="<f2").reshape(-1, dim)
            sent_base[doc_id] = total
            total += len(part)
            sent_parts.append(part)
            token_parts.append(SentenceTokens.from_bytes(bits, counts, dim))
        self.sentence_vectors = np.concatenate(sent_parts) if sent_parts else np.zeros((0, dim), np.float16)
        self.sentence_tokens = SentenceTokens.concat(token_parts, dim)
        columns = ", ".join(f"s.{c}" for c in SentenceRecord.PG_COLUMNS)
        self.sentences = [
            SentenceRecord.from_pg(i, values) for i, values in enumerate(conn.execute(
                f"SELECT {columns} FROM qa_sentences s JOIN qa_documents d USING (doc_id) ORDER BY d.position, s.ord"
            ))
        ]
        rows = conn.execute(
            "SELECT p.id, p.doc_id, p.section, p.start_offset, p.end_offset, p.text, p.sent_ords, p.lexemes "
            "FROM qa_passages p JOIN qa_documents d USING (doc_id) WHERE p.removed IS NULL "
            "ORDER BY d.position, p.ord"
        ).fetchall()
        self._ids = np.array([r[0] for r in rows], dtype=np.int64)
        self.passages = [
            PassageRecord(n, doc_id, section, start, end, text, tuple(sent_base[doc_id] + o for o in ords))
            for n, (_id, doc_id, section, start, end, text, ords, _lex) in enumerate(rows)
        ]
        self.lexical = _bm25([r[7].split(" ") for r in rows])

    @classmethod
    def load(cls, settings: Settings) -> PgEngine:
        return cls(settings, database_url(settings))

    @property
    def outdated(self) -> bool:
        """The database has been re-indexed since this engine loaded (the server reloads it)."""
        return self.retriever.outdated

    @cached_property
    def info(self) -> dict:
        return {
            "documents": len(self.documents),
            "passages": self.manifest.passages,
            "model": self.manifest.model,
            "dense_index": self.manifest.dense_index,
            "built_at": self.manifest.built_at,
            "generation": self.generation.name,
            "backend": "postgres",
            "database": self.where,
        }

    def close(self) -> None:
        self.retriever.close()


def _json(value: object) -> object:
    # Databases written before schema.py's records hold these jsonb columns as JSON strings.
    return json.loads(value) if isinstance(value, str) else value


def _bm25(tokens: list[list[str]]) -> LexicalIndex:
    """The BM25 index ``LexicalIndex.build`` makes, from the stored tokens (no re-tokenizing)."""
    bm25 = bm25s().BM25(k1=1.2, b=0.75)
    bm25.index(tokens, show_progress=False)
    return LexicalIndex(bm25)
