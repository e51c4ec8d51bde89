"""Hybrid candidates from PostgreSQL in one round trip; fusion as the local retriever does it.

One statement takes the HNSW nearest neighbours (``<#>``, negative inner product:
the vectors are unit length) and the full-text matches ranked by ``ts_rank`` (GIN
index on the app's own tokens), pools them, and returns for every pooled passage its
exact cosine, its ``ts_rank`` and the index generation.  The fusion then runs in the
app with ``qa.retrieve.fusion``'s code: min-max scaling, the best-sentence (MaxP) share on
the dense side, the dense weight.

``rank="bm25"`` (the default) scores the lexical side of the pool with the app's BM25
(the answerer needs that index anyway, for IDF and postings), so answers match the
local backend's; ``rank="ts_rank"`` fuses PostgreSQL's ``ts_rank`` instead, which has
no IDF and no length saturation (README, "PostgreSQL backend", measures both).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Literal

import numpy as np

from qa.postgres.connection import DatabaseError, connect
from qa.retrieve.fusion import Candidate, Mode, SentenceVectors, fuse
from qa.retrieve.lexical import LexicalIndex
from qa.words import query_tokens

Rank = Literal["bm25", "ts_rank"]

# A term in more than this share of the passages (and more than COMMON_TERM_MIN of them)
# is left out of the full-text candidate query when the question has rarer terms.
# PostgreSQL ranks every row that matches a tsquery before it can sort them: a word
# found in two thirds of 100k passages cost ~180 ms per query (bench/RESULTS.md), and
# such a word's IDF is low, so it rarely decides which passages are the top 100. The
# pooled passages are still scored on every term.  Below COMMON_TERM_MIN matches the
# full ranking is cheap, so small corpora (the seeds) keep every term.
COMMON_TERM_SHARE = 0.05
COMMON_TERM_MIN = 1000


def candidate_terms(tokens: list[str], df: Callable[[str], int], n: int) -> list[str]:
    """The query terms the full-text side searches for (all of them on a small corpus)."""
    tokens = list(dict.fromkeys(tokens))
    limit = max(COMMON_TERM_SHARE * n, COMMON_TERM_MIN)
    kept = [t for t in tokens if df(t) <= limit]
    return kept or sorted(tokens, key=df)[:1]

# The query as plain text: plainto_tsquery parses it as to_tsvector parsed `lexemes`,
# and its '&' become '|' (any term matches; ranking does the rest).
_TSQUERY = "to_tsquery('simple', replace(plainto_tsquery('simple', %(terms)s)::text, '&', '|'))"
# The rows of the generation this engine loaded (a newer one may be committed already).
_VISIBLE = "added <= %(gen)s AND (removed IS NULL OR removed > %(gen)s)"
_DENSE = f"SELECT id FROM qa_passages WHERE {_VISIBLE} ORDER BY embedding <#> %(q)s LIMIT %(depth)s"
_LEXICAL = (
    f"SELECT id FROM qa_passages, {_TSQUERY} AS tq WHERE tsv @@ tq AND {_VISIBLE} "
    "ORDER BY ts_rank(tsv, tq) DESC, id LIMIT %(depth)s"
)
_SCORE = (
    "SELECT p.id, -(p.embedding <#> %(q)s), ts_rank(p.tsv, tq), (SELECT generation FROM qa_meta) "
    f"FROM qa_passages p, {_TSQUERY} AS tq WHERE p.id IN ({{pool}})"
)
SQL: dict[str, str] = {
    "hybrid": f"WITH dense AS ({_DENSE}), lex AS ({_LEXICAL}) "
    + _SCORE.format(pool="SELECT id FROM dense UNION SELECT id FROM lex"),
    "dense": f"WITH dense AS ({_DENSE}) " + _SCORE.format(pool="SELECT id FROM dense"),
    "lexical": f"WITH lex AS ({_LEXICAL}) " + _SCORE.format(pool="SELECT id FROM lex"),
}


class PgRetriever:
    """``HybridRetriever.retrieve`` with candidate generation in PostgreSQL."""

    def __init__(
        self,
        url: str,
        where: str,
        ids: np.ndarray,
        generation: int,
        lexical: LexicalIndex,
        dense_weight: float,
        sentences: SentenceVectors | None,
        sentence_weight: float,
        rank: Rank = "bm25",
        depth: int = 100,
    ) -> None:
        self.url, self.where = url, where
        self.generation = generation
        self.pid_of = {int(i): n for n, i in enumerate(ids.tolist())}  # database id -> passage number
        self.lexical = lexical
        self.dense_weight = dense_weight
        self.sentences = sentences
        self.sentence_weight = sentence_weight if sentences is not None else 0.0
        self.rank = rank
        self.depth = depth
        self.outdated = False  # set when the database holds a newer generation than this engine
        self._local = threading.local()  # one connection per thread (psycopg connections are not shared)
        self._connections: list = []
        self._lock = threading.Lock()

    def _conn(self):
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._local.conn = connect(self.url)
            with self._lock:
                self._connections.append(conn)
        return conn

    def _df(self, term: str) -> int:
        return len(self.lexical.passages_with([term]))

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()

    def fetch(self, query: str, query_vector: np.ndarray, depth: int, mode: Mode) -> list[tuple]:
        """(database id, cosine, ts_rank, generation) of every pooled passage: one round trip."""
        import psycopg

        params = {"q": np.asarray(query_vector, dtype=np.float32), "depth": depth, "gen": self.generation,
                  "terms": " ".join(candidate_terms(query_tokens(query), self._df, len(self.pid_of)))}
        for attempt in (1, 2):
            try:
                return self._conn().execute(SQL[mode], params).fetchall()
            except psycopg.OperationalError as exc:
                # A dropped connection (server restart, idle timeout): reconnect once.
                self._local.conn = None
                if attempt == 2:
                    raise DatabaseError(f"lost the connection to the database at {self.where} ({exc}). "
                                        "Check that it is running.") from exc
        return []

    def retrieve(self, query: str, query_vector: np.ndarray, k: int, mode: Mode = "hybrid") -> list[Candidate]:
        if k <= 0:
            raise ValueError(f"k must be greater than 0. Currently, k is {k}")
        rows = self.fetch(query, query_vector, max(self.depth, k), mode)
        if rows and int(rows[0][3]) != self.generation:
            self.outdated = True
        # The filter on the generation returns only passages this engine loaded; the
        # check keeps a row deleted and re-added by hand from reaching an unknown id.
        known = [(self.pid_of[int(r[0])], float(r[1]), float(r[2])) for r in rows if int(r[0]) in self.pid_of]
        if not known:
            return []
        known.sort()  # passage order, as the local retriever pools them (ties break the same way)
        pids = np.fromiter((r[0] for r in known), dtype=np.int64)
        dense = np.fromiter((r[1] for r in known), dtype=np.float32)
        if self.rank == "bm25" and mode != "dense":
            lexical = self.lexical.scores(query)[pids]
        elif mode != "dense":
            lexical = np.fromiter((r[2] for r in known), dtype=np.float32)
        else:
            lexical = np.zeros(len(pids), np.float32)
        return fuse(pids, dense, lexical, k, mode, self.dense_weight, self.sentences, self.sentence_weight,
                    query_vector)
