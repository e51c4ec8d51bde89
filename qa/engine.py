"""The query side: load an index once, then search, ask and show sources.

Everything heavy (FAISS, BM25, vectors) is loaded in ``Engine.load``; the
embedding model loads lazily on the first query (or ``warm_up``), so a CLI
command that fails validation never pays for it.
"""

from __future__ import annotations

import json
import time
from functools import cached_property
from pathlib import Path

import numpy as np

from qa.answer.acronyms import find_acronyms, spelled_out_asked, spells_out
from qa.answer.question import QuestionInfo, read_question, validate_question
from qa.answer.render import no_answer_text, render
from qa.answer.select import ExtractiveAnswerer, PassageRef, Scored, terms_of
from qa.config import Settings
from qa.errors import IndexCorruptError, IndexMismatchError, InvalidQuestionError
from qa.index.embedding import Embedder
from qa.index.query_encoder import QueryEncoder, load_query_encoder
from qa.index.schema import DocumentRecord, Manifest, PassageRecord, SentenceRecord
from qa.index.store import IndexStore, read_jsonl
from qa.index.tokens import FORMAT as TOKEN_FORMAT
from qa.index.tokens import SentenceTokens, TokenEncoding
from qa.models import Answer, Citation, SearchHit, SearchResult, SourceDocument
from qa.retrieve.dense import load_dense
from qa.retrieve.fusion import Candidate, HybridRetriever, Mode, SentenceVectors
from qa.retrieve.lexical import LexicalIndex
from qa.words import numbers_in, tokenize

# Passages scanned for an acronym's spelled-out form (in document order: it is
# usually spelled out where first used).
_DEFINITION_SCAN = 200



