"""Public benchmark: index a BEIR-format folder with the project's own pipeline and score it.

A BEIR folder holds ``corpus.jsonl`` ({"_id","title","text"}), ``queries.jsonl``
({"_id","text"}) and ``qrels/<split>.tsv`` (query-id, corpus-id, score).  Each
document becomes one ``RawDocument`` whose first line is the title: the cleaner
takes that line as the title, and the chunker prefixes every passage with it,
which is how the pipeline treats titles on the seed corpus too.

Retrieval is passage-level; a document's score is its best passage's score
(max-pooling), then nDCG@10 and Recall@100 are computed with ranx.
"""

from __future__ import annotations

import csv
import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from qa.errors import QAError
from qa.evaluation.ir import rank_scores
from qa.ingest.readers import RawDocument

MODES = ("dense", "lexical", "hybrid")
PASSAGE_DEPTH = 100  # passages retrieved per query before pooling to documents
METRICS = ("ndcg@10", "recall@100")


@dataclass
class BeirDataset:
    name: str
    folder: Path
    split: str
    corpus: dict[str, tuple[str, str]]  # doc id -> (title, text)
    queries: dict[str, str]  # only the queries judged in the split
    qrels: dict[str, dict[str, int]]


@dataclass
class ModeResult:
    mode: str
    ndcg_at_10: float
    recall_at_100: float
    queries: int
    seconds: float  # retrieval and scoring, the model already loaded
    per_query: dict[str, dict[str, float]] = field(default_factory=dict, repr=False)


@dataclass
class BeirReport:
    dataset: str
    split: str
    index_dir: str
    documents: int
    passages: int
    duplicates_dropped: int
    index_seconds: float
    embedded_passages: int
    query_seconds: float  # embedding the queries, once for every mode
    total_seconds: float
    settings: dict
    results: list[ModeResult]

    def to_dict(self, per_query: bool = False) -> dict:
        out = asdict(self)
        if not per_query:
            for r in out["results"]:
                r.pop("per_query", None)
        return out


def load_beir(folder: Path, split: str = "test") -> BeirDataset:
    folder = Path(folder)
    paths = {
        "corpus": folder / "corpus.jsonl",
        "queries": folder / "queries.jsonl",
        "qrels": folder / "qrels" / f"{split}.tsv",
    }
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise QAError(
            f"{folder} is not a BEIR folder (missing {', '.join(missing)}); expected corpus.jsonl, "
            f"queries.jsonl and qrels/{split}.tsv"
        )
    corpus = {}
    for row in _jsonl(paths["corpus"]):
        corpus[str(row["_id"])] = (row.get("title") or "", row.get("text") or "")
    qrels: dict[str, dict[str, int]] = {}
    with paths["qrels"].open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        for row in reader:
            if len(row) < 3 or row[0] == "query-id":  # header line
                continue
            if int(row[2]) > 0:
                qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    all_queries = {str(r["_id"]): r["text"] for r in _jsonl(paths["queries"])}
    queries = {qid: all_queries[qid] for qid in qrels if qid in all_queries}
    if not queries:
        raise QAError(f"no query in {paths['qrels']} is in {paths['queries']}")
    qrels = {qid: rel for qid, rel in qrels.items() if qid in queries}
    return BeirDataset(folder.name, folder, split, corpus, queries, qrels)


def _jsonl(path: Path):
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def raw_documents(dataset: BeirDataset) -> list[RawDocument]:
    """One document per corpus row: the title on the first line, then the text.

    The cleaner takes the first short line as the title and the chunker puts the
    title in front of every passage it embeds (``qa.ingest.chunk.embedding_text``),
    the same treatment the seed articles get.
    """
    docs = []
    for doc_id, (title, text) in dataset.corpus.items():
        body = f"{title.strip()}\n\n{text.strip()}" if title.strip() else text.strip()
        sha = hashlib.sha256(body.encode("utf-8")).hexdigest()
        source = f"{dataset.name}/corpus.jsonl#{doc_id}"
        docs.append(RawDocument(doc_id=doc_id, source=source, text=body, kind="text", sha256=sha))
    return docs


def query_vectors(engine, queries: dict[str, str]) -> dict[str, np.ndarray]:
    """Each query embedded once by the engine's own query path (ONNX or sentence-transformers)."""
    return {qid: engine.encode_query(text) for qid, text in queries.items()}


