"""`qa bench --postgres N`: the PostgreSQL backend at N synthetic passages.

The data are the growth benchmark's (``qa.bench.synthetic_vectors`` and
``synthetic_passages``: clustered unit vectors around the seed index's embeddings,
pseudo-word passages).  A fresh embedded server in a temporary folder gets the
backend's own tables; the passages are loaded with binary COPY before any index
exists, then the GIN and HNSW indexes are built and timed.  Queries run the
backend's own hybrid statement (``qa.postgres.retriever.SQL``), and recall@10 is
measured against exact search in numpy, both for the bare HNSW top 10 and for the
hybrid pool re-scored with exact cosines (what the engine ranks).
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from qa.bench import (
    _exact_top,
    _recall,
    machine_info,
    summarize,
    synthetic_passages,
    synthetic_vectors,
)
from qa.postgres import schema
from qa.postgres.connection import connect
from qa.postgres.retriever import SQL, candidate_terms
from qa.postgres.server import EmbeddedServer

# The index build may use this much memory (PostgreSQL's default, 64 MB, spills the
# HNSW graph to disk and builds several times slower at 100k).
MAINTENANCE_WORK_MEM = "1GB"


def bench_postgres(
    n: int, queries: int = 200, anchors: np.ndarray | None = None, say: Callable[[str], None] = lambda _m: None
) -> dict[str, Any]:
    out: dict[str, Any] = {"n": n, "queries": queries, "machine": machine_info(),
                           "hnsw": {"m": schema.HNSW_M, "ef_construction": schema.HNSW_EF_CONSTRUCTION}}
    x, q = synthetic_vectors(n, queries, anchors)
    texts, qtexts = synthetic_passages(n, queries)
    truth = _exact_top(x, q, 10)
    # Document frequencies of the query words, for the retriever's candidate-term pruning.
    words = {w for t in qtexts for w in t.split()}
    df = Counter(w for t in texts for w in set(t.split()) if w in words)
    qtexts = [" ".join(candidate_terms(t.split(), df.__getitem__, n)) for t in qtexts]
    with tempfile.TemporaryDirectory(prefix="qa-pg-bench-") as tmp:
        server = EmbeddedServer(Path(tmp))
        t = time.perf_counter()
        status = server.start()
        out["server_start_s"] = round(time.perf_counter() - t, 2)
        try:
            conn = connect(status.url)
            out["server_version"] = conn.execute("SHOW server_version").fetchone()[0]
            out["pgvector_version"] = conn.execute(
                "SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()[0]
            with conn.transaction():
                schema.create_tables(conn, x.shape[1])
                conn.execute("DROP INDEX qa_passages_hnsw, qa_passages_tsv")  # built after the load
                schema.write_meta(conn, 1, _bench_manifest(n, x.shape[1]))
            say(f"postgres: loading {n:,} passages (COPY binary)")
            t = time.perf_counter()
            with conn.cursor() as cur, cur.copy(
                "COPY qa_passages (doc_id, ord, added, section, start_offset, end_offset, text, sent_ords, "
                "lexemes, embedding) FROM STDIN WITH (FORMAT BINARY)"
            ) as copy:
                copy.set_types(["text", "int4", "int8", "text", "int4", "int4", "text", "int4[]", "text", "vector"])
                for i in range(n):
                    copy.write_row((f"d{i // 100}", i % 100, 1, "body", 0, len(texts[i]), texts[i], [],
                                    texts[i], x[i]))
            out["load_s"] = round(time.perf_counter() - t, 2)
            conn.execute(f"SET maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
            say(f"postgres: loaded in {out['load_s']} s; building the GIN index")
            t = time.perf_counter()
            conn.execute("CREATE INDEX qa_passages_tsv ON qa_passages USING gin (tsv)")
            out["gin_build_s"] = round(time.perf_counter() - t, 2)
            say(f"postgres: GIN in {out['gin_build_s']} s; building the HNSW index")
            t = time.perf_counter()
            schema.create_vector_index(conn)
            out["hnsw_build_s"] = round(time.perf_counter() - t, 2)
            conn.execute("VACUUM ANALYZE qa_passages")
            out["table_mb"] = round(conn.execute(
                "SELECT pg_total_relation_size('qa_passages')").fetchone()[0] / 2**20, 1)
            out["hnsw_mb"] = round(conn.execute(
                "SELECT pg_relation_size('qa_passages_hnsw')").fetchone()[0] / 2**20, 1)
            say(f"postgres: HNSW in {out['hnsw_build_s']} s; querying")
            out.update(_queries(conn, x, q, qtexts, truth))
            conn.close()
        finally:
            server.stop()
    return out


def _queries(conn, x, q, qtexts, truth) -> dict[str, Any]:
    dense_sql = "SELECT id FROM qa_passages ORDER BY embedding <#> %(q)s LIMIT 10"
    for i in range(min(10, len(q))):  # warm the caches
        conn.execute(SQL["hybrid"], {"q": q[i], "terms": qtexts[i], "depth": 100, "gen": 1}).fetchall()
    hybrid_t, dense_t, knn, pooled = [], [], [], []
    for i in range(len(q)):
        params = {"q": q[i], "terms": qtexts[i], "depth": 100, "gen": 1}
        t = time.perf_counter()
        rows = conn.execute(SQL["hybrid"], params).fetchall()
        hybrid_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        ids = [r[0] for r in conn.execute(dense_sql, params).fetchall()]
        dense_t.append(time.perf_counter() - t)
        knn.append(np.array(ids, dtype=np.int64) - 1)  # identity ids start at 1, in COPY order
        best = sorted(rows, key=lambda r: -r[1])[:10]  # the pool ranked by its exact cosines
        pooled.append(np.array([r[0] for r in best], dtype=np.int64) - 1)
    return {
        "hybrid": summarize(hybrid_t),
        "dense_top10": summarize(dense_t),
        "recall_at_10_hnsw": round(_recall(_pad(knn), truth), 4),
        "recall_at_10_pool_rescored": round(_recall(_pad(pooled), truth), 4),
    }


def _pad(rows: list[np.ndarray]) -> np.ndarray:
    out = np.full((len(rows), 10), -1, dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r[:10]
    return out


def _bench_manifest(n: int, dim: int):
    from qa.store import FORMAT_VERSION, Manifest

    return Manifest(format_version=FORMAT_VERSION, model="synthetic", dim=dim, encoding="none", chunk_tokens=160,
                    chunk_overlap=32, built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), passages=n,
                    dense_index="pgvector-hnsw", documents={})


def to_markdown(r: dict[str, Any], command: str) -> str:
    m = r["machine"]
    lines = [
        f"PostgreSQL {r['server_version']} + pgvector {r['pgvector_version']}, {r['n']:,} synthetic passages "
        f"(384-d), {r['queries']} queries; `{command}` on {m['cpu']} ({m['usable_cores']} cores, "
        f"load {m['load_average_at_start']}), HNSW m={r['hnsw']['m']}, ef_construction="
        f"{r['hnsw']['ef_construction']}, ef_search 200, maintenance_work_mem {MAINTENANCE_WORK_MEM}.",
        "",
        "| figure | measured |",
        "|---|---|",
        f"| load (COPY binary, no index) | {r['load_s']} s |",
        f"| GIN (tsvector) index build | {r['gin_build_s']} s |",
        f"| HNSW index build | {r['hnsw_build_s']} s |",
        f"| hybrid query (kNN 100 + full text 100, pooled, exact scores), p50 / p95 | "
        f"{r['hybrid']['p50_ms']} / {r['hybrid']['p95_ms']} ms |",
        f"| HNSW top 10 alone, p50 / p95 | {r['dense_top10']['p50_ms']} / {r['dense_top10']['p95_ms']} ms |",
        f"| recall@10 vs exact: HNSW top 10 / hybrid pool re-scored | {r['recall_at_10_hnsw']} / "
        f"{r['recall_at_10_pool_rescored']} |",
        f"| table with indexes / HNSW alone | {r['table_mb']} / {r['hnsw_mb']} MiB |",
    ]
    return "\n".join(lines) + "\n"