class Engine:
    def __init__(self, settings: Settings, generation: Path, manifest: Manifest) -> None:
        self._set_up_query_path(settings)
        self.generation = generation
        self.manifest = manifest
        try:
            self.documents: dict[str, DocumentRecord] = {
                row["doc_id"]: DocumentRecord.from_row(row) for row in read_jsonl(generation / "documents.jsonl")
            }
            self.passages = [
                PassageRecord.from_row(i, r) for i, r in enumerate(read_jsonl(generation / "chunks.jsonl"))
            ]
            self.sentences = [
                SentenceRecord.from_row(i, r) for i, r in enumerate(read_jsonl(generation / "sentences.jsonl"))
            ]
            self.vectors = np.load(generation / "vectors.npy", mmap_mode="r")
            self.sentence_vectors = np.load(generation / "sentence_vectors.npy", mmap_mode="r")
            self.sentence_tokens = (SentenceTokens.load(generation, manifest.dim)
                                    if manifest.sentence_tokens == TOKEN_FORMAT else SentenceTokens.empty(manifest.dim))
            dense = load_dense(generation / "dense.faiss")
            lexical = LexicalIndex.load(generation / "bm25")
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            raise IndexCorruptError(
                f"the index in {settings.index_dir}/ is damaged ({type(exc).__name__}: {exc}). "
                "Rebuild it with `qa index --rebuild`."
            ) from exc
        if manifest.sentence_vectors and len(self.sentence_tokens) != len(self.sentences):
            raise IndexMismatchError(
                f"the index in {settings.index_dir}/ has no word-piece vectors for its {len(self.sentences)} "
                "sentences (built by an older qa). Rebuild it with `qa index --rebuild`."
            )
        n = len(self.passages)
        if not (self.vectors.shape[0] == n == dense.ntotal == lexical.size == manifest.passages):
            raise IndexCorruptError(
                f"the index in {settings.index_dir}/ is inconsistent ({n} passages, "
                f"{self.vectors.shape[0]} vectors, {dense.ntotal} in FAISS, {lexical.size} in BM25). "
                "Rebuild it with `qa index --rebuild`."
            )
        self.lexical = lexical
        self.retriever = HybridRetriever(
            dense, self.vectors, lexical, settings.dense_weight, settings.retrieval_depth,
            # Indexes built without sentences (the BEIR runs) keep plain passage fusion.
            sentences=SentenceVectors(self.sentence_vectors, [p.sent_ids for p in self.passages])
            if len(self.sentence_vectors) else None,
            sentence_weight=settings.sentence_weight,
        )

    def _set_up_query_path(self, settings: Settings) -> None:
        """What every engine holds, wherever its index is stored: the model, the answerer, the caches."""
        self.settings = settings
        self.embedder = Embedder(settings.model, settings.embed_batch_size)
        self.answerer = ExtractiveAnswerer(settings.max_answer_words, settings.abstain_threshold)
        # sentence id -> its scored terms, words and numbers; filled as questions reach it.
        # Requests on several threads may both compute one entry; the results are equal.
        self._terms_cache: dict[int, frozenset[str]] = {}
        self._words_cache: dict[int, list[str]] = {}
        self._numbers_cache: dict[int, frozenset[str]] = {}

    @classmethod
    def load(cls, settings: Settings) -> Engine:
        if settings.backend == "postgres":
            from qa.postgres.engine import PgEngine

            return PgEngine.load(settings)
        store = IndexStore(settings.index_dir)
        generation = store.current()
        manifest = store.read_manifest(generation)
        store.check_compatible(manifest, settings.model, settings.encoding)
        return cls(settings, generation, manifest)

    # --- public API ------------------------------------------------------
    @cached_property
    def info(self) -> dict:
        return {
            "documents": sum(1 for d in self.manifest.documents.values() if d.duplicate_of is None),
            "passages": self.manifest.passages,
            "model": self.manifest.model,
            "dense_index": self.manifest.dense_index,
            "built_at": self.manifest.built_at,
            "generation": self.generation.name,
        }

    def warm_up(self) -> None:
        self._long_lived = True  # a server: set the query encoder up for speed, not start-up
        self.encode_query("warm up")

    _long_lived = False

    @cached_property
    def query_encoder(self) -> QueryEncoder:
        # ONNX (no torch) when `qa index` exported it, else sentence-transformers (warned).
        return load_query_encoder(
            self.settings.index_dir, self.manifest.model, self.embedder, backend=self.settings.query_encoder,
            one_shot=not self._long_lived, threads=self.settings.onnx_threads,
        )

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode_question(text).vector

    def encode_question(self, text: str) -> TokenEncoding:
        """The question's vector and its word pieces' vectors, from one pass of the encoder."""
        return self.query_encoder.encode_tokens(text)

    def search(self, query: str, k: int = 10, mode: Mode = "hybrid") -> SearchResult:
        query = validate_question(query, self.settings)
        _check_k(k)
        t0 = time.perf_counter()
        qvec = self.encode_query(query)
        t1 = time.perf_counter()
        found = self.retrieve(query, k, mode, query_vector=qvec)
        t2 = time.perf_counter()
        hits = [self._hit(rank, c) for rank, c in enumerate(found, start=1)]
        return SearchResult(
            query=query, hits=hits,
            timings_ms={"embed": _ms(t0, t1), "retrieve": _ms(t1, t2), "total": _ms(t0, time.perf_counter())},
        )

    def ask(self, question: str, top_k: int | None = None, explain: bool = False,
            threshold: float | None = None) -> Answer:
        """Validate once -> retrieve -> answer -> cite.

        ``threshold`` overrides the abstain threshold for this question (0.0: never
        abstain, as the calibration sweeps do); None keeps the engine's.
        """
        question = validate_question(question, self.settings)
        k = top_k if top_k is not None else self.settings.top_k
        _check_k(k)
        t0 = time.perf_counter()
        asked = self.read_question(question)
        t1 = time.perf_counter()
        # a misspelt word is embedded as the corpus writes it, as it is searched
        encoded = self.encode_question(asked.search_text or asked.text)
        qvec = encoded.vector
        t2 = time.perf_counter()
        found = self.retrieve(asked, k, query_vector=qvec)
        t3 = time.perf_counter()
        answer = self.answer(asked, found, qvec, threshold=threshold, explain=explain, query_tokens=encoded)
        timings = answer.timings_ms
        return answer.model_copy(update={"timings_ms": {
            "embed": _ms(t1, t2), "retrieve": _ms(t0, t1) + _ms(t2, t3), "answer": timings["answer"],
            "total": _ms(t0, time.perf_counter()),
        }})

    @property
    def threshold(self) -> float:
        """The evidence below which this engine abstains (settings, else the scorer's own)."""
        return self.answerer.threshold

    def read_question(self, question: str) -> QuestionInfo:
        """The one parse of a (validated) question that retrieval and every answer check read."""
        return read_question(question, self.lexical.idf, self.lexical.max_idf(), self._acronyms)

    def retrieve(self, question: str | QuestionInfo, k: int, mode: Mode = "hybrid",
                 query_vector: np.ndarray | None = None, definitions: bool = True) -> list[Candidate]:
        """The ``k`` best passages for a validated question, best first.

        ``query_vector``: the question's embedding when the caller has it; ``definitions``:
        put first the passage that spells out an acronym the question asks to spell out.
        """
        # a misspelt word ("boathose") is searched as the corpus writes it ("boathouse")
        text = (question.search_text or question.text) if isinstance(question, QuestionInfo) else question
        qvec = self.encode_query(text) if query_vector is None else query_vector
        found = self.retriever.retrieve(text, qvec, k, mode)
        if not definitions:
            return found
        spell_out = question.spell_out if isinstance(question, QuestionInfo) else spelled_out_asked(text)
        return self._with_definitions(spell_out, found, k)

    def answer(self, question: str | QuestionInfo, found: list[Candidate], query_vector: np.ndarray, *,
               threshold: float | None = None, explain: bool = False,
               query_tokens: TokenEncoding | None = None) -> Answer:
        """The answer from retrieved passages ``found``, with its citations.

        ``query_tokens``: ``encode_question``'s output when the caller has it (else encoded here).
        ``timings_ms`` holds "answer" (``ask`` adds the rest).
        """
        asked = question if isinstance(question, QuestionInfo) else self.read_question(question)
        if query_tokens is None:
            query_tokens = self.encode_question(asked.search_text or asked.text)
        t0 = time.perf_counter()
        refs = self._refs(found)
        extraction = self.answerer.extract(asked, query_vector, refs, threshold=threshold,
                                           query_tokens=query_tokens, **self._answer_tables)
        t1 = time.perf_counter()
        citations = [self._citation(n, pick) for n, pick in enumerate(extraction.picks, start=1)]
        explanation = None
        if explain:
            from qa.answer.explain import explain as explain_answer

            scored = self.score(asked, found, query_vector, query_tokens=query_tokens)
            explanation = explain_answer(self, scored, refs, found, extraction)
        return Answer(
            question=asked.text,
            answer=no_answer_text() if extraction.abstained else render(extraction.picks),
            abstained=extraction.abstained,
            evidence=round(extraction.evidence, 4),
            read_as=dict(asked.corrected),
            citations=citations,
            timings_ms={"answer": _ms(t0, t1)},
            explanation=explanation,
        )

    def score(self, question: str | QuestionInfo, found: list[Candidate], query_vector: np.ndarray,
              answerer: ExtractiveAnswerer | None = None, query_tokens: TokenEncoding | None = None) -> Scored:
        """Every candidate sentence of the passages ``found``, with its features and probability
        (for `qa explain`, and for fitting the scorer: scripts/train_answerer.py)."""
        asked = question if isinstance(question, QuestionInfo) else self.read_question(question)
        if query_tokens is None:
            query_tokens = self.encode_question(asked.search_text or asked.text)
        return (answerer or self.answerer).score(asked, query_vector, self._refs(found), query_tokens=query_tokens,
                                                 **self._answer_tables)

    def _refs(self, found: list[Candidate]) -> list[PassageRef]:
        return [PassageRef(c.pid, rank, c.score, c.dense, self.passages[c.pid].sent_ids)
                for rank, c in enumerate(found)]

    def _with_definitions(self, spell_out: tuple[str, ...] | list[str], found: list[Candidate],
                          k: int) -> list[Candidate]:
        """Put first the passage that spells out an acronym the question asks about.

        "What does ODI stand for?" shares one word with a hundred passages; ranking
        cannot tell which one writes "Open Data Institute (ODI)", but the text can.
        """
        first: list[Candidate] = []
        for acronym in spell_out:
            token = tokenize(acronym)
            for pid in self.lexical.passages_with(token)[:_DEFINITION_SCAN] if token else ():
                passage = self.passages[int(pid)]
                if spells_out(passage.text, acronym):
                    top = found[0].score if found else 1.0
                    known = next((c for c in found if c.pid == passage.pid), None)
                    first.append(known or Candidate(passage.pid, top, 0.0, 0.0))
                    break
        if not first:
            return found
        chosen = {c.pid for c in first}
        return (first + [c for c in found if c.pid not in chosen])[:k]

    @cached_property
    def _acronyms(self) -> dict[str, tuple[str, ...]]:
        return find_acronyms(s.text for s in self.sentences)

    @cached_property
    def _answer_tables(self) -> dict:
        return {
            "sentences": self.sentences.__getitem__,
            "sentence_vectors": self.sentence_vectors,
            "idf": self.lexical.idf,
            "unseen_idf": self.lexical.max_idf(),
            "acronyms": self._acronyms,
            "sentence_terms": self._sentence_terms,
            "sentence_tokens": self.sentence_tokens if len(self.sentence_tokens) else None,
            "sentence_words": self._sentence_words,
            "sentence_numbers": self._sentence_numbers,
        }

    def _sentence_words(self, sid: int) -> list[str]:
        words = self._words_cache.get(sid)  # as _sentence_terms: once per engine, not per question
        if words is None:
            words = self._words_cache[sid] = tokenize(self.sentences[sid].text)
        return words

    def _sentence_numbers(self, sid: int) -> frozenset[str]:
        numbers = self._numbers_cache.get(sid)  # as _sentence_terms: once per engine, not per question
        if numbers is None:
            numbers = self._numbers_cache[sid] = numbers_in(self.sentences[sid].text)
        return numbers

    def _sentence_terms(self, sid: int) -> frozenset[str]:
        # Every question scores the sentences of its passages on their terms; tokenizing
        # them once per engine instead of once per question halves the answer time.
        terms = self._terms_cache.get(sid)
        if terms is None:
            terms = self._terms_cache[sid] = terms_of(sid, self.sentences.__getitem__, self._acronyms)
        return terms

    def source(self, doc_id: str) -> SourceDocument:
        doc = self.documents.get(doc_id)
        if doc is None:
            raise KeyError(doc_id)
        return doc.source_document()

    # --- helpers ---------------------------------------------------------
    def _hit(self, rank: int, c: Candidate) -> SearchHit:
        p = self.passages[c.pid]
        doc = self.documents[p.doc_id]
        return SearchHit(
            rank=rank, doc_id=p.doc_id, source=doc.source, title=doc.title, section=p.section,
            text=doc.text[p.start : p.end], start=p.start, end=p.end, score=round(c.score, 6),
            dense_score=round(c.dense, 6), lexical_score=round(c.lexical, 6),
        )

    def _citation(self, n: int, pick) -> Citation:
        p = self.passages[pick.passage.pid]
        doc = self.documents[p.doc_id]
        s = pick.sentence
        return Citation(
            n=n, doc_id=p.doc_id, source=doc.source, title=doc.title, section=s.section,
            text=doc.text[p.start : p.end], start=p.start, end=p.end,
            quote=doc.text[s.start : s.end], quote_start=s.start, quote_end=s.end,
            score=round(pick.score, 4), offsets_in=doc.offsets_in, page=doc.page_of(s.start),
        )


def _check_k(k: int) -> None:
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= 50:
        raise InvalidQuestionError(f"top_k must be between 1 and 50. Currently, top_k is {k!r}")


def _ms(a: float, b: float) -> float:
    return round((b - a) * 1000, 2)


def dump(model) -> str:
    return json.dumps(model.model_dump(), ensure_ascii=False)