def document_run(
    engine, queries: dict[str, str], mode: str, vectors: dict[str, np.ndarray], depth: int = PASSAGE_DEPTH
) -> dict[str, dict[str, float]]:
    """{query id: {doc id: score}}: each document scored by its best passage.

    Documents the indexer dropped as near-duplicates are ranked right behind the
    copy that was kept, since the index cannot tell them apart.
    """
    dropped_by_kept: dict[str, list[str]] = {}
    for entry in engine.manifest.documents.values():
        if entry.duplicate_of is not None:
            dropped_by_kept.setdefault(entry.duplicate_of, []).append(entry.doc_id)
    run = {}
    for qid, text in queries.items():
        # Engine.search caps k at 50, so the retriever is called directly for the deep pool.
        found = engine.retrieve(text, depth, mode, query_vector=vectors[qid], definitions=False)
        ranked: list[str] = []
        seen: set[str] = set()
        for cand in found:  # best first, so the first passage of a document is its max
            doc_id = engine.passages[cand.pid].doc_id
            for d in (doc_id, *dropped_by_kept.get(doc_id, ())):
                if d not in seen:
                    seen.add(d)
                    ranked.append(d)
        run[qid] = rank_scores(ranked)
    return run


def score_run(qrels: dict[str, dict[str, int]], run: dict) -> tuple[dict[str, float], dict[str, dict]]:
    """(mean metrics, per-query metrics) with ranx; queries with no result score 0."""
    from qa.evaluation.ir import ranx_scores

    per_query = ranx_scores(qrels, run, METRICS)
    means = {m: float(sum(v[m] for v in per_query.values()) / len(per_query)) for m in METRICS}
    return means, per_query


def evaluate_mode(
    engine, dataset: BeirDataset, mode: str, vectors: dict[str, np.ndarray], depth: int = PASSAGE_DEPTH
) -> ModeResult:
    started = time.perf_counter()
    run = document_run(engine, dataset.queries, mode, vectors, depth)
    means, per_query = score_run(dataset.qrels, run)
    return ModeResult(
        mode=mode, ndcg_at_10=round(means["ndcg@10"], 4), recall_at_100=round(means["recall@100"], 4),
        queries=len(dataset.queries), seconds=round(time.perf_counter() - started, 1), per_query=per_query,
    )


def index_beir(dataset: BeirDataset, settings, rebuild: bool = False, progress: bool = False):
    """Build or reuse the index of the corpus (vectors are cached, so reruns embed nothing)."""
    from qa.index.build import build_index

    return build_index(
        settings, documents=raw_documents(dataset), progress=progress, rebuild=rebuild,
        with_sentences=False,
    )


REFERENCE_MODE = "dense-reference"


def reference_dense_run(engine, dataset: BeirDataset, vectors: dict[str, np.ndarray], cache: Path) -> dict:
    """MTEB's way, outside the pipeline: one vector per document, cosine ranking.

    MTEB embeds ``title + " " + text`` and lets the model truncate it (256 word
    pieces for all-MiniLM-L6-v2).  Matching MTEB's published score here shows the
    data, the qrels and the metrics are right; the pipeline's own dense mode then
    differs only by how it chunks.  Document vectors are cached in ``cache``.
    """
    ids = list(dataset.corpus)
    if cache.is_file():
        saved = np.load(cache, allow_pickle=False)
        doc_vecs = saved["vectors"] if list(saved["ids"]) == ids else None
    else:
        doc_vecs = None
    if doc_vecs is None:
        texts = [f"{t} {x}".strip() for t, x in (dataset.corpus[i] for i in ids)]
        doc_vecs = engine.embedder.encode(texts)
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, ids=np.array(ids), vectors=doc_vecs)
    run = {}
    for qid in dataset.queries:
        sims = doc_vecs @ vectors[qid]
        top = np.argsort(-sims, kind="stable")[:100]
        run[qid] = rank_scores([ids[i] for i in top])
    return run


def evaluate_reference(engine, dataset: BeirDataset, vectors: dict[str, np.ndarray], index_dir: Path) -> ModeResult:
    started = time.perf_counter()
    slug = "".join(c if c.isalnum() or c in "-_." else "-" for c in engine.settings.model)[-60:]
    run = reference_dense_run(engine, dataset, vectors, Path(index_dir) / f"reference-{slug}.npz")
    means, per_query = score_run(dataset.qrels, run)
    return ModeResult(
        mode=REFERENCE_MODE, ndcg_at_10=round(means["ndcg@10"], 4),
        recall_at_100=round(means["recall@100"], 4), queries=len(dataset.queries),
        seconds=round(time.perf_counter() - started, 1), per_query=per_query,
    )
